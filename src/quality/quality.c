/* A scoring session: see quality.h.
 *
 * Pictures are scored by `threads` workers, each owning the scratch of
 * every measure (one picture pair at a time, no sharing): the caller's
 * thread copies each pair into a ring of job slots, a free worker scores
 * the next waiting slot, and the caller collects the results in order.
 * Whole pictures per worker rather than rows per thread: no barrier
 * inside a picture, so scoring keeps its pace beside busy encoders. With
 * one thread there are no workers: pictures are scored in the call.
 *
 * The VMAF features of both models come from one pass: the wavelet
 * transform, the VIF filters and the motion blur are shared, and only the
 * parts that depend on the enhancement gain limit are computed per model.
 * With use_cuda they come from vmaf_cuda.h instead, asynchronously: each
 * add() takes the results that are ready, finish() waits for the rest;
 * the workers then measure only PSNR and SSIM, when asked.
 *
 * Every picture's entries (its motion score and, if scored, its frame and
 * features) are made by add() in the caller's thread; workers and the
 * device only fill entries made before. */
#include "quality/quality.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "quality/adm.h"
#include "quality/motion.h"
#include "quality/psnr.h"
#include "quality/ssim.h"
#include "quality/vif.h"
#include "quality/vmaf_cuda.h"
#include "quality/vmaf_model.h"
#include "util/array.h"

enum { MODEL_VMAF, MODEL_NEG, N_MODELS };

#define CUDA_COLLECT_MAX 64 /* device results taken per collect call */

/* The features of one scored picture that do not depend on its
 * neighbours, per gain-limit variant (motion2 is added at the end). */
typedef struct scored_features {
    double adm[N_MODELS];
    double vif[N_MODELS][VSR_VIF_SCALES];
} scored_features;

/* One picture pair on its way through a worker. */
typedef struct quality_job {
    int64_t index;
    int64_t ordinal; /* its entry in frames[] and features[]; -1: not scored */
    int has_prev;    /* a previous reference picture is in prev_y */
    uint8_t *planes; /* ref Y U V, dis Y U V, prev ref Y: packed, stride = width */
    int done;        /* results below are valid */
    double motion;
    vsr_quality_frame frame;
    scored_features features;
} quality_job;

/* What one worker owns. */
typedef struct quality_worker {
    struct vsr_quality *q;
    pthread_t thread;
    int started;
    vsr_vif *vif;
    vsr_adm *adm;
    vsr_motion *motion;
    vsr_ssim *ssim;
    float *ref_f, *dis_f, *prev_f; /* Y as floats, pixel - 128 (libvmaf's picture_copy) */
} quality_worker;

struct vsr_quality {
    vsr_quality_options opt;
    int width, height;
    vsr_vmaf_model *model[N_MODELS]; /* NULL where not asked */
    int n_variants;                  /* gain-limit sets computed (1 or 2) */
    vsr_vif_flavour flavour;         /* the VIF the models name (one for all) */
    int variant_of[N_MODELS];        /* which set each model reads */
    double adm_limits[N_MODELS], vif_limits[N_MODELS];

    quality_worker *workers;
    int n_workers;
    quality_job *jobs; /* ring of n_jobs slots */
    int n_jobs;
    int64_t head, run, tail; /* collected < run (taken by workers) <= tail (filled) */
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    int sync_ok;

    vsr_vmaf_cuda *cuda; /* the VMAF features on CUDA (use_cuda), else NULL */
    vsr_vmaf_cuda_features *cuda_out;
    int64_t cuda_frame; /* the next scored frame the device's results fill */

    int64_t pictures;
    double *motion_scores;     /* one per picture */
    int motion_cap;            /* pictures are counted in int64_t, arrays in int */
    vsr_quality_frame *frames; /* one per scored picture */
    scored_features *features;
    int64_t n_frames;
    int frames_cap, features_cap;
    int finished;
};

static int wants_vmaf(const vsr_quality *q)
{
    return q->model[MODEL_VMAF] || q->model[MODEL_NEG];
}

/* VMAF's features are computed by the workers (not on CUDA). */
static int cpu_vmaf(const vsr_quality *q)
{
    return wants_vmaf(q) && !q->cuda;
}

/* The workers have something to do for each scored picture. */
static int needs_jobs(const vsr_quality *q)
{
    return cpu_vmaf(q) || (q->opt.metrics & (VSR_QUALITY_PSNR | VSR_QUALITY_SSIM));
}

