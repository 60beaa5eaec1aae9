/* See detail_probe.h. Everything runs on the caller's thread: the decoder,
 * one upscaler context, the conversions, and the quality sessions (which
 * use `threads` OpenMP threads inside). */
#include "pipeline/detail_probe.h"

#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "frame/blend.h"
#include "media/colour.h"
#include "media/decoder.h"
#include "media/encode_roundtrip.h"
#include "pipeline/clip_quality.h"
#include "pipeline/self_similar.h"
#include "quality/quality.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/log.h"

/* a w x h frame in 4:2:0, 8 bits: 1.5 bytes a pixel (chroma rounded up) */
static int64_t yuv420_bytes(int w, int h)
{
    return (int64_t)w * h + 2 * (int64_t)((w + 1) / 2) * ((h + 1) / 2);
}

int64_t vsr_detail_probe_frame_bytes(int in_w, int in_h, int out_w, int out_h)
{
    return 3 * yuv420_bytes(out_w, out_h) + 2 * yuv420_bytes(in_w, in_h);
}

int vsr_detail_probe_fit(int64_t max_bytes, int64_t frame_bytes, int *windows, int *k)
{
    const int64_t fit = frame_bytes > 0 ? max_bytes / frame_bytes : INT64_MAX;
    if ((int64_t)*windows * *k <= fit)
        return 0;
    if (fit >= *k) {
        *windows = (int)(fit / *k);
        return 1;
    }
    *windows = 1;
    *k = fit > 2 ? (int)fit : 2;
    return 1;
}

void vsr_detail_probe_options_default(vsr_detail_probe_options *o)
{
    memset(o, 0, sizeof *o);
    o->rule = (vsr_detail_rule){-1, -1};
    o->guard = (vsr_detail_guard){.off = 0, .t1 = -1, .t2 = -1, .t3 = -1};
    o->guard_x4 = o->guard;
}

/* One sampled frame: as decoded (orig, a reference), as 8-bit 4:2:0 at the
 * input's size for the self-similar guard (yuv; orig itself where it is
 * that), and, once the model has run on it, at the output size: the
 * model's output and the input as the CPU pipeline makes them, and the
 * reference the blend is scored against. */
typedef struct sample {
    AVFrame *orig, *yuv;
    AVFrame *model, *input, *ref;
    int window;
    long no; /* the clip's frame number */
} sample;

typedef struct probe {
    const vsr_detail_probe_options *opt;
    vsr_decoder *dec;
    const vsr_video_info *info;
    int out_w, out_h, model_w, model_h;
    void *ctx; /* the upscaler's */
    vsr_yuv_to_rgb *to_rgb;
    vsr_rgb_to_yuv *to_yuv_model, *to_yuv_input;
    struct SwsContext *ref_sws, *yuv_sws;
    vsr_image rgb_in, rgb_model;
    AVFrame *decoded;
    vsr_encoder_options enc; /* the run's, for the sample's encode */
    vsr_encoder_video video;
    sample *samples;
    int n_samples;
} probe;

static int cancelled(const probe *p, vsr_error *err)
{
    if (p->opt->cancel && *p->opt->cancel)
        return vsr_error_set(err, VSR_ERR_CANCELLED, "%s: cancelled while choosing the detail",
                             p->opt->input);
    return VSR_OK;
}

static int alloc_rgb(vsr_image *img, int w, int h, vsr_error *err)
{
    return vsr_image_alloc(img, w, h, VSR_PIX_RGB24, err);
}

/* The output size the pipeline will make (pipeline.c, output_size). */
static int sizes(probe *p, vsr_error *err)
{
    const vsr_detail_probe_options *o = p->opt;
    const int in_w = p->info->width, in_h = p->info->height;
    const int scale = o->out_scale > 0 ? o->out_scale : o->upscaler->scale;
    p->model_w = in_w * o->upscaler->scale;
    p->model_h = in_h * o->upscaler->scale;
    p->out_w = o->out_width ? o->out_width : in_w * scale;
    p->out_h = o->out_height ? o->out_height : in_h * scale;
    if (p->out_w % 2 || p->out_h % 2 || p->out_w < 2 || p->out_h < 2)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: output %dx%d has an odd side; YUV 4:2:0 needs even sizes",
                             o->input, p->out_w, p->out_h);
    return VSR_OK;
}

