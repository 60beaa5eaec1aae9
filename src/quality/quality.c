/* A scoring session: see quality.h. The VMAF features of both models come
 * from one pass: the wavelet transform, the VIF filters and the motion
 * blur are shared, and only the parts that depend on the enhancement gain
 * limit are computed once per model. With use_cuda they come from
 * vmaf_cuda.h instead, asynchronously: each add() takes the results that
 * are ready, finish() waits for the rest. */
#include "quality/quality.h"

#include <stdlib.h>
#include <string.h>

#include "quality/adm.h"
#include "quality/motion.h"
#include "quality/psnr.h"
#include "quality/ssim.h"
#include "quality/vif.h"
#include "quality/vmaf_cuda.h"
#include "quality/vmaf_model.h"

enum { MODEL_VMAF, MODEL_NEG, N_MODELS };

/* The features of one scored picture that do not depend on its
 * neighbours, per model (motion2 is added at the end). */
typedef struct scored_features {
    double adm[N_MODELS];
    double vif[N_MODELS][VSR_VIF_SCALES];
} scored_features;

struct vsr_quality {
    vsr_quality_options opt;
    int width, height;
    vsr_vmaf_model *model[N_MODELS]; /* NULL where not asked */
    int n_variants;                  /* gain-limit sets computed (1 or 2) */
    int variant_of[N_MODELS];        /* which set each model reads */
    double adm_limits[N_MODELS], vif_limits[N_MODELS];
    vsr_vif *vif;
    vsr_adm *adm;
    vsr_motion *motion;
    vsr_ssim *ssim;
    vsr_vmaf_cuda *cuda;           /* the VMAF features on CUDA (use_cuda) */
    vsr_vmaf_cuda_features *cuda_out;
    int64_t cuda_frame;            /* the next scored frame the device's results fill */
    float *ref_f, *dis_f; /* Y as floats, pixel - 128 (libvmaf's picture_copy) */
    int64_t pictures;
    double *motion_scores; /* one per picture */
    int64_t motion_cap;
    vsr_quality_frame *frames; /* one per scored picture */
    scored_features *features;
    int64_t n_frames, frames_cap, features_cap;
    int finished;
};

static int wants_vmaf(const vsr_quality *q)
{
    return q->model[MODEL_VMAF] || q->model[MODEL_NEG];
}

static int load_model(const char *path, const char *builtin, vsr_vmaf_model **out, vsr_error *err)
{
    return path ? vsr_vmaf_model_load(path, out, err) : vsr_vmaf_model_builtin(builtin, out, err);
}

int vsr_quality_create(const vsr_quality_options *opt, int width, int height, vsr_quality **out,
                       vsr_error *err)
{
    *out = NULL;
    if (!(opt->metrics & (VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG | VSR_QUALITY_PSNR |
                          VSR_QUALITY_SSIM)))
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: no metric asked for");
    if (opt->threads < 1 || opt->subsample < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: threads and subsample must be >= 1");
    if (width < 32 || height < 32 || (width & 1) || (height & 1))
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "quality: %dx%d: pictures must be at least 32x32, of even size",
                             width, height);
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
        rc = load_model(opt->vmaf_model_path, "vmaf_v0.6.1", &q->model[MODEL_VMAF], err);
    if (rc >= 0 && (opt->metrics & VSR_QUALITY_VMAF_NEG))
        rc = load_model(opt->vmaf_neg_model_path, "vmaf_v0.6.1neg", &q->model[MODEL_NEG], err);
    if (rc < 0)
        goto fail;
    for (int m = 0; m < N_MODELS; m++) {
        if (!q->model[m])
            continue;
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
    const int t = opt->threads;
    if (wants_vmaf(q) && opt->use_cuda) {
        vsr_vmaf_cuda_options co = {.device = opt->cuda_device, .width = width, .height = height,
                                    .n_limits = q->n_variants};
        for (int k = 0; k < q->n_variants; k++) {
            co.adm_gain_limits[k] = q->adm_limits[k];
            co.vif_gain_limits[k] = q->vif_limits[k];
        }
        if ((rc = vsr_vmaf_cuda_create(&co, &q->cuda, err)) < 0)
            goto fail;
        if (!(q->cuda_out = malloc(64 * sizeof *q->cuda_out))) {
            rc = vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory");
            goto fail;
        }
    } else if (wants_vmaf(q)) {
        size_t n = (size_t)width * (size_t)height;
        q->ref_f = malloc(n * sizeof(float));
        q->dis_f = malloc(n * sizeof(float));
        if (!q->ref_f || !q->dis_f) {
            rc = vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory for %dx%d", width,
                               height);
            goto fail;
        }
        if ((rc = vsr_vif_create(width, height, t, &q->vif, err)) < 0 ||
            (rc = vsr_adm_create(width, height, t, &q->adm, err)) < 0 ||
            (rc = vsr_motion_create(width, height, t, &q->motion, err)) < 0)
            goto fail;
    }
    if ((opt->metrics & VSR_QUALITY_SSIM) &&
        (rc = vsr_ssim_create(width, height, t, &q->ssim, err)) < 0)
        goto fail;
    *out = q;
    return VSR_OK;
fail:
    vsr_quality_free(q);
    return rc;
}

