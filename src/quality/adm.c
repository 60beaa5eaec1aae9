/* ADM, after libvmaf's float_adm (adm.c, adm_tools.c, adm_tools.h): see
 * adm.h. Differences in form, not in result: the contrast-masking
 * threshold sums one image of the three orientations' filtered impairment
 * instead of three, and only the region that the pooling reads (plus the
 * masking filter's one-pixel margin) is computed. */
#include "quality/adm.h"

#include <math.h>
#include <stdlib.h>

#include "quality/vmaf_math.h"
#include "quality/vmaf_simd.h"

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
    int width, height;
    adm_bands ref[2], dis[2]; /* [even|odd scale]: odd scales are a quarter the size */
    float *restored[3];       /* csf-weighted restored detail, per orientation */
    float *mask_sum;          /* sum over orientations of |csf impairment| / 30 */
    float *mask_center;       /* sum over orientations of |csf impairment| / 15 */
    float *row_sums;          /* 3 per row */
    float *row_buffers;       /* 2 rows of width floats */
    int *row_index[4], *col_index[4];
};

static int half_up(int n)
{
    return (n + 1) / 2;
}

int vsr_adm_create(int width, int height, vsr_adm **out, vsr_error *err)
{
    *out = NULL;
    if (width < 32 || height < 32)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "ADM: %dx%d is too small (at least 32x32)",
                             width, height);
    vsr_adm *a = calloc(1, sizeof *a);
    if (!a)
        return vsr_error_set(err, VSR_ERR_NOMEM, "ADM: out of memory");
    a->width = width;
    a->height = height;
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
    ok &= (a->row_buffers = malloc((size_t)2 * (size_t)width * sizeof(float))) != NULL;
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

static const float db2_lo[4] = {0.482962913144690f, 0.836516303737469f, 0.224143868041857f,
                                -0.129409522550921f};
static const float db2_hi[4] = {-0.129409522550921f, -0.224143868041857f, 0.836516303737469f,
                                -0.482962913144690f};

/* The vertical pass of one output row: low and high pass of the four
 * source rows, in libvmaf's order of taps. */
VSR_QUALITY_KERNEL
static void dwt_vertical(const float *restrict s0, const float *restrict s1,
                         const float *restrict s2, const float *restrict s3, float *restrict tlo,
                         float *restrict thi, int w)
{
    for (int j = 0; j < w; j++) {
        float lo = 0.0f, hi = 0.0f;
        lo += db2_lo[0] * s0[j];
        lo += db2_lo[1] * s1[j];
        lo += db2_lo[2] * s2[j];
        lo += db2_lo[3] * s3[j];
        hi += db2_hi[0] * s0[j];
        hi += db2_hi[1] * s1[j];
        hi += db2_hi[2] * s2[j];
        hi += db2_hi[3] * s3[j];
        tlo[j] = lo;
        thi[j] = hi;
    }
}

static inline float dwt_tap4(const float *f, float a, float b, float c, float d)
{
    float acc = 0.0f;
    acc += f[0] * a;
    acc += f[1] * b;
    acc += f[2] * c;
    acc += f[3] * d;
    return acc;
}

/* The horizontal pass of one output row for columns [j0, j1), whose four
 * source columns 2j-1 .. 2j+2 all lie inside the row (no mirroring). */
VSR_QUALITY_KERNEL
static void dwt_horizontal_inner(const float *restrict tlo, const float *restrict thi,
                                 float *restrict ba, float *restrict bv, float *restrict bh,
                                 float *restrict bd, int j0, int j1)
{
    for (int j = j0; j < j1; j++) {
        const float *l = tlo + 2 * j - 1, *h = thi + 2 * j - 1;
        ba[j] = dwt_tap4(db2_lo, l[0], l[1], l[2], l[3]);
        bv[j] = dwt_tap4(db2_hi, l[0], l[1], l[2], l[3]);
        bh[j] = dwt_tap4(db2_lo, h[0], h[1], h[2], h[3]);
        bd[j] = dwt_tap4(db2_hi, h[0], h[1], h[2], h[3]);
    }
}