static size_t plane_bytes(const vsr_quality *q, int p)
{
    return p == 0 ? (size_t)q->width * q->height : (size_t)(q->width / 2) * (q->height / 2);
}

/* Where plane p (0-2 ref Y U V, 3-5 dis Y U V, 6 previous ref Y) lives. */
static uint8_t *job_plane(const vsr_quality *q, const quality_job *job, int p)
{
    size_t off = 0;
    for (int i = 0; i < p; i++)
        off += plane_bytes(q, i % 3 == 0 || i == 6 ? 0 : 1);
    return job->planes + off;
}

static size_t job_bytes(const vsr_quality *q)
{
    return 3 * plane_bytes(q, 0) + 4 * plane_bytes(q, 1);
}

static void luma_to_float(const uint8_t *src, int w, int h, float *dst)
{
    const size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i] - 128.0f;
}

/* Scores one job with one worker's scratch. */
static void score_job(quality_worker *wk, quality_job *job)
{
    vsr_quality *q = wk->q;
    const int w = q->width, h = q->height;
    const uint8_t *ry = job_plane(q, job, 0), *dy = job_plane(q, job, 3);
    job->motion = 0.0;
    if (cpu_vmaf(q)) {
        luma_to_float(ry, w, h, wk->ref_f);
        if (job->has_prev) {
            luma_to_float(job_plane(q, job, 6), w, h, wk->prev_f);
            job->motion = vsr_motion_score(wk->motion, wk->prev_f, wk->ref_f, w);
        }
    }
    if (job->ordinal < 0) /* not scored: motion only */
        return;
    vsr_quality_frame *f = &job->frame;
    scored_features *sf = &job->features;
    memset(f, 0, sizeof *f);
    memset(sf, 0, sizeof *sf);
    f->index = job->index;
    if (cpu_vmaf(q)) {
        luma_to_float(dy, w, h, wk->dis_f);
        vsr_vif_result vif;
        vsr_vif_compute(wk->vif, wk->ref_f, wk->dis_f, w, q->flavour, q->vif_limits, q->n_variants,
                        &vif);
        vsr_adm_compute(wk->adm, wk->ref_f, wk->dis_f, w, q->adm_limits, q->n_variants, sf->adm);
        for (int k = 0; k < q->n_variants; k++)
            for (int s = 0; s < VSR_VIF_SCALES; s++)
                sf->vif[k][s] = vif.den[s] == 0.0 ? 1.0 : vif.num[k][s] / vif.den[s];
    }
    if (q->opt.metrics & VSR_QUALITY_PSNR) {
        double db[3];
        for (int p = 0; p < 3; p++) {
            const int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
            db[p] = vsr_psnr_from_sse(
                vsr_plane_sse(job_plane(q, job, p), pw, job_plane(q, job, 3 + p), pw, pw, ph),
                (uint64_t)pw * (uint64_t)ph);
        }
        f->psnr_y = db[0];
        f->psnr_u = db[1];
        f->psnr_v = db[2];
        f->psnr_yuv = (6.0 * db[0] + db[1] + db[2]) / 8.0;
    }
    if (wk->ssim)
        f->ssim = vsr_ssim_compute(wk->ssim, ry, w, dy, w);
}

static void *worker_main(void *arg)
{
    quality_worker *wk = arg;
    vsr_quality *q = wk->q;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->run == q->tail && !q->stop)
            pthread_cond_wait(&q->work, &q->lock);
        if (q->run == q->tail)
            break; /* stopping, nothing left */
        quality_job *job = &q->jobs[q->run % q->n_jobs];
        q->run++;
        pthread_mutex_unlock(&q->lock);
        score_job(wk, job);
        pthread_mutex_lock(&q->lock);
        job->done = 1;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void worker_free(quality_worker *wk)
{
    vsr_vif_free(wk->vif);
    vsr_adm_free(wk->adm);
    vsr_motion_free(wk->motion);
    vsr_ssim_free(wk->ssim);
    free(wk->ref_f);
    free(wk->dis_f);
    free(wk->prev_f);
}