static int frame_alloc(AVFrame **f, int w, int h, vsr_error *err)
{
    *f = av_frame_alloc();
    if (*f) {
        (*f)->format = AV_PIX_FMT_YUV420P;
        (*f)->width = w;
        (*f)->height = h;
        if (av_frame_get_buffer(*f, 0) == 0)
            return VSR_OK;
    }
    return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory for a %dx%d frame", w, h);
}

static int setup(probe *p, vsr_error *err)
{
    const vsr_detail_probe_options *o = p->opt;
    const vsr_upscaler *u = o->upscaler;
    vsr_decoder_options dopt = {.max_pixels = o->max_pixels};
    int ret = vsr_decoder_open(o->input, &dopt, &p->dec, err);
    if (ret < 0)
        return ret;
    p->info = vsr_decoder_info(p->dec);
    if ((ret = sizes(p, err)) < 0)
        return ret;
    const vsr_colour out_colour =
        vsr_colour_for_output(p->info->matrix, p->info->primaries, p->info->trc, p->out_h);
    /* one encoder instance per window, set as the run's (the size gate's
     * bitrate cap aside: it is half the gate and rarely binds) */
    p->enc = o->enc;
    p->enc.segmented = 0;
    p->enc.max_bitrate = 0;
    p->enc.pass = 0;
    p->video = (vsr_encoder_video){
        .width = p->out_w,
        .height = p->out_h,
        .time_base = av_inv_q(p->info->frame_rate),
        .frame_rate = p->info->frame_rate,
        .colour = out_colour,
    };
    if ((ret = u->ctx_create(u->shared, &p->ctx, err)) < 0) {
        p->ctx = NULL;
        vsr_error_prefix(err, "detail probe");
        return ret;
    }
    if ((ret = vsr_yuv_to_rgb_create(&p->to_rgb, err)) < 0 ||
        (ret = vsr_rgb_to_yuv_create_scaled(&p->to_yuv_model, &out_colour, NULL, p->out_w, p->out_h,
                                            err)) < 0 ||
        (ret = vsr_rgb_to_yuv_create_scaled(&p->to_yuv_input, &out_colour, NULL, p->out_w, p->out_h,
                                            err)) < 0 ||
        (ret = vsr_rgb_to_yuv_set_filter(p->to_yuv_input, p->opt->input_filter, err)) < 0 ||
        (ret = alloc_rgb(&p->rgb_in, p->info->width, p->info->height, err)) < 0 ||
        (ret = alloc_rgb(&p->rgb_model, p->model_w, p->model_h, err)) < 0)
        return ret;
    if (!(p->decoded = av_frame_alloc()))
        return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
    return VSR_OK;
}

/* The input scaled to the output size as clip_quality.c scales a
 * reference (swscale Lanczos, from the decoded format to yuv420p). */
static int make_reference(probe *p, const AVFrame *f, AVFrame **out, long no, vsr_error *err)
{
    if (!p->ref_sws) {
        p->ref_sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, p->out_w,
                                    p->out_h, AV_PIX_FMT_YUV420P, SWS_LANCZOS, NULL, NULL, NULL);
        if (!p->ref_sws)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s, frame %ld: cannot scale %dx%d to %dx%d for the detail probe",
                                 p->opt->input, no, f->width, f->height, p->out_w, p->out_h);
    }
    int ret = frame_alloc(out, p->out_w, p->out_h, err);
    if (ret < 0)
        return ret;
    if (sws_scale(p->ref_sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                  (*out)->data, (*out)->linesize) != p->out_h)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s, frame %ld: scaling failed", p->opt->input,
                             no);
    return VSR_OK;
}

/* The model on sample s (decoded frame no): the model's output and the
 * input at the output size, and the reference. */
static int run_model(probe *p, sample *s, long no, double *model_s, vsr_error *err)
{
    const AVFrame *f = s->orig;
    int ret = vsr_yuv_to_rgb_run(p->to_rgb, f, &p->rgb_in, no, err);
    if (ret < 0)
        return ret;
    const double t0 = vsr_now_s();
    ret = p->opt->upscaler->run(p->ctx, &p->rgb_in, &p->rgb_model, err);
    *model_s += vsr_now_s() - t0;
    if (ret < 0) {
        vsr_error_prefix(err, "detail probe, frame %ld", no);
        return ret;
    }
    if (!(s->model = av_frame_alloc()) || !(s->input = av_frame_alloc()))
        return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
    if ((ret = vsr_rgb_to_yuv_run(p->to_yuv_model, &p->rgb_model, s->model, no, err)) < 0 ||
        (ret = vsr_rgb_to_yuv_run(p->to_yuv_input, &p->rgb_in, s->input, no, err)) < 0)
        return ret;
    return make_reference(p, f, &s->ref, no, err);
}

