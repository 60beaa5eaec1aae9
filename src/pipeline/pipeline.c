#include "pipeline/pipeline.h"

#include <errno.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "frame/blend.h"
#include "media/decoder.h"
#include "media/frame_dump.h"
#include "media/gates.h"
#include "pipeline/index_queue.h"
#include "pipeline/segment_pool.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/output_file.h"

/* One frame on its way from decoder to encoder. Slot i % max_in_flight
 * holds frame i: the in-flight limit guarantees the previous occupant was
 * encoded before the decode thread reuses the slot. */
typedef struct slot {
    AVFrame *in;  /* decoded; released by the worker as soon as it is converted */
    AVFrame *out; /* yuv420p, ready to encode */
    int64_t pts, duration;
    char hash[VSR_SHA256_HEX];
    int ready; /* out is complete (under the lock) */
} slot;

/* A copied (audio, subtitle) packet waiting for the encode thread. */
typedef struct copy_pkt {
    AVPacket *pkt;
    struct copy_pkt *next;
} copy_pkt;

typedef struct pipeline {
    const vsr_pipeline_config *cfg;
    vsr_schedule sched;
    vsr_decoder *dec; /* used by the decode thread only */
    vsr_encoder *enc; /* used by the encode thread only */
    /* Segment mode: the encoder threads, and the joiner (encode thread
     * only); NULL with one encoder. */
    vsr_segment_pool *segs;
    vsr_segment_join join;
    int encoders;
    int64_t segment_frames;
    int64_t lead_frames; /* the first round's segments (segment_pool.h); 0: segment_frames */
    const vsr_video_info *info;
    int out_w, out_h;
    int model_w, model_h; /* the model's output: the input's times its scale */
    /* Output other than the model's own (issue 18): its size, the detail
     * blend; resample is what the upscaler gets then (NULL otherwise). */
    int resampling;
    vsr_resample resample_spec;
    const vsr_resample *resample;
    vsr_colour out_colour;
    int yuv_from_upscaler; /* the upscaler writes the YUV frame (colour_path) */
    int yuv_to_upscaler;   /* ...and converts the decoded YUV frame itself where it can */
    int batch;             /* frames a worker takes at once (the upscaler's run_batch) */
    int64_t yuv_in_frames; /* frames it did (under lock) */
    /* the timeline (vsr_now_s(); under lock): threads started, workers'
     * contexts ready (earliest, latest), the first frame decoded, the first
     * frame upscaled, the output complete */
    double t_threads, t_workers_ready[2], t_first_decoded, t_first_upscaled, t_output_done;
    vsr_yuv_coeffs yuv_coeffs;
    AVBufferPool *out_pool; /* the output frames' buffers (workers take, encoders return) */
    int64_t max_bitrate;
    int encoder_threads; /* each encoder's; 0 = the encoder's choice */
    FILE *hash_file;     /* encode thread only */
    slot *slots;

    /* Everything below is under lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond_credit; /* decode thread: a slot is free */
    pthread_cond_t cond_work;   /* workers: a frame is queued, or the input ended */
    pthread_cond_t cond_ready;  /* encode thread: the next frame is ready */
    pthread_cond_t cond_main;   /* calling thread: a thread finished */
    vsr_index_queue *queues;
    int64_t decoded, processed, encoded;
    int64_t total; /* -1 until the input ended */
    copy_pkt *copy_head, *copy_tail;
    int stop, failed, threads_running;
    vsr_error first_err;
    double decode_s, convert_s, infer_s, encode_s, mux_s;
} pipeline;

typedef struct worker {
    pipeline *p;
    int id;
    pthread_t thread;
    int started;
} worker;

/* What "auto" segment encoders may hold in queued frames. */
#define VSR_SEGMENT_MEMORY_BUDGET ((size_t)8 << 30)

static size_t frame_bytes(enum AVPixelFormat fmt, int w, int h)
{
    int n = av_image_get_buffer_size(fmt, w, h, 1);
    return n > 0 ? (size_t)n : (size_t)w * h * 3;
}

void vsr_pipeline_config_default(vsr_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->workers = 1;
    cfg->schedule = VSR_SCHEDULE_DYNAMIC;
    cfg->max_pixels = 8192LL * 4320;
    cfg->detail = 1.0f;
    vsr_detail_probe_options_default(&cfg->detail_probe);
    cfg->size_gate = 1;
    cfg->encode_segments = 0; /* auto: one encoder unless the cores call for more */
    vsr_encoder_options_default(&cfg->enc);
}

/* Records the first error and stops every thread. */
static void fail(pipeline *p, const vsr_error *err)
{
    pthread_mutex_lock(&p->lock);
    if (!p->failed) {
        p->failed = 1;
        p->first_err = *err;
    }
    p->stop = 1;
    pthread_cond_broadcast(&p->cond_credit);
    pthread_cond_broadcast(&p->cond_work);
    pthread_cond_broadcast(&p->cond_ready);
    pthread_cond_broadcast(&p->cond_main);
    pthread_mutex_unlock(&p->lock);
    /* The encode thread may wait on the segment encoders' queues. */
    vsr_segment_pool_stop(p->segs);
}

/* A segment encoder failed: the whole run fails with its error. */
static void on_segment_error(void *opaque, const vsr_error *err)
{
    fail(opaque, err);
}

static void thread_exit(pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->threads_running--;
    pthread_cond_broadcast(&p->cond_main);
    pthread_mutex_unlock(&p->lock);
}

/* Decoder callback, on the decode thread: queue a packet to copy. */
static int on_copy_packet(void *opaque, AVPacket *pkt, vsr_error *err)
{
    pipeline *p = opaque;
    copy_pkt *c = malloc(sizeof *c);
    AVPacket *ref = c ? av_packet_alloc() : NULL;
    if (!ref) {
        free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for copied packets",
                             p->cfg->input);
    }
    av_packet_move_ref(ref, pkt);
    c->pkt = ref;
    c->next = NULL;
    /* Unbounded, but the decode thread runs at most max_in_flight frames
     * ahead of the encoder, so this holds that much audio at most (plus
     * the tail of streams longer than the video). */
    pthread_mutex_lock(&p->lock);
    if (p->copy_tail)
        p->copy_tail->next = c;
    else
        p->copy_head = c;
    p->copy_tail = c;
    pthread_mutex_unlock(&p->lock);
    return VSR_OK;
}

static void free_copy_list(copy_pkt *c)
{
    while (c) {
        copy_pkt *next = c->next;
        av_packet_free(&c->pkt);
        free(c);
        c = next;
    }
}

