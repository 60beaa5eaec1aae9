#include "media/image_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "util/output_file.h"

/* av_strerror into a caller's buffer, so messages need no static storage. */
typedef struct av_errbuf {
    char s[AV_ERROR_MAX_STRING_SIZE + 32];
} av_errbuf;

static const char *av_err(int code, av_errbuf *buf)
{
    if (av_strerror(code, buf->s, sizeof buf->s) < 0)
        snprintf(buf->s, sizeof buf->s, "FFmpeg error %d", code);
    return buf->s;
}

void vsr_image_write_options_default(vsr_image_write_options *opt)
{
    opt->jpeg_quality = VSR_JPEG_QUALITY_DEFAULT;
    opt->jpeg_chroma444 = 0;
}

int vsr_image_file_format_from_path(const char *path, vsr_image_file_format *fmt, vsr_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && !strcasecmp(dot, ".png")) {
        *fmt = VSR_IMAGE_FILE_PNG;
        return 0;
    }
    if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))) {
        *fmt = VSR_IMAGE_FILE_JPEG;
        return 0;
    }
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                         "%s: cannot tell the image format from the name: expected an extension of "
                         ".png, .jpg or .jpeg",
                         path);
}

int vsr_image_check_size(int w, int h, const char *what, vsr_error *err)
{
    if (w <= 0 || h <= 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s has an invalid size %dx%d", what, w, h);
    if (w > VSR_IMAGE_MAX_SIDE || h > VSR_IMAGE_MAX_SIDE || (long long)w * h > VSR_IMAGE_MAX_PIXELS)
        return vsr_error_set(err, VSR_ERR_NOMEM,
                             "%s is %dx%d, larger than the limit of %d pixels a side and %lld "
                             "megapixels",
                             what, w, h, VSR_IMAGE_MAX_SIDE, VSR_IMAGE_MAX_PIXELS / 1000000);
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}
static unsigned long be32(const uint8_t *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* Image size from a PNG or JPEG header, so that an oversized image is
 * refused by name and size before any decoding; FFmpeg's own refusal says
 * only "Invalid data". Returns 0 when the size is not found here. */
static int peek_size(enum AVCodecID id, const uint8_t *d, int n, long *w, long *h)
{
    if (id == AV_CODEC_ID_PNG) {
        /* signature (8), IHDR length (4), "IHDR", width, height */
        if (n >= 24 && !memcmp(d + 12, "IHDR", 4)) {
            *w = (long)be32(d + 16);
            *h = (long)be32(d + 20);
            return 1;
        }
        return 0;
    }
    if (id == AV_CODEC_ID_MJPEG) {
        int i = 2; /* after SOI */
        while (i + 4 <= n) {
            if (d[i] != 0xFF)
                return 0;
            int m = d[i + 1];
            if (m == 0xFF) { /* fill byte */
                i++;
                continue;
            }
            if ((m >= 0xD0 && m <= 0xD8) || m == 0x01) { /* markers without a length */
                i += 2;
                continue;
            }
            if (m == 0xDA) /* start of scan before any frame header */
                return 0;
            int is_sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (is_sof) {
                if (i + 9 > n)
                    return 0;
                *h = (long)be16(d + i + 5);
                *w = (long)be16(d + i + 7);
                return 1;
            }
            i += 2 + (int)be16(d + i + 2);
        }
    }
    return 0;
}

/* State of one read, freed in one place whatever the exit path. */
typedef struct image_reader {
    const char *path;
    AVIOContext *pb;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    uint8_t *rgb[4]; /* padded conversion target (see convert_frame) */
    int rgb_stride[4];
} image_reader;

static void reader_close(image_reader *r)
{
    sws_freeContext(r->sws);
    av_freep(&r->rgb[0]);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    if (r->fmt)
        avformat_close_input(&r->fmt); /* does not close a custom pb */
    avio_closep(&r->pb);
}

/* The demuxers that read one still image (or an image sequence) from a
 * stream of bytes. */
static int is_image_demuxer(const char *name)
{
    static const char *const others[] = {"gif", "apng", "ico"};
    size_t n = strlen(name);
    if (n > 5 && !strcmp(name + n - 5, "_pipe"))
        return 1;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (!strcmp(name, others[i]))
            return 1;
    return 0;
}

static int open_demuxer(image_reader *r, vsr_error *err)
{
    av_errbuf eb;
    struct stat st;
    if (stat(r->path, &st) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: %s", r->path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "%s: is a directory, not an image", r->path);

    /* Our own file: AVIOContext, so that the name is never taken as a
     * protocol ("http:...") or an image2 sequence pattern ("img%03d.png"):
     * the demuxer is chosen from the bytes alone. */
    size_t ulen = strlen(r->path) + sizeof "file:";
    char *url = malloc(ulen);
    if (!url)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", r->path);
    snprintf(url, ulen, "file:%s", r->path);
    int ret = avio_open2(&r->pb, url, AVIO_FLAG_READ, NULL, NULL);
    free(url);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: %s", r->path, av_err(ret, &eb));

    /* Probe the bytes ourselves so that only image demuxers are tried: on
     * random bytes FFmpeg's best guess is some audio format whose errors
     * would say nothing useful. */
    const AVInputFormat *ifmt = NULL;
    ret = av_probe_input_buffer2(r->pb, &ifmt, "", NULL, 0, 0);
    if (ret < 0 && ret != AVERROR_INVALIDDATA)
        return vsr_error_set(err, VSR_ERR_IO, "%s: %s", r->path, av_err(ret, &eb));
    if (ret < 0 || !ifmt || !is_image_demuxer(ifmt->name)) {
        /* name a confident guess only: random bytes look faintly like mp3 */
        int named = ret > AVPROBE_SCORE_RETRY && ifmt;
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: not an image in a format FFmpeg reads (PNG, JPEG, WebP, BMP, "
                             "TIFF, ...)%s%s%s",
                             r->path, named ? "; it looks like " : "", named ? ifmt->name : "",
                             named ? " data" : "");
    }

    r->fmt = avformat_alloc_context();
    if (!r->fmt)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", r->path);
    r->fmt->pb = r->pb;
    r->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    ret = avformat_open_input(&r->fmt, "", ifmt, NULL);
    if (ret < 0) {
        /* avformat_open_input frees the context on failure */
        r->fmt = NULL;
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s: %s", r->path, ifmt->name,
                             av_err(ret, &eb));
    }
    return 0;
}

static int open_decoder(image_reader *r, int *stream_index, vsr_error *err)
{
    av_errbuf eb;
    int idx = -1;
    for (unsigned i = 0; i < r->fmt->nb_streams; i++) {
        if (r->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            idx = (int)i;
            break;
        }
    }
    if (idx < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no image in the file (format %s)", r->path,
                             r->fmt->iformat->name);
    const AVCodecParameters *par = r->fmt->streams[idx]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: no decoder for %s images", r->path,
                             avcodec_get_name(par->codec_id));
    r->dec = avcodec_alloc_context3(codec);
    if (!r->dec)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", r->path);
    int ret = avcodec_parameters_to_context(r->dec, par);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s decoder parameters: %s", r->path,
                             codec->name, av_err(ret, &eb));
    /* One frame: decoder threads would only add start-up cost. The pixel
     * cap makes the decoder itself refuse sizes we could not hold. */
    r->dec->thread_count = 1;
    r->dec->max_pixels = VSR_IMAGE_MAX_PIXELS;
    /* A truncated or damaged JPEG otherwise decodes "fine" with grey or
     * smeared blocks in place of the lost data. Only for JPEG: other
     * decoders (TIFF) stop at harmless oddities when told to explode. */
    if (par->codec_id == AV_CODEC_ID_MJPEG)
        r->dec->err_recognition |= AV_EF_EXPLODE;
    ret = avcodec_open2(r->dec, codec, NULL);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: open %s decoder: %s", r->path, codec->name,
                             av_err(ret, &eb));
    *stream_index = idx;
    return 0;
}

