#include "pipeline/compress.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "pipeline/clip_quality.h"
#include "pipeline/compress_internal.h"
#include "pipeline/segment_pool.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/output_file.h"

static const codec_ladder ladders[] = {
    {"hevc",
     "libx265",
     0,
     51,
     28,
     6,
     7,
     {"slow", "medium", "fast", "faster", "veryfast", "superfast", "ultrafast"},
     {1, 2.2, 2.8, 3.3, 4.5, 7, 10},
     1,
     /* psycho-visual RD off: -5% bytes at VMAF 89.5 (garden), the same
      * (rain), and a NEG delta 0.3-0.4 lower on all three clips, which
      * lets the search go higher where the delta binds (ladybird: -6%) */
     "psy-rd=0:psy-rdoq=0"},
    {"h264",
     "libx264",
     0,
     51,
     25,
     6,
     7,
     {"slow", "medium", "fast", "faster", "veryfast", "superfast", "ultrafast"},
     {1, 1.6, 2, 2.8, 4.5, 6, 10},
     1,
     NULL},
    {"av1", "libsvtav1", 1, 63, 38, 8, 4, {"6", "8", "10", "12"}, {1, 2.5, 6, 12}, 0, NULL},
    /* libvpx-vp9's presets are its cpu-used (good deadline); 0 is far
     * slower than 1 for little */
    {"vp9",
     "libvpx-vp9",
     0,
     63,
     36,
     8,
     5,
     {"1", "2", "3", "4", "5"},
     {1, 1.7, 2.8, 4.5, 6.5},
     1,
     NULL},
};

