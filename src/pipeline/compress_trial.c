#include "pipeline/compress_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/clip_quality.h"
#include "pipeline/segment_pool.h"
#include "util/clock.h"
#include "util/cores.h"

/* Decodes a sample's packets and scores them against its frames. */
static int score_sample(const compress_ctx *c, const sample *s, int n, int threads,
                        vsr_segment_encoder *se, double *vmaf, double *neg, vsr_error *err)
{
    AVCodecContext *d = NULL;
    AVFrame *f = av_frame_alloc();
    vsr_quality *q = NULL;
    int ret = f ? vsr_segment_encoder_open_decoder(se, threads, &d, err)
                : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    vsr_quality_options qo = {
        .metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG, .threads = threads, .subsample = 1};
    if (ret >= 0)
        ret = vsr_quality_create(&qo, c->video.width, c->video.height, &q, err);
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
        *vmaf = sum.vmaf.mean;
        *neg = sum.vmaf_neg.mean;
    }
    vsr_quality_free(q);
    av_frame_free(&f);
    avcodec_free_context(&d);
    return ret;
}

/* One sample of a trial, on a thread of its own: samples are encoded and
 * scored in parallel, as one encoder instance cannot use many cores. */
typedef struct trial_job {
    const compress_ctx *c;
    const vsr_encoder_options *eo;
    int k, n, threads;
    int64_t bytes;
    double vmaf, neg;
    double enc_s, score_s; /* time in each */
    int ret;
    vsr_error err;
} trial_job;

static void *trial_thread(void *arg)
{
    trial_job *j = arg;
    const compress_ctx *c = j->c;
    const sample *s = &c->samples[j->k];
    vsr_segment_encoder *se = NULL;
    double t0 = vsr_now_s();
    int ret = vsr_segment_encoder_open(j->eo, &c->video, j->k, s->first, &se, &j->err);
    for (int i = 0; ret >= 0 && i < j->n; i++) {
        AVFrame *f = av_frame_clone(s->frames[i]); /* the encoder may keep it */
        if (!f) {
            ret = vsr_error_set(&j->err, VSR_ERR_NOMEM, "out of memory");
            break;
        }
        ret = vsr_segment_encoder_send(se, f, &j->err);
        av_frame_free(&f);
        if (ret >= 0 && c->opt->cancel && *c->opt->cancel)
            ret = vsr_error_set(&j->err, VSR_ERR_CANCELLED, "%s: cancelled", c->opt->input);
    }
    if (ret >= 0)
        ret = vsr_segment_encoder_finish(se, &j->err);
    j->enc_s = vsr_now_s() - t0;
    if (ret >= 0) {
        int npk;
        AVPacket **pk = vsr_segment_encoder_packets(se, &npk);
        for (int i = 0; i < npk; i++)
            j->bytes += pk[i]->size;
        t0 = vsr_now_s();
        ret = score_sample(c, s, j->n, j->threads, se, &j->vmaf, &j->neg, &j->err);
        j->score_s = vsr_now_s() - t0;
    }
    vsr_segment_encoder_free(se);
    j->ret = ret < 0 ? ret : VSR_OK;
    return NULL;
}

/* Encodes every sample at crf in memory, all at once (limit > 0: only the
 * first limit frames of the first sample, with every core), decodes and
 * scores them, and pools their scores by the frames each stands for.
 * enc_s, score_s (may be NULL): the time the first sample took in each. */
int compress_trial(compress_ctx *c, int crf, int limit, vsr_compress_trial *t, double *enc_s,
                   double *score_s, vsr_error *err)
{
    double t_start = vsr_now_s();
    int n = limit > 0 ? 1 : c->n_samples;
    int threads = n > 1 ? vsr_segment_pool_encoder_threads(c->cores, vsr_cores_online(), n,
                                                           c->video.width, c->video.height)
                        : c->cores;
    vsr_encoder_options eo;
    const rate r = {.crf = crf};
    compress_encoder_options(c, &r, threads, &eo);
    trial_job jobs[MAX_SAMPLES];
    pthread_t th[MAX_SAMPLES];
    int started[MAX_SAMPLES] = {0};
    int ret = VSR_OK;
    for (int k = 0; k < n; k++) {
        const sample *s = &c->samples[k];
        jobs[k] = (trial_job){.c = c, .eo = &eo, .k = k, .threads = threads};
        jobs[k].n = limit > 0 && limit < s->n ? limit : s->n;
        vsr_error_clear(&jobs[k].err);
        if (n == 1) {
            trial_thread(&jobs[k]);
        } else if (pthread_create(&th[k], NULL, trial_thread, &jobs[k]) != 0) {
            ret = vsr_error_set(err, VSR_ERR_INTERNAL, "cannot start a trial thread");
            break;
        } else {
            started[k] = 1;
        }
    }
    double vsum = 0, nsum = 0, wsum = 0;
    int64_t bytes = 0;
    for (int k = 0; k < n; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else if (n > 1)
            continue;
        if (ret >= 0 && jobs[k].ret < 0) {
            *err = jobs[k].err;
            ret = jobs[k].ret;
        }
        /* each sample counts for the frames it stands for: the clip's
         * VMAF is a mean over all of them */
        double w = c->samples[k].weight;
        vsum += jobs[k].vmaf * w;
        nsum += jobs[k].neg * w;
        wsum += w;
        bytes += jobs[k].bytes;
    }
    if (ret < 0) {
        vsr_error_prefix(err, "%s: trial at CRF %d", c->opt->input, crf);
        return ret;
    }
    t->crf = crf;
    t->vmaf = vsum / wsum;
    t->vmaf_neg = nsum / wsum;
    t->bytes = bytes;
    t->seconds = vsr_now_s() - t_start;
    if (enc_s)
        *enc_s = jobs[0].enc_s;
    if (score_s)
        *score_s = jobs[0].score_s;
    return VSR_OK;
}