static void *decode_main(void *arg)
{
    pipeline *p = arg;
    vsr_error err = {0};
    AVFrame *frame = av_frame_alloc();
    int64_t last_pts = AV_NOPTS_VALUE, last_dur = 0;
    AVRational tb = p->info->time_base;
    int64_t nominal_dur = av_rescale_q(1, av_inv_q(p->info->frame_rate), tb);
    if (nominal_dur <= 0)
        nominal_dur = 1;
    if (!frame) {
        vsr_error_set(&err, VSR_ERR_NOMEM, "decode thread: out of memory");
        fail(p, &err);
        thread_exit(p);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->stop && p->decoded - p->encoded >= p->sched.max_in_flight)
            pthread_cond_wait(&p->cond_credit, &p->lock);
        int stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop)
            break;

        double t0 = vsr_now_s();
        int ret = vsr_decoder_next(p->dec, frame, &err);
        double dt = vsr_now_s() - t0;
        if (ret < 0) {
            fail(p, &err);
            break;
        }
        if (ret == 0) {
            pthread_mutex_lock(&p->lock);
            p->total = p->decoded;
            p->decode_s += dt;
            pthread_cond_broadcast(&p->cond_work);
            pthread_cond_broadcast(&p->cond_ready);
            pthread_mutex_unlock(&p->lock);
            break;
        }

        /* Keep the input's timestamps; repair only what an encoder cannot
         * take (missing or non-increasing pts). */
        int64_t pts = frame->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE)
            pts = frame->pts;
        if (pts == AV_NOPTS_VALUE)
            pts = last_pts == AV_NOPTS_VALUE ? 0 : last_pts + last_dur;
        if (last_pts != AV_NOPTS_VALUE && pts <= last_pts)
            pts = last_pts + 1;
        int64_t dur = frame->pkt_duration > 0 ? frame->pkt_duration : nominal_dur;
        last_pts = pts;
        last_dur = dur;

        int64_t i = p->decoded; /* only this thread changes decoded */
        slot *s = &p->slots[i % p->sched.max_in_flight];
        av_frame_move_ref(s->in, frame);
        s->pts = pts;
        s->duration = dur; /* ready is already 0: the encode thread cleared it */

        pthread_mutex_lock(&p->lock);
        ret = vsr_index_queue_push(&p->queues[vsr_schedule_queue(&p->sched, i)], i);
        if (p->decoded++ == 0)
            p->t_first_decoded = vsr_now_s();
        p->decode_s += dt;
        pthread_cond_broadcast(&p->cond_work);
        pthread_mutex_unlock(&p->lock);
        if (ret < 0) {
            vsr_error_set(&err, VSR_ERR_INTERNAL, "frame %lld: work queue overflow", (long long)i);
            fail(p, &err);
            break;
        }
    }
    av_frame_free(&frame);
    thread_exit(p);
    return NULL;
}

static int alloc_rgb(vsr_image *img, int w, int h, vsr_error *err)
{
    img->width = w;
    img->height = h;
    img->format = VSR_PIX_RGB24;
    img->stride = (size_t)w * 3;
    img->data = malloc(img->stride * (size_t)h);
    if (!img->data)
        return vsr_error_set(err, VSR_ERR_NOMEM, "RGB frame %dx%d: out of memory", w, h);
    return VSR_OK;
}

/* The upscaler writes the encoder's YUV frame itself (on the GPU), from
 * rgb_in, or, when that is NULL, from the slot's decoded frame (yuv_in,
 * kin: its colour), which it converts itself. */
static int upscale_to_yuv(pipeline *p, int64_t i, void *ctx, const vsr_image *rgb_in,
                          const vsr_yuv_in *yuv_in, const vsr_rgb_coeffs *kin, slot *s,
                          vsr_error *err)
{
    int ret =
        vsr_yuv_frame_alloc(p->out_pool, s->out, p->out_w, p->out_h, &p->out_colour, (long)i, err);
    if (ret < 0)
        return ret;
    vsr_yuv420 yuv = vsr_yuv420_of_frame(s->out);
    ret = rgb_in ? p->cfg->upscaler->run_yuv420(ctx, rgb_in, &yuv, &p->yuv_coeffs, p->resample, err)
                 : p->cfg->upscaler->run_from_yuv(ctx, yuv_in, kin, &yuv, &p->yuv_coeffs,
                                                  p->resample, err);
    if (ret < 0)
        vsr_error_prefix(err, "frame %lld", (long long)i);
    else if (p->hash_file)
        ret = vsr_yuv420_sha256(&yuv, s->hash, err);
    return ret;
}

/* What a worker owns besides its upscaler context: the colour converters
 * (to_yuv_in: the input to the output size, for the detail blend) and the
 * frame buffers. */
typedef struct worker_bufs {
    vsr_yuv_to_rgb *to_rgb;
    vsr_rgb_to_yuv *to_yuv, *to_yuv_in;
    vsr_image rgb_in, rgb_out;
    AVFrame *blend; /* the input at the output size, while blending */
} worker_bufs;

/* The CPU path's YUV frame: swscale converts the model's output (and
 * resamples it to the output size), and, below detail 1, the input
 * resampled there, blended in YUV (frame/blend.h). */
static int convert_out(pipeline *p, int64_t i, worker_bufs *b, slot *s, vsr_error *err)
{
    const float detail = p->cfg->detail;
    if (detail <= 0.f) /* the input alone; the model did not run */
        return vsr_rgb_to_yuv_run(b->to_yuv_in, &b->rgb_in, s->out, (long)i, err);
    int ret = vsr_rgb_to_yuv_run(b->to_yuv, &b->rgb_out, s->out, (long)i, err);
    if (ret < 0 || detail >= 1.f)
        return ret;
    ret = vsr_rgb_to_yuv_run(b->to_yuv_in, &b->rgb_in, b->blend, (long)i, err);
    if (ret >= 0) {
        vsr_yuv420 out = vsr_yuv420_of_frame(s->out), in = vsr_yuv420_of_frame(b->blend);
        ret = vsr_yuv420_blend(&out, &in, detail, err);
    }
    av_frame_unref(b->blend);
    if (ret < 0)
        vsr_error_prefix(err, "frame %lld", (long long)i);
    return ret;
}

/* One frame through a worker: YUV->RGB, (dump), upscale, (hash), RGB->YUV;
 * or, when the upscaler gives YUV, its YUV frame (hashed) after the
 * upscale; or, when it also takes the decoded 4:2:0 frame as it is (*yuv_in
 * set), both conversions its own. */
