/* VIF, after libvmaf's float_vif (vif.c, vif_tools.c): see vif.h. Each
 * output row is made from the input rows around it in one pass (vertical
 * filter of the five moments into row buffers, horizontal filter, the
 * statistic), so no full-size moment image is ever stored. */
#include "quality/vif.h"

#include <stdlib.h>

#include "quality/vmaf_math.h"
#include "quality/vmaf_simd.h"

/* The scores the validators see come from libvmaf's integer VIF
 * (integer_vif.c), the one its vmaf_v0.6.1 and v0.6.1neg models name. Its
 * fixed-point pipeline differs from float_vif's in three ways, followed
 * here for VSR_VIF_INTEGER (VSR_VIF_FLOAT is float_vif as it is):
 * - it works on pixel values 0..255 (no -128 offset);
 * - the vertical pass of each mean (mu) is rounded to 1/256 (Q8) at every
 *   scale (filter1d_8: (accum + 128) >> 8; filter1d_16: >> 16), and so are
 *   both passes of the decimation filter (filter1d_rd_*, uint16 pictures);
 * - its vertical border mirror does not repeat the last row
 *   (pad_top_and_bottom: row h-1+k reads row h-1-k).
 * The rounded means put noise of about 2 * mu * 2^-9 into sigma = E[x^2] -
 * mu^2. Where the distorted picture is locally a linear function of the
 * reference (contrast, sharpening, upscaling), sv_sq is ~0 and that noise,
 * clamped at 0, raises it: VIF drops by ~0.002-0.003 at scales 1-3. With
 * the NEG gain limit (g <= 1) the score is no longer saturated and that
 * is ~0.3 VMAF NEG on a contrast-enhanced clip. */
#define VIF_PIXEL_OFFSET 128.0f /* the input is pixel - 128 (see quality.c) */

/* x rounded to a multiple of 1/256, half up: x >= 0 here (means of
 * non-negative pixels, positive filter taps), so truncation is floor. */
static inline float vif_round_q8(float x)
{
    return (float)(int)(x * 256.0f + 0.5f) * (1.0f / 256.0f);
}

/* libvmaf integer VIF's row mirror: -k reads k, h-1+k reads h-1-k. */
static inline int vif_mirror_row(int i, int h)
{
    return i < 0 ? -i : (i >= h ? 2 * h - i - 2 : i);
}

/* libvmaf's vif_filter1d_table_s for kernelscale 1.0, one per scale. */
static const float vif_filter_s0[17] = {
    0.00745626912f, 0.0142655009f, 0.0250313189f, 0.0402820669f, 0.0594526194f, 0.0804751068f,
    0.0999041125f,  0.113746084f,  0.118773937f,  0.113746084f,  0.0999041125f, 0.0804751068f,
    0.0594526194f,  0.0402820669f, 0.0250313189f, 0.0142655009f, 0.00745626912f};
static const float vif_filter_s1[9] = {0.0189780835f, 0.0558981746f, 0.120920904f,
                                       0.192116052f,  0.224173605f,  0.192116052f,
                                       0.120920904f,  0.0558981746f, 0.0189780835f};
static const float vif_filter_s2[5] = {0.054488685f, 0.244201347f, 0.402619958f, 0.244201347f,
                                       0.054488685f};
static const float vif_filter_s3[3] = {0.166378498f, 0.667243004f, 0.166378498f};

static const float *const vif_filters[VSR_VIF_SCALES] = {vif_filter_s0, vif_filter_s1,
                                                         vif_filter_s2, vif_filter_s3};
static const int vif_filter_width[VSR_VIF_SCALES] = {17, 9, 5, 3};

#define VIF_MAX_RADIUS 8
#define VIF_MOMENTS 5 /* mu1, mu2, ref^2, dis^2, ref*dis */

struct vsr_vif {
    int width, height;
    float *scaled[2][2]; /* [ref|dis][ping|pong]: the decimated pictures of scales 1-3 */
    float *row_sums;     /* (1 + VSR_VIF_MAX_LIMITS) sums per row */
    float *row_buffers;  /* 2 x VIF_MOMENTS rows of row_stride floats */
    int row_stride;
};