/* Feeds packets until the decoder gives the first frame. */
static int decode_first_frame(image_reader *r, int idx, vsr_error *err)
{
    av_errbuf eb;
    const char *cname = r->dec->codec->name;
    int draining = 0, first = 1;
    r->pkt = av_packet_alloc();
    r->frame = av_frame_alloc();
    if (!r->pkt || !r->frame)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", r->path);
    for (;;) {
        int ret;
        if (!draining) {
            ret = av_read_frame(r->fmt, r->pkt);
            if (ret == AVERROR_EOF) {
                draining = 1;
                ret = avcodec_send_packet(r->dec, NULL);
            } else if (ret < 0) {
                return vsr_error_set(err, VSR_ERR_FORMAT, "%s: read: %s", r->path,
                                     av_err(ret, &eb));
            } else if (r->pkt->stream_index != idx) {
                av_packet_unref(r->pkt);
                continue;
            } else {
                long w, h;
                if (first && peek_size(r->dec->codec_id, r->pkt->data, r->pkt->size, &w, &h) &&
                    (w > VSR_IMAGE_MAX_SIDE || h > VSR_IMAGE_MAX_SIDE ||
                     (long long)w * h > VSR_IMAGE_MAX_PIXELS)) {
                    av_packet_unref(r->pkt);
                    return vsr_error_set(err, VSR_ERR_NOMEM,
                                         "%s: image is %ldx%ld, larger than the limit of %d "
                                         "pixels a side and %lld megapixels",
                                         r->path, w, h, VSR_IMAGE_MAX_SIDE,
                                         VSR_IMAGE_MAX_PIXELS / 1000000);
                }
                first = 0;
                ret = avcodec_send_packet(r->dec, r->pkt);
                av_packet_unref(r->pkt);
            }
            if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
                return vsr_error_set(err, VSR_ERR_FORMAT, "%s: decode (%s): %s", r->path, cname,
                                     av_err(ret, &eb));
        }
        ret = avcodec_receive_frame(r->dec, r->frame);
        if (ret == 0)
            break;
        if (ret == AVERROR_EOF)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the %s decoder gave no image", r->path,
                                 cname);
        if (ret != AVERROR(EAGAIN))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: decode (%s): %s", r->path, cname,
                                 av_err(ret, &eb));
        if (draining)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the %s decoder gave no image", r->path,
                                 cname);
    }
    /* A decoder that concealed errors (a truncated JPEG, say) still returns
     * a frame; an image with invented pixels is not one to upscale. */
    if (r->frame->decode_error_flags || (r->frame->flags & AV_FRAME_FLAG_CORRUPT))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: the image is damaged or truncated (the %s decoder reported "
                             "errors)",
                             r->path, cname);
    return 0;
}