static int process_frame(pipeline *p, int64_t i, void *ctx, worker_bufs *b, double *convert_s,
                         double *infer_s, int *yuv_in, vsr_error *err)
{
    vsr_image *rgb_in = &b->rgb_in, *rgb_out = &b->rgb_out;
    slot *s = &p->slots[i % p->sched.max_in_flight];
    double t0 = vsr_now_s();
    vsr_yuv_in frame;
    vsr_rgb_coeffs kin;
    *yuv_in = p->yuv_to_upscaler && vsr_colour_yuv_in(s->in, p->info->hw_device, &frame, &kin);
    if (*yuv_in) {
        /* both conversions on the upscaler's device (NVDEC's frame may
         * never have left it) */
        int ret = upscale_to_yuv(p, i, ctx, NULL, &frame, &kin, s, err);
        av_frame_unref(s->in);
        *infer_s += vsr_now_s() - t0;
        return ret;
    }
    int ret = vsr_yuv_to_rgb_run(b->to_rgb, s->in, rgb_in, (long)i, err);
    av_frame_unref(s->in); /* the decoded frame is no longer needed: free it now */
    if (ret < 0)
        return ret;
    double t1 = vsr_now_s();
    if (p->cfg->dump_dir) {
        char path[4200];
        snprintf(path, sizeof path, "%s/frame_%06lld.png", p->cfg->dump_dir, (long long)i);
        ret = vsr_frame_write_png(path, rgb_in, err);
        if (ret < 0)
            return ret;
    }
    double t2 = vsr_now_s();
    if (p->yuv_from_upscaler) {
        ret = upscale_to_yuv(p, i, ctx, rgb_in, NULL, NULL, s, err);
        *convert_s += t1 - t0;
        *infer_s += vsr_now_s() - t2;
        return ret;
    }
    ret = p->cfg->detail > 0.f ? p->cfg->upscaler->run(ctx, rgb_in, rgb_out, err) : VSR_OK;
    if (ret < 0) {
        vsr_error_prefix(err, "frame %lld", (long long)i);
        return ret;
    }
    double t3 = vsr_now_s();
    if (p->hash_file && !p->resampling) {
        ret = vsr_frame_sha256(rgb_out, s->hash, err);
        if (ret < 0)
            return ret;
    }
    double t4 = vsr_now_s();
    ret = convert_out(p, i, b, s, err);
    if (ret < 0)
        return ret;
    double t5 = vsr_now_s();
    if (p->hash_file && p->resampling) {
        vsr_yuv420 yuv = vsr_yuv420_of_frame(s->out);
        ret = vsr_yuv420_sha256(&yuv, s->hash, err);
        if (ret < 0)
            return ret;
    }
    *convert_s += (t1 - t0) + (t5 - t4);
    *infer_s += t3 - t2;
    return VSR_OK;
}

/* Frames idx[0..n) through a worker in one batch of the upscaler
 * (run_batch): decoded 4:2:0 frames that it reads itself, as
 * process_frame's first case; a frame it cannot read so goes alone
 * (process_frame). *yuv_in counts the frames it read. */
static int process_batch(pipeline *p, const int64_t *idx, int n, void *ctx, worker_bufs *b,
                         double *convert_s, double *infer_s, int *yuv_in, vsr_error *err)
{
    vsr_yuv_in frames[VSR_MAX_BATCH];
    vsr_rgb_coeffs kin[VSR_MAX_BATCH];
    vsr_yuv420 out[VSR_MAX_BATCH];
    vsr_engine_frame f[VSR_MAX_BATCH];
    slot *batched[VSR_MAX_BATCH];
    int m = 0, ret = VSR_OK;
    *yuv_in = 0;
    for (int k = 0; k < n && ret >= 0; k++) {
        slot *s = &p->slots[idx[k] % p->sched.max_in_flight];
        if (!vsr_colour_yuv_in(s->in, p->info->hw_device, &frames[m], &kin[m])) {
            int alone = 0;
            ret = process_frame(p, idx[k], ctx, b, convert_s, infer_s, &alone, err);
            *yuv_in += alone;
            continue;
        }
        ret = vsr_yuv_frame_alloc(p->out_pool, s->out, p->out_w, p->out_h, &p->out_colour,
                                  (long)idx[k], err);
        out[m] = vsr_yuv420_of_frame(s->out);
        f[m] = (vsr_engine_frame){.yuv = &frames[m], .kin = &kin[m], .out = &out[m]};
        batched[m++] = s;
    }
    if (ret < 0 || m == 0)
        return ret;
    const double t0 = vsr_now_s();
    ret = p->cfg->upscaler->run_batch(ctx, m, f, &p->yuv_coeffs, p->resample, err);
    if (ret < 0)
        vsr_error_prefix(err, "frames %lld..%lld", (long long)idx[0], (long long)idx[n - 1]);
    for (int k = 0; k < m; k++) {
        av_frame_unref(batched[k]->in);
        if (ret >= 0 && p->hash_file)
            ret = vsr_yuv420_sha256(&out[k], batched[k]->hash, err);
    }
    *infer_s += vsr_now_s() - t0;
    *yuv_in += m;
    return ret;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    const vsr_upscaler *u = p->cfg->upscaler;
    vsr_index_queue *q = &p->queues[p->sched.kind == VSR_SCHEDULE_CHUNKED ? w->id : 0];
    vsr_error err = {0};
    void *ctx = NULL;
    worker_bufs b = {0};
    /* swscale resamples where the output is not the model's own */
    const int ow = p->resampling ? p->out_w : 0, oh = p->resampling ? p->out_h : 0;
    const int swscale_out = !p->yuv_from_upscaler, with_model = p->cfg->detail > 0.f,
              with_input = p->cfg->detail < 1.f;

    /* Everything this worker uses is its own, made on its own thread. */
    int ret = u->ctx_create(u->shared, &ctx, &err);
    if (ret < 0)
        vsr_error_prefix(&err, "worker %d", w->id);
    if (ret >= 0)
        ret = vsr_yuv_to_rgb_create(&b.to_rgb, &err);
    if (ret >= 0)
        ret = vsr_rgb_to_yuv_create_scaled(&b.to_yuv, &p->out_colour, p->out_pool, ow, oh, &err);
    if (ret >= 0)
        ret = alloc_rgb(&b.rgb_in, p->info->width, p->info->height, &err);
    if (ret >= 0 && swscale_out && with_model)
        ret = alloc_rgb(&b.rgb_out, p->model_w, p->model_h, &err);
    if (ret >= 0 && swscale_out && with_input)
        ret = vsr_rgb_to_yuv_create_scaled(&b.to_yuv_in, &p->out_colour, p->out_pool, p->out_w,
                                           p->out_h, &err);
    if (ret >= 0 && swscale_out && with_input)
        ret = vsr_rgb_to_yuv_set_filter(b.to_yuv_in, p->cfg->input_filter, &err);
    if (ret >= 0 && swscale_out && with_input && !(b.blend = av_frame_alloc()))
        ret = vsr_error_set(&err, VSR_ERR_NOMEM, "worker %d: out of memory", w->id);
    if (ret < 0)
        fail(p, &err);
    /* Plans and buffers while the decoder starts. Best effort: a context
     * that cannot get ready meets the same trouble on its first frame,
     * which reports it (or, out of memory, retries in smaller tiles). */
    if (ret >= 0 && u->prepare &&
        u->prepare(ctx, p->batch, p->info->width, p->info->height, &err) < 0)
        vsr_error_clear(&err);
    pthread_mutex_lock(&p->lock);
    const double ready = vsr_now_s();
    if (p->t_workers_ready[0] == 0)
        p->t_workers_ready[0] = ready;
    p->t_workers_ready[1] = ready;
    pthread_mutex_unlock(&p->lock);

    while (ret >= 0) {
        /* A batch waits for its frames while more are coming (the queue
         * holds the latest decoded frames, so the encoder is never held
         * up by a frame waiting here: setup's room in flight). */
        pthread_mutex_lock(&p->lock);
        while (!p->stop && vsr_index_queue_count(q) < p->batch && p->total < 0)
            pthread_cond_wait(&p->cond_work, &p->lock);
        if (p->stop || vsr_index_queue_empty(q)) {
            pthread_mutex_unlock(&p->lock);
            break; /* stopped, or the input ended and this queue is drained */
        }
        int64_t idx[VSR_MAX_BATCH];
        int n = 0;
        while (n < p->batch && !vsr_index_queue_empty(q))
            idx[n++] = vsr_index_queue_pop(q);
        pthread_mutex_unlock(&p->lock);

        double convert_s = 0, infer_s = 0;
        int yuv_in = 0;
        ret = n > 1 ? process_batch(p, idx, n, ctx, &b, &convert_s, &infer_s, &yuv_in, &err)
                    : process_frame(p, idx[0], ctx, &b, &convert_s, &infer_s, &yuv_in, &err);
        if (ret < 0) {
            fail(p, &err);
            break;
        }
        pthread_mutex_lock(&p->lock);
        for (int k = 0; k < n; k++)
            p->slots[idx[k] % p->sched.max_in_flight].ready = 1;
        if (p->processed == 0)
            p->t_first_upscaled = vsr_now_s();
        p->processed += n;
        p->yuv_in_frames += yuv_in;
        p->convert_s += convert_s;
        p->infer_s += infer_s;
        pthread_cond_broadcast(&p->cond_ready);
        pthread_mutex_unlock(&p->lock);
    }

    free(b.rgb_in.data);
    free(b.rgb_out.data);
    av_frame_free(&b.blend);
    vsr_rgb_to_yuv_destroy(b.to_yuv_in);
    vsr_rgb_to_yuv_destroy(b.to_yuv);
    vsr_yuv_to_rgb_destroy(b.to_rgb);
    if (ctx)
        u->ctx_destroy(ctx);
    thread_exit(p);
    return NULL;
}