int vsr_vif_create(int width, int height, vsr_vif **out, vsr_error *err)
{
    *out = NULL;
    if (width < 32 || height < 32)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "VIF: %dx%d is too small (at least 32x32)",
                             width, height);
    vsr_vif *v = calloc(1, sizeof *v);
    if (!v)
        return vsr_error_set(err, VSR_ERR_NOMEM, "VIF: out of memory");
    v->width = width;
    v->height = height;
    v->row_stride = width + 2 * VIF_MAX_RADIUS + 16;
    size_t scaled = (size_t)(width / 2) * (size_t)(height / 2);
    int ok = 1;
    for (int p = 0; p < 2; p++)
        for (int b = 0; b < 2; b++)
            ok &= (v->scaled[p][b] = malloc(scaled * sizeof(float))) != NULL;
    ok &= (v->row_sums = malloc((size_t)height * (1 + VSR_VIF_MAX_LIMITS) * sizeof(float))) != NULL;
    ok &= (v->row_buffers =
               malloc((size_t)2 * VIF_MOMENTS * (size_t)v->row_stride * sizeof(float))) != NULL;
    if (!ok) {
        vsr_vif_free(v);
        return vsr_error_set(err, VSR_ERR_NOMEM, "VIF: out of memory for %dx%d", width, height);
    }
    *out = v;
    return VSR_OK;
}

void vsr_vif_free(vsr_vif *v)
{
    if (!v)
        return;
    for (int p = 0; p < 2; p++)
        for (int b = 0; b < 2; b++)
            free(v->scaled[p][b]);
    free(v->row_sums);
    free(v->row_buffers);
    free(v);
}

/* Fills the r floats on each side of row[r .. r+w) by libvmaf's mirror. */
static void mirror_row_edges(float *row, int w, int r)
{
    for (int k = 1; k <= r; k++) {
        row[r - k] = row[r + k];
        row[r + w - 1 + k] = row[r + w - k];
    }
}

/* The vertical pass of one tap for the five moments: e_m[j] += c * moment_m(a[j], b[j]). */
VSR_QUALITY_KERNEL
static void vif_vertical_tap(float *restrict e0, float *restrict e1, float *restrict e2,
                             float *restrict e3, float *restrict e4, const float *restrict a,
                             const float *restrict b, float c, float offset, int w)
{
    for (int j = 0; j < w; j++) {
        const float x = a[j] + offset, y = b[j] + offset;
        e0[j] += c * x;
        e1[j] += c * y;
        e2[j] += c * (x * x);
        e3[j] += c * (y * y);
        e4[j] += c * (x * y);
    }
}

/* e[j] rounded to 1/256: see vif_round_q8. */
VSR_QUALITY_KERNEL
static void vif_round_row_q8(float *restrict e, int w)
{
    for (int j = 0; j < w; j++)
        e[j] = vif_round_q8(e[j]);
}

/* e[j] += c * a[j]: one tap of a vertical pass. */
VSR_QUALITY_KERNEL
static void vif_vertical_tap1(float *restrict e, const float *restrict a, float c, float offset,
                              int w)
{
    for (int j = 0; j < w; j++)
        e[j] += c * (a[j] + offset);
}

/* out[j] = sum_k f[k] * ext[j + k], for j < w (ext holds the mirrored row). */
VSR_QUALITY_KERNEL
static void filter_horizontal(const float *restrict ext, const float *restrict f, int fw, int w,
                              float *restrict out)
{
    for (int j = 0; j < w; j++)
        out[j] = 0.0f;
    for (int k = 0; k < fw; k++) {
        const float c = f[k];
        const float *restrict e = ext + k;
        for (int j = 0; j < w; j++)
            out[j] += c * e[j];
    }
}

/* The VIF statistic of one row for one gain limit: libvmaf's
 * vif_statistic_s, written without branches so that it vectorises. Adds
 * the row's numerator and denominator into *num and *den. */
