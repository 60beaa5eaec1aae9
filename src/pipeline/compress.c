#include "pipeline/compress.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>

#include "media/decoder.h"
#include "media/encoder.h"
#include "media/segment_encoder.h"
#include "media/segment_join.h"
#include "pipeline/clip_quality.h"
#include "pipeline/segment_pool.h"
#include "quality/quality.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/output_file.h"

#define MAX_SAMPLES 5
/* Sample frames kept in memory at most (4K: 1 GiB is ~85 frames). */
#define SAMPLE_MEMORY_BUDGET ((size_t)1 << 30)
/* Frames of the calibration encode that times the presets. */
#define CALIBRATION_FRAMES 8

/* A codec's presets from slowest to fastest, with their speed relative to
 * the first: rough figures (x265/x264 documentation, SVT-AV1's preset
 * table) used only to pick a rung from one timed encode; the deadline
 * itself is enforced by the times measured as the search goes. The
 * ladders stop at x265/x264 slow and SVT-AV1 preset 6: slower presets save
 * a few percent more bytes at two to four times the time, which the
 * validators' deadlines (180-300 s for 5-10 s clips) rarely leave. */
typedef struct codec_ladder {
    const char *codec, *encoder;
    enum AVCodecID id;
    int crf_min, crf_max, crf_start, crf_step;
    int n;
    const char *presets[8];
    double speed[8];
} codec_ladder;

static const codec_ladder ladders[] = {
    {"hevc",
     "libx265",
     AV_CODEC_ID_HEVC,
     0,
     51,
     28,
     6,
     7,
     {"slow", "medium", "fast", "faster", "veryfast", "superfast", "ultrafast"},
     {1, 2.2, 2.8, 3.3, 4.5, 7, 10}},
    {"h264",
     "libx264",
     AV_CODEC_ID_H264,
     0,
     51,
     25,
     6,
     7,
     {"slow", "medium", "fast", "faster", "veryfast", "superfast", "ultrafast"},
     {1, 1.6, 2, 2.8, 4.5, 6, 10}},
    {"av1", "libsvtav1", AV_CODEC_ID_AV1, 1, 63, 38, 8, 4, {"6", "8", "10", "12"}, {1, 2.5, 6, 12}},
};

typedef struct sample {
    int64_t first;
    int n;
    AVFrame **frames;
} sample;

typedef struct compress_ctx {
    const vsr_compress_options *opt;
    vsr_compress_result *res;
    double t0;
    int cores;
    const codec_ladder *lad;
    int rung; /* the preset in use: lad->presets[rung] */
    vsr_video_info info;
    int64_t frames;
    int64_t input_bytes;
    vsr_encoder_video video;
    int32_t display_matrix[9];
    sample samples[MAX_SAMPLES];
    int n_samples;
    int64_t sample_frames;
    int gop;
    char comment[VSR_COMPRESS_COMMENT_MAX];
    /* measured seconds per frame: encoding (one encoder, every core) and
     * scoring; from the calibration, then the trials */
    double enc_spf, score_spf;
    int encoders; /* whole-clip segment encoders */
    double goal;  /* target + margin */
    char cand[VSR_COMPRESS_MAX_ENCODES][4200];
    int n_cand;
} compress_ctx;

void vsr_compress_options_default(vsr_compress_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->codec = "hevc";
    opt->vmaf_target = 90;
    opt->margin = 0.5;
    opt->max_neg_delta = 3;
    opt->size_ratio = 0.8;
}

void vsr_compress_operator_comment(const char *id, char *buf)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    int len = 24 + (int)(h % 1000);
    int n = snprintf(buf, VSR_COMPRESS_COMMENT_MAX, "vsr:%016llx", (unsigned long long)h);
    while (n < len)
        buf[n++] = '.';
    buf[n] = '\0';
}