static int worker_init(vsr_quality *q, quality_worker *wk, vsr_error *err)
{
    const int w = q->width, h = q->height;
    int rc = VSR_OK;
    wk->q = q;
    if (cpu_vmaf(q)) {
        size_t n = (size_t)w * (size_t)h;
        wk->ref_f = malloc(n * sizeof(float));
        wk->dis_f = malloc(n * sizeof(float));
        wk->prev_f = malloc(n * sizeof(float));
        if (!wk->ref_f || !wk->dis_f || !wk->prev_f)
            return vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory for %dx%d", w, h);
        if ((rc = vsr_vif_create(w, h, &wk->vif, err)) < 0 ||
            (rc = vsr_adm_create(w, h, &wk->adm, err)) < 0 ||
            (rc = vsr_motion_create(w, h, &wk->motion, err)) < 0)
            return rc;
    }
    if (q->opt.metrics & VSR_QUALITY_SSIM)
        rc = vsr_ssim_create(w, h, &wk->ssim, err);
    return rc;
}

static int load_model(const char *path, const char *builtin, vsr_vmaf_model **out, vsr_error *err)
{
    return path ? vsr_vmaf_model_load(path, out, err) : vsr_vmaf_model_builtin(builtin, out, err);
}

/* The distinct gain-limit sets of the models asked for, and the VIF they
 * name (both models must name the same). */
static int plan_variants(vsr_quality *q, vsr_error *err)
{
    int flavour = -1;
    for (int m = 0; m < N_MODELS; m++) {
        if (!q->model[m])
            continue;
        int f = vsr_vmaf_model_integer(q->model[m]) ? VSR_VIF_INTEGER : VSR_VIF_FLOAT;
        if (flavour >= 0 && f != flavour)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "quality: the VMAF and NEG models name different extractors "
                                 "(one integer, one float)");
        flavour = f;
        q->flavour = (vsr_vif_flavour)f;
        double a = vsr_vmaf_model_adm_gain_limit(q->model[m]);
        double v = vsr_vmaf_model_vif_gain_limit(q->model[m]);
        int k;
        for (k = 0; k < q->n_variants; k++)
            if (q->adm_limits[k] == a && q->vif_limits[k] == v)
                break;
        if (k == q->n_variants) {
            q->adm_limits[k] = a;
            q->vif_limits[k] = v;
            q->n_variants++;
        }
        q->variant_of[m] = k;
    }
    return VSR_OK;
}

int vsr_quality_create(const vsr_quality_options *opt, int width, int height, vsr_quality **out,
                       vsr_error *err)
{
    *out = NULL;
    if (!(opt->metrics &
          (VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG | VSR_QUALITY_PSNR | VSR_QUALITY_SSIM)))
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: no metric asked for");
    if (opt->threads < 1 || opt->threads > 1024 || opt->subsample < 1)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "quality: threads (1..1024) and subsample (>= 1) out of range");
    if (width < 32 || height < 32 || (width & 1) || (height & 1))
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "quality: %dx%d: pictures must be at least 32x32, of even size", width,
                             height);
    if ((int64_t)width * height > (int64_t)8192 * 8192)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "quality: %dx%d is over 8192x8192", width,
                             height);
    vsr_quality *q = calloc(1, sizeof *q);
    if (!q)
        return vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory");
    q->opt = *opt;
    q->opt.vmaf_model_path = q->opt.vmaf_neg_model_path = NULL; /* not kept past create */
    q->width = width;
    q->height = height;
    int rc = VSR_OK;
    if (opt->metrics & VSR_QUALITY_VMAF)
        rc = load_model(opt->vmaf_model_path,
                        opt->float_models ? "vmaf_float_v0.6.1" : "vmaf_v0.6.1",
                        &q->model[MODEL_VMAF], err);
    if (rc >= 0 && (opt->metrics & VSR_QUALITY_VMAF_NEG))
        rc = load_model(opt->vmaf_neg_model_path,
                        opt->float_models ? "vmaf_float_v0.6.1neg" : "vmaf_v0.6.1neg",
                        &q->model[MODEL_NEG], err);
    if (rc < 0)
        goto fail;
    if ((rc = plan_variants(q, err)) < 0)
        goto fail;
    if (wants_vmaf(q) && opt->use_cuda && q->flavour != VSR_VIF_INTEGER) {
        rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                           "quality: VMAF on CUDA computes the integer extractors' VIF; "
                           "float models (vmaf_float_*) run on the CPU");
        goto fail;
    }
    if (wants_vmaf(q) && opt->use_cuda) {
        vsr_vmaf_cuda_options co = {.device = opt->cuda_device,
                                    .width = width,
                                    .height = height,
                                    .n_limits = q->n_variants};
        for (int k = 0; k < q->n_variants; k++) {
            co.adm_gain_limits[k] = q->adm_limits[k];
            co.vif_gain_limits[k] = q->vif_limits[k];
        }
        if ((rc = vsr_vmaf_cuda_create(&co, &q->cuda, err)) < 0)
            goto fail;
        if (!(q->cuda_out = malloc(CUDA_COLLECT_MAX * sizeof *q->cuda_out))) {
            rc = vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory");
            goto fail;
        }
    }

    q->n_workers = opt->threads;
    q->n_jobs = opt->threads == 1 ? 1 : 2 * opt->threads;
    q->workers = calloc((size_t)q->n_workers, sizeof *q->workers);
    q->jobs = calloc((size_t)q->n_jobs, sizeof *q->jobs);
    if (!q->workers || !q->jobs) {
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory");
        goto fail;
    }
    for (int i = 0; i < q->n_jobs; i++)
        if (!(q->jobs[i].planes = malloc(job_bytes(q)))) {
            rc = vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory for %dx%d", width,
                               height);
            goto fail;
        }
    for (int i = 0; i < q->n_workers; i++)
        if ((rc = worker_init(q, &q->workers[i], err)) < 0)
            goto fail;
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        rc = vsr_error_set(err, VSR_ERR_INTERNAL, "quality: cannot make a mutex");
        goto fail;
    }
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->done, NULL);
    q->sync_ok = 1;
    if (q->n_workers > 1)
        for (int i = 0; i < q->n_workers; i++) {
            if (pthread_create(&q->workers[i].thread, NULL, worker_main, &q->workers[i]) != 0) {
                rc = vsr_error_set(err, VSR_ERR_INTERNAL, "quality: cannot start worker %d", i);
                goto fail;
            }
            q->workers[i].started = 1;
        }
    *out = q;
    return VSR_OK;