VSR_QUALITY_KERNEL
static void vif_row_statistic(const float *restrict mu1, const float *restrict mu2,
                              const float *restrict xx, const float *restrict yy,
                              const float *restrict xy, int w, float limit, float *num_out,
                              float *den_out)
{
    const float sigma_nsq = 2.0f, sigma_max_inv = 4.0f / (255.0f * 255.0f), eps = 1.0e-10f;
    float num = 0.0f, den = 0.0f;
#pragma omp simd reduction(+ : num, den)
    for (int j = 0; j < w; j++) {
        float sigma1_sq = xx[j] - mu1[j] * mu1[j];
        float sigma2_sq = yy[j] - mu2[j] * mu2[j];
        float sigma12 = xy[j] - mu1[j] * mu2[j];
        sigma1_sq = sigma1_sq > 0.0f ? sigma1_sq : 0.0f;
        sigma2_sq = sigma2_sq > 0.0f ? sigma2_sq : 0.0f;
        float g = sigma12 / (sigma1_sq + eps);
        float sv_sq = sigma2_sq - g * sigma12;
        const int s1_zero = sigma1_sq < eps;
        g = s1_zero ? 0.0f : g;
        sv_sq = s1_zero ? sigma2_sq : sv_sq;
        sigma1_sq = s1_zero ? 0.0f : sigma1_sq;
        const int s2_zero = sigma2_sq < eps;
        g = s2_zero ? 0.0f : g;
        sv_sq = s2_zero ? 0.0f : sv_sq;
        const int g_neg = g < 0.0f;
        sv_sq = g_neg ? sigma2_sq : sv_sq;
        g = g_neg ? 0.0f : g;
        sv_sq = sv_sq > eps ? sv_sq : eps;
        g = g < limit ? g : limit;
        float n = vsr_vmaf_log2f(1.0f + (g * g * sigma1_sq) / (sv_sq + sigma_nsq));
        float d = vsr_vmaf_log2f(1.0f + sigma1_sq / sigma_nsq);
        n = sigma12 < 0.0f ? 0.0f : n;
        const int flat = sigma1_sq < sigma_nsq;
        n = flat ? 1.0f - sigma2_sq * sigma_max_inv : n;
        d = flat ? 1.0f : d;
        num += n;
        den += d;
    }
    *num_out = num;
    *den_out = den;
}

/* One scale's statistic over a w x h pair (stride in floats). */
static void vif_scale_statistic(vsr_vif *v, const float *ref, const float *dis, int stride, int w,
                                int h, int scale, vsr_vif_flavour flavour,
                                const double *gain_limits, int n_limits, vsr_vif_result *out)
{
    const float *f = vif_filters[scale];
    const int fw = vif_filter_width[scale], r = fw / 2, rs = v->row_stride;
    const int integer = flavour == VSR_VIF_INTEGER;
    /* the integer extractor reads 0..255 pixels at scale 0 (see above) */
    const float offset = integer && scale == 0 ? VIF_PIXEL_OFFSET : 0.0f;
    float *sums = v->row_sums;
    for (int i = 0; i < h; i++) {
        float *buf = v->row_buffers;
        float *ext[VIF_MOMENTS], *res[VIF_MOMENTS];
        for (int m = 0; m < VIF_MOMENTS; m++) {
            ext[m] = buf + (size_t)m * rs;
            for (int j = 0; j < w; j++)
                ext[m][r + j] = 0.0f;
        }
        /* vertical pass of the five moments, taps in libvmaf's order */
        for (int k = 0; k < fw; k++) {
            int ii = integer ? vif_mirror_row(i - r + k, h) : vsr_vmaf_mirror(i - r + k, h);
            vif_vertical_tap(ext[0] + r, ext[1] + r, ext[2] + r, ext[3] + r, ext[4] + r,
                             ref + (size_t)ii * stride, dis + (size_t)ii * stride, f[k], offset, w);
        }
        if (integer) {
            vif_round_row_q8(ext[0] + r, w);
            vif_round_row_q8(ext[1] + r, w);
        }
        for (int m = 0; m < VIF_MOMENTS; m++) {
            mirror_row_edges(ext[m], w, r);
            res[m] = buf + (size_t)(VIF_MOMENTS + m) * rs;
            filter_horizontal(ext[m], f, fw, w, res[m]);
        }
        float *row = sums + (size_t)i * (1 + VSR_VIF_MAX_LIMITS);
        for (int l = 0; l < n_limits; l++)
            vif_row_statistic(res[0], res[1], res[2], res[3], res[4], w, (float)gain_limits[l],
                              &row[1 + l], &row[0]);
    }
    double den = 0.0, num[VSR_VIF_MAX_LIMITS] = {0};
    for (int i = 0; i < h; i++) {
        const float *s = sums + (size_t)i * (1 + VSR_VIF_MAX_LIMITS);
        den += s[0];
        for (int l = 0; l < n_limits; l++)
            num[l] += s[1 + l];
    }
    out->den[scale] = den;
    for (int l = 0; l < n_limits; l++)
        out->num[l][scale] = num[l];
}