static int write_copies(pipeline *p, copy_pkt *list, vsr_error *err)
{
    int ret = VSR_OK;
    while (list) {
        copy_pkt *next = list->next;
        if (ret >= 0)
            ret = vsr_encoder_copy_packet(p->enc, list->pkt, err);
        av_packet_free(&list->pkt);
        free(list);
        list = next;
    }
    return ret;
}

static void *encode_main(void *arg)
{
    pipeline *p = arg;
    vsr_error err = {0};
    int ret = VSR_OK;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int64_t i = p->encoded; /* only this thread changes encoded */
        slot *s = &p->slots[i % p->sched.max_in_flight];
        while (!p->stop && !(i < p->decoded && s->ready) && !(p->total >= 0 && i == p->total))
            pthread_cond_wait(&p->cond_ready, &p->lock);
        int stop = p->stop, end = p->total >= 0 && i == p->total;
        copy_pkt *copies = p->copy_head;
        p->copy_head = p->copy_tail = NULL;
        pthread_mutex_unlock(&p->lock);
        if (stop) {
            free_copy_list(copies);
            break;
        }
        double t0 = vsr_now_s();
        ret = write_copies(p, copies, &err);
        if (ret < 0)
            break;
        if (end) {
            if (p->segs)
                ret = vsr_segment_pool_finish(p->segs, &p->join, i, &err);
            if (ret >= 0)
                ret = vsr_encoder_finish(p->enc, &err);
            pthread_mutex_lock(&p->lock);
            p->t_output_done = vsr_now_s();
            p->encode_s += p->t_output_done - t0;
            p->mux_s = vsr_encoder_mux_seconds(p->enc);
            pthread_mutex_unlock(&p->lock);
            break;
        }
        if (p->hash_file && fprintf(p->hash_file, "%06lld %s\n", (long long)i, s->hash) < 0) {
            ret = vsr_error_set(&err, VSR_ERR_IO, "%s: cannot write", p->cfg->hash_path);
            break;
        }
        s->out->pts = s->pts;
        s->out->pkt_duration = s->duration;
        if (p->segs) {
            /* The frame moves to its segment's encoder (no copy); joining
             * what finished meanwhile keeps the muxer on this thread. */
            ret = vsr_segment_pool_push(p->segs, s->out, i, &err);
            if (ret >= 0)
                ret = vsr_segment_pool_write_ready(p->segs, &p->join, &err);
        } else {
            ret = vsr_encoder_send(p->enc, s->out, i, &err);
        }
        av_frame_unref(s->out);
        if (ret < 0)
            break;
        pthread_mutex_lock(&p->lock);
        s->ready = 0;
        p->encoded++;
        p->encode_s += vsr_now_s() - t0;
        p->mux_s = vsr_encoder_mux_seconds(p->enc);
        pthread_cond_broadcast(&p->cond_credit);
        pthread_mutex_unlock(&p->lock);
    }
    if (ret < 0)
        fail(p, &err);
    thread_exit(p);
    return NULL;
}

static void snapshot(pipeline *p, double t_start, vsr_progress *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->decoded = p->decoded;
    pr->processed = p->processed;
    pr->encoded = p->encoded;
    pr->total = p->total >= 0 ? p->total : p->info->frames_estimate;
    pr->total_is_estimate = p->total < 0;
    pr->elapsed_s = vsr_now_s() - t_start;
    pr->fps = pr->elapsed_s > 0 ? pr->encoded / pr->elapsed_s : 0;
    pr->eta_s = (pr->total > 0 && pr->fps > 0)
                    ? (pr->total > pr->encoded ? (pr->total - pr->encoded) / pr->fps : 0)
                    : -1;
    pr->decode_fps = p->decode_s > 0 ? p->decoded / p->decode_s : 0;
    pr->infer_fps = p->infer_s > 0 ? p->processed * p->sched.workers / p->infer_s : 0;
    pr->colour_fps = p->convert_s > 0 ? p->processed * p->sched.workers / p->convert_s : 0;
    pr->mux_fps = p->mux_s > 0 ? p->encoded / p->mux_s : 0;
    /* Segment mode: frames handed to the encoders over their summed busy
     * time, times their number; one encoder: its thread's time apart from
     * muxing. */
    double enc_s = p->segs ? vsr_segment_pool_busy_s(p->segs) : p->encode_s - p->mux_s;
    pr->encode_fps = enc_s > 0 ? p->encoded * p->encoders / enc_s : 0;
}