static void say(compress_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(compress_ctx *c, const char *fmt, ...)
{
    if (!c->opt->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    vsr_logf(c->opt->log, VSR_LOG_VERBOSE, "compress", "[%6.2f s] %s", vsr_now_s() - c->t0, line);
}

static double elapsed(const compress_ctx *c)
{
    return vsr_now_s() - c->t0;
}

static int cancelled(const compress_ctx *c, vsr_error *err)
{
    if (c->opt->cancel && *c->opt->cancel)
        return vsr_error_set(err, VSR_ERR_CANCELLED, "%s: cancelled", c->opt->input);
    return VSR_OK;
}

static const char *preset(const compress_ctx *c)
{
    return c->opt->preset ? c->opt->preset : c->lad->presets[c->rung];
}

static void encoder_options(const compress_ctx *c, int crf, int threads, vsr_encoder_options *e)
{
    vsr_encoder_options_default(e);
    e->codec = c->lad->codec;
    e->encoder = c->lad->encoder;
    e->crf = crf;
    e->preset = preset(c);
    e->threads = threads;
    e->gop_size = c->gop;
    e->comment = c->comment[0] ? c->comment : NULL;
}

/* Input timestamps kept; only what an encoder cannot take is repaired
 * (missing or non-increasing pts), as the upscale pipeline does. */
typedef struct pts_fix {
    int64_t last, last_dur, nominal;
} pts_fix;

static void pts_fix_init(pts_fix *f, const vsr_video_info *info)
{
    f->last = AV_NOPTS_VALUE;
    f->last_dur = 0;
    f->nominal = av_rescale_q(1, av_inv_q(info->frame_rate), info->time_base);
    if (f->nominal <= 0)
        f->nominal = 1;
}

static void pts_fix_frame(pts_fix *f, AVFrame *frame)
{
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = frame->pts;
    if (pts == AV_NOPTS_VALUE)
        pts = f->last == AV_NOPTS_VALUE ? 0 : f->last + f->last_dur;
    if (f->last != AV_NOPTS_VALUE && pts <= f->last)
        pts = f->last + 1;
    int64_t dur = frame->pkt_duration > 0 ? frame->pkt_duration : f->nominal;
    f->last = pts;
    f->last_dur = dur;
    frame->pts = pts;
    frame->pkt_duration = dur;
    frame->pict_type = AV_PICTURE_TYPE_NONE; /* the encoder decides */
}

static int check_frame(const compress_ctx *c, const AVFrame *f, int64_t i, vsr_error *err)
{
    if (f->format == AV_PIX_FMT_YUV420P)
        return VSR_OK;
    const char *name = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                         "%s: frame %lld is %s; vsr compress takes 8-bit 4:2:0 limited-range "
                         "(yuv420p) input, which it keeps",
                         c->opt->input, (long long)i, name ? name : "of an unknown format");
}

/* Where the samples go: K runs of about a second, centred in K equal
 * parts of the clip; a clip of four runs or fewer is one sample. */
static void layout_samples(compress_ctx *c)
{
    double fps = av_q2d(c->info.frame_rate);
    int len = (int)lrint(fps > 0 ? fps : 30);
    if (len < 8)
        len = 8;
    int k = c->opt->samples;
    if (k <= 0) {
        int64_t parts = c->frames / (2 * (int64_t)len);
        k = parts < 3 ? 3 : parts > MAX_SAMPLES ? MAX_SAMPLES : (int)parts;
    }
    if (k > MAX_SAMPLES)
        k = MAX_SAMPLES;
    size_t frame_bytes = (size_t)c->info.width * (size_t)c->info.height * 3 / 2;
    while (len > 8 && (size_t)k * (size_t)len * frame_bytes > SAMPLE_MEMORY_BUDGET)
        len--;
    if (c->frames <= (int64_t)k * len + len) {
        c->n_samples = 1;
        c->samples[0].first = 0;
        c->samples[0].n = (int)c->frames;
    } else {
        c->n_samples = k;
        for (int i = 0; i < k; i++) {
            int64_t mid = c->frames * (2 * i + 1) / (2 * k);
            int64_t first = mid - len / 2;
            if (first < 0)
                first = 0;
            if (first + len > c->frames)
                first = c->frames - len;
            c->samples[i].first = first;
            c->samples[i].n = len;
        }
    }
    c->sample_frames = 0;
    for (int i = 0; i < c->n_samples; i++)
        c->sample_frames += c->samples[i].n;
}

static void free_samples(compress_ctx *c)
{
    for (int i = 0; i < c->n_samples; i++) {
        sample *s = &c->samples[i];
        if (s->frames)
            for (int j = 0; j < s->n; j++)
                av_frame_free(&s->frames[j]);
        free(s->frames);
        s->frames = NULL;
    }
}

/* Decodes the input once: its frame count (the container's may be
 * missing), every frame's format, and the sample frames kept. */
static int load(compress_ctx *c, vsr_error *err)
{
    vsr_decoder_options dopt = {.threads = c->cores};
    vsr_decoder *dec = NULL;
    int ret = vsr_decoder_open(c->opt->input, &dopt, &dec, err);
    if (ret < 0)
        return ret;
    c->info = *vsr_decoder_info(dec);
    c->info.codec_name = NULL; /* points into the decoder */
    if (c->info.has_display_matrix)
        memcpy(c->display_matrix, c->info.display_matrix, sizeof c->display_matrix);
    if (c->info.width % 2 || c->info.height % 2) {
        vsr_decoder_close(dec);
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: %dx%d has an odd side; 4:2:0 output needs even sizes",
                             c->opt->input, c->info.width, c->info.height);
    }
    c->frames = c->info.frames_expected;
    if (c->frames <= 0) {
        /* no count in the container: count first, so the samples spread */
        AVFrame *f = av_frame_alloc();
        int64_t n = 0;
        while (f && (ret = vsr_decoder_next(dec, f, err)) > 0)
            n++;
        av_frame_free(&f);
        vsr_decoder_close(dec);
        dec = NULL;
        if (ret < 0)
            return ret;
        c->frames = n;
        if ((ret = vsr_decoder_open(c->opt->input, &dopt, &dec, err)) < 0)
            return ret;
    }
    if (c->frames <= 0) {
        vsr_decoder_close(dec);
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no video frames", c->opt->input);
    }
    layout_samples(c);
    for (int i = 0; i < c->n_samples; i++) {
        c->samples[i].frames = calloc((size_t)c->samples[i].n, sizeof(AVFrame *));
        if (!c->samples[i].frames) {
            vsr_decoder_close(dec);
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for samples",
                                 c->opt->input);
        }
    }
    AVFrame *f = av_frame_alloc();
    pts_fix fix;
    pts_fix_init(&fix, &c->info);
    int64_t i = 0;
    int s = 0;
    ret = f ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    while (ret >= 0 && (ret = vsr_decoder_next(dec, f, err)) > 0) {
        if ((ret = check_frame(c, f, i, err)) < 0)
            break;
        pts_fix_frame(&fix, f);
        while (s < c->n_samples && i >= c->samples[s].first + c->samples[s].n)
            s++;
        if (s < c->n_samples && i >= c->samples[s].first) {
            AVFrame *keep = av_frame_clone(f);
            if (!keep) {
                ret = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for samples");
                break;
            }
            c->samples[s].frames[i - c->samples[s].first] = keep;
        }
        i++;
        if ((ret = cancelled(c, err)) < 0)
            break;
    }
    av_frame_free(&f);
    vsr_decoder_close(dec);
    if (ret < 0)
        return ret;
    if (i != c->frames)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: the container says %lld frames, %lld decoded", c->opt->input,
                             (long long)c->frames, (long long)i);
    struct stat sb;
    c->input_bytes = stat(c->opt->input, &sb) == 0 ? (int64_t)sb.st_size : c->info.file_size;
    return VSR_OK;
}