/* dst (w/2 x h/2) = the even rows and columns of src filtered by f:
 * libvmaf filters the whole picture and then keeps every other sample;
 * only the kept ones are computed here. */
static void vif_decimate(vsr_vif *v, const float *src, int src_stride, int w, int h, const float *f,
                         int fw, vsr_vif_flavour flavour, float offset, float *dst)
{
    const int r = fw / 2, rs = v->row_stride, dw = w / 2, dh = h / 2;
    const int integer = flavour == VSR_VIF_INTEGER;
    for (int i = 0; i < dh; i++) {
        float *ext = v->row_buffers;
        for (int j = 0; j < w; j++)
            ext[r + j] = 0.0f;
        for (int k = 0; k < fw; k++)
            vif_vertical_tap1(ext + r,
                              src + (size_t)(integer ? vif_mirror_row(2 * i - r + k, h)
                                                     : vsr_vmaf_mirror(2 * i - r + k, h)) *
                                        src_stride,
                              f[k], offset, w);
        if (integer)
            vif_round_row_q8(ext + r, w);
        mirror_row_edges(ext, w, r);
        /* the whole row filtered (vectorised), then every other sample kept:
         * each kept value is the same sum as libvmaf's */
        float *full = ext + rs;
        filter_horizontal(ext, f, fw, w, full);
        float *out = dst + (size_t)i * dw;
        for (int j = 0; j < dw; j++)
            out[j] = integer ? vif_round_q8(full[2 * j]) : full[2 * j];
    }
}

void vsr_vif_compute(vsr_vif *v, const float *ref, const float *dis, int stride,
                     vsr_vif_flavour flavour, const double *gain_limits, int n_limits,
                     vsr_vif_result *out)
{
    int w = v->width, h = v->height, cur_stride = stride, pong = 0;
    const float *cur_ref = ref, *cur_dis = dis;
    for (int scale = 0; scale < VSR_VIF_SCALES; scale++) {
        if (scale > 0) {
            const float *f = vif_filters[scale];
            int fw = vif_filter_width[scale];
            float *nref = v->scaled[0][pong], *ndis = v->scaled[1][pong];
            /* integer: scale 0 is pixel - 128, the decimated pictures are
             * 0..255; float: pixel - 128 throughout */
            const float offset = flavour == VSR_VIF_INTEGER && scale == 1 ? VIF_PIXEL_OFFSET : 0.0f;
            vif_decimate(v, cur_ref, cur_stride, w, h, f, fw, flavour, offset, nref);
            vif_decimate(v, cur_dis, cur_stride, w, h, f, fw, flavour, offset, ndis);
            w /= 2;
            h /= 2;
            cur_ref = nref;
            cur_dis = ndis;
            cur_stride = w;
            pong ^= 1;
        }
        vif_scale_statistic(v, cur_ref, cur_dis, cur_stride, w, h, scale, flavour, gain_limits,
                            n_limits, out);
    }
}