/* Starts the threads, watches them, joins them. */
static int run_threads(pipeline *p, worker *workers, double t_start)
{
    const vsr_pipeline_config *cfg = p->cfg;
    pthread_t dec_thread, enc_thread;
    int dec_started = 0, enc_started = 0;
    vsr_error err = {0};

    pthread_mutex_lock(&p->lock);
    p->threads_running = cfg->workers + 2;
    pthread_mutex_unlock(&p->lock);
    int not_started = 0;
    if (pthread_create(&enc_thread, NULL, encode_main, p) == 0)
        enc_started = 1;
    else
        not_started++;
    for (int w = 0; w < cfg->workers; w++) {
        workers[w].p = p;
        workers[w].id = w;
        if (pthread_create(&workers[w].thread, NULL, worker_main, &workers[w]) == 0) {
            workers[w].started = 1;
        } else {
            not_started++;
        }
    }
    if (pthread_create(&dec_thread, NULL, decode_main, p) == 0)
        dec_started = 1;
    else
        not_started++;
    if (not_started) {
        pthread_mutex_lock(&p->lock);
        p->threads_running -= not_started;
        pthread_mutex_unlock(&p->lock);
        vsr_error_set(&err, VSR_ERR_NOMEM, "cannot start %d pipeline threads: %s", not_started,
                      strerror(errno));
        fail(p, &err);
    }

    double interval = cfg->progress_interval_s > 0 ? cfg->progress_interval_s : 0.5;
    double next_report = t_start + interval;
    pthread_mutex_lock(&p->lock);
    while (p->threads_running > 0) {
        /* the cancel flag is polled this often */
        const struct timespec until = vsr_deadline_after(0.1);
        pthread_cond_timedwait(&p->cond_main, &p->lock, &until);
        if (cfg->cancel && *cfg->cancel && !p->stop) {
            pthread_mutex_unlock(&p->lock);
            vsr_error_set(&err, VSR_ERR_CANCELLED, "%s: interrupted; partial output removed",
                          cfg->output);
            fail(p, &err);
            pthread_mutex_lock(&p->lock);
        }
        if (cfg->on_progress && vsr_now_s() >= next_report && p->threads_running > 0) {
            vsr_progress pr;
            snapshot(p, t_start, &pr);
            pr.bytes_out = -1; /* the muxer is the encode thread's */
            pthread_mutex_unlock(&p->lock);
            cfg->on_progress(cfg->progress_opaque, &pr);
            pthread_mutex_lock(&p->lock);
            next_report = vsr_now_s() + interval;
        }
    }
    pthread_mutex_unlock(&p->lock);

    if (dec_started)
        pthread_join(dec_thread, NULL);
    for (int w = 0; w < cfg->workers; w++)
        if (workers[w].started)
            pthread_join(workers[w].thread, NULL);
    if (enc_started)
        pthread_join(enc_thread, NULL);
    return p->failed ? p->first_err.code : VSR_OK;
}

/* The demuxer's I/O interrupt: a slow or stalled URL must not keep the
 * decode thread from seeing Ctrl-C or another thread's failure. */
static int io_interrupted(void *opaque)
{
    pipeline *p = opaque;
    if (p->cfg->cancel && *p->cfg->cancel)
        return 1;
    pthread_mutex_lock(&p->lock);
    int stop = p->stop;
    pthread_mutex_unlock(&p->lock);
    return stop;
}

/* The largest frame the model may make on the way to another output size
 * (a x4 model's 4K input: 15360 x 8640). */
#define VSR_MODEL_FRAME_MAX_SIDE 16384

/* What cfg asks of the output, before the input is opened. */
static int check_output_config(const vsr_pipeline_config *cfg, vsr_error *err)
{
    if (!(cfg->detail >= 0.f && cfg->detail <= 1.f))
        return vsr_error_set(err, VSR_ERR_INVALID, "detail %g: expected a value of 0..1",
                             cfg->detail);
    if (cfg->out_width || cfg->out_height)
        return vsr_output_size_check(cfg->out_width, cfg->out_height, err);
    if (cfg->out_scale < 0 || cfg->out_scale > 8)
        return vsr_error_set(err, VSR_ERR_INVALID, "output scale %d: expected 1..8",
                             cfg->out_scale);
    return VSR_OK;
}

/* The output size, the model's, and whether (and where) the one is
 * resampled to the other. */
static int output_size(pipeline *p, const vsr_pipeline_config *cfg, vsr_error *err)
{
    const vsr_upscaler *u = cfg->upscaler;
    const int in_w = p->info->width, in_h = p->info->height;
    const int scale = cfg->out_scale > 0 ? cfg->out_scale : u->scale;
    p->model_w = in_w * u->scale;
    p->model_h = in_h * u->scale;
    p->out_w = cfg->out_width ? cfg->out_width : in_w * scale;
    p->out_h = cfg->out_height ? cfg->out_height : in_h * scale;
    p->resampling = p->out_w != p->model_w || p->out_h != p->model_h || cfg->detail < 1.f;
    if (!p->resampling)
        return VSR_OK;
    if (p->out_w % 2 || p->out_h % 2)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "output %dx%d has an odd side; YUV 4:2:0 needs even sizes", p->out_w,
                             p->out_h);
    if (cfg->detail > 0.f &&
        (p->model_w > VSR_MODEL_FRAME_MAX_SIDE || p->model_h > VSR_MODEL_FRAME_MAX_SIDE))
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the x%d model would make %dx%d frames (over %d a side) on the "
                             "way to %dx%d; use a model of a smaller scale",
                             cfg->input, u->scale, p->model_w, p->model_h, VSR_MODEL_FRAME_MAX_SIDE,
                             p->out_w, p->out_h);
    p->resample_spec = (vsr_resample){
        .detail = cfg->detail, .filter = VSR_RESAMPLE_LANCZOS3, .input_filter = cfg->input_filter};
    p->resample = &p->resample_spec;
    return VSR_OK;
}

/* The size gate's scale (x2: 8x the input's bytes, x4: 20x): the output's
 * linear scale over the input, rounded. */
static int gate_scale(const pipeline *p)
{
    const double r = sqrt((double)p->out_w * p->out_h / ((double)p->info->width * p->info->height));
    const int s = (int)lround(r);
    return s < 1 ? 1 : s;
}

