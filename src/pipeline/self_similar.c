/* See self_similar.h. Everything runs on the caller's thread. */
#include "pipeline/self_similar.h"

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/encode_roundtrip.h"
#include "pipeline/clip_quality.h"
#include "quality/quality.h"
#include "util/clock.h"

/* The validators' degradation (DESIGN.md §5; make_corpus.sh): libx264
 * ultrafast CRF 23, one thread as selfsim_rows.sh's ffmpeg, keyframe
 * every 30 (a window is shorter: one IDR). */
#define VSR_SELF_SIMILAR_CRF 23
#define VSR_SELF_SIMILAR_GOP 30

typedef struct selfsim {
    const vsr_self_similar_options *o;
    AVFrame *const *frames; /* the window's */
    int in_w, in_h, down_w, down_h;
    struct SwsContext *down;
    vsr_yuv_to_rgb *to_rgb;
    vsr_rgb_to_yuv *up;
    vsr_image rgb;
    AVFrame **back; /* the window's frames brought back to the input's size */
    vsr_quality *q;
    long first; /* the window's first frame's index among the sampled, for messages */
} selfsim;

static int cancelled(const selfsim *c, vsr_error *err)
{
    if (c->o->cancel && *c->o->cancel)
        return vsr_error_set(err, VSR_ERR_CANCELLED, "cancelled while choosing the detail");
    return VSR_OK;
}

/* Round trip 1, in: input frame k scaled down (bicubic). */
static int fill_down(void *opaque, int k, AVFrame *f, vsr_error *err)
{
    selfsim *c = opaque;
    const AVFrame *in = c->frames[k];
    int ret = cancelled(c, err);
    if (ret < 0)
        return ret;
    if (sws_scale(c->down, (const uint8_t *const *)in->data, in->linesize, 0, in->height, f->data,
                  f->linesize) != c->down_h)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "scaling sampled frame %ld down failed",
                             c->first + k);
    return VSR_OK;
}

/* Round trip 1, out: the decoded small frame back to the input's size as
 * the pipeline brings an input at detail 0. */
static int take_down(void *opaque, int k, const AVFrame *d, vsr_error *err)
{
    selfsim *c = opaque;
    int ret = vsr_yuv_to_rgb_run(c->to_rgb, d, &c->rgb, c->first + k, err);
    if (ret >= 0 && !(c->back[k] = av_frame_alloc()))
        ret = vsr_error_set(err, VSR_ERR_NOMEM, "self-similar check: out of memory");
    if (ret >= 0)
        ret = vsr_rgb_to_yuv_run(c->up, &c->rgb, c->back[k], c->first + k, err);
    return ret;
}

/* Round trip 2, in: the frame brought back, encoded as the run encodes. */
static int fill_back(void *opaque, int k, AVFrame *f, vsr_error *err)
{
    selfsim *c = opaque;
    int ret = cancelled(c, err);
    if (ret < 0)
        return ret;
    const AVFrame *b = c->back[k];
    av_image_copy(f->data, f->linesize, (const uint8_t **)b->data, b->linesize, AV_PIX_FMT_YUV420P,
                  c->in_w, c->in_h);
    return VSR_OK;
}

/* Round trip 2, out: scored against the input frame. */
static int take_back(void *opaque, int k, const AVFrame *d, vsr_error *err)
{
    selfsim *c = opaque;
    vsr_quality_picture ref = vsr_clip_quality_picture(c->frames[k]),
                        dis = vsr_clip_quality_picture(d);
    return vsr_quality_add(c->q, &ref, &dis, err);
}

/* One window [0, n) of c->frames: both round trips, scored into a
 * session of its own, its frames after the first added to the sums. */