/* Where the windows start: spread evenly over a clip of n frames (each
 * centred on its share), or, for a clip too short or of unknown length,
 * one after another from the start. */
static void window_starts(int64_t n, int windows, int k, int64_t *start)
{
    const int64_t need = (int64_t)windows * k;
    for (int w = 0; w < windows; w++) {
        if (n <= need) {
            start[w] = (int64_t)w * k;
            continue;
        }
        int64_t s = (int64_t)((w + 0.5) * (double)n / windows) - k / 2;
        const int64_t lo = w ? start[w - 1] + k : 0, hi = n - (int64_t)(windows - w) * k;
        start[w] = s < lo ? lo : s > hi ? hi : s;
    }
}

/* Keeps decoded frame f (number no) in sample s: a reference, and an 8-bit
 * 4:2:0 one for the self-similar guard (swscale converts other formats). */
static int keep_frame(probe *p, const AVFrame *f, sample *s, long no, vsr_error *err)
{
    if (!(s->orig = av_frame_clone(f)))
        return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
    if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
        if (!(s->yuv = av_frame_clone(f)))
            return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
        return VSR_OK;
    }
    if (!p->yuv_sws) {
        p->yuv_sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, f->width,
                                    f->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
        if (!p->yuv_sws)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s, frame %ld: cannot convert %s to yuv420p", p->opt->input, no,
                                 av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    }
    int ret = frame_alloc(&s->yuv, f->width, f->height, err);
    if (ret < 0)
        return ret;
    if (sws_scale(p->yuv_sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                  s->yuv->data, s->yuv->linesize) != f->height)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s, frame %ld: conversion failed",
                             p->opt->input, no);
    return VSR_OK;
}

/* Decodes up to the last window, keeping the windows' frames. */
static int sample_clip(probe *p, int windows, int k, vsr_detail_probe_result *res, vsr_error *err)
{
    int64_t start[64];
    window_starts(p->info->frames_estimate, windows, k, start);
    p->samples = calloc((size_t)windows * (size_t)k, sizeof *p->samples);
    if (!p->samples)
        return vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
    int w = 0;
    for (int64_t i = 0; w < windows; i++) {
        int ret = cancelled(p, err);
        if (ret < 0)
            return ret;
        ret = vsr_decoder_next(p->dec, p->decoded, err);
        if (ret < 0)
            return ret;
        if (ret == 0)
            break; /* shorter than estimated: what was sampled will do */
        if (i >= start[w]) {
            sample *s = &p->samples[p->n_samples++];
            s->window = w;
            s->no = (long)i;
            ret = keep_frame(p, p->decoded, s, (long)i, err);
            if (ret < 0)
                return ret;
            if (i + 1 >= start[w] + k)
                w++;
        }
        av_frame_unref(p->decoded);
    }
    av_frame_unref(p->decoded);
    if (p->n_samples == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no video frame to choose the detail on",
                             p->opt->input);
    res->windows = p->samples[p->n_samples - 1].window + 1;
    res->frames_sampled = p->n_samples;
    return VSR_OK;
}

/* Window [i, end)'s blends at detail d, encoded as the run will encode
 * them (in memory, a fresh encoder instance per window) and decoded back,
 * added to session q against the references. The encode matters: it
 * moves the delta against the input by 0.3 to 2 on the study's clips,
 * while the blends alone score VMAF 100 against the input. */
typedef struct blend_window {
    probe *p;
    int i;
    float d;
    vsr_quality *q;
} blend_window;

static int fill_blend(void *opaque, int k, AVFrame *f, vsr_error *err)
{
    const blend_window *b = opaque;
    const sample *s = &b->p->samples[b->i + k];
    int ret = cancelled(b->p, err);
    if (ret < 0)
        return ret;
    av_image_copy(f->data, f->linesize, (const uint8_t **)s->model->data, s->model->linesize,
                  AV_PIX_FMT_YUV420P, b->p->out_w, b->p->out_h);
    vsr_yuv420 out = vsr_yuv420_of_frame(f), in = vsr_yuv420_of_frame(s->input);
    return vsr_yuv420_blend(&out, &in, b->d, err);
}