/* Decodes a sample's packets and scores them against its frames. */
static int score_sample(compress_ctx *c, const sample *s, int n, vsr_segment_encoder *se,
                        double *vmaf_sum, double *neg_sum, vsr_error *err)
{
    const AVCodec *codec = avcodec_find_decoder(c->lad->id);
    if (!codec)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "no %s decoder in this FFmpeg build",
                             c->lad->codec);
    AVCodecContext *d = avcodec_alloc_context3(codec);
    AVFrame *f = av_frame_alloc();
    vsr_quality *q = NULL;
    int ret = d && f ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    int xsize;
    const uint8_t *x = vsr_segment_encoder_extradata(se, &xsize);
    if (ret >= 0 && xsize > 0) {
        d->extradata = av_mallocz((size_t)xsize + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!d->extradata)
            ret = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
        else {
            memcpy(d->extradata, x, (size_t)xsize);
            d->extradata_size = xsize;
        }
    }
    if (ret >= 0) {
        d->thread_count = c->cores;
        int r = avcodec_open2(d, codec, NULL);
        if (r < 0)
            ret = vsr_error_set(err, VSR_ERR_BACKEND, "%s decoder: %s", codec->name, av_err2str(r));
    }
    vsr_quality_options qo = {
        .metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG, .threads = c->cores, .subsample = 1};
    if (ret >= 0)
        ret = vsr_quality_create(&qo, c->info.width, c->info.height, &q, err);
    int npk;
    AVPacket **pk = vsr_segment_encoder_packets(se, &npk);
    int got = 0;
    for (int i = 0; ret >= 0 && i <= npk; i++) {
        int r = avcodec_send_packet(d, i < npk ? pk[i] : NULL);
        if (r < 0) {
            ret = vsr_error_set(err, VSR_ERR_BACKEND, "decoding sample at frame %lld: %s",
                                (long long)s->first, av_err2str(r));
            break;
        }
        while (ret >= 0 && (r = avcodec_receive_frame(d, f)) >= 0) {
            if (got >= n || f->format != AV_PIX_FMT_YUV420P) {
                ret = vsr_error_set(
                    err, VSR_ERR_INTERNAL, "sample at frame %lld: decoded frame %d unexpected (%s)",
                    (long long)s->first, got, got >= n ? "one too many" : "not yuv420p");
                break;
            }
            vsr_quality_picture rp = vsr_clip_quality_picture(s->frames[got]),
                                dp = vsr_clip_quality_picture(f);
            ret = vsr_quality_add(q, &rp, &dp, err);
            av_frame_unref(f);
            got++;
        }
        if (ret >= 0 && r != AVERROR(EAGAIN) && r != AVERROR_EOF)
            ret = vsr_error_set(err, VSR_ERR_BACKEND, "decoding sample at frame %lld: %s",
                                (long long)s->first, av_err2str(r));
    }
    if (ret >= 0 && got != n)
        ret = vsr_error_set(err, VSR_ERR_INTERNAL, "sample at frame %lld: %d of %d frames decoded",
                            (long long)s->first, got, n);
    vsr_quality_summary sum;
    if (ret >= 0)
        ret = vsr_quality_finish(q, &sum, err);
    if (ret >= 0) {
        *vmaf_sum += sum.vmaf.mean * (double)n;
        *neg_sum += sum.vmaf_neg.mean * (double)n;
    }
    vsr_quality_free(q);
    av_frame_free(&f);
    avcodec_free_context(&d);
    return ret;
}

