/* ADM, after libvmaf's float_adm (adm.c, adm_tools.c, adm_tools.h): see
 * adm.h. Differences in form, not in result: the contrast-masking
 * threshold sums one image of the three orientations' filtered impairment
 * instead of three, and only the region that the pooling reads (plus the
 * masking filter's one-pixel margin) is computed. */
#include "quality/adm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "quality/vmaf_math.h"

#define ADM_BORDER_FACTOR 0.1
#define ADM_NOISE_WEIGHT (1.0 / 32.0)
#define ADM_VIEW_DIST 3.0
#define ADM_REF_DISPLAY_HEIGHT 1080
#define ADM_ONE_BY_30 0.0333333351f
#define ADM_ONE_BY_15 0.0666666701f

enum { BAND_A, BAND_H, BAND_V, BAND_D, N_BANDS };

typedef struct adm_bands {
    float *b[N_BANDS]; /* w x h each, stride w */
} adm_bands;

struct vsr_adm {
    int width, height, threads;
    adm_bands ref[2], dis[2]; /* [even|odd scale]: odd scales are a quarter the size */
    float *restored[3];       /* csf-weighted restored detail, per orientation */
    float *mask_sum;          /* sum over orientations of |csf impairment| / 30 */
    float *mask_center;       /* sum over orientations of |csf impairment| / 15 */
    float *row_sums;          /* 3 per row */
    float *row_buffers;       /* per thread: 2 rows of width floats */
    int *row_index[4], *col_index[4];
};

static int half_up(int n)
{
    return (n + 1) / 2;
}

int vsr_adm_create(int width, int height, int threads, vsr_adm **out, vsr_error *err)
{
    *out = NULL;
    if (width < 32 || height < 32)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "ADM: %dx%d is too small (at least 32x32)", width, height);
    vsr_adm *a = calloc(1, sizeof *a);
    if (!a)
        return vsr_error_set(err, VSR_ERR_NOMEM, "ADM: out of memory");
    a->width = width;
    a->height = height;
    a->threads = threads > 0 ? threads : 1;
    size_t n0 = (size_t)half_up(width) * (size_t)half_up(height);
    size_t n1 = (size_t)half_up(half_up(width)) * (size_t)half_up(half_up(height));
    int ok = 1;
    for (int b = 0; b < N_BANDS; b++) {
        ok &= (a->ref[0].b[b] = malloc(n0 * sizeof(float))) != NULL;
        ok &= (a->dis[0].b[b] = malloc(n0 * sizeof(float))) != NULL;
        ok &= (a->ref[1].b[b] = malloc(n1 * sizeof(float))) != NULL;
        ok &= (a->dis[1].b[b] = malloc(n1 * sizeof(float))) != NULL;
    }
    for (int t = 0; t < 3; t++)
        ok &= (a->restored[t] = malloc(n0 * sizeof(float))) != NULL;
    ok &= (a->mask_sum = malloc(n0 * sizeof(float))) != NULL;
    ok &= (a->mask_center = malloc(n0 * sizeof(float))) != NULL;
    ok &= (a->row_sums = malloc((size_t)height * 3 * sizeof(float))) != NULL;
    ok &= (a->row_buffers = malloc((size_t)a->threads * 2 * (size_t)width * sizeof(float))) !=
          NULL;
    for (int k = 0; k < 4; k++) {
        ok &= (a->row_index[k] = malloc((size_t)half_up(height) * sizeof(int))) != NULL;
        ok &= (a->col_index[k] = malloc((size_t)half_up(width) * sizeof(int))) != NULL;
    }
    if (!ok) {
        vsr_adm_free(a);
        return vsr_error_set(err, VSR_ERR_NOMEM, "ADM: out of memory for %dx%d", width, height);
    }
    *out = a;
    return VSR_OK;
}

void vsr_adm_free(vsr_adm *a)
{
    if (!a)
        return;
    for (int s = 0; s < 2; s++)
        for (int b = 0; b < N_BANDS; b++) {
            free(a->ref[s].b[b]);
            free(a->dis[s].b[b]);
        }
    for (int t = 0; t < 3; t++)
        free(a->restored[t]);
    free(a->mask_sum);
    free(a->mask_center);
    free(a->row_sums);
    free(a->row_buffers);
    for (int k = 0; k < 4; k++) {
        free(a->row_index[k]);
        free(a->col_index[k]);
    }
    free(a);
}