fail:
    vsr_quality_free(q);
    return rc;
}

static void stop_workers(vsr_quality *q)
{
    if (!q->sync_ok)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->n_workers; i++)
        if (q->workers[i].started) {
            pthread_join(q->workers[i].thread, NULL);
            q->workers[i].started = 0;
        }
}

void vsr_quality_free(vsr_quality *q)
{
    if (!q)
        return;
    stop_workers(q);
    if (q->sync_ok) {
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->work);
        pthread_cond_destroy(&q->done);
    }
    for (int i = 0; q->workers && i < q->n_workers; i++)
        worker_free(&q->workers[i]);
    for (int i = 0; q->jobs && i < q->n_jobs; i++)
        free(q->jobs[i].planes);
    free(q->workers);
    free(q->jobs);
    vsr_vmaf_cuda_free(q->cuda);
    free(q->cuda_out);
    for (int m = 0; m < N_MODELS; m++)
        vsr_vmaf_model_free(q->model[m]);
    free(q->motion_scores);
    free(q->frames);
    free(q->features);
    free(q);
}

/* Moves a finished job's results into the entries add() made for its
 * picture (the caller's thread). */
static void collect(vsr_quality *q, const quality_job *job)
{
    if (cpu_vmaf(q))
        q->motion_scores[job->index] = job->motion;
    if (job->ordinal < 0)
        return;
    q->frames[job->ordinal] = job->frame;
    if (cpu_vmaf(q))
        q->features[job->ordinal] = job->features;
}

/* Takes the device's finished frames (all of them with wait): motion
 * scores, and the scored frames' features in order. */
static int cuda_drain(vsr_quality *q, int wait, vsr_error *err)
{
    for (;;) {
        int n = vsr_vmaf_cuda_collect(q->cuda, q->cuda_out, CUDA_COLLECT_MAX, wait, err);
        if (n <= 0)
            return n;
        for (int i = 0; i < n; i++) {
            const vsr_vmaf_cuda_features *f = &q->cuda_out[i];
            q->motion_scores[f->index] = f->motion;
            if (!f->scored)
                continue;
            if (q->cuda_frame >= q->n_frames || q->frames[q->cuda_frame].index != f->index)
                return vsr_error_set(err, VSR_ERR_INTERNAL,
                                     "quality: CUDA results out of order (picture %lld)",
                                     (long long)f->index);
            scored_features *sf = &q->features[q->cuda_frame++];
            for (int k = 0; k < q->n_variants; k++)
                vsr_vmaf_cuda_model_features(f, k, q->width, q->height, &sf->adm[k], sf->vif[k]);
        }
    }
}