void vsr_quality_free(vsr_quality *q)
{
    if (!q)
        return;
    for (int m = 0; m < N_MODELS; m++)
        vsr_vmaf_model_free(q->model[m]);
    vsr_vif_free(q->vif);
    vsr_adm_free(q->adm);
    vsr_motion_free(q->motion);
    vsr_ssim_free(q->ssim);
    vsr_vmaf_cuda_free(q->cuda);
    free(q->cuda_out);
    free(q->ref_f);
    free(q->dis_f);
    free(q->motion_scores);
    free(q->frames);
    free(q->features);
    free(q);
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem, vsr_error *err)
{
    if (need <= *cap)
        return VSR_OK;
    int64_t n = *cap ? *cap * 2 : 256;
    while (n < need)
        n *= 2;
    void *np = realloc(*p, (size_t)n * elem);
    if (!np)
        return vsr_error_set(err, VSR_ERR_NOMEM, "quality: out of memory for %lld frames",
                             (long long)n);
    *p = np;
    *cap = n;
    return VSR_OK;
}

static void luma_to_float(const uint8_t *src, ptrdiff_t stride, int w, int h, float *dst,
                          int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int i = 0; i < h; i++) {
        const uint8_t *s = src + i * stride;
        float *d = dst + (size_t)i * w;
        for (int j = 0; j < w; j++)
            d[j] = (float)s[j] - 128.0f;
    }
}

/* Takes the device's finished frames (all of them with wait): motion
 * scores and the scored frames' features, in order. */