/* The four source indices (2i-1 .. 2i+2, mirrored) of each output sample. */
static void dwt_indices(int *index[4], int n)
{
    for (int i = 0; i < half_up(n); i++)
        for (int k = 0; k < 4; k++)
            index[k][i] = vsr_vmaf_mirror(2 * i - 1 + k, n);
}

/* One level of libvmaf's db2 transform (adm_dwt2_s) of a w x h picture. */
static void adm_dwt2(vsr_adm *a, const float *src, int stride, int w, int h, adm_bands *dst)
{
    static const float lo[4] = {0.482962913144690f, 0.836516303737469f, 0.224143868041857f,
                                -0.129409522550921f};
    static const float hi[4] = {-0.129409522550921f, -0.224143868041857f, 0.836516303737469f,
                                -0.482962913144690f};
    const int w2 = half_up(w), h2 = half_up(h);
#pragma omp parallel for num_threads(a->threads) schedule(static)
    for (int i = 0; i < h2; i++) {
        float *restrict tlo = a->row_buffers + (size_t)omp_get_thread_num() * 2 * a->width;
        float *restrict thi = tlo + a->width;
        const float *restrict s0 = src + (size_t)a->row_index[0][i] * stride;
        const float *restrict s1 = src + (size_t)a->row_index[1][i] * stride;
        const float *restrict s2 = src + (size_t)a->row_index[2][i] * stride;
        const float *restrict s3 = src + (size_t)a->row_index[3][i] * stride;
        for (int j = 0; j < w; j++) {
            float acc = 0.0f;
            acc += lo[0] * s0[j];
            acc += lo[1] * s1[j];
            acc += lo[2] * s2[j];
            acc += lo[3] * s3[j];
            tlo[j] = acc;
            acc = 0.0f;
            acc += hi[0] * s0[j];
            acc += hi[1] * s1[j];
            acc += hi[2] * s2[j];
            acc += hi[3] * s3[j];
            thi[j] = acc;
        }
        float *ba = dst->b[BAND_A] + (size_t)i * w2, *bv = dst->b[BAND_V] + (size_t)i * w2;
        float *bh = dst->b[BAND_H] + (size_t)i * w2, *bd = dst->b[BAND_D] + (size_t)i * w2;
        for (int j = 0; j < w2; j++) {
            const int j0 = a->col_index[0][j], j1 = a->col_index[1][j];
            const int j2 = a->col_index[2][j], j3 = a->col_index[3][j];
            float acc = 0.0f;
            acc += lo[0] * tlo[j0];
            acc += lo[1] * tlo[j1];
            acc += lo[2] * tlo[j2];
            acc += lo[3] * tlo[j3];
            ba[j] = acc;
            acc = 0.0f;
            acc += hi[0] * tlo[j0];
            acc += hi[1] * tlo[j1];
            acc += hi[2] * tlo[j2];
            acc += hi[3] * tlo[j3];
            bv[j] = acc;
            acc = 0.0f;
            acc += lo[0] * thi[j0];
            acc += lo[1] * thi[j1];
            acc += lo[2] * thi[j2];
            acc += lo[3] * thi[j3];
            bh[j] = acc;
            acc = 0.0f;
            acc += hi[0] * thi[j0];
            acc += hi[1] * thi[j1];
            acc += hi[2] * thi[j2];
            acc += hi[3] * thi[j3];
            bd[j] = acc;
        }
    }
}

/* Watson et al.'s DWT quantisation step for luma at scale lambda and
 * orientation theta (1 horizontal/vertical, 2 diagonal): libvmaf's
 * dwt_quant_step with its float roundings. */
static float adm_quant_step(int lambda, int theta)
{
    static const float a = 0.495f, k = 0.466f, f0 = 0.401f;
    static const float g[4] = {1.501f, 1.0f, 0.534f, 1.0f};
    static const float amplitude[4][4] = {{0.62171f, 0.67234f, 0.72709f, 0.67234f},
                                          {0.34537f, 0.41317f, 0.49428f, 0.41317f},
                                          {0.18004f, 0.22727f, 0.28688f, 0.22727f},
                                          {0.091401f, 0.11792f, 0.15214f, 0.11792f}};
    float r = (float)(ADM_VIEW_DIST * ADM_REF_DISPLAY_HEIGHT * 3.14159265358979323846 / 180.0);
    float temp = (float)log10(pow(2.0, lambda + 1) * f0 * g[theta] / r);
    return (float)(2.0 * a * pow(10.0, k * temp * temp) / amplitude[lambda][theta]);
}