/* The matrix the ffmpeg command line's scale filter uses for a frame's
 * colour space tag ("auto"): the tagged one if swscale knows it, else
 * BT.601. */
static const int *frame_matrix(enum AVColorSpace cs)
{
    int v = (int)cs;
    if (v < 1 || v > 10 || v == 8)
        v = AVCOL_SPC_BT470BG;
    return sws_getCoefficients(v);
}

/* Full-range "J" formats as their plain twins, so that range is carried by
 * one explicit flag below (swscale warns about the J formats). */
static enum AVPixelFormat unjpeg(enum AVPixelFormat f, int *full)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: *full = 0; return f;
    }
}

/* Converts the decoded frame to RGB24 exactly as `ffmpeg -i IN -pix_fmt
 * rgb24` does (FFmpeg 5.1's scale filter: bicubic flags, the frame's matrix,
 * the frame's range or else the format's), then copies it into img. The
 * conversion goes through a padded buffer because swscale's SIMD paths may
 * write past the end of a tightly packed row. */
static int convert_frame(image_reader *r, vsr_image *img, vsr_error *err)
{
    const AVFrame *f = r->frame;
    int w = f->width, h = f->height;
    int full = 0;
    enum AVPixelFormat src_fmt = unjpeg((enum AVPixelFormat)f->format, &full);
    if (f->color_range != AVCOL_RANGE_UNSPECIFIED)
        full = f->color_range == AVCOL_RANGE_JPEG;

    r->sws = sws_getContext(w, h, src_fmt, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!r->sws) {
        const char *name = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: cannot convert pixel format %s to RGB",
                             r->path, name ? name : "(unknown)");
    }
    int *inv_table, *table, src_full, dst_full, brightness, contrast, saturation;
    sws_getColorspaceDetails(r->sws, &inv_table, &src_full, &table, &dst_full, &brightness,
                             &contrast, &saturation);
    const int *matrix = frame_matrix(f->colorspace);
    sws_setColorspaceDetails(r->sws, matrix, full, matrix, dst_full, brightness, contrast,
                             saturation);

    av_errbuf eb;
    int ret = av_image_alloc(r->rgb, r->rgb_stride, w + 64, h, AV_PIX_FMT_RGB24, 64);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: conversion buffer for %dx%d: %s", r->path, w,
                             h, av_err(ret, &eb));
    ret = sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, h, r->rgb,
                    r->rgb_stride);
    if (ret != h)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: swscale converted %d of %d rows", r->path,
                             ret, h);

    int st = vsr_image_alloc(img, w, h, VSR_PIX_RGB24, err);
    if (st < 0) {
        vsr_error_prefix(err, "%s", r->path);
        return st;
    }
    for (int y = 0; y < h; y++)
        memcpy((uint8_t *)img->data + (size_t)y * img->stride,
               r->rgb[0] + (size_t)y * r->rgb_stride[0], (size_t)w * 3);
    return 0;
}

