#include "media/colour.h"

#include <libavutil/csp.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdlib.h>

/* Chroma is interpolated at full resolution and rounded accurately (the
 * fast unscaled path repeats each chroma sample over 2x2 pixels, blocks the
 * network would then upscale). Bilinear chroma upsampling, as players do,
 * and an area filter for 2:1 chroma downsampling: half the cost of bicubic
 * (measured 1.95 vs 4.0 ms for a 960x540 frame) for no visible change. */
#define VSR_SWS_TO_RGB (SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)
#define VSR_SWS_TO_YUV (SWS_AREA | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)
/* Converting and resampling in one call (issue 18: the model's output at
 * its own scale, or the input for the detail blend, to the size asked):
 * Lanczos-3 by default, the validators' reference scaler for the NEG gate;
 * the filter's own flag is or'ed in (sws_flags_of). */
#define VSR_SWS_RESAMPLE_TO_YUV (SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)

static int is_sd(int height)
{
    return height < 720;
}

static int unset_matrix(enum AVColorSpace m)
{
    return m == AVCOL_SPC_UNSPECIFIED || m == AVCOL_SPC_RESERVED;
}

static int unset_primaries(enum AVColorPrimaries p)
{
    return p == AVCOL_PRI_UNSPECIFIED || p == AVCOL_PRI_RESERVED || p == AVCOL_PRI_RESERVED0;
}

static int unset_trc(enum AVColorTransferCharacteristic t)
{
    return t == AVCOL_TRC_UNSPECIFIED || t == AVCOL_TRC_RESERVED || t == AVCOL_TRC_RESERVED0;
}

vsr_colour vsr_colour_for_input(enum AVColorSpace matrix, enum AVColorRange range,
                                enum AVColorPrimaries primaries,
                                enum AVColorTransferCharacteristic trc, int height)
{
    vsr_colour c;
    /* The family to fill untagged fields from: the tagged matrix's when
     * there is one (a stream tagged BT.601 is not BT.709 in its other
     * fields), else the usual guess by size. */
    int sd = is_sd(height);
    if (matrix == AVCOL_SPC_BT709)
        sd = 0;
    else if (matrix == AVCOL_SPC_BT470BG || matrix == AVCOL_SPC_SMPTE170M)
        sd = 1;
    c.matrix = unset_matrix(matrix) ? (sd ? AVCOL_SPC_SMPTE170M : AVCOL_SPC_BT709) : matrix;
    c.range = (range == AVCOL_RANGE_JPEG) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    c.primaries = unset_primaries(primaries) ? (matrix == AVCOL_SPC_BT470BG ? AVCOL_PRI_BT470BG
                                                : sd                        ? AVCOL_PRI_SMPTE170M
                                                                            : AVCOL_PRI_BT709)
                                             : primaries;
    c.trc = unset_trc(trc) ? (sd ? AVCOL_TRC_SMPTE170M : AVCOL_TRC_BT709) : trc;
    return c;
}

vsr_colour vsr_colour_for_output(enum AVColorSpace matrix, enum AVColorPrimaries primaries,
                                 enum AVColorTransferCharacteristic trc, int out_h)
{
    /* The validator compares tags only where both files carry them, so a
     * tagged input keeps its tags; an untagged one gets the tags that fit
     * the output's size, which is what players assume for it anyway. */
    vsr_colour c = vsr_colour_for_input(matrix, AVCOL_RANGE_MPEG, primaries, trc, out_h);
    c.range = AVCOL_RANGE_MPEG;
    return c;
}

int vsr_colour_sws_matrix(enum AVColorSpace matrix)
{
    switch (matrix) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    default: return SWS_CS_ITU601;
    }
}

/* The luma weights of colour's matrix, for the matrices swscale knows
 * (vsr_colour_sws_matrix) and its BT.601 fallback for the others. */
static void luma_weights(const vsr_colour *colour, double *kr, double *kb)
{
    enum AVColorSpace m;
    switch (vsr_colour_sws_matrix(colour->matrix)) {
    case SWS_CS_ITU709: m = AVCOL_SPC_BT709; break;
    case SWS_CS_FCC: m = AVCOL_SPC_FCC; break;
    case SWS_CS_SMPTE240M: m = AVCOL_SPC_SMPTE240M; break;
    case SWS_CS_BT2020: m = AVCOL_SPC_BT2020_NCL; break;
    default: m = AVCOL_SPC_SMPTE170M; break;
    }
    const AVLumaCoefficients *luma = av_csp_luma_coeffs_from_avcsp(m);
    *kr = av_q2d(luma->cr);
    *kb = av_q2d(luma->cb);
}