static int cuda_drain(vsr_quality *q, int wait, vsr_error *err)
{
    for (;;) {
        int n = vsr_vmaf_cuda_collect(q->cuda, q->cuda_out, 64, wait, err);
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

/* The bookkeeping of the next picture on the CUDA path; *scored: whether
 * it is scored (a frame entry was added for it). */
static int cuda_next(vsr_quality *q, int *scored, vsr_error *err)
{
    int rc;
    if (q->finished)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: picture added after finish");
    if ((rc = grow((void **)&q->motion_scores, &q->motion_cap, q->pictures + 1, sizeof(double),
                   err)) < 0)
        return rc;
    *scored = q->pictures++ % q->opt.subsample == 0;
    if (!*scored)
        return VSR_OK;
    if ((rc = grow((void **)&q->frames, &q->frames_cap, q->n_frames + 1, sizeof(vsr_quality_frame),
                   err)) < 0 ||
        (rc = grow((void **)&q->features, &q->features_cap, q->n_frames + 1,
                   sizeof(scored_features), err)) < 0)
        return rc;
    memset(&q->frames[q->n_frames], 0, sizeof q->frames[0]);
    memset(&q->features[q->n_frames], 0, sizeof q->features[0]);
    q->frames[q->n_frames].index = q->pictures - 1;
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
    int scored = 0, rc;
    if ((rc = cuda_next(q, &scored, err)) < 0)
        return rc;
    if (scored && !dis_y)
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: picture %lld is scored but has no "
                             "distorted plane", (long long)(q->pictures - 1));
    if ((rc = vsr_vmaf_cuda_submit(q->cuda, ref_y, ref_pitch, scored ? dis_y : NULL, dis_pitch,
                                   stream, err)) < 0)
        return rc;
    if (scored)
        q->n_frames++;
    return cuda_drain(q, 0, err);
}

int vsr_quality_add(vsr_quality *q, const vsr_quality_picture *ref, const vsr_quality_picture *dis,
                    vsr_error *err)
{
    if (q->finished)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: picture added after finish");
    const int w = q->width, h = q->height, t = q->opt.threads;
    int rc;
    if (q->cuda) {
        int scored = 0;
        if ((rc = cuda_next(q, &scored, err)) < 0 ||
            (rc = vsr_vmaf_cuda_submit_host(q->cuda, ref->data[0], ref->stride[0],
                                            scored ? dis->data[0] : NULL, dis->stride[0],
                                            err)) < 0)
            return rc;
        if (!scored)
            return cuda_drain(q, 0, err);
        goto host_metrics; /* PSNR and SSIM, on the frame entry cuda_next added */
    }
    if (wants_vmaf(q)) {
        if ((rc = grow((void **)&q->motion_scores, &q->motion_cap, q->pictures + 1,
                       sizeof(double), err)) < 0)
            return rc;
        luma_to_float(ref->data[0], ref->stride[0], w, h, q->ref_f, t);
        q->motion_scores[q->pictures] = vsr_motion_add(q->motion, q->ref_f, w);
    }
    if (q->pictures++ % q->opt.subsample != 0)
        return VSR_OK;

    if ((rc = grow((void **)&q->frames, &q->frames_cap, q->n_frames + 1, sizeof(vsr_quality_frame),
                   err)) < 0 ||
        (rc = grow((void **)&q->features, &q->features_cap, q->n_frames + 1,
                   sizeof(scored_features), err)) < 0)
        return rc;
    memset(&q->frames[q->n_frames], 0, sizeof q->frames[0]);
    memset(&q->features[q->n_frames], 0, sizeof q->features[0]);
    q->frames[q->n_frames].index = q->pictures - 1;
    if (wants_vmaf(q)) {
        scored_features *sf = &q->features[q->n_frames];
        luma_to_float(dis->data[0], dis->stride[0], w, h, q->dis_f, t);
        vsr_vif_result vif;
        vsr_vif_compute(q->vif, q->ref_f, q->dis_f, w, q->vif_limits, q->n_variants, &vif);
        vsr_adm_compute(q->adm, q->ref_f, q->dis_f, w, q->adm_limits, q->n_variants, sf->adm);
        for (int k = 0; k < q->n_variants; k++)
            for (int s = 0; s < VSR_VIF_SCALES; s++)
                sf->vif[k][s] = vif.den[s] == 0.0 ? 1.0 : vif.num[k][s] / vif.den[s];
    }
host_metrics:;
    vsr_quality_frame *f = &q->frames[q->n_frames];
    if (q->opt.metrics & VSR_QUALITY_PSNR) {
        const int pw[3] = {w, w / 2, w / 2}, ph[3] = {h, h / 2, h / 2};
        double db[3];
        for (int p = 0; p < 3; p++)
            db[p] = vsr_psnr_from_sse(vsr_plane_sse(ref->data[p], ref->stride[p], dis->data[p],
                                                    dis->stride[p], pw[p], ph[p]),
                                      (uint64_t)pw[p] * (uint64_t)ph[p]);
        f->psnr_y = db[0];
        f->psnr_u = db[1];
        f->psnr_v = db[2];
        f->psnr_yuv = (6.0 * db[0] + db[1] + db[2]) / 8.0;
    }
    if (q->ssim)
        f->ssim = vsr_ssim_compute(q->ssim, ref->data[0], ref->stride[0], dis->data[0],
                                   dis->stride[0]);
    q->n_frames++;
    return q->cuda ? cuda_drain(q, 0, err) : VSR_OK;
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
    if (q->n_frames == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "quality: no picture to score");
    if (!q->finished && q->cuda) {
        int rc = cuda_drain(q, 1, err);
        if (rc < 0)
            return rc;
        if (q->cuda_frame != q->n_frames || vsr_vmaf_cuda_pending(q->cuda) != 0)
            return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: CUDA results missing");
    }
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
                x[VSR_VMAF_MOTION2] =
                    vsr_motion2(q->motion_scores, (int)q->pictures, (int)f->index);
                for (int s = 0; s < VSR_VIF_SCALES; s++)
                    x[VSR_VMAF_VIF0 + s] = sf->vif[k][s];
                double score = vsr_vmaf_model_predict(q->model[m], x);
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
#define POOL(field)                                                                                \
    do {                                                                                           \
        for (int64_t i = 0; i < q->n_frames; i++)                                                  \
            column[i] = q->frames[i].field;                                                        \
        summary->field = vsr_quality_pool(column, q->n_frames);                                    \
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