static int setup(pipeline *p, const vsr_pipeline_config *cfg, vsr_error *err)
{
    const vsr_upscaler *u = cfg->upscaler;
    if (!u || u->scale < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "no upscaler given");
    int ret = check_output_config(cfg, err);
    if (ret < 0)
        return ret;
    p->yuv_from_upscaler = cfg->colour_path == VSR_COLOUR_ENGINE ||
                           (cfg->colour_path == VSR_COLOUR_AUTO && u->prefers_yuv420);
    if (p->yuv_from_upscaler && !u->run_yuv420)
        return vsr_error_set(err, VSR_ERR_INVALID, "this upscaler gives no YUV output");
    /* Before the input is opened: the output's rename must not replace
     * the input or a special file (util/output_file.h). */
    int checked = vsr_output_file_check(cfg->input, cfg->output, err);
    if (checked < 0)
        return checked;
    /* NVDEC's frames then go to it without leaving the GPU; frames to be
     * dumped are needed in RGB here. */
    p->yuv_to_upscaler = p->yuv_from_upscaler && u->run_from_yuv && !cfg->dump_dir;
    vsr_decoder_options dopt = {
        .max_pixels = cfg->max_pixels,
        .threads = cfg->decoder_threads,
        .on_packet = on_copy_packet,
        .opaque = p,
        .interrupted = io_interrupted,
        .nvdec = cfg->decode_path == VSR_DECODE_NVDEC                            ? VSR_NVDEC_REQUIRE
                 : cfg->decode_path == VSR_DECODE_AUTO && u->decoder_device >= 0 ? VSR_NVDEC_PREFER
                                                                                 : VSR_NVDEC_OFF,
        .nvdec_device = u->decoder_device >= 0 ? u->decoder_device : 0,
        /* measured on the H100 host: at 960x540, CPU decoding gave the
         * first frame 0.06 s sooner and SD2HD 4% sooner (3 of 3 pairs) */
        .nvdec_min_pixels = 1280 * 720,
        .keep_on_gpu = p->yuv_to_upscaler && u->reads_device_yuv,
    };
    ret = vsr_decoder_open(cfg->input, &dopt, &p->dec, err);
    if (ret < 0)
        return ret;
    p->info = vsr_decoder_info(p->dec);
    ret = vsr_schedule_init(&p->sched, cfg->schedule, cfg->workers, cfg->chunk_frames,
                            cfg->max_in_flight, p->info->frames_estimate, err);
    if (ret < 0)
        return ret;
    if ((ret = output_size(p, cfg, err)) < 0)
        return ret;
    /* Batches: decoded frames the upscaler reads itself, at the model's
     * own size, from the one queue; room in flight for every worker's
     * batch and the next (a worker waits for a batch's frames, which only
     * the decoder, held back by that room, brings). */
    p->batch = u->run_batch && u->batch_for && p->yuv_to_upscaler && !p->resampling &&
                       p->sched.kind == VSR_SCHEDULE_DYNAMIC
                   ? u->batch_for(u->shared, p->info->width, p->info->height)
                   : 1;
    if (p->batch > 1 && !cfg->max_in_flight)
        p->sched.max_in_flight = 2 * p->sched.workers * p->batch + 2;
    if (p->batch > p->sched.max_in_flight)
        p->batch = p->sched.max_in_flight;
    p->out_colour =
        vsr_colour_for_output(p->info->matrix, p->info->primaries, p->info->trc, p->out_h);
    if (p->yuv_from_upscaler && (p->out_w % 2 || p->out_h % 2))
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "output %dx%d has an odd side; YUV 4:2:0 needs even sizes", p->out_w,
                             p->out_h);
    vsr_colour_yuv_coeffs(&p->out_colour, &p->yuv_coeffs);
    p->out_pool = vsr_yuv_frame_pool(p->out_w, p->out_h);
    if (!p->out_pool)
        return vsr_error_set(err, VSR_ERR_NOMEM, "frame pool for %dx%d output frames", p->out_w,
                             p->out_h);

    vsr_encoder_options eopt = cfg->enc;
    if (cfg->size_gate && eopt.max_bitrate == 0 && p->info->file_size > 0 &&
        p->info->duration_s > 0) {
        /* Half the gate's rate, with a half-second buffer: even a one-second
         * clip, whose first frames may spend the whole buffer, stays under. */
        double gate_bps =
            vsr_size_gate_factor(gate_scale(p)) * p->info->file_size * 8.0 / p->info->duration_s;
        eopt.max_bitrate = (int64_t)(gate_bps * 0.5);
    }
    vsr_encoder_video v = {
        .width = p->out_w,
        .height = p->out_h,
        .time_base = p->info->time_base,
        .frame_rate = p->info->frame_rate,
        .avg_frame_rate = p->info->avg_frame_rate,
        .colour = p->out_colour,
        .display_matrix = p->info->has_display_matrix ? p->info->display_matrix : NULL,
    };
    p->encoders = 1;
    const long machine = vsr_cores_online();
    const long cores = cfg->encoder_cores > 0 ? cfg->encoder_cores : machine;
    if (cfg->encode_segments != 1) {
        p->segment_frames = cfg->segment_frames;
        if (p->segment_frames <= 0) {
            /* 2 s: short enough for the clip's length to be unknown, long
             * enough that a segment's extra IDR frame costs little. */
            AVRational fr = p->info->frame_rate;
            p->segment_frames = fr.num > 0 && fr.den > 0 ? av_rescale(2, fr.num, fr.den) : 60;
            if (p->segment_frames < 8)
                p->segment_frames = 8;
        }
        p->encoders = cfg->encode_segments;
        if (p->encoders <= 0) {
            /* With a share that changes, threads for the whole machine's
             * cores: as many of them encode at once as the share of the
             * moment holds (segment_pool.h). */
            const long most = cfg->encoder_cores_now ? machine : cores;
            p->encoders = vsr_segment_pool_auto(
                most, p->out_w, p->out_h, p->segment_frames, p->info->frames_estimate,
                frame_bytes(AV_PIX_FMT_YUV420P, p->out_w, p->out_h), VSR_SEGMENT_MEMORY_BUDGET);
        }
        if (cfg->segment_frames <= 0)
            vsr_segment_pool_auto_layout(p->segment_frames, p->encoders, p->info->frames_estimate,
                                         &p->lead_frames, &p->segment_frames);
    }
    /* A share that changes is followed segment by segment, even with one
     * encoder at a time. */
    const int segmented =
        p->encoders > 1 || (cfg->encode_segments == 0 && cfg->encoder_cores_now != NULL);
    if (segmented) {
        eopt.segmented = 1;
        if (eopt.threads == 0) /* the encoders share the cores rather than each taking all */
            eopt.threads =
                vsr_segment_pool_encoder_threads(cores, machine, p->encoders, p->out_w, p->out_h);
    } else if (eopt.threads == 0 && cfg->encoder_cores > 0) {
        eopt.threads = cfg->encoder_cores;
    }
    ret = vsr_encoder_open(cfg->output, &eopt, &v, vsr_decoder_format(p->dec), &p->enc, err);
    if (ret < 0)
        return ret;
    p->max_bitrate = eopt.max_bitrate;
    p->encoder_threads = eopt.threads;
    if (segmented) {
        vsr_segment_pool_config sc = {
            .encoders = p->encoders,
            .segment_frames = p->segment_frames,
            .lead_frames = p->lead_frames,
            .enc = eopt,
            .video = v,
            .on_error = on_segment_error,
            .opaque = p,
            .cores_now = cfg->encoder_cores_now,
            .cores_opaque = cfg->encoder_cores_opaque,
        };
        vsr_segment_join_init(&p->join, p->enc);
        ret = vsr_segment_pool_start(&sc, &p->segs, err);
        if (ret < 0)
            return ret;
    }
    return VSR_OK;
}