int vsr_image_read(const char *path, vsr_image *img, vsr_error *err)
{
    memset(img, 0, sizeof *img);
    image_reader r = {.path = path};
    int idx = 0;
    int st = open_demuxer(&r, err);
    if (st == 0)
        st = open_decoder(&r, &idx, err);
    if (st == 0)
        st = decode_first_frame(&r, idx, err);
    if (st == 0) {
        char what[64];
        snprintf(what, sizeof what, "image (%s)", r.dec->codec->name);
        st = vsr_image_check_size(r.frame->width, r.frame->height, what, err);
        if (st < 0)
            vsr_error_prefix(err, "%s", path);
    }
    if (st == 0)
        st = convert_frame(&r, img, err);
    if (st < 0)
        vsr_image_free(img);
    reader_close(&r);
    return st;
}

/* ---- writing ---------------------------------------------------------- */

static int valid_image(const char *path, const vsr_image *img, vsr_error *err)
{
    if (img->format != VSR_PIX_RGB24 && img->format != VSR_PIX_RGBF32)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: image to write has unknown format %d", path,
                             (int)img->format);
    int st = vsr_image_check_size(img->width, img->height, "image to write", err);
    if (st < 0) {
        vsr_error_prefix(err, "%s", path);
        return st;
    }
    size_t px = img->format == VSR_PIX_RGB24 ? 3 : 3 * sizeof(float);
    if (!img->data || img->stride < (size_t)img->width * px)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "%s: image to write has no data or a stride (%zu) below its row "
                             "size (%zu)",
                             path, img->stride, (size_t)img->width * px);
    return 0;
}

/* img as a padded RGB24 AVFrame (encoders and swscale may read past the end
 * of a tight row); floats become clamp(round(x * 255)). */
static int frame_from_image(const char *path, const vsr_image *img, AVFrame **out, vsr_error *err)
{
    av_errbuf eb;
    AVFrame *f = av_frame_alloc();
    if (!f)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
    f->format = AV_PIX_FMT_RGB24;
    f->width = img->width;
    f->height = img->height;
    int ret = av_frame_get_buffer(f, 0);
    if (ret < 0) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: frame of %dx%d: %s", path, img->width,
                             img->height, av_err(ret, &eb));
    }
    for (int y = 0; y < img->height; y++) {
        uint8_t *dst = f->data[0] + (size_t)y * f->linesize[0];
        const uint8_t *row = (const uint8_t *)img->data + (size_t)y * img->stride;
        if (img->format == VSR_PIX_RGB24) {
            memcpy(dst, row, (size_t)img->width * 3);
        } else {
            const float *src = (const float *)row;
            for (int i = 0; i < img->width * 3; i++) {
                float v = src[i] * 255.0f;
                /* NaN and below 0 give 0 */
                dst[i] = v >= 255.0f ? 255 : v > 0.0f ? (uint8_t)lrintf(v) : 0;
            }
        }
    }
    *out = f;
    return 0;
}