/* Encodes every sample at crf in memory (limit > 0: only the first limit
 * frames of the first sample), decodes and scores it. enc_s and score_s
 * get the time spent in each. */
static int trial(compress_ctx *c, int crf, int limit, vsr_compress_trial *t, double *enc_s,
                 double *score_s, vsr_error *err)
{
    double t_start = vsr_now_s();
    vsr_encoder_options eo;
    encoder_options(c, crf, c->cores, &eo);
    double vsum = 0, nsum = 0;
    int64_t bytes = 0, frames = 0;
    *enc_s = *score_s = 0;
    int ret = VSR_OK;
    for (int k = 0; ret >= 0 && k < (limit > 0 ? 1 : c->n_samples); k++) {
        const sample *s = &c->samples[k];
        int n = limit > 0 && limit < s->n ? limit : s->n;
        vsr_segment_encoder *se = NULL;
        double t0 = vsr_now_s();
        ret = vsr_segment_encoder_open(&eo, &c->video, k, s->first, &se, err);
        for (int i = 0; ret >= 0 && i < n; i++) {
            AVFrame *f = av_frame_clone(s->frames[i]); /* the encoder may keep it */
            if (!f) {
                ret = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
                break;
            }
            ret = vsr_segment_encoder_send(se, f, err);
            av_frame_free(&f);
        }
        if (ret >= 0)
            ret = vsr_segment_encoder_finish(se, err);
        *enc_s += vsr_now_s() - t0;
        if (ret >= 0) {
            int npk;
            AVPacket **pk = vsr_segment_encoder_packets(se, &npk);
            for (int i = 0; i < npk; i++)
                bytes += pk[i]->size;
            t0 = vsr_now_s();
            ret = score_sample(c, s, n, se, &vsum, &nsum, err);
            *score_s += vsr_now_s() - t0;
            frames += n;
        }
        vsr_segment_encoder_free(se);
        if (ret >= 0)
            ret = cancelled(c, err);
    }
    if (ret < 0) {
        vsr_error_prefix(err, "%s: trial at CRF %d", c->opt->input, crf);
        return ret;
    }
    t->crf = crf;
    t->vmaf = vsum / (double)frames;
    t->vmaf_neg = nsum / (double)frames;
    t->bytes = bytes;
    t->seconds = vsr_now_s() - t_start;
    return VSR_OK;
}

/* Copied packets (audio, subtitles) wait here until the encoder exists
 * and the decode loop writes them, in the order read. */
typedef struct copy_list {
    AVPacket **pkts;
    int n, cap;
} copy_list;

static int on_copy_packet(void *opaque, AVPacket *pkt, vsr_error *err)
{
    copy_list *l = opaque;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        AVPacket **p = realloc(l->pkts, sizeof *p * (size_t)cap);
        if (!p)
            return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for copied packets");
        l->pkts = p;
        l->cap = cap;
    }
    AVPacket *ref = av_packet_alloc();
    if (!ref)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for copied packets");
    av_packet_move_ref(ref, pkt);
    l->pkts[l->n++] = ref;
    return VSR_OK;
}

static int write_copies(copy_list *l, vsr_encoder *enc, vsr_error *err)
{
    int ret = VSR_OK;
    for (int i = 0; i < l->n; i++) {
        if (ret >= 0)
            ret = vsr_encoder_copy_packet(enc, l->pkts[i], err);
        av_packet_free(&l->pkts[i]);
    }
    l->n = 0;
    return ret;
}

/* The whole clip at crf into path: one encoder with every core, or
 * segments in parallel where one encoder cannot use the cores. */