/* Makes the next picture's entries: its motion score and, when it is
 * scored, its frame (index set) and features. Returns its ordinal among
 * the scored pictures, -1 if it is not scored, or a negative status. */
static int64_t reserve_picture(vsr_quality *q, vsr_error *err)
{
    int rc;
    const int scored = q->pictures % q->opt.subsample == 0;
    if (q->pictures >= INT_MAX - 1)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "quality: more than %d pictures",
                             INT_MAX - 1);
    if ((rc = vsr_array_grow((void **)&q->motion_scores, &q->motion_cap, (int)q->pictures + 1,
                             sizeof(double), err)) < 0)
        return rc;
    q->motion_scores[q->pictures] = 0.0;
    if (scored) {
        if ((rc = vsr_array_grow((void **)&q->frames, &q->frames_cap, (int)q->n_frames + 1,
                                 sizeof(vsr_quality_frame), err)) < 0 ||
            (rc = vsr_array_grow((void **)&q->features, &q->features_cap, (int)q->n_frames + 1,
                                 sizeof(scored_features), err)) < 0)
            return rc;
        memset(&q->frames[q->n_frames], 0, sizeof q->frames[0]);
        memset(&q->features[q->n_frames], 0, sizeof q->features[0]);
        q->frames[q->n_frames].index = q->pictures;
    }
    q->pictures++;
    return scored ? q->n_frames++ : -1;
}

/* Collects finished jobs in order: all of them (wait_all), or until a
 * slot is free. Called with the lock held. */
static int collect_ready(vsr_quality *q, int wait_all)
{
    while (q->head < q->tail) {
        quality_job *job = &q->jobs[q->head % q->n_jobs];
        if (!job->done) {
            if (!wait_all && q->tail - q->head < q->n_jobs)
                return VSR_OK;
            pthread_cond_wait(&q->done, &q->lock);
            continue;
        }
        collect(q, job);
        job->done = 0;
        q->head++;
    }
    return VSR_OK;
}

static void copy_plane(uint8_t *dst, const uint8_t *src, ptrdiff_t stride, int w, int h)
{
    for (int i = 0; i < h; i++)
        memcpy(dst + (size_t)i * w, src + i * stride, (size_t)w);
}

int vsr_quality_add(vsr_quality *q, const vsr_quality_picture *ref, const vsr_quality_picture *dis,
                    vsr_error *err)
{
    if (q->finished)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: picture added after finish");
    const int w = q->width, h = q->height;
    pthread_mutex_lock(&q->lock);
    collect_ready(q, 0);
    pthread_mutex_unlock(&q->lock);
    const int64_t ordinal = reserve_picture(q, err);
    if (ordinal < -1)
        return (int)ordinal;
    int rc;
    if (q->cuda && ((rc = vsr_vmaf_cuda_submit_host(q->cuda, ref->data[0], ref->stride[0],
                                                    ordinal >= 0 ? dis->data[0] : NULL,
                                                    dis->stride[0], err)) < 0 ||
                    (rc = cuda_drain(q, 0, err)) < 0))
        return rc;
    /* a job for the workers: every picture for VMAF on the CPU (motion),
     * else only the scored ones, for PSNR and SSIM */
    if (!needs_jobs(q) || (ordinal < 0 && !cpu_vmaf(q)))
        return VSR_OK;

    quality_job *job = &q->jobs[q->tail % q->n_jobs];
    const quality_job *prev = q->tail > 0 ? &q->jobs[(q->tail - 1) % q->n_jobs] : NULL;
    job->index = q->pictures - 1;
    job->ordinal = ordinal;
    /* with VMAF on the CPU every picture has a job: the previous one's
     * slot holds the previous reference */
    job->has_prev = prev && cpu_vmaf(q);
    /* the previous reference first: with one slot, prev is this slot */
    if (job->has_prev)
        memmove(job_plane(q, job, 6), job_plane(q, prev, 0), plane_bytes(q, 0));
    for (int p = 0; p < 3; p++) {
        const int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
        copy_plane(job_plane(q, job, p), ref->data[p], ref->stride[p], pw, ph);
        if (ordinal >= 0)
            copy_plane(job_plane(q, job, 3 + p), dis->data[p], dis->stride[p], pw, ph);
    }
    if (q->n_workers == 1) {
        score_job(&q->workers[0], job);
        collect(q, job);
        q->tail++;
        q->head = q->run = q->tail;
        return VSR_OK;
    }
    pthread_mutex_lock(&q->lock);
    q->tail++;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->lock);
    return VSR_OK;
}