/* RGB24 to the full-range YUV the JPEG encoder takes (BT.601, as JFIF
 * says). */
static int frame_to_jpeg_yuv(const char *path, const AVFrame *rgb, int chroma444, AVFrame **out,
                             vsr_error *err)
{
    av_errbuf eb;
    enum AVPixelFormat plain = chroma444 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P;
    AVFrame *f = av_frame_alloc();
    if (!f)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
    f->format = chroma444 ? AV_PIX_FMT_YUVJ444P : AV_PIX_FMT_YUVJ420P;
    f->width = rgb->width;
    f->height = rgb->height;
    f->color_range = AVCOL_RANGE_JPEG;
    f->colorspace = AVCOL_SPC_BT470BG;
    int ret = av_frame_get_buffer(f, 0);
    if (ret < 0) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: frame of %dx%d: %s", path, rgb->width,
                             rgb->height, av_err(ret, &eb));
    }
    /* The J pixel formats are the plain ones with full range; giving
     * swscale the plain format and the range flag says the same without
     * its deprecation warning. */
    struct SwsContext *sws =
        sws_getContext(rgb->width, rgb->height, AV_PIX_FMT_RGB24, rgb->width, rgb->height, plain,
                       SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, NULL, NULL, NULL);
    if (!sws) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: swscale cannot convert RGB24 to %s", path,
                             av_get_pix_fmt_name(plain));
    }
    const int *bt601 = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(sws, bt601, 1, bt601, 1, 0, 1 << 16, 1 << 16);
    ret = sws_scale(sws, (const uint8_t *const *)rgb->data, rgb->linesize, 0, rgb->height, f->data,
                    f->linesize);
    sws_freeContext(sws);
    if (ret != rgb->height) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: swscale converted %d of %d rows", path,
                             ret, rgb->height);
    }
    *out = f;
    return 0;
}

/* Encoded bytes of the whole file (PNG and MJPEG encoders emit one complete
 * file per frame). */
typedef struct byte_buf {
    uint8_t *data;
    size_t len, cap;
} byte_buf;

static int buf_append(byte_buf *b, const uint8_t *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
    return 0;
}

static int encode_image(const char *path, vsr_image_file_format ff, const vsr_image *img,
                        const vsr_image_write_options *opt, byte_buf *out, vsr_error *err)
{
    av_errbuf eb;
    AVFrame *rgb = NULL, *yuv = NULL;
    AVCodecContext *enc = NULL;
    AVPacket *pkt = NULL;
    int st = frame_from_image(path, img, &rgb, err);
    if (st < 0)
        return st;

    enum AVCodecID id = ff == VSR_IMAGE_FILE_PNG ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG;
    const AVCodec *codec = avcodec_find_encoder(id);
    if (!codec) {
        st = vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: this FFmpeg has no %s encoder", path,
                           avcodec_get_name(id));
        goto done;
    }
    enc = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    if (!enc || !pkt) {
        st = vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    enc->width = img->width;
    enc->height = img->height;
    enc->time_base = (AVRational){1, 25};
    enc->thread_count = 1;
    const AVFrame *frame = rgb;
    if (ff == VSR_IMAGE_FILE_PNG) {
        enc->pix_fmt = AV_PIX_FMT_RGB24;
    } else {
        int q = opt->jpeg_quality ? opt->jpeg_quality : VSR_JPEG_QUALITY_DEFAULT;
        if (q < 1 || q > 100) {
            st = vsr_error_set(err, VSR_ERR_INVALID, "%s: JPEG quality must be 1..100, got %d",
                               path, q);
            goto done;
        }
        st = frame_to_jpeg_yuv(path, rgb, opt->jpeg_chroma444, &yuv, err);
        if (st < 0)
            goto done;
        /* quality 100..1 onto the MJPEG quantiser scale 1..31 */
        int qscale = (int)lround(1.0 + (100 - q) * 30.0 / 99.0);
        enc->pix_fmt = (enum AVPixelFormat)yuv->format;
        enc->color_range = AVCOL_RANGE_JPEG;
        enc->colorspace = AVCOL_SPC_BT470BG;
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = qscale * FF_QP2LAMBDA;
        enc->qmin = 1;
        enc->qmax = 31;
        yuv->quality = enc->global_quality;
        frame = yuv;
    }
    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        st = vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: open %s encoder: %s", path, codec->name,
                           av_err(ret, &eb));
        goto done;
    }
    ret = avcodec_send_frame(enc, frame);
    if (ret >= 0)
        ret = avcodec_send_frame(enc, NULL);
    if (ret < 0) {
        st = vsr_error_set(err, VSR_ERR_INTERNAL, "%s: encode (%s): %s", path, codec->name,
                           av_err(ret, &eb));
        goto done;
    }
    for (;;) {
        ret = avcodec_receive_packet(enc, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            st = vsr_error_set(err, VSR_ERR_INTERNAL, "%s: encode (%s): %s", path, codec->name,
                               av_err(ret, &eb));
            goto done;
        }
        int fail = buf_append(out, pkt->data, (size_t)pkt->size);
        av_packet_unref(pkt);
        if (fail) {
            st = vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for the encoded image", path);
            goto done;
        }
    }
    if (out->len == 0)
        st = vsr_error_set(err, VSR_ERR_INTERNAL, "%s: the %s encoder produced nothing", path,
                           codec->name);