/* The pooling region of a w x h band: libvmaf's border rule. */
typedef struct adm_region {
    int left, top, right, bottom;
} adm_region;

static adm_region adm_pool_region(int w, int h)
{
    adm_region r;
    r.left = (int)(w * ADM_BORDER_FACTOR - 0.5);
    r.top = (int)(h * ADM_BORDER_FACTOR - 0.5);
    r.right = w - r.left;
    r.bottom = h - r.top;
    return r;
}

static float adm_noise_floor(const adm_region *r)
{
    return powf((float)((r->right - r->left) * (r->bottom - r->top) * ADM_NOISE_WEIGHT),
                1.0f / 3.0f);
}

/* The denominator of one scale: the reference's csf-weighted detail. */
static float adm_scale_den(vsr_adm *a, const adm_bands *ref, int w, int h, const float rf[3])
{
    const adm_region r = adm_pool_region(w, h);
    float *sums = a->row_sums;
#pragma omp parallel for num_threads(a->threads) schedule(static)
    for (int i = r.top; i < r.bottom; i++) {
        for (int t = 0; t < 3; t++) {
            const float *restrict x = ref->b[BAND_H + t] + (size_t)i * w;
            const float f = rf[t];
            float acc = 0.0f;
            for (int j = r.left; j < r.right; j++) {
                float v = fabsf(f * x[j]);
                acc += v * v * v;
            }
            sums[(size_t)i * 3 + t] = acc;
        }
    }
    float total[3] = {0.0f, 0.0f, 0.0f};
    for (int i = r.top; i < r.bottom; i++)
        for (int t = 0; t < 3; t++)
            total[t] += sums[(size_t)i * 3 + t];
    float noise = adm_noise_floor(&r), den = 0.0f;
    for (int t = 0; t < 3; t++)
        den += powf(total[t], 1.0f / 3.0f) + noise;
    return den;
}

/* Decouples one pixel's detail (libvmaf's adm_decouple_s with
 * ADM_OPT_AVOID_ATAN): *restored is the part of t the reference o
 * explains, capped by the gain limit where both point the same way. */
static inline float adm_restore(float o, float t, int same_angle, double limit)
{
    const float eps = 1e-30f;
    float k = t / (o + eps);
    k = k < 0.0f ? 0.0f : (k > 1.0f ? 1.0f : k);
    float rst = k * o;
    if (same_angle && rst > 0.0f) {
        double c = rst * limit;
        rst = (float)(c < t ? c : t);
    } else if (same_angle && rst < 0.0f) {
        double c = rst * limit;
        rst = (float)(c > t ? c : t);
    }
    return rst;
}

/* The numerator of one scale for one gain limit: decoupling, csf weights,
 * contrast masking, cubic pooling. */
