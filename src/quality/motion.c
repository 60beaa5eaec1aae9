/* motion2 after libvmaf's float_motion: see motion.h. */
#include "quality/motion.h"

#include <math.h>
#include <stdlib.h>

#include "quality/vmaf_math.h"
#include "quality/vmaf_simd.h"

struct vsr_motion {
    int width, height;
    float *blur[2];    /* prev, cur */
    float *row_buffer; /* width + 4 */
};

/* libvmaf's FILTER_5_s */
static const float motion_filter[5] = {0.054488685f, 0.244201347f, 0.402619958f, 0.244201347f,
                                       0.054488685f};

int vsr_motion_create(int width, int height, vsr_motion **out, vsr_error *err)
{
    *out = NULL;
    vsr_motion *m = calloc(1, sizeof *m);
    if (!m)
        return vsr_error_set(err, VSR_ERR_NOMEM, "motion: out of memory");
    m->width = width;
    m->height = height;
    size_t n = (size_t)width * (size_t)height;
    m->blur[0] = malloc(n * sizeof(float));
    m->blur[1] = malloc(n * sizeof(float));
    m->row_buffer = malloc(((size_t)width + 4) * sizeof(float));
    if (!m->blur[0] || !m->blur[1] || !m->row_buffer) {
        vsr_motion_free(m);
        return vsr_error_set(err, VSR_ERR_NOMEM, "motion: out of memory for %dx%d", width, height);
    }
    *out = m;
    return VSR_OK;
}

void vsr_motion_free(vsr_motion *m)
{
    if (!m)
        return;
    free(m->blur[0]);
    free(m->blur[1]);
    free(m->row_buffer);
    free(m);
}

VSR_QUALITY_KERNEL
static void accumulate_tap(float *restrict e, const float *restrict a, float c, int w)
{
    for (int j = 0; j < w; j++)
        e[j] += c * a[j];
}

VSR_QUALITY_KERNEL
static void blur_horizontal(const float *restrict ext, float *restrict out, int w)
{
    for (int j = 0; j < w; j++)
        out[j] = 0.0f;
    for (int k = 0; k < 5; k++) {
        const float c = motion_filter[k];
        const float *restrict e = ext + k;
        for (int j = 0; j < w; j++)
            out[j] += c * e[j];
    }
}

/* libvmaf's convolution_f32_c_s with FILTER_5_s: vertical, then
 * horizontal, mirrored at the borders. */
static void motion_blur(vsr_motion *m, const float *src, int stride, float *dst)
{
    const int w = m->width, h = m->height;
    float *ext = m->row_buffer, *e = ext + 2;
    for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++)
            e[j] = 0.0f;
        for (int k = 0; k < 5; k++)
            accumulate_tap(e, src + (size_t)vsr_vmaf_mirror(i - 2 + k, h) * stride,
                           motion_filter[k], w);
        ext[1] = e[1];
        ext[0] = e[2];
        e[w] = e[w - 1];
        e[w + 1] = e[w - 2];
        blur_horizontal(ext, dst + (size_t)i * w, w);
    }
}

VSR_QUALITY_KERNEL
static float row_sad(const float *restrict a, const float *restrict b, int w)
{
    float sad = 0.0f;
#pragma omp simd reduction(+ : sad)
    for (int j = 0; j < w; j++)
        sad += fabsf(a[j] - b[j]);
    return sad;
}

double vsr_motion_score(vsr_motion *m, const float *prev, const float *cur, int stride)
{
    const int w = m->width, h = m->height;
    motion_blur(m, prev, stride, m->blur[0]);
    motion_blur(m, cur, stride, m->blur[1]);
    double sad = 0.0;
    for (int i = 0; i < h; i++)
        sad += row_sad(m->blur[1] + (size_t)i * w, m->blur[0] + (size_t)i * w, w);
    return sad / ((double)w * h);
}

double vsr_motion2(const double *motion, int64_t n, int64_t i)
{
    if (i == 0 || n < 2)
        return 0.0;
    if (i == n - 1)
        return motion[i];
    return motion[i] < motion[i + 1] ? motion[i] : motion[i + 1];
}