static int take_blend(void *opaque, int k, const AVFrame *decoded, vsr_error *err)
{
    const blend_window *b = opaque;
    vsr_quality_picture ref = vsr_clip_quality_picture(b->p->samples[b->i + k].ref),
                        dis = vsr_clip_quality_picture(decoded);
    return vsr_quality_add(b->q, &ref, &dis, err);
}

static int encode_window(probe *p, int i, int end, float d, vsr_quality *q, vsr_error *err)
{
    blend_window b = {.p = p, .i = i, .d = d, .q = q};
    return vsr_encode_roundtrip(&p->enc, &p->video, p->samples[i].window, i, end - i, fill_blend,
                                take_blend, &b, err);
}

/* Scores the sample's blend at detail d: VMAF and NEG pooled (mean) over
 * the scored frames. Each window is its own clip for the quality session
 * (motion is measured within it), and its first frame, whose motion
 * libvmaf sets to 0 as for a clip's first, is left out of the pool unless
 * the window has only that frame. */
static int score(probe *p, float d, double *vmaf, double *neg, int64_t *scored, vsr_error *err)
{
    const vsr_detail_probe_options *o = p->opt;
    /* Unclipped: against the input Lanczos-scaled, a sharper blend scores
     * over VMAF 100, where the clipped scores of both models read 100 and
     * their delta 0 however much NEG discounts (detail_probe.h). */
    vsr_quality_options qo = {
        .metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG,
        .threads = o->threads > 0 ? o->threads : vsr_cores_online(),
        .subsample = 1,
        .unclipped = 1,
    };
    double sv = 0, sn = 0;
    int64_t n = 0;
    int ret = VSR_OK;
    for (int i = 0; i < p->n_samples && ret >= 0;) {
        const int w = p->samples[i].window;
        int end = i;
        while (end < p->n_samples && p->samples[end].window == w)
            end++;
        vsr_quality *q = NULL;
        ret = vsr_quality_create(&qo, p->out_w, p->out_h, &q, err);
        if (ret >= 0)
            ret = encode_window(p, i, end, d, q, err);
        vsr_quality_summary sum;
        if (ret >= 0)
            ret = vsr_quality_finish(q, &sum, err);
        if (ret >= 0)
            vsr_clip_quality_pool_window(q, &sv, &sn, &n);
        vsr_quality_free(q);
        i = end;
    }
    if (ret < 0) {
        vsr_error_prefix(err, "%s: detail probe at %.2f", o->input, d);
        return ret;
    }
    *vmaf = sv / (double)n;
    *neg = sn / (double)n;
    *scored = n;
    return VSR_OK;
}

static void teardown(probe *p)
{
    for (int i = 0; i < p->n_samples; i++) {
        av_frame_free(&p->samples[i].orig);
        av_frame_free(&p->samples[i].yuv);
        av_frame_free(&p->samples[i].model);
        av_frame_free(&p->samples[i].input);
        av_frame_free(&p->samples[i].ref);
    }
    free(p->samples);
    av_frame_free(&p->decoded);
    vsr_image_free(&p->rgb_in);
    vsr_image_free(&p->rgb_model);
    sws_freeContext(p->ref_sws);
    sws_freeContext(p->yuv_sws);
    vsr_rgb_to_yuv_destroy(p->to_yuv_model);
    vsr_rgb_to_yuv_destroy(p->to_yuv_input);
    vsr_yuv_to_rgb_destroy(p->to_rgb);
    if (p->ctx)
        p->opt->upscaler->ctx_destroy(p->ctx);
    vsr_decoder_close(p->dec);
}

/* The self-similar guard (detail_guard.h) on the sampled frames: at x2
 * and x4, s measured with the run's floor, the action and the floor it
 * leaves. */