void vsr_colour_yuv_coeffs(const vsr_colour *colour, vsr_yuv_coeffs *k)
{
    double kr, kb;
    luma_weights(colour, &kr, &kb);
    vsr_yuv_coeffs_init(k, kr, kb);
}

void vsr_colour_rgb_coeffs(const vsr_colour *colour, vsr_rgb_coeffs *k)
{
    double kr, kb;
    luma_weights(colour, &kr, &kb);
    vsr_rgb_coeffs_init(k, kr, kb, colour->range == AVCOL_RANGE_JPEG);
}

int vsr_colour_yuv_in(const AVFrame *f, int gpu, vsr_yuv_in *in, vsr_rgb_coeffs *k)
{
    enum AVPixelFormat fmt = f->format;
    int device = -1;
    if (fmt == AV_PIX_FMT_CUDA) {
        if (!f->hw_frames_ctx)
            return 0;
        fmt = ((const AVHWFramesContext *)f->hw_frames_ctx->data)->sw_format;
        device = gpu;
    }
    const int planar = fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P;
    if (!(planar && f->linesize[1] == f->linesize[2]) && fmt != AV_PIX_FMT_NV12)
        return 0;
    *in = (vsr_yuv_in){
        .width = f->width,
        .height = f->height,
        .luma = f->data[0],
        .cb = f->data[1],
        .cr = planar ? f->data[2] : f->data[1] + 1,
        .luma_stride = (size_t)f->linesize[0],
        .chroma_stride = (size_t)f->linesize[1],
        .chroma_step = planar ? 1 : 2,
        .device = device,
        .ready_stream = NULL, /* NVDEC's copies: the legacy default stream (decoder.h) */
    };
    vsr_colour c = vsr_colour_for_input(f->colorspace, f->color_range, f->color_primaries,
                                        f->color_trc, f->height);
    if (fmt == AV_PIX_FMT_YUVJ420P)
        c.range = AVCOL_RANGE_JPEG;
    vsr_colour_rgb_coeffs(&c, k);
    return 1;
}

struct vsr_yuv_to_rgb {
    struct SwsContext *sws;
    /* What sws was made for; a change (rare: a mid-stream format switch)
     * rebuilds it. */
    int w, h;
    enum AVPixelFormat fmt;
    vsr_colour colour;
};

int vsr_yuv_to_rgb_create(vsr_yuv_to_rgb **c, vsr_error *err)
{
    *c = calloc(1, sizeof **c);
    if (!*c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "YUV to RGB converter: out of memory");
    (*c)->fmt = AV_PIX_FMT_NONE;
    return VSR_OK;
}

int vsr_yuv_to_rgb_run(vsr_yuv_to_rgb *c, const AVFrame *in, vsr_image *out, long frame_no,
                       vsr_error *err)
{
    if (out->format != VSR_PIX_RGB24 || out->width != in->width || out->height != in->height)
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "frame %ld: YUV to RGB: output %dx%d does not match frame %dx%d",
                             frame_no, out->width, out->height, in->width, in->height);
    vsr_colour col = vsr_colour_for_input(in->colorspace, in->color_range, in->color_primaries,
                                          in->color_trc, in->height);
    enum AVPixelFormat fmt = in->format;
    /* The "J" formats are full range by definition, whatever the tag says. */
    if (fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P) {
        col.range = AVCOL_RANGE_JPEG;
        fmt = fmt == AV_PIX_FMT_YUVJ420P   ? AV_PIX_FMT_YUV420P
              : fmt == AV_PIX_FMT_YUVJ422P ? AV_PIX_FMT_YUV422P
                                           : AV_PIX_FMT_YUV444P;
    }
    if (!c->sws || c->w != in->width || c->h != in->height || c->fmt != fmt ||
        c->colour.matrix != col.matrix || c->colour.range != col.range) {
        sws_freeContext(c->sws);
        c->sws = sws_getContext(in->width, in->height, fmt, in->width, in->height, AV_PIX_FMT_RGB24,
                                VSR_SWS_TO_RGB, NULL, NULL, NULL);
        if (!c->sws) {
            const char *name = av_get_pix_fmt_name(fmt);
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "frame %ld: cannot convert pixel format %s (%dx%d) to RGB",
                                 frame_no, name ? name : "?", in->width, in->height);
        }
        const int *coef = sws_getCoefficients(vsr_colour_sws_matrix(col.matrix));
        /* Only YUV sources take coefficients; for RGB or grey sources the
         * call fails harmlessly and the plain conversion applies. */
        sws_setColorspaceDetails(c->sws, coef, col.range == AVCOL_RANGE_JPEG, coef, 1, 0, 1 << 16,
                                 1 << 16);
        c->w = in->width;
        c->h = in->height;
        c->fmt = fmt;
        c->colour = col;
    }
    uint8_t *dst[4] = {out->data, NULL, NULL, NULL};
    int dst_stride[4] = {(int)out->stride, 0, 0, 0};
    int rows = sws_scale(c->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, dst,
                         dst_stride);
    if (rows != in->height)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "frame %ld: YUV to RGB converted %d of %d rows",
                             frame_no, rows, in->height);
    return VSR_OK;
}

