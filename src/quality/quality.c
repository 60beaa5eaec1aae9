/* A scoring session: see quality.h. The VMAF features of both models come
 * from one pass: the wavelet transform, the VIF filters and the motion
 * blur are shared, and only the parts that depend on the enhancement gain
 * limit are computed once per model. */
#include "quality/quality.h"

#include <stdlib.h>
#include <string.h>

#include "quality/adm.h"
#include "quality/motion.h"
#include "quality/psnr.h"
#include "quality/ssim.h"
#include "quality/vif.h"
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
    if (!(opt->metrics &
          (VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG | VSR_QUALITY_PSNR | VSR_QUALITY_SSIM)))
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: no metric asked for");
    if (opt->threads < 1 || opt->subsample < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "quality: threads and subsample must be >= 1");
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
    if (wants_vmaf(q)) {
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

int vsr_quality_add(vsr_quality *q, const vsr_quality_picture *ref, const vsr_quality_picture *dis,
                    vsr_error *err)
{
    if (q->finished)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "quality: picture added after finish");
    const int w = q->width, h = q->height, t = q->opt.threads;
    int rc;
    if (wants_vmaf(q)) {
        if ((rc = grow((void **)&q->motion_scores, &q->motion_cap, q->pictures + 1, sizeof(double),
                       err)) < 0)
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
    vsr_quality_frame *f = &q->frames[q->n_frames];
    scored_features *sf = &q->features[q->n_frames];
    memset(f, 0, sizeof *f);
    memset(sf, 0, sizeof *sf);
    f->index = q->pictures - 1;
    if (wants_vmaf(q)) {
        luma_to_float(dis->data[0], dis->stride[0], w, h, q->dis_f, t);
        vsr_vif_result vif;
        vsr_vif_compute(q->vif, q->ref_f, q->dis_f, w, q->vif_limits, q->n_variants, &vif);
        vsr_adm_compute(q->adm, q->ref_f, q->dis_f, w, q->adm_limits, q->n_variants, sf->adm);
        for (int k = 0; k < q->n_variants; k++)
            for (int s = 0; s < VSR_VIF_SCALES; s++)
                sf->vif[k][s] = vif.den[s] == 0.0 ? 1.0 : vif.num[k][s] / vif.den[s];
    }
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
        f->ssim =
            vsr_ssim_compute(q->ssim, ref->data[0], ref->stride[0], dis->data[0], dis->stride[0]);
    q->n_frames++;
    return VSR_OK;
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