static int encode_clip(compress_ctx *c, int crf, const char *path, vsr_error *err)
{
    copy_list copies = {0};
    vsr_decoder_options dopt = {
        .threads = c->cores, .on_packet = on_copy_packet, .opaque = &copies};
    vsr_decoder *dec = NULL;
    vsr_encoder *enc = NULL;
    vsr_segment_pool *pool = NULL;
    vsr_segment_join join;
    AVFrame *f = av_frame_alloc();
    int ret = f ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    if (ret >= 0)
        ret = vsr_decoder_open(c->opt->input, &dopt, &dec, err);
    vsr_encoder_options eo;
    encoder_options(c, crf,
                    c->encoders > 1 ? vsr_segment_pool_encoder_threads(c->cores, vsr_cores_online(),
                                                                       c->encoders, c->info.width,
                                                                       c->info.height)
                                    : c->cores,
                    &eo);
    eo.segmented = c->encoders > 1;
    if (ret >= 0)
        ret = vsr_encoder_open(path, &eo, &c->video, vsr_decoder_format(dec), &enc, err);
    if (ret >= 0 && c->encoders > 1) {
        /* one segment per encoder: the fewest extra IDR frames */
        vsr_segment_pool_config sc = {
            .encoders = c->encoders,
            .segment_frames = (c->frames + c->encoders - 1) / c->encoders,
            .enc = eo,
            .video = c->video,
        };
        vsr_segment_join_init(&join, enc);
        ret = vsr_segment_pool_start(&sc, &pool, err);
    }
    pts_fix fix;
    pts_fix_init(&fix, &c->info);
    int64_t i = 0;
    while (ret >= 0 && (ret = vsr_decoder_next(dec, f, err)) > 0) {
        if ((ret = write_copies(&copies, enc, err)) < 0 || (ret = check_frame(c, f, i, err)) < 0)
            break;
        pts_fix_frame(&fix, f);
        if (pool) {
            ret = vsr_segment_pool_push(pool, f, i, err);
            if (ret >= 0)
                ret = vsr_segment_pool_write_ready(pool, &join, err);
        } else {
            ret = vsr_encoder_send(enc, f, i, err);
        }
        av_frame_unref(f);
        i++;
        if (ret >= 0)
            ret = cancelled(c, err);
    }
    if (ret >= 0)
        ret = write_copies(&copies, enc, err);
    if (ret >= 0 && pool)
        ret = vsr_segment_pool_finish(pool, &join, i, err);
    if (ret >= 0)
        ret = vsr_encoder_finish(enc, err);
    if (ret >= 0 && i != c->frames)
        ret = vsr_error_set(err, VSR_ERR_FORMAT, "%s: %lld frames this time, %lld before",
                            c->opt->input, (long long)i, (long long)c->frames);
    if (pool) {
        vsr_segment_pool_stop(pool);
        vsr_segment_pool_destroy(pool);
    }
    vsr_encoder_destroy(enc);
    vsr_decoder_close(dec);
    write_copies(&copies, NULL, NULL); /* frees what is left after an error */
    free(copies.pkts);
    av_frame_free(&f);
    if (ret < 0) {
        vsr_error_prefix(err, "encoding %s at CRF %d", c->opt->input, crf);
        unlink(path);
    }
    return ret;
}

static int measure(compress_ctx *c, const char *path, double *vmaf, double *neg, vsr_error *err)
{
    vsr_clip_quality_options qo = {
        .quality = {.metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG,
                    .threads = c->cores,
                    .subsample = 1},
        .reference_scale = VSR_REFERENCE_SCALE_LANCZOS,
    };
    vsr_clip_quality cq;
    int ret = vsr_clip_quality_measure(path, c->opt->input, &qo, &cq, err);
    if (ret < 0)
        return ret;
    *vmaf = cq.summary.vmaf.mean;
    *neg = cq.summary.vmaf_neg.mean;
    vsr_clip_quality_free(&cq);
    return VSR_OK;
}

static int passes(const compress_ctx *c, double vmaf, double neg)
{
    return vmaf >= c->goal && vmaf - neg <= c->opt->max_neg_delta;
}

/* Seconds a whole-clip encode and its measurement should take. */
static double clip_cost(const compress_ctx *c, double speedup)
{
    double par = c->encoders > 1 ? 0.75 * c->encoders : 1; /* segments rarely scale fully */
    return (double)c->frames * (c->enc_spf / speedup / par + c->score_spf);
}

/* Seconds a sample trial should take. */
static double trial_cost(const compress_ctx *c, double speedup)
{
    return (double)c->sample_frames * (c->enc_spf / speedup + c->score_spf);
}

/* The preset: the slowest rung whose projected search (about five
 * trials, two whole-clip encodes with their measurements) fits in 80% of
 * what is left of the deadline, from one timed encode of a few frames at
 * the slowest rung. Without a deadline, the slowest. */
static int pick_preset(compress_ctx *c, vsr_error *err)
{
    c->rung = 0;
    if (c->opt->preset) {
        for (int r = 0; r < c->lad->n; r++)
            if (!strcmp(c->opt->preset, c->lad->presets[r]))
                c->rung = r;
    }
    vsr_compress_trial t;
    double enc_s, score_s;
    int ret = trial(c, c->lad->crf_start, CALIBRATION_FRAMES, &t, &enc_s, &score_s, err);
    if (ret < 0)
        return ret;
    int n = c->samples[0].n < CALIBRATION_FRAMES ? c->samples[0].n : CALIBRATION_FRAMES;
    c->enc_spf = enc_s / n;
    c->score_spf = score_s / n;
    say(c, "calibration: %s preset %s, %d frames: encode %.1f ms/frame, score %.1f ms/frame",
        c->lad->encoder, preset(c), n, 1e3 * c->enc_spf, 1e3 * c->score_spf);
    if (c->opt->deadline_s <= 0 || c->opt->preset)
        return VSR_OK;
    double left = c->opt->deadline_s - elapsed(c);
    double base = c->lad->speed[0];
    for (int r = 0; r < c->lad->n; r++) {
        double sp = c->lad->speed[r] / base;
        double need = 5 * trial_cost(c, sp) + 2 * clip_cost(c, sp);
        if (need <= 0.8 * left || r == c->lad->n - 1) {
            c->rung = r;
            c->enc_spf /= sp;
            say(c, "preset %s: projected %.1f s of the %.1f s left", preset(c), need, left);
            double least = clip_cost(c, 1);
            if (least > left)
                return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                     "%s: the deadline of %.1f s is too short: after %.1f s "
                                     "(reading the clip, timing the encoder), one encode and "
                                     "measurement of its %lld frames at the fastest preset (%s) "
                                     "needs about %.1f s more",
                                     c->opt->input, c->opt->deadline_s, elapsed(c),
                                     (long long)c->frames, preset(c), least);
            return VSR_OK;
        }
    }
    return VSR_OK;
}