int vsr_quality_add_device(vsr_quality *q, const uint8_t *ref_y, size_t ref_pitch,
                           const uint8_t *dis_y, size_t dis_pitch, void *stream, vsr_error *err)
{
    if (!q->cuda)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "quality: device pictures need a session with use_cuda and VMAF");
    if (q->opt.metrics & (VSR_QUALITY_PSNR | VSR_QUALITY_SSIM))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "quality: PSNR and SSIM are not measured on device pictures");
    if (q->finished)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: picture added after finish");
    const int64_t ordinal = reserve_picture(q, err);
    if (ordinal < -1)
        return (int)ordinal;
    if (ordinal >= 0 && !dis_y)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "quality: picture %lld is scored but has no distorted plane",
                             (long long)(q->pictures - 1));
    int rc = vsr_vmaf_cuda_submit(q->cuda, ref_y, ref_pitch, ordinal >= 0 ? dis_y : NULL, dis_pitch,
                                  stream, err);
    return rc < 0 ? rc : cuda_drain(q, 0, err);
}

vsr_quality_pooled vsr_quality_pool(const double *values, int64_t n)
{
    vsr_quality_pooled p = {0.0, 0.0, 0.0, 0.0};
    if (n <= 0)
        return p;
    double sum = 0.0, inv = 0.0;
    p.min = p.max = values[0];
    for (int64_t i = 0; i < n; i++) {
        double v = values[i];
        sum += v;
        inv += 1.0 / (v + 1.0);
        p.min = v < p.min ? v : p.min;
        p.max = v > p.max ? v : p.max;
    }
    p.mean = sum / (double)n;
    p.harmonic_mean = (double)n / inv - 1.0;
    return p;
}

int vsr_quality_finish(vsr_quality *q, vsr_quality_summary *summary, vsr_error *err)
{
    if (!q->finished) {
        pthread_mutex_lock(&q->lock);
        collect_ready(q, 1);
        pthread_mutex_unlock(&q->lock);
        if (q->cuda) {
            int rc = cuda_drain(q, 1, err);
            if (rc < 0)
                return rc;
            if (q->cuda_frame != q->n_frames || vsr_vmaf_cuda_pending(q->cuda) != 0)
                return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: CUDA results missing");
        }
    }
    if (q->n_frames == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "quality: no picture to score");
    if (!q->finished) {
        q->finished = 1;
        for (int64_t i = 0; i < q->n_frames && wants_vmaf(q); i++) {
            vsr_quality_frame *f = &q->frames[i];
            const scored_features *sf = &q->features[i];
            for (int m = 0; m < N_MODELS; m++) {
                if (!q->model[m])
                    continue;
                int k = q->variant_of[m];
                double x[VSR_VMAF_N_FEATURES];
                x[VSR_VMAF_ADM2] = sf->adm[k];
                x[VSR_VMAF_MOTION2] = vsr_motion2(q->motion_scores, q->pictures, f->index);
                for (int s = 0; s < VSR_VIF_SCALES; s++)
                    x[VSR_VMAF_VIF0 + s] = sf->vif[k][s];
                double score = vsr_vmaf_model_predict(q->model[m], x, !q->opt.unclipped);
                if (m == MODEL_VMAF)
                    f->vmaf = score;
                else
                    f->vmaf_neg = score;
            }
        }
    }
    double *column = malloc((size_t)q->n_frames * sizeof(double));
    if (!column)
        return vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory");
    memset(summary, 0, sizeof *summary);
    summary->pictures = q->pictures;
    summary->scored = q->n_frames;
#define POOL(field)                                             \
    do {                                                        \
        for (int64_t i = 0; i < q->n_frames; i++)               \
            column[i] = q->frames[i].field;                     \
        summary->field = vsr_quality_pool(column, q->n_frames); \
    } while (0)
    POOL(vmaf);
    POOL(vmaf_neg);
    POOL(psnr_y);
    POOL(psnr_yuv);
    POOL(ssim);
#undef POOL
    free(column);
    return VSR_OK;
}

const vsr_quality_frame *vsr_quality_frames(const vsr_quality *q, int64_t *count)
{
    *count = q->finished ? q->n_frames : 0;
    return q->frames;
}
