#include "pipeline/compress_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pipeline/segment_pool.h"
#include "util/clock.h"
#include "util/cores.h"

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

void compress_describe(const rate *r, char *buf, size_t len)
{
    if (r->bitrate > 0)
        snprintf(buf, len, "%lld bit/s%s", (long long)r->bitrate,
                 r->pass == 1   ? " (first pass)"
                 : r->pass == 2 ? " (second pass)"
                                : "");
    else
        snprintf(buf, len, "CRF %d", r->crf);
}

/* The whole clip at rate r into path: one encoder with every core, or
 * segments in parallel where one encoder cannot use the cores (two-pass:
 * each segment its own statistics). */
int compress_encode_clip(compress_ctx *c, const rate *r, const char *path, vsr_error *err)
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
    compress_encoder_options(c, r,
                             c->encoders > 1 ? vsr_segment_pool_encoder_threads(
                                                   c->cores, vsr_cores_online(), c->encoders,
                                                   c->video.width, c->video.height)
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
    compress_pts_fix_init(&fix, &c->info);
    int64_t i = 0;
    while (ret >= 0 && (ret = vsr_decoder_next(dec, f, err)) > 0) {
        if ((ret = write_copies(&copies, enc, err)) < 0 ||
            (ret = compress_check_frame(c, f, i, err)) < 0)
            break;
        compress_pts_fix_frame(&fix, f);
        AVFrame *o = NULL;
        if ((ret = compress_to_output(c, &c->sws, f, &o, err)) < 0)
            break;
        av_frame_unref(f);
        if (pool) {
            ret = vsr_segment_pool_push(pool, o, i, err);
            if (ret >= 0)
                ret = vsr_segment_pool_write_ready(pool, &join, err);
        } else {
            ret = vsr_encoder_send(enc, o, i, err);
        }
        av_frame_free(&o);
        i++;
        if (ret >= 0)
            ret = compress_cancelled(c, err);
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
        char what[64];
        compress_describe(r, what, sizeof what);
        vsr_error_prefix(err, "encoding %s at %s", c->opt->input, what);
        unlink(path);
    }
    return ret;
}

/* A first pass: each segment's encoder (the segments of encode_clip's
 * second pass: statistics are per segment) on a thread of its own that
 * decodes the input itself and encodes its frames, the packets thrown
 * away (libvpx gives none). Decoding is cheap beside encoding, and no
 * muxer or join is needed for statistics. */
typedef struct first_pass_job {
    compress_ctx *c;
    const vsr_encoder_options *eo;
    int64_t index, first, end; /* segment index, frames [first, end) */
    int ret;
    vsr_error err;
} first_pass_job;

static void *first_pass_thread(void *arg)
{
    first_pass_job *j = arg;
    compress_ctx *c = j->c;
    vsr_decoder_options dopt = {.threads = c->cores / c->encoders > 1 ? c->cores / c->encoders : 1};
    vsr_decoder *dec = NULL;
    vsr_segment_encoder *se = NULL;
    struct SwsContext *sws = NULL;
    AVFrame *f = av_frame_alloc();
    int ret = f ? VSR_OK : vsr_error_set(&j->err, VSR_ERR_NOMEM, "out of memory");
    if (ret >= 0)
        ret = vsr_decoder_open(c->opt->input, &dopt, &dec, &j->err);
    if (ret >= 0)
        ret = vsr_segment_encoder_open(j->eo, &c->video, j->index, j->first, &se, &j->err);
    pts_fix fix;
    compress_pts_fix_init(&fix, &c->info);
    int64_t i = 0;
    while (ret >= 0 && i < j->end && (ret = vsr_decoder_next(dec, f, &j->err)) > 0) {
        compress_pts_fix_frame(&fix, f);
        if (i >= j->first) {
            AVFrame *o = NULL;
            ret = compress_to_output(c, &sws, f, &o, &j->err);
            if (ret >= 0)
                ret = vsr_segment_encoder_send(se, o, &j->err);
            av_frame_free(&o);
        }
        av_frame_unref(f);
        i++;
        if (ret >= 0 && c->opt->cancel && *c->opt->cancel)
            ret = vsr_error_set(&j->err, VSR_ERR_CANCELLED, "%s: cancelled", c->opt->input);
    }
    if (ret >= 0 && i < j->end)
        ret = vsr_error_set(&j->err, VSR_ERR_FORMAT, "%s: %lld frames this time, %lld before",
                            c->opt->input, (long long)i, (long long)c->frames);
    if (ret >= 0)
        ret = vsr_segment_encoder_finish(se, &j->err);
    vsr_segment_encoder_free(se);
    sws_freeContext(sws);
    vsr_decoder_close(dec);
    av_frame_free(&f);
    j->ret = ret < 0 ? ret : VSR_OK;
    return NULL;
}

int compress_first_pass(compress_ctx *c, const rate *r, vsr_error *err)
{
    rate r1 = *r;
    r1.pass = 1;
    vsr_encoder_options eo;
    compress_encoder_options(c, &r1,
                             c->encoders > 1 ? vsr_segment_pool_encoder_threads(
                                                   c->cores, vsr_cores_online(), c->encoders,
                                                   c->video.width, c->video.height)
                                             : c->cores,
                             &eo);
    int n = c->encoders;
    int64_t seg = (c->frames + n - 1) / n;
    first_pass_job *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    int *started = calloc((size_t)n, sizeof *started);
    int ret = jobs && th && started ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    for (int k = 0; ret >= 0 && k < n; k++) {
        jobs[k] = (first_pass_job){.c = c, .eo = &eo, .index = k, .first = k * seg};
        jobs[k].end = jobs[k].first + seg < c->frames ? jobs[k].first + seg : c->frames;
        vsr_error_clear(&jobs[k].err);
        if (pthread_create(&th[k], NULL, first_pass_thread, &jobs[k]) != 0)
            ret = vsr_error_set(err, VSR_ERR_INTERNAL, "cannot start a first-pass thread");
        else
            started[k] = 1;
    }
    for (int k = 0; k < n; k++)
        if (started && started[k]) {
            pthread_join(th[k], NULL);
            if (ret >= 0 && jobs[k].ret < 0) {
                *err = jobs[k].err;
                ret = jobs[k].ret;
            }
        }
    free(jobs);
    free(th);
    free(started);
    if (ret < 0) {
        char what[64];
        compress_describe(&r1, what, sizeof what);
        vsr_error_prefix(err, "encoding %s at %s", c->opt->input, what);
    }
    return ret;
}