static int add_trial(compress_ctx *c, int crf, vsr_compress_trial **out, vsr_error *err)
{
    vsr_compress_result *res = c->res;
    for (int i = 0; i < res->n_trials; i++)
        if (res->trials[i].crf == crf) {
            *out = &res->trials[i];
            return VSR_OK;
        }
    if (res->n_trials == VSR_COMPRESS_MAX_TRIALS)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "too many trials");
    vsr_compress_trial *t = &res->trials[res->n_trials];
    double enc_s, score_s;
    int ret = trial(c, crf, 0, t, &enc_s, &score_s, err);
    if (ret < 0)
        return ret;
    res->n_trials++;
    c->enc_spf = enc_s / (double)c->sample_frames;
    c->score_spf = score_s / (double)c->sample_frames;
    say(c, "samples at CRF %d: VMAF %.3f, NEG %.3f, %lld bytes (%.2f s)", crf, t->vmaf, t->vmaf_neg,
        (long long)t->bytes, t->seconds);
    *out = t;
    return VSR_OK;
}

/* CRF search on the samples: the highest CRF whose pooled sample score
 * passes. *pass_crf = -1 when even the lowest CRF fails; *slope: VMAF
 * points per CRF step near the answer. */
static int search(compress_ctx *c, int *pass_crf, double *slope, vsr_error *err)
{
    const codec_ladder *l = c->lad;
    int lo = -1, hi = -1; /* highest passing, lowest failing */
    double vlo = 0, vhi = 0;
    int crf = l->crf_start + (int)lrint((90 - c->opt->vmaf_target) * 0.5);
    if (crf < l->crf_min)
        crf = l->crf_min;
    if (crf > l->crf_max)
        crf = l->crf_max;
    *slope = 1.0;
    for (;;) {
        if (c->opt->deadline_s > 0 && lo >= 0 &&
            elapsed(c) + trial_cost(c, 1) + 2 * clip_cost(c, 1) > c->opt->deadline_s) {
            say(c, "deadline: search stops at CRF %d", lo);
            break;
        }
        vsr_compress_trial *t = NULL;
        int ret = add_trial(c, crf, &t, err);
        if (ret < 0)
            return ret;
        if (passes(c, t->vmaf, t->vmaf_neg)) {
            if (lo < 0 || crf > lo) {
                lo = crf;
                vlo = t->vmaf;
            }
        } else if (hi < 0 || crf < hi) {
            hi = crf;
            vhi = t->vmaf;
        }
        if (lo >= 0 && hi >= 0 && hi - lo <= 1)
            break;
        if (lo < 0 && hi == l->crf_min)
            break; /* nothing passes */
        if (hi < 0 && lo == l->crf_max)
            break;
        if (lo < 0) {
            crf = hi - l->crf_step < l->crf_min ? l->crf_min : hi - l->crf_step;
        } else if (hi < 0) {
            crf = lo + l->crf_step > l->crf_max ? l->crf_max : lo + l->crf_step;
        } else {
            /* interpolate where the goal lies, rounding towards quality */
            double at = lo + (vlo - c->goal) / (vlo - vhi) * (hi - lo);
            crf = (int)floor(at);
            if (crf <= lo)
                crf = lo + 1;
            if (crf >= hi)
                crf = hi - 1;
        }
    }
    if (lo >= 0 && hi >= 0 && vlo > vhi)
        *slope = (vlo - vhi) / (hi - lo);
    *pass_crf = lo;
    return VSR_OK;
}

static void candidate_path(const compress_ctx *c, int crf, char *buf, size_t len)
{
    const char *out = c->opt->output;
    const char *slash = strrchr(out, '/');
    int dir = slash ? (int)(slash - out) + 1 : 0;
    snprintf(buf, len, "%.*s.%s.crf%d.vsr-compress-%ld.mp4", dir, out, out + dir, crf,
             (long)getpid());
}

static void remove_candidates(compress_ctx *c, int keep)
{
    for (int i = 0; i < c->n_cand; i++)
        if (i != keep)
            unlink(c->cand[i]);
}