void vsr_yuv_to_rgb_destroy(vsr_yuv_to_rgb *c)
{
    if (!c)
        return;
    sws_freeContext(c->sws);
    free(c);
}

struct vsr_rgb_to_yuv {
    struct SwsContext *sws;
    int w, h;         /* the input size sws was made for */
    int out_w, out_h; /* 0: the input's */
    vsr_resample_filter filter;
    vsr_colour colour;
    AVBufferPool *pool;
};

/* swscale's flag and parameters for f: its bicubic is B = 0, C = 0.6
 * unless told, frame/resample.h's Catmull-Rom is C = 0.5; SWS_BILINEAR
 * enlarging is the triangle, shrinking it is stretched as ours is. */
static int sws_flags_of(vsr_resample_filter f, double param[2])
{
    param[0] = param[1] = SWS_PARAM_DEFAULT;
    switch (f) {
    case VSR_RESAMPLE_BICUBIC: param[0] = 0.0, param[1] = 0.5; return SWS_BICUBIC;
    case VSR_RESAMPLE_MITCHELL: param[0] = param[1] = 1.0 / 3.0; return SWS_BICUBIC;
    case VSR_RESAMPLE_BILINEAR: return SWS_BILINEAR;
    case VSR_RESAMPLE_LANCZOS3: break;
    }
    return SWS_LANCZOS;
}

int vsr_rgb_to_yuv_set_filter(vsr_rgb_to_yuv *c, vsr_resample_filter f, vsr_error *err)
{
    if (f != VSR_RESAMPLE_LANCZOS3 && f != VSR_RESAMPLE_BICUBIC && f != VSR_RESAMPLE_MITCHELL &&
        f != VSR_RESAMPLE_BILINEAR)
        return vsr_error_set(err, VSR_ERR_INVALID, "RGB to YUV converter: no filter %d", (int)f);
    if (c->filter != f) {
        sws_freeContext(c->sws); /* made again on the next frame */
        c->sws = NULL;
        c->filter = f;
    }
    return VSR_OK;
}

int vsr_rgb_to_yuv_create_scaled(vsr_rgb_to_yuv **c, const vsr_colour *colour, AVBufferPool *pool,
                                 int out_w, int out_h, vsr_error *err)
{
    *c = NULL;
    if (out_w < 0 || out_h < 0 || out_w % 2 || out_h % 2 || (out_w == 0) != (out_h == 0))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "RGB to YUV converter: output %dx%d is not an even size", out_w,
                             out_h);
    *c = calloc(1, sizeof **c);
    if (!*c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "RGB to YUV converter: out of memory");
    (*c)->colour = *colour;
    (*c)->pool = pool;
    (*c)->out_w = out_w;
    (*c)->out_h = out_h;
    return VSR_OK;
}

int vsr_rgb_to_yuv_create(vsr_rgb_to_yuv **c, const vsr_colour *colour, AVBufferPool *pool,
                          vsr_error *err)
{
    return vsr_rgb_to_yuv_create_scaled(c, colour, pool, 0, 0, err);
}