/* One level of libvmaf's db2 transform (adm_dwt2_s) of a w x h picture. */
static void adm_dwt2(vsr_adm *a, const float *src, int stride, int w, int h, adm_bands *dst)
{
    const int w2 = half_up(w), h2 = half_up(h);
    /* columns whose taps 2j-1 .. 2j+2 are all inside: 1 <= j <= (w-3)/2 */
    const int inner0 = 1, inner1 = (w - 3) / 2 + 1;
    for (int i = 0; i < h2; i++) {
        float *tlo = a->row_buffers;
        float *thi = tlo + a->width;
        dwt_vertical(src + (size_t)a->row_index[0][i] * stride,
                     src + (size_t)a->row_index[1][i] * stride,
                     src + (size_t)a->row_index[2][i] * stride,
                     src + (size_t)a->row_index[3][i] * stride, tlo, thi, w);
        float *ba = dst->b[BAND_A] + (size_t)i * w2, *bv = dst->b[BAND_V] + (size_t)i * w2;
        float *bh = dst->b[BAND_H] + (size_t)i * w2, *bd = dst->b[BAND_D] + (size_t)i * w2;
        dwt_horizontal_inner(tlo, thi, ba, bv, bh, bd, inner0, inner1);
        for (int j = 0; j < w2; j++) {
            if (j == inner0)
                j = inner1 > inner0 ? inner1 : inner0;
            if (j >= w2)
                break;
            const int *c[4] = {a->col_index[0], a->col_index[1], a->col_index[2], a->col_index[3]};
            ba[j] = dwt_tap4(db2_lo, tlo[c[0][j]], tlo[c[1][j]], tlo[c[2][j]], tlo[c[3][j]]);
            bv[j] = dwt_tap4(db2_hi, tlo[c[0][j]], tlo[c[1][j]], tlo[c[2][j]], tlo[c[3][j]]);
            bh[j] = dwt_tap4(db2_lo, thi[c[0][j]], thi[c[1][j]], thi[c[2][j]], thi[c[3][j]]);
            bd[j] = dwt_tap4(db2_hi, thi[c[0][j]], thi[c[1][j]], thi[c[2][j]], thi[c[3][j]]);
        }
    }
}

/* Watson et al.'s DWT quantisation step for luma at scale lambda and
 * orientation theta (1 horizontal/vertical, 2 diagonal): libvmaf's
 * dwt_quant_step with its float roundings. */
float vsr_adm_quant_step(int lambda, int theta)
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
 * ADM_OPT_AVOID_ATAN): the part of t that the reference o explains,
 * capped by the gain limit where both point the same way. Branch-free. */
static inline float adm_restore(float o, float t, int same_angle, float limit)
{
    const float eps = 1e-30f;
    float k = t / (o + eps);
    k = k < 0.0f ? 0.0f : (k > 1.0f ? 1.0f : k);
    const float rst = k * o, c = rst * limit;
    const float up = c < t ? c : t, down = c > t ? c : t;
    return same_angle ? (rst > 0.0f ? up : (rst < 0.0f ? down : rst)) : rst;
}

/* One row of decoupling, csf weighting and the masking sums. */
VSR_QUALITY_KERNEL
static void adm_decouple_row(const float *restrict oh, const float *restrict ov,
                             const float *restrict od, const float *restrict th,
                             const float *restrict tv, const float *restrict td, float *restrict xh,
                             float *restrict xv, float *restrict xd, float *restrict ms,
                             float *restrict mc, int j0, int j1, const float rf[3], float limit,
                             float cos_1deg_sq)
{
    const float f0 = rf[0], f1 = rf[1], f2 = rf[2];
    for (int j = j0; j < j1; j++) {
        const float ot_dp = oh[j] * th[j] + ov[j] * tv[j];
        const float o_mag_sq = oh[j] * oh[j] + ov[j] * ov[j];
        const float t_mag_sq = th[j] * th[j] + tv[j] * tv[j];
        const int same = (ot_dp >= 0.0f) & (ot_dp * ot_dp >= cos_1deg_sq * o_mag_sq * t_mag_sq);
        const float rh = adm_restore(oh[j], th[j], same, limit);
        const float rv = adm_restore(ov[j], tv[j], same, limit);
        const float rd = adm_restore(od[j], td[j], same, limit);
        const float ah = fabsf(f0 * (th[j] - rh)), av = fabsf(f1 * (tv[j] - rv)),
                    ad = fabsf(f2 * (td[j] - rd));
        xh[j] = f0 * rh;
        xv[j] = f1 * rv;
        xd[j] = f2 * rd;
        ms[j] = ADM_ONE_BY_30 * ah + ADM_ONE_BY_30 * av + ADM_ONE_BY_30 * ad;
        mc[j] = ADM_ONE_BY_15 * ah + ADM_ONE_BY_15 * av + ADM_ONE_BY_15 * ad;
    }
}