done:
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    av_frame_free(&yuv);
    av_frame_free(&rgb);
    return st;
}

static int write_all(int fd, const uint8_t *d, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, d, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        d += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Writes data to a new hidden file beside path, then renames it over path:
 * readers see the old file or the whole new one, never a part. */
static int write_file_atomic(const char *path, const uint8_t *data, size_t len, vsr_error *err)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    const char *base;
    if (slash) {
        size_t dlen = slash == path ? 1 : (size_t)(slash - path);
        if (dlen >= sizeof dir)
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: path too long", path);
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        base = slash + 1;
    } else {
        strcpy(dir, ".");
        base = path;
    }
    if (!*base)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: names a directory, not a file", path);
    /* The rename below would replace a directory, device, FIFO or socket. */
    int checked = vsr_output_file_check(NULL, path, err);
    if (checked < 0)
        return checked;

    char tmp[PATH_MAX];
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        int n = snprintf(tmp, sizeof tmp, "%s/.%s.%ld-%d.tmp", dir, base, (long)getpid(), attempt);
        if (n < 0 || (size_t)n >= sizeof tmp)
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: path too long", path);
        /* O_EXCL: another writer of the same name (a thread here, another
         * process) gets its own file. 0666 lets the umask decide. */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return vsr_error_set(err, VSR_ERR_IO, "%s: cannot create a file in %s: %s", path, dir,
                                 strerror(errno));
    }
    if (fd < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot create a temporary file in %s: %s", path,
                             dir, strerror(EEXIST));

    const char *step = "write";
    int ok = write_all(fd, data, len) == 0;
    /* fsync first, or a crash after the rename could leave an empty file
     * under the final name */
    if (ok && !(ok = fsync(fd) == 0))
        step = "fsync";
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        step = "close";
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        step = "rename into place";
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        return vsr_error_set(err, VSR_ERR_IO, "%s: %s: %s", path, step, strerror(e));
    }
    return 0;
}

int vsr_image_write(const char *path, const vsr_image *img, const vsr_image_write_options *opt,
                    vsr_error *err)
{
    vsr_image_write_options defaults;
    if (!opt) {
        vsr_image_write_options_default(&defaults);
        opt = &defaults;
    }
    vsr_image_file_format ff;
    int st = vsr_image_file_format_from_path(path, &ff, err);
    if (st < 0)
        return st;
    st = valid_image(path, img, err);
    if (st < 0)
        return st;
    byte_buf buf = {0};
    st = encode_image(path, ff, img, opt, &buf, err);
    if (st == 0)
        st = write_file_atomic(path, buf.data, buf.len, err);
    free(buf.data);
    return st;
}