static int guard(probe *p, vsr_detail_probe_result *res, vsr_error *err)
{
    const vsr_detail_probe_options *o = p->opt;
    const int factor = vsr_detail_guard_factor(p->info->width, p->info->height, p->out_w, p->out_h);
    const vsr_detail_guard *g = factor == 4 ? &o->guard_x4 : &o->guard;
    res->guard_rule = vsr_detail_guard_resolved(g, factor);
    res->input_filter = o->input_filter;
    res->guard = VSR_DETAIL_GUARD_NOT_RUN;
    if (!factor || g->off)
        return VSR_OK;
    res->guard_factor = factor;
    AVFrame **frames = calloc((size_t)p->n_samples, sizeof *frames);
    int *window = calloc((size_t)p->n_samples, sizeof *window);
    int ret = VSR_OK;
    if (!frames || !window)
        ret = vsr_error_set(err, VSR_ERR_NOMEM, "detail probe: out of memory");
    for (int i = 0; ret >= 0 && i < p->n_samples; i++) {
        frames[i] = p->samples[i].yuv;
        window[i] = p->samples[i].window;
    }
    const vsr_self_similar_options so = {
        .input = o->input,
        .factor = factor,
        .floor = o->input_filter,
        .enc = &p->enc,
        .time_base = p->video.time_base,
        .frame_rate = p->video.frame_rate,
        .colour = vsr_colour_for_input(p->info->matrix, p->info->range, p->info->primaries,
                                       p->info->trc, p->info->height),
        .out_colour = vsr_colour_for_output(p->info->matrix, p->info->primaries, p->info->trc,
                                            p->info->height),
        .threads = o->threads > 0 ? o->threads : vsr_cores_online(),
        .cancel = o->cancel,
    };
    if (ret >= 0)
        ret = vsr_self_similar_measure(&so, frames, window, p->n_samples, &res->self_similar, err);
    free(frames);
    free(window);
    if (ret == VSR_ERR_UNSUPPORTED) {
        /* a picture the run's encoder or the check cannot take (SVT-AV1
         * refuses frames under 64 rows: a 64x48 input at x4): no
         * measurement, so the search decides, as with the guard off; the
         * run itself encodes at the output's size */
        vsr_logf(NULL, VSR_LOG_WARN, "detail", "self-similar guard not run: %s",
                 err ? err->msg : "unsupported");
        vsr_error_clear(err);
        memset(&res->self_similar, 0, sizeof res->self_similar);
        res->guard_factor = 0;
        res->guard_unmeasured = 1;
        return VSR_OK;
    }
    if (ret < 0)
        return ret;
    res->guard = vsr_detail_guard_decide(&res->guard_rule, factor, res->self_similar.delta);
    res->input_filter = vsr_detail_guard_floor(res->guard, o->input_filter);
    vsr_logf(NULL, VSR_LOG_VERBOSE, "detail",
             "%s: self-similar delta %.3f (VMAF %.3f, NEG %.3f; x%d down and back up with %s, on "
             "%lld frames, %.2f s): %s (search up to %.2f, detail 0 up to %.2f, bicubic up to "
             "%.2f)%s%s",
             o->input, res->self_similar.delta, res->self_similar.vmaf, res->self_similar.neg,
             factor, vsr_resample_filter_name(o->input_filter),
             (long long)res->self_similar.frames_scored, res->self_similar.seconds,
             vsr_detail_guard_action_name(res->guard), res->guard_rule.t1, res->guard_rule.t2,
             res->guard_rule.t3, res->guard == VSR_DETAIL_GUARD_SEARCH ? "" : ": detail 0 over ",
             res->guard == VSR_DETAIL_GUARD_SEARCH ? ""
                                                   : vsr_resample_filter_name(res->input_filter));
    return VSR_OK;
}