static int encode_and_measure(compress_ctx *c, int crf, vsr_compress_encode **out, vsr_error *err)
{
    vsr_compress_result *res = c->res;
    if (res->n_encodes == VSR_COMPRESS_MAX_ENCODES)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "too many encodes");
    vsr_compress_encode *e = &res->encodes[res->n_encodes];
    char *path = c->cand[c->n_cand];
    candidate_path(c, crf, path, sizeof c->cand[0]);
    double t0 = vsr_now_s();
    int ret = encode_clip(c, crf, path, err);
    if (ret < 0)
        return ret;
    c->n_cand++;
    res->n_encodes++;
    e->crf = crf;
    e->encode_s = vsr_now_s() - t0;
    struct stat sb;
    e->bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
    t0 = vsr_now_s();
    ret = measure(c, path, &e->vmaf, &e->vmaf_neg, err);
    e->measure_s = vsr_now_s() - t0;
    if (ret < 0)
        return ret;
    e->passed = passes(c, e->vmaf, e->vmaf_neg);
    /* what the whole clip costs, for the deadline */
    double par = c->encoders > 1 ? 0.75 * c->encoders : 1;
    c->enc_spf = e->encode_s * par / (double)c->frames;
    c->score_spf = e->measure_s / (double)c->frames;
    say(c,
        "clip at CRF %d: VMAF %.3f, NEG delta %.3f, %lld bytes (%.2f s encode, %.2f s measure): %s",
        crf, e->vmaf, e->vmaf - e->vmaf_neg, (long long)e->bytes, e->encode_s, e->measure_s,
        e->passed ? "passes" : "misses");
    *out = e;
    return VSR_OK;
}

static int tried(const compress_ctx *c, int crf)
{
    for (int i = 0; i < c->res->n_encodes; i++)
        if (c->res->encodes[i].crf == crf)
            return 1;
    return 0;
}

static int compress(compress_ctx *c, vsr_error *err)
{
    const vsr_compress_options *opt = c->opt;
    vsr_compress_result *res = c->res;
    int ret = load(c, err);
    if (ret < 0)
        return ret;
    c->video = (vsr_encoder_video){
        .width = c->info.width,
        .height = c->info.height,
        .time_base = c->info.time_base,
        .frame_rate = c->info.frame_rate,
        .avg_frame_rate = c->info.avg_frame_rate,
        /* the input's tags as they are: validators compare them */
        .colour = {c->info.matrix,
                   c->info.range == AVCOL_RANGE_JPEG ? AVCOL_RANGE_MPEG : c->info.range,
                   c->info.primaries, c->info.trc},
        .display_matrix = c->info.has_display_matrix ? c->display_matrix : NULL,
    };
    /* 10 s between keyframes: the validators neither seek nor splice, and
     * every IDR frame is bytes; scene cuts still get theirs (x265/x264
     * scenecut, SVT-AV1's). A 5-10 s clip thus has one. */
    double fps = av_q2d(c->info.frame_rate);
    c->gop = (int)lrint(10 * (fps > 0 ? fps : 30));
    /* One encoder instance keeps about 4 cores busy up to 1080p (5 to
     * 2160p, 8 above: segment_pool.h); more cores get segments, one per
     * encoder, which costs an IDR frame each. */
    c->encoders = vsr_segment_pool_auto(
        c->cores, c->info.width, c->info.height, (c->frames + 1) / 2, c->frames,
        (size_t)c->info.width * (size_t)c->info.height * 3 / 2, (size_t)4 << 30);
    if (opt->encoders > 0)
        c->encoders = opt->encoders;
    if (c->encoders > c->frames)
        c->encoders = (int)c->frames;
    if (c->encoders < 1)
        c->encoders = 1;
    res->width = c->info.width;
    res->height = c->info.height;
    res->frames = c->frames;
    res->input_bytes = c->input_bytes;
    res->samples = c->n_samples;
    res->sample_frames = (int)c->sample_frames;
    res->encoders = c->encoders;
    res->gop_size = c->gop;
    say(c,
        "%s: %dx%d, %lld frames at %.3f fps, %lld bytes; %d sample(s), %lld frames; goal VMAF "
        ">= %.2f",
        opt->input, c->info.width, c->info.height, (long long)c->frames, fps,
        (long long)c->input_bytes, c->n_samples, (long long)c->sample_frames, c->goal);

    if ((ret = pick_preset(c, err)) < 0)
        return ret;
    snprintf(res->preset, sizeof res->preset, "%s", preset(c));
    int crf;
    double slope;
    if ((ret = search(c, &crf, &slope, err)) < 0)
        return ret;
    if (crf < 0) {
        const vsr_compress_trial *t = &res->trials[res->n_trials - 1];
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: no %s encoding reaches VMAF %.2f (target %.2f + margin %.2f) "
                             "with NEG delta <= %.1f: at CRF %d the samples score VMAF %.3f, "
                             "NEG delta %.3f",
                             opt->input, c->lad->encoder, c->goal, opt->vmaf_target, opt->margin,
                             opt->max_neg_delta, t->crf, t->vmaf, t->vmaf - t->vmaf_neg);
    }
    say(c, "samples: CRF %d (%.2f VMAF per CRF step)", crf, slope);

    /* the whole clip, measured as the validators will, and repaired */
    int best = -1;
    for (;;) {
        if (opt->deadline_s > 0 && elapsed(c) + clip_cost(c, 1) > opt->deadline_s) {
            if (best >= 0)
                break;
            return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                 "%s: the deadline of %.1f s would pass: %.1f s spent, and an "
                                 "encode and measurement of the clip takes about %.1f s",
                                 opt->input, opt->deadline_s, elapsed(c), clip_cost(c, 1));
        }
        vsr_compress_encode *e = NULL;
        if ((ret = encode_and_measure(c, crf, &e, err)) < 0)
            return ret;
        int idx = res->n_encodes - 1;
        if (e->passed) {
            if (best < 0 || e->bytes < res->encodes[best].bytes)
                best = idx;
            /* room to spare: one step up may pass too */
            int up = crf + 1;
            if (up <= c->lad->crf_max && !tried(c, up) && e->vmaf - slope >= c->goal &&
                res->n_encodes < VSR_COMPRESS_MAX_ENCODES) {
                crf = up;
                continue;
            }
            break;
        }
        if (best >= 0)
            break; /* a lower CRF passed already */
        double miss = c->goal - e->vmaf;
        int step = miss > 0 ? (int)ceil(miss / slope) : 1;
        if (step < 1)
            step = 1;
        int down = crf - step;
        while (down >= c->lad->crf_min && tried(c, down))
            down--;
        if (down < c->lad->crf_min || res->n_encodes == VSR_COMPRESS_MAX_ENCODES)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s: no encoding passes: at CRF %d the clip scores VMAF %.3f "
                                 "(goal %.2f), NEG delta %.3f (at most %.1f)",
                                 opt->input, crf, e->vmaf, c->goal, e->vmaf - e->vmaf_neg,
                                 opt->max_neg_delta);
        crf = down;
    }
    const vsr_compress_encode *b = &res->encodes[best];
    res->crf = b->crf;
    res->bytes = b->bytes;
    res->vmaf = b->vmaf;
    res->vmaf_neg = b->vmaf_neg;
    if (c->input_bytes > 0 && (double)b->bytes >= opt->size_ratio * (double)c->input_bytes)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the smallest passing output (%s CRF %d, VMAF %.3f) has %lld "
                             "bytes, %.3fx the input's %lld; the validators take only outputs "
                             "under %.2fx",
                             opt->input, c->lad->encoder, b->crf, b->vmaf, (long long)b->bytes,
                             (double)b->bytes / (double)c->input_bytes, (long long)c->input_bytes,
                             opt->size_ratio);
    if (rename(c->cand[best], opt->output) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: renaming from %s: %s", opt->output,
                             c->cand[best], strerror(errno));
    remove_candidates(c, best);
    c->n_cand = 0;
    return VSR_OK;
}