int vsr_rgb_to_yuv_run(vsr_rgb_to_yuv *c, const vsr_image *in, AVFrame *out, long frame_no,
                       vsr_error *err)
{
    if (in->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "frame %ld: RGB to YUV needs RGB24", frame_no);
    const int ow = c->out_w ? c->out_w : in->width, oh = c->out_h ? c->out_h : in->height;
    if (ow % 2 || oh % 2)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "frame %ld: output %dx%d has an odd side; YUV 4:2:0 needs even sizes",
                             frame_no, ow, oh);
    if (!c->sws || c->w != in->width || c->h != in->height) {
        sws_freeContext(c->sws);
        const int same = ow == in->width && oh == in->height;
        double param[2];
        const int filter = sws_flags_of(c->filter, param);
        c->sws = sws_getContext(in->width, in->height, AV_PIX_FMT_RGB24, ow, oh, AV_PIX_FMT_YUV420P,
                                same ? VSR_SWS_TO_YUV : filter | VSR_SWS_RESAMPLE_TO_YUV, NULL,
                                NULL, same ? NULL : param);
        if (!c->sws)
            return vsr_error_set(err, VSR_ERR_NOMEM,
                                 "frame %ld: RGB to YUV converter for %dx%d to %dx%d", frame_no,
                                 in->width, in->height, ow, oh);
        const int *coef = sws_getCoefficients(vsr_colour_sws_matrix(c->colour.matrix));
        if (sws_setColorspaceDetails(c->sws, coef, 1, coef, c->colour.range == AVCOL_RANGE_JPEG, 0,
                                     1 << 16, 1 << 16) < 0)
            return vsr_error_set(err, VSR_ERR_INTERNAL,
                                 "frame %ld: swscale refused the output colour matrix", frame_no);
        c->w = in->width;
        c->h = in->height;
    }
    int ret = vsr_yuv_frame_alloc(c->pool, out, ow, oh, &c->colour, frame_no, err);
    if (ret < 0)
        return ret;
    const uint8_t *src[4] = {in->data, NULL, NULL, NULL};
    int src_stride[4] = {(int)in->stride, 0, 0, 0};
    int rows = sws_scale(c->sws, src, src_stride, 0, in->height, out->data, out->linesize);
    if (rows != oh)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "frame %ld: RGB to YUV converted %d of %d rows",
                             frame_no, rows, oh);
    return VSR_OK;
}

#define VSR_FRAME_ALIGN 64

AVBufferPool *vsr_yuv_frame_pool(int w, int h)
{
    int size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, w, h, VSR_FRAME_ALIGN);
    return size > 0 ? av_buffer_pool_init((size_t)size, av_buffer_allocz) : NULL;
}

vsr_yuv420 vsr_yuv420_of_frame(const AVFrame *f)
{
    return (vsr_yuv420){f->width,
                        f->height,
                        {f->data[0], f->data[1], f->data[2]},
                        {(size_t)f->linesize[0], (size_t)f->linesize[1], (size_t)f->linesize[2]}};
}

int vsr_yuv_frame_alloc(AVBufferPool *pool, AVFrame *out, int w, int h, const vsr_colour *colour,
                        long frame_no, vsr_error *err)
{
    av_frame_unref(out);
    out->format = AV_PIX_FMT_YUV420P;
    out->width = w;
    out->height = h;
    int ret;
    if (!pool) {
        ret = av_frame_get_buffer(out, 0);
    } else if (!(out->buf[0] = av_buffer_pool_get(pool))) {
        ret = AVERROR(ENOMEM);
    } else {
        ret = av_image_fill_arrays(out->data, out->linesize, out->buf[0]->data, AV_PIX_FMT_YUV420P,
                                   w, h, VSR_FRAME_ALIGN);
        if (ret >= 0 && (size_t)ret > out->buf[0]->size)
            ret = AVERROR(EINVAL); /* a pool made for another size */
        out->extended_data = out->data;
    }
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_NOMEM, "frame %ld: YUV frame %dx%d: %s", frame_no, w, h,
                             av_err2str(ret));
    out->colorspace = colour->matrix;
    out->color_range = colour->range;
    out->color_primaries = colour->primaries;
    out->color_trc = colour->trc;
    out->sample_aspect_ratio = (AVRational){1, 1};
    return VSR_OK;
}

void vsr_rgb_to_yuv_destroy(vsr_rgb_to_yuv *c)
{
    if (!c)
        return;
    sws_freeContext(c->sws);
    free(c);
}