int vsr_detail_probe_run(const vsr_detail_probe_options *opt, vsr_detail_probe_result *res,
                         vsr_error *err)
{
    const double t0 = vsr_now_s();
    memset(res, 0, sizeof *res);
    static const float defaults[] = VSR_DETAIL_AUTO_CANDIDATES;
    const float *details = opt->details ? opt->details : defaults;
    const int n_details =
        opt->details ? opt->n_details : (int)(sizeof defaults / sizeof defaults[0]);
    int windows = opt->windows > 0 ? opt->windows : VSR_DETAIL_AUTO_WINDOWS;
    int k = opt->window_frames > 0 ? opt->window_frames : VSR_DETAIL_AUTO_WINDOW_FRAMES;
    res->rule.rise = opt->rule.rise >= 0 ? opt->rule.rise : VSR_DETAIL_AUTO_RISE;
    res->rule.vmaf_drop =
        opt->rule.vmaf_drop >= 0 ? opt->rule.vmaf_drop : VSR_DETAIL_AUTO_VMAF_DROP;
    if (!opt->input || !opt->upscaler || opt->upscaler->scale < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "detail probe: no input or upscaler");
    if (windows > 64 || k < 2 || k > 1024)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "detail probe: %d windows of %d frames (expected 1..64 of 2..1024)",
                             windows, k);
    if (vsr_detail_search_init(&res->search, details, n_details, &res->rule) < 0)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "detail probe: candidates must be 1..%d distinct details in (0, 1], "
                             "the rule's terms >= 0",
                             VSR_DETAIL_MAX_CANDIDATES);
    probe p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    int ret = setup(&p, err);
    if (ret >= 0) {
        res->clip_frames = p.info->frames_estimate;
        /* what the samples hold, within the budget (a 4K28K clip's 18
         * would take ~3.1 GB) */
        const int64_t max_bytes = opt->max_bytes > 0 ? opt->max_bytes : VSR_DETAIL_AUTO_MAX_BYTES;
        const int64_t frame_bytes =
            vsr_detail_probe_frame_bytes(p.info->width, p.info->height, p.out_w, p.out_h);
        const int asked_windows = windows, asked_k = k;
        if (vsr_detail_probe_fit(max_bytes, frame_bytes, &windows, &k))
            vsr_logf(NULL, VSR_LOG_INFO, "detail",
                     "%s: %d windows of %d frames would hold %.1f MiB at %dx%d; sampling %d of %d "
                     "(the probe's budget: %.1f MiB)",
                     opt->input, asked_windows, asked_k,
                     (double)frame_bytes * asked_windows * asked_k / (1 << 20), p.out_w, p.out_h,
                     windows, k, (double)max_bytes / (1 << 20));
        ret = sample_clip(&p, windows, k, res, err);
    }
    if (ret >= 0)
        ret = guard(&p, res, err);
    const int search =
        res->guard == VSR_DETAIL_GUARD_NOT_RUN || res->guard == VSR_DETAIL_GUARD_SEARCH;
    for (int i = 0; ret >= 0 && search && i < p.n_samples; i++) {
        sample *sm = &p.samples[i];
        if ((ret = cancelled(&p, err)) >= 0)
            ret = run_model(&p, sm, sm->no, &res->model_s, err);
    }
    vsr_detail_search *s = &res->search;
    const double t_scored = vsr_now_s();
    if (ret >= 0 && search) {
        /* detail 0 first: the encode's own effect on the input */
        double vmaf, neg;
        ret = score(&p, 0.f, &vmaf, &neg, &res->frames_scored, err);
        if (ret >= 0) {
            vsr_detail_search_record_baseline(s, vmaf, neg);
            vsr_logf(NULL, VSR_LOG_VERBOSE, "detail",
                     "%s: detail 0 (the input alone): VMAF %.3f, NEG %.3f, delta %.3f against "
                     "the input Lanczos-scaled",
                     opt->input, vmaf, neg, s->baseline.delta);
        }
    }
    for (int i = 0; ret >= 0 && search && i < s->n; i++) {
        /* the search's next candidate, or, measuring all, each in turn */
        const int c = opt->measure_all ? i : vsr_detail_search_next(s);
        if (c < 0)
            break;
        double vmaf, neg;
        ret = score(&p, s->cand[c].detail, &vmaf, &neg, &res->frames_scored, err);
        if (ret < 0)
            break;
        vsr_detail_search_record(s, c, vmaf, neg);
        vsr_logf(NULL, VSR_LOG_VERBOSE, "detail",
                 "%s: detail %.2f: VMAF %.3f, NEG %.3f, delta %.3f against the input "
                 "Lanczos-scaled: %s",
                 opt->input, s->cand[c].detail, vmaf, neg, s->cand[c].delta,
                 s->cand[c].pass ? "passes" : "fails");
    }
    res->score_s = vsr_now_s() - t_scored;
    teardown(&p);
    res->seconds = vsr_now_s() - t0;
    if (ret < 0)
        return ret;
    res->detail = vsr_detail_search_chosen(s);
    vsr_logf(NULL, VSR_LOG_VERBOSE, "detail",
             "%s: detail %.2f chosen on %lld sampled frames (%d windows) of ~%lld, in %.2f s "
             "(model %.2f s, scoring %.2f s)",
             opt->input, res->detail, (long long)res->frames_sampled, res->windows,
             (long long)res->clip_frames, res->seconds, res->model_s, res->score_s);
    return VSR_OK;
}