static float adm_scale_num(vsr_adm *a, const adm_bands *ref, const adm_bands *dis, int w, int h,
                           const float rf[3], double limit)
{
    const adm_region r = adm_pool_region(w, h);
    /* the masking filter reads one pixel around the region */
    int left = (int)(w * ADM_BORDER_FACTOR - 0.5 - 1), top = (int)(h * ADM_BORDER_FACTOR - 0.5 - 1);
    int right = w - left + 2, bottom = h - top + 2;
    left = left < 0 ? 0 : left;
    top = top < 0 ? 0 : top;
    right = right > w ? w : right;
    bottom = bottom > h ? h : bottom;
    const float cos_1deg_sq = (float)(cos(1.0 * 3.14159265358979323846 / 180.0) *
                                      cos(1.0 * 3.14159265358979323846 / 180.0));
#pragma omp parallel for num_threads(a->threads) schedule(static)
    for (int i = top; i < bottom; i++) {
        const size_t row = (size_t)i * w;
        const float *oh = ref->b[BAND_H] + row, *ov = ref->b[BAND_V] + row,
                    *od = ref->b[BAND_D] + row;
        const float *th = dis->b[BAND_H] + row, *tv = dis->b[BAND_V] + row,
                    *td = dis->b[BAND_D] + row;
        float *xh = a->restored[0] + row, *xv = a->restored[1] + row, *xd = a->restored[2] + row;
        float *ms = a->mask_sum + row, *mc = a->mask_center + row;
        for (int j = left; j < right; j++) {
            float ot_dp = oh[j] * th[j] + ov[j] * tv[j];
            float o_mag_sq = oh[j] * oh[j] + ov[j] * ov[j];
            float t_mag_sq = th[j] * th[j] + tv[j] * tv[j];
            int same = (ot_dp >= 0.0f) && (ot_dp * ot_dp >= cos_1deg_sq * o_mag_sq * t_mag_sq);
            float rh = adm_restore(oh[j], th[j], same, limit);
            float rv = adm_restore(ov[j], tv[j], same, limit);
            float rd = adm_restore(od[j], td[j], same, limit);
            float ah = rf[0] * (th[j] - rh), av = rf[1] * (tv[j] - rv), ad = rf[2] * (td[j] - rd);
            xh[j] = rf[0] * rh;
            xv[j] = rf[1] * rv;
            xd[j] = rf[2] * rd;
            ms[j] = ADM_ONE_BY_30 * fabsf(ah) + ADM_ONE_BY_30 * fabsf(av) +
                    ADM_ONE_BY_30 * fabsf(ad);
            mc[j] = ADM_ONE_BY_15 * fabsf(ah) + ADM_ONE_BY_15 * fabsf(av) +
                    ADM_ONE_BY_15 * fabsf(ad);
        }
    }
    float *sums = a->row_sums;
#pragma omp parallel for num_threads(a->threads) schedule(static)
    for (int i = r.top; i < r.bottom; i++) {
        const float *up = a->mask_sum + (size_t)vsr_vmaf_mirror(i - 1, h) * w;
        const float *mid = a->mask_sum + (size_t)i * w;
        const float *down = a->mask_sum + (size_t)vsr_vmaf_mirror(i + 1, h) * w;
        const float *center = a->mask_center + (size_t)i * w;
        float acc[3] = {0.0f, 0.0f, 0.0f};
        for (int j = r.left; j < r.right; j++) {
            int jl = vsr_vmaf_mirror(j - 1, w), jr = vsr_vmaf_mirror(j + 1, w);
            float thr = up[jl] + up[j] + up[jr] + mid[jl] + center[j] + mid[jr] + down[jl] +
                        down[j] + down[jr];
            for (int t = 0; t < 3; t++) {
                float x = fabsf(a->restored[t][(size_t)i * w + j]) - thr;
                x = x < 0.0f ? 0.0f : x;
                acc[t] += x * x * x;
            }
        }
        for (int t = 0; t < 3; t++)
            sums[(size_t)i * 3 + t] = acc[t];
    }
    float total[3] = {0.0f, 0.0f, 0.0f};
    for (int i = r.top; i < r.bottom; i++)
        for (int t = 0; t < 3; t++)
            total[t] += sums[(size_t)i * 3 + t];
    float noise = adm_noise_floor(&r), num = 0.0f;
    for (int t = 0; t < 3; t++)
        num += powf(total[t], 1.0f / 3.0f) + noise;
    return num;
}

void vsr_adm_compute(vsr_adm *a, const float *ref, const float *dis, int stride,
                     const double *gain_limits, int n_limits, double *scores)
{
    int w = a->width, h = a->height, cur_stride = stride;
    const float *cur_ref = ref, *cur_dis = dis;
    double num[VSR_ADM_MAX_LIMITS] = {0}, den = 0.0;
    for (int scale = 0; scale < VSR_ADM_SCALES; scale++) {
        adm_bands *rb = &a->ref[scale & 1], *db = &a->dis[scale & 1];
        dwt_indices(a->row_index, h);
        dwt_indices(a->col_index, w);
        adm_dwt2(a, cur_ref, cur_stride, w, h, rb);
        adm_dwt2(a, cur_dis, cur_stride, w, h, db);
        w = half_up(w);
        h = half_up(h);
        const float f1 = 1.0f / adm_quant_step(scale, 1), f2 = 1.0f / adm_quant_step(scale, 2);
        const float rf[3] = {f1, f1, f2};
        den += adm_scale_den(a, rb, w, h, rf);
        for (int l = 0; l < n_limits; l++)
            num[l] += adm_scale_num(a, rb, db, w, h, rf, gain_limits[l]);
        cur_ref = rb->b[BAND_A];
        cur_dis = db->b[BAND_A];
        cur_stride = w;
    }
    /* libvmaf: sums below this are taken as 0 (and 0/0 as a perfect 1) */
    const double limit = 1e-10 * ((double)a->width * a->height) / (1920.0 * 1080.0);
    den = den < limit ? 0.0 : den;
    for (int l = 0; l < n_limits; l++) {
        double n = num[l] < limit ? 0.0 : num[l];
        scores[l] = den == 0.0 ? 1.0 : n / den;
    }
}