int vsr_compress_run(const vsr_compress_options *opt, vsr_compress_result *result, vsr_error *err)
{
    vsr_compress_result local;
    vsr_compress_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    if (!opt->input || !opt->output)
        return vsr_error_set(err, VSR_ERR_INVALID, "compress: input and output are needed");
    if (!(opt->vmaf_target >= 0 && opt->vmaf_target <= 100))
        return vsr_error_set(err, VSR_ERR_INVALID, "VMAF target %g is outside 0..100",
                             opt->vmaf_target);
    if (!(opt->margin >= 0 && opt->vmaf_target + opt->margin <= 100))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "VMAF target %g + margin %g is above 100, which nothing scores",
                             opt->vmaf_target, opt->margin);
    if (opt->deadline_s < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "deadline %g s is negative", opt->deadline_s);
    /* The output's rename must not replace the input or a special file. */
    int checked = vsr_output_file_check(opt->input, opt->output, err);
    if (checked < 0)
        return checked;
    compress_ctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.res = res;
    c.t0 = vsr_now_s();
    c.goal = opt->vmaf_target + opt->margin;
    const char *codec = opt->codec ? opt->codec : "hevc";
    for (size_t i = 0; i < sizeof ladders / sizeof ladders[0]; i++)
        if (!strcmp(codec, ladders[i].codec))
            c.lad = &ladders[i];
    if (!c.lad)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "unknown codec '%s' (expected hevc, av1 or h264)", codec);
    if (opt->preset) {
        int known = 0;
        for (int r = 0; r < c.lad->n; r++)
            known |= !strcmp(opt->preset, c.lad->presets[r]);
        if (!known && strcmp(opt->preset, "slower") && strcmp(opt->preset, "veryslow") &&
            strspn(opt->preset, "0123456789") != strlen(opt->preset))
            return vsr_error_set(err, VSR_ERR_INVALID, "preset '%s' is not one of %s's",
                                 opt->preset, c.lad->encoder);
    }
    c.cores = opt->threads > 0 ? opt->threads : vsr_cores_online();
    if (opt->operator_id)
        vsr_compress_operator_comment(opt->operator_id, c.comment);
    snprintf(res->encoder, sizeof res->encoder, "%s", c.lad->encoder);
    struct stat sb;
    if (stat(opt->output, &sb) == 0 && S_ISDIR(sb.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write: is a directory", opt->output);
    int ret = compress(&c, err);
    remove_candidates(&c, -1);
    free_samples(&c);
    res->seconds = vsr_now_s() - c.t0;
    return ret;
}