/* Contrast masking and cubic pooling of one row over columns [j0, j1),
 * which must have both neighbours inside the row. */
VSR_QUALITY_KERNEL
static void adm_cm_row(const float *restrict up, const float *restrict mid,
                       const float *restrict down, const float *restrict center,
                       const float *restrict xh, const float *restrict xv, const float *restrict xd,
                       int j0, int j1, float acc_out[3])
{
    float ah = 0.0f, av = 0.0f, ad = 0.0f;
#pragma omp simd reduction(+ : ah, av, ad)
    for (int j = j0; j < j1; j++) {
        const float thr = up[j - 1] + up[j] + up[j + 1] + mid[j - 1] + center[j] + mid[j + 1] +
                          down[j - 1] + down[j] + down[j + 1];
        float h = fabsf(xh[j]) - thr, v = fabsf(xv[j]) - thr, d = fabsf(xd[j]) - thr;
        h = h < 0.0f ? 0.0f : h;
        v = v < 0.0f ? 0.0f : v;
        d = d < 0.0f ? 0.0f : d;
        ah += h * h * h;
        av += v * v * v;
        ad += d * d * d;
    }
    acc_out[0] += ah;
    acc_out[1] += av;
    acc_out[2] += ad;
}

/* The same for one column at a picture edge (mirrored neighbours). */
static void adm_cm_edge(const float *up, const float *mid, const float *down, const float *center,
                        const float *const x[3], int j, int w, float acc_out[3])
{
    const int jl = vsr_vmaf_mirror(j - 1, w), jr = vsr_vmaf_mirror(j + 1, w);
    const float thr =
        up[jl] + up[j] + up[jr] + mid[jl] + center[j] + mid[jr] + down[jl] + down[j] + down[jr];
    for (int t = 0; t < 3; t++) {
        float v = fabsf(x[t][j]) - thr;
        v = v < 0.0f ? 0.0f : v;
        acc_out[t] += v * v * v;
    }
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
    for (int i = top; i < bottom; i++) {
        const size_t row = (size_t)i * w;
        adm_decouple_row(ref->b[BAND_H] + row, ref->b[BAND_V] + row, ref->b[BAND_D] + row,
                         dis->b[BAND_H] + row, dis->b[BAND_V] + row, dis->b[BAND_D] + row,
                         a->restored[0] + row, a->restored[1] + row, a->restored[2] + row,
                         a->mask_sum + row, a->mask_center + row, left, right, rf, (float)limit,
                         cos_1deg_sq);
    }
    /* columns with both neighbours inside the row go through the vector
     * kernel; the (rare) edge columns through the mirrored one */
    const int in0 = r.left > 1 ? r.left : 1, in1 = r.right < w - 1 ? r.right : w - 1;
    float *sums = a->row_sums;
    for (int i = r.top; i < r.bottom; i++) {
        const size_t row = (size_t)i * w;
        const float *up = a->mask_sum + (size_t)vsr_vmaf_mirror(i - 1, h) * w;
        const float *mid = a->mask_sum + row;
        const float *down = a->mask_sum + (size_t)vsr_vmaf_mirror(i + 1, h) * w;
        const float *center = a->mask_center + row;
        const float *const x[3] = {a->restored[0] + row, a->restored[1] + row,
                                   a->restored[2] + row};
        float acc[3] = {0.0f, 0.0f, 0.0f};
        for (int j = r.left; j < in0; j++)
            adm_cm_edge(up, mid, down, center, x, j, w, acc);
        adm_cm_row(up, mid, down, center, x[0], x[1], x[2], in0, in1, acc);
        for (int j = in1 > in0 ? in1 : in0; j < r.right; j++)
            adm_cm_edge(up, mid, down, center, x, j, w, acc);
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
        const float f1 = 1.0f / vsr_adm_quant_step(scale, 1),
                    f2 = 1.0f / vsr_adm_quant_step(scale, 2);
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