void vsr_compress_options_default(vsr_compress_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->codec = "hevc";
    opt->vmaf_target = 90;
    /* vsr's VMAF is within 0.05 of libvmaf's (README: 0.049 pooled on
     * libvmaf 3.2's vectors; the oracle -0.013..+0.061 from it on the 90
     * encodes of bench/results/2026-12-06-compress-2core.md): 3x that */
    opt->margin = 0.15;
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

void compress_say(compress_ctx *c, const char *fmt, ...)
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

double compress_elapsed(const compress_ctx *c)
{
    return vsr_now_s() - c->t0;
}

int compress_cancelled(const compress_ctx *c, vsr_error *err)
{
    if (c->opt->cancel && *c->opt->cancel)
        return vsr_error_set(err, VSR_ERR_CANCELLED, "%s: cancelled", c->opt->input);
    return VSR_OK;
}

const char *compress_preset(const compress_ctx *c)
{
    return c->opt->preset ? c->opt->preset : c->lad->presets[c->rung];
}

void compress_encoder_options(const compress_ctx *c, const rate *r, int threads,
                              vsr_encoder_options *e)
{
    vsr_encoder_options_default(e);
    e->codec = c->lad->codec;
    e->encoder = c->lad->encoder;
    e->crf = r->bitrate > 0 ? -1 : r->crf;
    e->bitrate = r->bitrate;
    e->pass = r->pass;
    e->stats = r->pass ? c->stats : NULL;
    e->params = c->params[0] ? c->params : NULL;
    e->preset = compress_preset(c);
    e->threads = threads;
    e->gop_size = c->gop;
    e->comment = c->comment[0] ? c->comment : NULL;
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

/* Seconds a sample trial should take: the last one's, or, before any,
 * its samples' frames encoded at once, an encoder keeping about 4 cores
 * busy (segment_pool.h). (Not the clip's segment count: a 10 s clip has
 * 2 segments on 16 cores, and its 5 samples went 2x faster than that
 * projected, bench/results/2026-12-06-compress-modes.md.) */
static double trial_cost(const compress_ctx *c, double speedup)
{
    if (c->trial_s > 0)
        return c->trial_s;
    int busy = c->cores / 4 > 1 ? c->cores / 4 : 1;
    int n = c->n_samples < busy ? c->n_samples : busy;
    double par = n > 1 ? 0.75 * n : 1;
    return (double)c->sample_frames * (c->enc_spf / speedup + c->score_spf) / par;
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
    int ret = compress_trial(c, c->lad->crf_start, CALIBRATION_FRAMES, &t, &enc_s, &score_s, err);
    if (ret < 0)
        return ret;
    int n = c->samples[0].n < CALIBRATION_FRAMES ? c->samples[0].n : CALIBRATION_FRAMES;
    c->enc_spf = enc_s / n;
    c->score_spf = score_s / n;
    compress_say(c,
                 "calibration: %s preset %s, %d frames: encode %.1f ms/frame, score %.1f ms/frame",
                 c->lad->encoder, compress_preset(c), n, 1e3 * c->enc_spf, 1e3 * c->score_spf);
    if (c->opt->deadline_s <= 0 || c->opt->preset)
        return VSR_OK;
    double left = c->opt->deadline_s - compress_elapsed(c);
    double base = c->lad->speed[0];
    for (int r = 0; r < c->lad->n; r++) {
        double sp = c->lad->speed[r] / base;
        /* CRF: about five trials and two encodes of the clip; VBR: its
         * passes, and once more lower where it overshoots */
        double need = c->opt->mode == VSR_COMPRESS_VBR
                          ? 1.3 * (c->lad->two_pass ? 1.5 : 1) * clip_cost(c, sp)
                          : 5 * trial_cost(c, sp) + 2 * clip_cost(c, sp);
        if (need <= 0.8 * left || r == c->lad->n - 1) {
            c->rung = r;
            c->enc_spf /= sp;
            compress_say(c, "preset %s: projected %.1f s of the %.1f s left", compress_preset(c),
                         need, left);
            double least = clip_cost(c, 1);
            if (least > left)
                return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                     "%s: the deadline of %.1f s is too short: after %.1f s "
                                     "(reading the clip, timing the encoder), one encode and "
                                     "measurement of its %lld frames at the fastest preset (%s) "
                                     "needs about %.1f s more",
                                     c->opt->input, c->opt->deadline_s, compress_elapsed(c),
                                     (long long)c->frames, compress_preset(c), least);
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
    int ret = compress_trial(c, crf, 0, t, NULL, NULL, err);
    if (ret < 0)
        return ret;
    res->n_trials++;
    c->trial_s = t->seconds;
    compress_say(c, "samples at CRF %d: VMAF %.3f, NEG %.3f, %lld bytes (%.2f s)", crf, t->vmaf,
                 t->vmaf_neg, (long long)t->bytes, t->seconds);
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
            compress_elapsed(c) + trial_cost(c, 1) + 2 * clip_cost(c, 1) > c->opt->deadline_s) {
            compress_say(c, "deadline: search stops at CRF %d", lo);
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

static void candidate_path(const compress_ctx *c, const rate *r, const char *suffix, char *buf,
                           size_t len)
{
    const char *out = c->opt->output;
    const char *slash = strrchr(out, '/');
    int dir = slash ? (int)(slash - out) + 1 : 0;
    char what[32];
    if (r->bitrate > 0)
        snprintf(what, sizeof what, "b%lld", (long long)r->bitrate);
    else
        snprintf(what, sizeof what, "crf%d", r->crf);
    snprintf(buf, len, "%.*s.%s.%s.vsr-compress-%ld%s.mp4", dir, out, out + dir, what,
             (long)getpid(), suffix);
}

static void remove_candidates(compress_ctx *c, int keep)
{
    for (int i = 0; i < c->n_cand; i++)
        if (i != keep)
            unlink(c->cand[i]);
}

/* The output's average bitrate as the validators see it: the file's bytes
 * less those of copied streams (audio), over the video's duration. */
static int output_bitrate(const char *path, int64_t file_bytes, int64_t *bitrate, double *seconds,
                          vsr_error *err)
{
    AVFormatContext *fmt = NULL;
    int r = avformat_open_input(&fmt, path, NULL, NULL);
    if (r < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot open: %s", path, av_err2str(r));
    r = avformat_find_stream_info(fmt, NULL);
    int v = r < 0 ? r : av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (v < 0) {
        avformat_close_input(&fmt);
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no video stream", path);
    }
    AVPacket *pkt = av_packet_alloc();
    int64_t other = 0, dur = 0;
    while (pkt && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == v)
            dur += pkt->duration;
        else
            other += pkt->size;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    AVStream *st = fmt->streams[v];
    /* the packets' durations; else what the stream or file declares */
    if (dur <= 0)
        dur = st->duration;
    *seconds = dur > 0             ? (double)dur * av_q2d(st->time_base)
               : fmt->duration > 0 ? (double)fmt->duration / AV_TIME_BASE
                                   : 0;
    avformat_close_input(&fmt);
    if (!(*seconds > 0))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the video has no duration", path);
    *bitrate = (int64_t)llround((double)(file_bytes - other) * 8 / *seconds);
    return VSR_OK;
}

/* Encodes the whole clip at r (two-pass: both passes), measures its
 * bitrate and, unless a VBR output is over its bitrate, its VMAF. */
static int encode_and_measure(compress_ctx *c, const rate *r, vsr_compress_encode **out,
                              vsr_error *err)
{
    vsr_compress_result *res = c->res;
    if (res->n_encodes == VSR_COMPRESS_MAX_ENCODES)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "too many encodes");
    vsr_compress_encode *e = &res->encodes[res->n_encodes];
    memset(e, 0, sizeof *e);
    char *path = c->cand[c->n_cand];
    candidate_path(c, r, "", path, sizeof c->cand[0]);
    double t0 = vsr_now_s();
    int ret = VSR_OK;
    if (r->pass) {
        ret = compress_first_pass(c, r, err);
        compress_say(c, "first pass: %.2f s", vsr_now_s() - t0);
    }
    if (ret >= 0)
        ret = compress_encode_clip(c, r, path, err);
    if (ret < 0)
        return ret;
    c->n_cand++;
    res->n_encodes++;
    e->crf = r->bitrate > 0 ? -1 : r->crf;
    e->aim = r->bitrate;
    e->encode_s = vsr_now_s() - t0;
    struct stat sb;
    e->bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
    double seconds = 0;
    if ((ret = output_bitrate(path, e->bytes, &e->bitrate, &seconds, err)) < 0)
        return ret;
    res->duration_s = seconds;
    int over = c->opt->mode == VSR_COMPRESS_VBR &&
               (double)e->bitrate > VSR_COMPRESS_VBR_ACCEPT * (double)c->opt->bitrate;
    if (over) {
        e->vmaf = e->vmaf_neg = -1;
    } else {
        t0 = vsr_now_s();
        ret = measure(c, path, &e->vmaf, &e->vmaf_neg, err);
        e->measure_s = vsr_now_s() - t0;
        if (ret < 0)
            return ret;
        c->score_spf = e->measure_s / (double)c->frames;
    }
    e->passed = !over && (c->goal < 0 || passes(c, e->vmaf, e->vmaf_neg));
    /* what the whole clip costs, for the deadline */
    double par = c->encoders > 1 ? 0.75 * c->encoders : 1;
    c->enc_spf = e->encode_s * par / (double)c->frames / (r->pass ? 1.5 : 1);
    char what[64];
    compress_describe(r, what, sizeof what);
    if (over)
        compress_say(
            c, "clip at %s: %lld bytes, %lld bit/s, over %.2fx the %lld asked (%.2f s encode)",
            what, (long long)e->bytes, (long long)e->bitrate, VSR_COMPRESS_VBR_ACCEPT,
            (long long)c->opt->bitrate, e->encode_s);
    else
        compress_say(
            c,
            "clip at %s: VMAF %.3f, NEG delta %.3f, %lld bytes, %lld bit/s (%.2f s encode, %.2f s "
            "measure): %s",
            what, e->vmaf, e->vmaf - e->vmaf_neg, (long long)e->bytes, (long long)e->bitrate,
            e->encode_s, e->measure_s, e->passed ? "passes" : "misses");
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

/* The samples' VMAF and NEG delta at crf: interpolated between the
 * trials around it, extrapolated from the nearest two past the ends (or
 * by slope VMAF points a step from a single trial). */
static void predict(const compress_ctx *c, int crf, double slope, double *vmaf, double *delta)
{
    const vsr_compress_result *res = c->res;
    const vsr_compress_trial *lo = NULL, *hi = NULL, *lo2 = NULL, *hi2 = NULL;
    for (int i = 0; i < res->n_trials; i++) {
        const vsr_compress_trial *t = &res->trials[i];
        if (t->crf <= crf && (!lo || t->crf > lo->crf)) {
            lo2 = lo;
            lo = t;
        } else if (t->crf <= crf && (!lo2 || t->crf > lo2->crf)) {
            lo2 = t;
        }
        if (t->crf >= crf && (!hi || t->crf < hi->crf)) {
            hi2 = hi;
            hi = t;
        } else if (t->crf >= crf && (!hi2 || t->crf < hi2->crf)) {
            hi2 = t;
        }
    }
    const vsr_compress_trial *a = lo, *b = hi;
    if (!a || !b || a == b) {
        if (!a && !b) {
            *vmaf = 0;
            *delta = 0;
            return;
        }
        const vsr_compress_trial *n = a ? a : b, *m = a ? lo2 : hi2;
        if (a && b) { /* a trial at crf itself */
            *vmaf = a->vmaf;
            *delta = a->vmaf - a->vmaf_neg;
            return;
        }
        if (!m) {
            *vmaf = n->vmaf - slope * (crf - n->crf);
            *delta = n->vmaf - n->vmaf_neg;
            return;
        }
        a = n;
        b = m;
    }
    double f = (double)(crf - a->crf) / (double)(b->crf - a->crf);
    double da = a->vmaf - a->vmaf_neg, db = b->vmaf - b->vmaf_neg;
    *vmaf = a->vmaf + f * (b->vmaf - a->vmaf);
    *delta = da + f * (db - da);
}

double vsr_compress_vidaio_score(double bytes_ratio, double vmaf)
{
    return (0.7 * (1 - bytes_ratio) + 0.3 * vmaf / 100) / 1.12;
}

static double encode_score(const compress_ctx *c, const vsr_compress_encode *e)
{
    return c->input_bytes > 0
               ? vsr_compress_vidaio_score((double)e->bytes / (double)c->input_bytes, e->vmaf)
               : 0;
}

/* The score objective's step (5. in compress.h): from the smallest
 * passing encode at CRF k0, sample trials one CRF lower at a time while the
 * score they predict for the clip rises (the clip's bytes scaled by the
 * samples' bytes, its VMAF and NEG delta shifted as the samples' change),
 * then the clip at the peak, kept if its measured score is the higher.
 * Stops where the deadline leaves no room for that encode. */
static int raise_for_score(compress_ctx *c, int *best, vsr_error *err)
{
    const vsr_compress_options *opt = c->opt;
    vsr_compress_result *res = c->res;
    if (c->input_bytes <= 0)
        return VSR_OK;
    /* res->encodes moves no entries, but trials may be added: copy */
    const vsr_compress_encode e0 = res->encodes[*best];
    vsr_compress_trial *t;
    int ret = add_trial(c, e0.crf, &t, err);
    if (ret < 0)
        return ret;
    const vsr_compress_trial t0 = *t;
    if (t0.bytes <= 0)
        return VSR_OK;
    double s0 = encode_score(c, &e0), peak_s = s0;
    int peak = e0.crf;
    for (int k = e0.crf - 1; k >= c->lad->crf_min; k--) {
        if (res->n_trials == VSR_COMPRESS_MAX_TRIALS ||
            (opt->deadline_s > 0 &&
             compress_elapsed(c) + trial_cost(c, 1) + clip_cost(c, 1) > opt->deadline_s))
            break;
        if ((ret = add_trial(c, k, &t, err)) < 0)
            return ret;
        double bytes = (double)e0.bytes * (double)t->bytes / (double)t0.bytes;
        double vmaf = e0.vmaf + (t->vmaf - t0.vmaf);
        double delta =
            (e0.vmaf - e0.vmaf_neg) + ((t->vmaf - t->vmaf_neg) - (t0.vmaf - t0.vmaf_neg));
        double s =
            vsr_compress_vidaio_score(bytes / (double)c->input_bytes, vmaf > 100 ? 100 : vmaf);
        compress_say(c, "score: CRF %d predicts %.0f bytes, VMAF %.3f, NEG delta %.3f: %.5f", k,
                     bytes, vmaf, delta, s);
        if (s <= peak_s || delta > opt->max_neg_delta ||
            bytes >= opt->size_ratio * (double)c->input_bytes)
            break;
        peak_s = s;
        peak = k;
    }
    /* a gain smaller than the noise of the prediction is not worth an encode */
    if (peak == e0.crf || peak_s - s0 < 0.0005 || res->n_encodes == VSR_COMPRESS_MAX_ENCODES ||
        (opt->deadline_s > 0 && compress_elapsed(c) + clip_cost(c, 1) > opt->deadline_s))
        return VSR_OK;
    vsr_compress_encode *e = NULL;
    const rate r = {.crf = peak};
    if ((ret = encode_and_measure(c, &r, &e, err)) < 0)
        return ret;
    double s = encode_score(c, e);
    compress_say(c, "score: CRF %d scores %.5f measured (predicted %.5f), CRF %d %.5f", peak, s,
                 peak_s, e0.crf, s0);
    if (e->passed && s > s0 && (double)e->bytes < opt->size_ratio * (double)c->input_bytes)
        *best = res->n_encodes - 1;
    return VSR_OK;
}

/* CRF mode: the CRF from the samples, then the whole clip, measured and
 * repaired; *best: the smallest passing encode, or with the score
 * objective the best scoring. */
static int crf_mode(compress_ctx *c, int *best_out, vsr_error *err)
{
    const vsr_compress_options *opt = c->opt;
    vsr_compress_result *res = c->res;
    int crf, ret;
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
    compress_say(c, "samples: CRF %d (%.2f VMAF per CRF step)", crf, slope);

    /* the whole clip, measured as the validators will, and repaired */
    int best = -1;
    for (;;) {
        if (opt->deadline_s > 0 && compress_elapsed(c) + clip_cost(c, 1) > opt->deadline_s) {
            if (best >= 0)
                break;
            return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                 "%s: the deadline of %.1f s would pass: %.1f s spent, and an "
                                 "encode and measurement of the clip takes about %.1f s",
                                 opt->input, opt->deadline_s, compress_elapsed(c), clip_cost(c, 1));
        }
        vsr_compress_encode *e = NULL;
        const rate r = {.crf = crf};
        if ((ret = encode_and_measure(c, &r, &e, err)) < 0)
            return ret;
        int idx = res->n_encodes - 1;
        if (e->passed) {
            if (best < 0 || e->bytes < res->encodes[best].bytes)
                best = idx;
            /* room to spare: one step up may pass too, if the samples'
             * curve shifted to this clip says so (VMAF and NEG delta) */
            int up = crf + 1;
            double sv, sd, uv, ud;
            predict(c, crf, slope, &sv, &sd);
            predict(c, up, slope, &uv, &ud);
            uv += e->vmaf - sv;
            ud += e->vmaf - e->vmaf_neg - sd;
            if (up <= c->lad->crf_max && !tried(c, up) && e->vmaf - slope >= c->goal &&
                uv >= c->goal && ud <= c->opt->max_neg_delta &&
                res->n_encodes < VSR_COMPRESS_MAX_ENCODES) {
                crf = up;
                continue;
            }
            break;
        }
        if (best >= 0)
            break; /* a lower CRF passed already */
        /* the samples' curve, shifted by how far the clip is from it at
         * this CRF (the delta too: on a clip the NEG delta often exceeds
         * the samples'), says which lower CRF should pass */
        double sv, sd;
        predict(c, crf, slope, &sv, &sd);
        double bias_v = e->vmaf - sv, bias_d = (e->vmaf - e->vmaf_neg) - sd;
        int down = crf - 1;
        for (; down > c->lad->crf_min; down--) {
            double pv, pd;
            predict(c, down, slope, &pv, &pd);
            if (!tried(c, down) && pv + bias_v >= c->goal && pd + bias_d <= c->opt->max_neg_delta)
                break;
        }
        while (down >= c->lad->crf_min && tried(c, down))
            down--;
        compress_say(c, "repair: the clip is %+.2f VMAF, %+.2f NEG delta from its samples; CRF %d",
                     bias_v, bias_d, down);
        if (down < c->lad->crf_min || res->n_encodes == VSR_COMPRESS_MAX_ENCODES)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s: no encoding passes: at CRF %d the clip scores VMAF %.3f "
                                 "(goal %.2f), NEG delta %.3f (at most %.1f)",
                                 opt->input, crf, e->vmaf, c->goal, e->vmaf - e->vmaf_neg,
                                 opt->max_neg_delta);
        crf = down;
    }
    if (opt->objective == VSR_COMPRESS_MAX_SCORE && (ret = raise_for_score(c, &best, err)) < 0)
        return ret;
    *best_out = best;
    return VSR_OK;
}

/* VBR mode: the whole clip at the bitrate (two passes where the encoder
 * has them), and again lower while its average is over
 * VSR_COMPRESS_VBR_ACCEPT x the bitrate; then the VMAF target, if any. */
static int vbr_mode(compress_ctx *c, int *best_out, vsr_error *err)
{
    const vsr_compress_options *opt = c->opt;
    vsr_compress_result *res = c->res;
    rate r = {.bitrate = opt->bitrate, .pass = c->lad->two_pass ? 2 : 0};
    double passes_cost = r.pass ? 1.5 : 1;
    for (int attempt = 0;; attempt++) {
        double need =
            (double)c->frames *
            (c->enc_spf * passes_cost / (c->encoders > 1 ? 0.75 * c->encoders : 1) + c->score_spf);
        if (opt->deadline_s > 0 && compress_elapsed(c) + need > opt->deadline_s)
            return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                 "%s: the deadline of %.1f s would pass: %.1f s spent, and an "
                                 "encode at %lld bit/s and its measurement take about %.1f s",
                                 opt->input, opt->deadline_s, compress_elapsed(c),
                                 (long long)r.bitrate, need);
        vsr_compress_encode *e = NULL;
        int ret = encode_and_measure(c, &r, &e, err);
        if (ret < 0)
            return ret;
        if (e->vmaf >= 0) {
            if (c->goal >= 0 && !e->passed)
                return vsr_error_set(
                    err, VSR_ERR_UNSUPPORTED,
                    "%s: at %lld bit/s (%s %s, %s) the clip scores VMAF %.3f, NEG delta %.3f; "
                    "the goal is VMAF %.2f (target %.2f + margin %.2f) with NEG delta <= %.1f",
                    opt->input, (long long)e->bitrate, c->lad->encoder, compress_preset(c),
                    r.pass ? "two-pass" : "one-pass", e->vmaf, e->vmaf - e->vmaf_neg, c->goal,
                    opt->vmaf_target, opt->margin, opt->max_neg_delta);
            *best_out = res->n_encodes - 1;
            return VSR_OK;
        }
        if (attempt == 2 || res->n_encodes == VSR_COMPRESS_MAX_ENCODES)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s: %s cannot keep to %lld bit/s: asked %lld, the clip came "
                                 "out at %lld (%.2fx)",
                                 opt->input, c->lad->encoder, (long long)opt->bitrate,
                                 (long long)r.bitrate, (long long)e->bitrate,
                                 (double)e->bitrate / (double)opt->bitrate);
        /* ask for less by the overshoot, and a little more */
        r.bitrate = (int64_t)((double)r.bitrate * (double)opt->bitrate / (double)e->bitrate * 0.97);
    }
}

static int compress(compress_ctx *c, vsr_error *err)
{
    const vsr_compress_options *opt = c->opt;
    vsr_compress_result *res = c->res;
    int ret = compress_load(c, err);
    if (ret < 0)
        return ret;
    c->video = (vsr_encoder_video){
        .width = c->video.width,
        .height = c->video.height,
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
        c->cores, c->video.width, c->video.height, (c->frames + 1) / 2, c->frames,
        (size_t)c->video.width * (size_t)c->video.height * 3 / 2, (size_t)4 << 30);
    if (opt->encoders > 0)
        c->encoders = opt->encoders;
    if (c->encoders > c->frames)
        c->encoders = (int)c->frames;
    if (c->encoders < 1)
        c->encoders = 1;
    res->width = c->video.width;
    res->height = c->video.height;
    res->frames = c->frames;
    res->input_bytes = c->input_bytes;
    res->samples = c->n_samples;
    res->sample_frames = (int)c->sample_frames;
    for (int i = 0; i < c->n_samples; i++)
        res->sample[i] = (vsr_compress_sample){.first = c->samples[i].first,
                                               .frames = c->samples[i].n,
                                               .weight = c->samples[i].weight};
    res->n_cuts = c->n_cuts;
    memcpy(res->cuts, c->cuts, sizeof res->cuts);
    res->encoders = c->encoders;
    res->gop_size = c->gop;
    compress_say(
        c, "%s: %dx%d%s, %lld frames at %.3f fps, %lld bytes; %d sample(s), %lld frames; %s",
        opt->input, c->info.width, c->info.height,
        c->video.width != c->info.width || c->video.height != c->info.height ? " (scaled)" : "",
        (long long)c->frames, fps, (long long)c->input_bytes, c->n_samples,
        (long long)c->sample_frames, opt->mode == VSR_COMPRESS_VBR ? "VBR" : "CRF");
    double duration = (double)c->frames / (fps > 0 ? fps : 30);
    if (opt->mode == VSR_COMPRESS_VBR && c->input_bytes > 0 &&
        (double)opt->bitrate * duration / 8 >= opt->size_ratio * (double)c->input_bytes)
        return vsr_error_set(
            err, VSR_ERR_INVALID,
            "%s: %lld bit/s for %.2f s is %.0f bytes, not under %.2fx the input's %lld (%.0f "
            "bit/s): the validators take only smaller outputs",
            opt->input, (long long)opt->bitrate, duration, (double)opt->bitrate * duration / 8,
            opt->size_ratio, (long long)c->input_bytes, (double)c->input_bytes * 8 / duration);

    if ((ret = pick_preset(c, err)) < 0)
        return ret;
    snprintf(res->preset, sizeof res->preset, "%s", compress_preset(c));
    int best = -1;
    if (opt->mode == VSR_COMPRESS_VBR) {
        snprintf(res->rate_control, sizeof res->rate_control, "%s",
                 c->lad->two_pass ? "2-pass" : "1-pass");
        ret = vbr_mode(c, &best, err);
    } else {
        snprintf(res->rate_control, sizeof res->rate_control, "crf");
        ret = crf_mode(c, &best, err);
    }
    if (ret < 0)
        return ret;
    const vsr_compress_encode *b = &res->encodes[best];
    res->crf = b->crf;
    res->bytes = b->bytes;
    res->bitrate = b->bitrate;
    res->vmaf = b->vmaf;
    res->vmaf_neg = b->vmaf_neg;
    res->score = encode_score(c, b);
    if (c->input_bytes > 0 && (double)b->bytes >= opt->size_ratio * (double)c->input_bytes)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the smallest passing output (%s %s, VMAF %.3f) has %lld "
                             "bytes, %.3fx the input's %lld; the validators take only outputs "
                             "under %.2fx",
                             opt->input, c->lad->encoder, res->rate_control, b->vmaf,
                             (long long)b->bytes, (double)b->bytes / (double)c->input_bytes,
                             (long long)c->input_bytes, opt->size_ratio);
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
    int vbr = opt->mode == VSR_COMPRESS_VBR;
    if (opt->mode != VSR_COMPRESS_CRF && !vbr)
        return vsr_error_set(err, VSR_ERR_INVALID, "unknown compress mode %d", (int)opt->mode);
    if (vbr && opt->bitrate <= 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "VBR mode needs a bitrate (bits/s)");
    if (!vbr && opt->bitrate > 0)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "a bitrate (%lld bit/s) is for VBR mode; CRF mode finds its own",
                             (long long)opt->bitrate);
    int no_target = vbr && opt->vmaf_target < 0;
    if (!no_target && !(opt->vmaf_target >= 0 && opt->vmaf_target <= 100))
        return vsr_error_set(err, VSR_ERR_INVALID, "VMAF target %g is outside 0..100",
                             opt->vmaf_target);
    if ((opt->width > 0) != (opt->height > 0) || opt->width < 0 || opt->height < 0 ||
        opt->width % 2 || opt->height % 2 || opt->width > 8192 || opt->height > 8192)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "output size %dx%d: expected even sides of 2..8192, or none",
                             opt->width, opt->height);
    if (!no_target && !(opt->margin >= 0 && opt->vmaf_target + opt->margin <= 100))
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
    c.goal = no_target ? -1 : opt->vmaf_target + opt->margin;
    const char *codec = opt->codec ? opt->codec : "hevc";
    for (size_t i = 0; i < sizeof ladders / sizeof ladders[0]; i++)
        if (!strcmp(codec, ladders[i].codec))
            c.lad = &ladders[i];
    if (!c.lad)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "unknown codec '%s' (expected hevc, av1, h264 or vp9)", codec);
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
    /* the user's settings last: x265/x264/SVT-AV1 take the last value of
     * a key */
    const char *lp = c.lad->params, *up = opt->encoder_params;
    if (snprintf(c.params, sizeof c.params, "%s%s%s", lp ? lp : "", lp && up ? ":" : "",
                 up ? up : "") >= (int)sizeof c.params)
        return vsr_error_set(err, VSR_ERR_INVALID, "encoder parameters '%s' are too long", up);
    if (opt->operator_id)
        vsr_compress_operator_comment(opt->operator_id, c.comment);
    snprintf(res->encoder, sizeof res->encoder, "%s", c.lad->encoder);
    snprintf(res->params, sizeof res->params, "%s", c.params);
    struct stat sb;
    if (stat(opt->output, &sb) == 0 && S_ISDIR(sb.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write: is a directory", opt->output);
    if (vbr && c.lad->two_pass) {
        const char *out = opt->output;
        const char *slash = strrchr(out, '/');
        int dir = slash ? (int)(slash - out) + 1 : 0;
        snprintf(c.stats, sizeof c.stats, "%.*s.%s.vsr-compress-%ld.stats", dir, out, out + dir,
                 (long)getpid());
    }
    int ret = compress(&c, err);
    remove_candidates(&c, -1);
    if (c.stats[0])
        vsr_encoder_stats_remove(c.stats, c.encoders > 1 ? c.encoders : 1);
    compress_free_samples(&c);
    sws_freeContext(c.sws);
    res->seconds = vsr_now_s() - c.t0;
    return ret;
}