static int measure_window(selfsim *c, int n, int64_t index, double *sv, double *sn, int64_t *cnt,
                          vsr_error *err)
{
    const vsr_self_similar_options *o = c->o;
    const vsr_encoder_options x264 = {.codec = "h264",
                                      .encoder = "libx264",
                                      .preset = "ultrafast",
                                      .crf = VSR_SELF_SIMILAR_CRF,
                                      .threads = 1,
                                      .gop_size = VSR_SELF_SIMILAR_GOP};
    vsr_encoder_video small = {.width = c->down_w,
                               .height = c->down_h,
                               .time_base = o->time_base,
                               .frame_rate = o->frame_rate,
                               .colour = o->colour};
    small.colour.range = AVCOL_RANGE_MPEG; /* swscale's yuv420p is limited range */
    vsr_encoder_video full = {.width = c->in_w,
                              .height = c->in_h,
                              .time_base = o->time_base,
                              .frame_rate = o->frame_rate,
                              .colour = o->out_colour};
    const vsr_quality_options qo = {
        .metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG,
        .threads = o->threads,
        .subsample = 1,
    };
    c->back = calloc((size_t)n, sizeof *c->back);
    int ret =
        c->back ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "self-similar check: out of memory");
    if (ret >= 0)
        ret = vsr_encode_roundtrip(&x264, &small, index, c->first, n, fill_down, take_down, c, err);
    if (ret >= 0)
        ret = vsr_quality_create(&qo, c->in_w, c->in_h, &c->q, err);
    if (ret >= 0)
        ret = vsr_encode_roundtrip(o->enc, &full, index, c->first, n, fill_back, take_back, c, err);
    vsr_quality_summary sum;
    if (ret >= 0)
        ret = vsr_quality_finish(c->q, &sum, err);
    if (ret >= 0)
        vsr_clip_quality_pool_window(c->q, sv, sn, cnt);
    vsr_quality_free(c->q);
    c->q = NULL;
    for (int k = 0; c->back && k < n; k++)
        av_frame_free(&c->back[k]);
    free(c->back);
    c->back = NULL;
    return ret;
}

static int setup(selfsim *c, const AVFrame *f, vsr_error *err)
{
    const vsr_self_similar_options *o = c->o;
    c->in_w = f->width;
    c->in_h = f->height;
    c->down_w = (c->in_w / o->factor + 1) / 2 * 2;
    c->down_h = (c->in_h / o->factor + 1) / 2 * 2;
    if (c->in_w % 2 || c->in_h % 2 || c->down_w < 2 || c->down_h < 2 ||
        (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P))
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "needs even-sided 8-bit 4:2:0 frames of at least %dx%d (got %dx%d "
                             "%s)",
                             2 * o->factor, 2 * o->factor, c->in_w, c->in_h,
                             av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    c->down = sws_getContext(c->in_w, c->in_h, (enum AVPixelFormat)f->format, c->down_w, c->down_h,
                             AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!c->down)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cannot scale %dx%d to %dx%d", c->in_w,
                             c->in_h, c->down_w, c->down_h);
    int ret;
    if ((ret = vsr_yuv_to_rgb_create(&c->to_rgb, err)) < 0 ||
        (ret = vsr_rgb_to_yuv_create_scaled(&c->up, &o->out_colour, NULL, c->in_w, c->in_h, err)) <
            0 ||
        (ret = vsr_rgb_to_yuv_set_filter(c->up, o->floor, err)) < 0)
        return ret;
    return vsr_image_alloc(&c->rgb, c->down_w, c->down_h, VSR_PIX_RGB24, err);
}

int vsr_self_similar_measure(const vsr_self_similar_options *o, AVFrame *const *frames,
                             const int *window, int n, vsr_self_similar_result *r, vsr_error *err)
{
    const double t0 = vsr_now_s();
    memset(r, 0, sizeof *r);
    if (n < 1 || o->factor < 2 || !o->enc || o->threads < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "self-similar check: no frames or bad options");
    selfsim c;
    memset(&c, 0, sizeof c);
    c.o = o;
    int ret = setup(&c, frames[0], err);
    double sv = 0, sn = 0;
    int64_t cnt = 0;
    for (int i = 0; ret >= 0 && i < n;) {
        int end = i;
        while (end < n && window[end] == window[i]) {
            if (frames[end]->width != c.in_w || frames[end]->height != c.in_h ||
                frames[end]->format != frames[0]->format)
                ret = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                    "sampled frame %d is not like the first", end);
            end++;
        }
        c.frames = frames + i;
        c.first = i;
        if (ret >= 0)
            ret = measure_window(&c, end - i, window[i], &sv, &sn, &cnt, err);
        i = end;
    }
    sws_freeContext(c.down);
    vsr_yuv_to_rgb_destroy(c.to_rgb);
    vsr_rgb_to_yuv_destroy(c.up);
    vsr_image_free(&c.rgb);
    r->seconds = vsr_now_s() - t0;
    if (ret < 0) {
        vsr_error_prefix(err, "%s: self-similar check", o->input);
        return ret;
    }
    r->vmaf = sv / (double)cnt;
    r->neg = sn / (double)cnt;
    r->delta = fabs(r->vmaf - r->neg);
    r->frames_scored = cnt;
    return VSR_OK;
}