/* The frame slots, the schedule's queues and the workers. */
static int alloc_buffers(pipeline *p, worker **workers, vsr_error *err)
{
    const vsr_pipeline_config *cfg = p->cfg;
    int ret = 0;
    int n = p->sched.max_in_flight;
    p->slots = calloc((size_t)n, sizeof *p->slots);
    p->queues = calloc((size_t)p->sched.queues, sizeof *p->queues);
    *workers = calloc((size_t)cfg->workers, sizeof **workers);
    if (!p->slots || !p->queues || !*workers)
        ret = vsr_error_set(err, VSR_ERR_NOMEM, "pipeline: out of memory");
    for (int i = 0; ret >= 0 && i < n; i++) {
        p->slots[i].in = av_frame_alloc();
        p->slots[i].out = av_frame_alloc();
        if (!p->slots[i].in || !p->slots[i].out)
            ret = vsr_error_set(err, VSR_ERR_NOMEM, "pipeline: out of memory");
    }
    /* A queue never holds more than the frames in flight, so a push
     * cannot find it full. */
    for (int q = 0; ret >= 0 && q < p->sched.queues; q++)
        ret = vsr_index_queue_init(&p->queues[q], n, err);
    return ret;
}

/* What the run did, for vsr_pipeline_stats. */
static void fill_stats(const pipeline *p, double t_start, vsr_pipeline_stats *stats)
{
    const vsr_pipeline_config *cfg = p->cfg;
    memset(stats, 0, sizeof *stats);
    stats->frames = p->encoded;
    stats->workers = cfg->workers;
    stats->batch = p->batch;
    stats->queues = p->sched.queues;
    stats->max_in_flight = p->sched.max_in_flight;
    stats->chunk = p->sched.chunk;
    stats->wall_s = vsr_now_s() - t_start;
    stats->threads_at_s = p->t_threads > 0 ? p->t_threads - t_start : 0;
    stats->first_decoded_at_s = p->t_first_decoded > 0 ? p->t_first_decoded - t_start : 0;
    stats->first_upscaled_at_s = p->t_first_upscaled > 0 ? p->t_first_upscaled - t_start : 0;
    for (int k = 0; k < 2; k++)
        stats->workers_ready_at_s[k] =
            p->t_workers_ready[k] > 0 ? p->t_workers_ready[k] - t_start : 0;
    stats->output_done_at_s = p->t_output_done > 0 ? p->t_output_done - t_start : 0;
    if (p->segs) {
        double first[2], last[2];
        vsr_segment_pool_timeline(p->segs, first, last);
        for (int k = 0; k < 2; k++) {
            stats->encoders_started_at_s[k] = first[k] > 0 ? first[k] - t_start : 0;
            stats->encoders_done_at_s[k] = last[k] > 0 ? last[k] - t_start : 0;
        }
    }
    stats->decode_s = p->decode_s;
    stats->convert_s = p->convert_s;
    stats->infer_s = p->infer_s;
    stats->mux_s = p->enc ? vsr_encoder_mux_seconds(p->enc) : 0;
    stats->encode_s = p->segs ? vsr_segment_pool_busy_s(p->segs) : p->encode_s - stats->mux_s;
    stats->encoders = p->encoders;
    stats->encoders_peak = p->segs ? vsr_segment_pool_peak_encoders(p->segs) : 1;
    stats->segment_frames = p->segs ? p->segment_frames : 0;
    stats->lead_frames = p->segs ? p->lead_frames : 0;
    stats->segments = p->join.timing.segments;
    stats->dts_rewritten = p->join.timing.rewritten;
    stats->max_bitrate = p->max_bitrate;
    stats->encoder_threads = p->encoder_threads;
    stats->out_colour = p->out_colour;
    stats->colour_on_upscaler = p->yuv_from_upscaler;
    stats->yuv_in_frames = p->yuv_in_frames;
    stats->nvdec_device = -1;
    if (p->info) {
        stats->nvdec_device = p->info->hw_device;
        stats->nvdec_shared_context = p->info->hw_shared_context;
        stats->nvdec_frames = vsr_decoder_hw_frames(p->dec);
        stats->nvdec_gpu_frames = vsr_decoder_gpu_frames(p->dec);
        snprintf(stats->nvdec_note, sizeof stats->nvdec_note, "%s", p->info->hw_note);
        stats->in_w = p->info->width;
        stats->in_h = p->info->height;
        stats->out_w = p->out_w;
        stats->out_h = p->out_h;
        const int with_model = cfg->detail > 0.f;
        stats->model_w = with_model ? p->model_w : 0;
        stats->model_h = with_model ? p->model_h : 0;
        stats->detail = cfg->detail;
        stats->input_filter = cfg->input_filter;
        stats->resampled = !p->resampling ? 0 : p->yuv_from_upscaler ? 2 : 1;
        const char *pf = av_get_pix_fmt_name(p->info->pix_fmt);
        snprintf(stats->in_pix_fmt, sizeof stats->in_pix_fmt, "%s", pf ? pf : "?");
        stats->in_colour = vsr_colour_for_input(p->info->matrix, p->info->range, p->info->primaries,
                                                p->info->trc, p->info->height);
        /* Decoded frames in the slots, YUV output frames, and each
         * worker's two RGB buffers (the model's output at its own size)
         * and blend frame: what the queue depths allow. */
        size_t in_b = frame_bytes(p->info->pix_fmt, p->info->width, p->info->height);
        size_t out_b = frame_bytes(AV_PIX_FMT_YUV420P, p->out_w, p->out_h);
        size_t rgb = (size_t)p->info->width * p->info->height * 3 +
                     (size_t)stats->model_w * stats->model_h * 3 +
                     (p->resampling && cfg->detail < 1.f ? out_b : 0);
        stats->frame_bytes_bound =
            (size_t)p->sched.max_in_flight * (in_b + out_b) + (size_t)cfg->workers * rgb;
        if (p->segs) /* frames queued for the segment encoders */
            stats->frame_bytes_bound += (size_t)vsr_segment_pool_max_queued(p->segs) * out_b;
    }
    if (p->enc) {
        snprintf(stats->encoder, sizeof stats->encoder, "%s", vsr_encoder_name(p->enc));
        const char *preset = vsr_encoder_preset(p->enc);
        snprintf(stats->preset, sizeof stats->preset, "%s", preset ? preset : "");
        stats->crf = vsr_encoder_crf(p->enc);
        stats->bytes_out = vsr_encoder_bytes_written(p->enc);
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        stats->peak_rss_kib = ru.ru_maxrss;
}

/* Teardown: the threads are joined, everything is this thread's. */
static void teardown(pipeline *p, worker *workers, int failed)
{
    const vsr_pipeline_config *cfg = p->cfg;
    if (p->hash_file)
        fclose(p->hash_file);
    if (failed && cfg->hash_path)
        remove(cfg->hash_path);
    vsr_segment_pool_destroy(p->segs); /* joins its threads: before the encoder goes */
    vsr_encoder_destroy(p->enc);       /* removes the temporary file unless finished */
    vsr_decoder_close(p->dec);
    if (p->slots)
        for (int i = 0; i < p->sched.max_in_flight; i++) {
            av_frame_free(&p->slots[i].in);
            av_frame_free(&p->slots[i].out);
        }
    free(p->slots);
    av_buffer_pool_uninit(&p->out_pool); /* freed once its last frame is */
    if (p->queues)
        for (int q = 0; q < p->sched.queues; q++)
            vsr_index_queue_free(&p->queues[q]);
    free(p->queues);
    free(workers);
    free_copy_list(p->copy_head);
    pthread_cond_destroy(&p->cond_main);
    pthread_cond_destroy(&p->cond_ready);
    pthread_cond_destroy(&p->cond_work);
    pthread_cond_destroy(&p->cond_credit);
    pthread_mutex_destroy(&p->lock);
}

/* `--detail auto`: the probe's choice into a copy of the configuration
 * (the run then goes as with that detail given). */
static int choose_detail(const vsr_pipeline_config *cfg, vsr_pipeline_config *chosen,
                         vsr_detail_probe_result *res, vsr_error *err)
{
    *chosen = *cfg;
    if (!cfg->upscaler || cfg->upscaler->scale < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "no upscaler given");
    /* before the probe decodes a frame: the same checks as the run's */
    int ret = vsr_output_file_check(cfg->input, cfg->output, err);
    if (ret < 0)
        return ret;
    if ((cfg->out_width || cfg->out_height) &&
        (ret = vsr_output_size_check(cfg->out_width, cfg->out_height, err)) < 0)
        return ret;
    vsr_detail_probe_options o = cfg->detail_probe;
    o.input = cfg->input;
    o.upscaler = cfg->upscaler;
    o.out_width = cfg->out_width;
    o.out_height = cfg->out_height;
    o.out_scale = cfg->out_scale;
    o.max_pixels = cfg->max_pixels;
    o.enc = cfg->enc;
    o.input_filter = cfg->input_filter;
    o.cancel = cfg->cancel;
    ret = vsr_detail_probe_run(&o, res, err);
    if (ret < 0)
        return ret;
    chosen->detail = res->detail;
    chosen->input_filter = res->input_filter; /* the guard's softer floor, or the run's */
    chosen->detail_auto = 0;
    return VSR_OK;
}

int vsr_pipeline_run(const vsr_pipeline_config *cfg_in, vsr_pipeline_stats *stats, vsr_error *err)
{
    double t_start = vsr_now_s();
    vsr_pipeline_config chosen;
    vsr_detail_probe_result probe;
    const vsr_pipeline_config *cfg = cfg_in;
    if (cfg_in->detail_auto) {
        int ret = choose_detail(cfg_in, &chosen, &probe, err);
        if (ret < 0) {
            if (stats)
                memset(stats, 0, sizeof *stats);
            return ret;
        }
        cfg = &chosen;
    }
    pipeline p;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.total = -1;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond_credit, NULL);
    pthread_cond_init(&p.cond_work, NULL);
    pthread_cond_init(&p.cond_ready, NULL);
    vsr_cond_init_monotonic(&p.cond_main);
    worker *workers = NULL;

    int ret = setup(&p, cfg, err);
    if (ret >= 0 && cfg->hash_path) {
        p.hash_file = fopen(cfg->hash_path, "w");
        if (!p.hash_file)
            ret = vsr_error_set(err, VSR_ERR_IO, "%s: cannot write: %s", cfg->hash_path,
                                strerror(errno));
    }
    if (ret >= 0)
        ret = alloc_buffers(&p, &workers, err);
    if (ret >= 0) {
        p.t_threads = vsr_now_s();
        ret = run_threads(&p, workers, t_start);
        if (ret < 0)
            *err = p.first_err;
    }
    if (ret >= 0 && p.hash_file && fflush(p.hash_file) != 0)
        ret = vsr_error_set(err, VSR_ERR_IO, "%s: cannot write", cfg->hash_path);

    if (stats) {
        fill_stats(&p, t_start, stats);
        if (cfg_in->detail_auto) {
            stats->detail_auto = 1;
            stats->probe = probe;
        }
    }
    if (ret >= 0 && cfg->on_progress) {
        vsr_progress pr;
        snapshot(&p, t_start, &pr);
        pr.bytes_out = stats ? stats->bytes_out : -1;
        pr.done = 1;
        cfg->on_progress(cfg->progress_opaque, &pr);
    }

    teardown(&p, workers, ret < 0);
    return ret;
}

int vsr_pipeline_stages(const vsr_pipeline_stats *st, vsr_stage_time *stages, int *slowest)
{
    double n = (double)st->frames;
    int workers = st->workers > 0 ? st->workers : 1, encoders = st->encoders > 0 ? st->encoders : 1;
    const struct {
        const char *name;
        double busy, parallel;
    } in[VSR_MAX_STAGES] = {
        {"demux+decode", st->decode_s, 1},
        {"colour", st->convert_s, workers},
        {"upscale", st->infer_s, workers},
        {"encode", st->encode_s, encoders},
        {"mux", st->mux_s, 1},
    };
    *slowest = -1;
    for (int i = 0; i < VSR_MAX_STAGES; i++) {
        stages[i].name = in[i].name;
        stages[i].busy_s = in[i].busy;
        stages[i].fps = in[i].busy > 0 ? n * in[i].parallel / in[i].busy : 0;
        if (in[i].busy > 0 && (*slowest < 0 || stages[i].fps < stages[*slowest].fps))
            *slowest = i;
    }
    return VSR_MAX_STAGES;
}
