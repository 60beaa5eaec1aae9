/* motion2 after libvmaf's float_motion: see motion.h. */
#include "quality/motion.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "quality/vmaf_math.h"

struct vsr_motion {
    int width, height, threads, count;
    float *blur[2]; /* this picture's and the previous one's */
    float *row_buffers;
    double *row_sad;
};

/* libvmaf's FILTER_5_s */
static const float motion_filter[5] = {0.054488685f, 0.244201347f, 0.402619958f, 0.244201347f,
                                       0.054488685f};

int vsr_motion_create(int width, int height, int threads, vsr_motion **out, vsr_error *err)
{
    *out = NULL;
    vsr_motion *m = calloc(1, sizeof *m);
    if (!m)
        return vsr_error_set(err, VSR_ERR_NOMEM, "motion: out of memory");
    m->width = width;
    m->height = height;
    m->threads = threads > 0 ? threads : 1;
    size_t n = (size_t)width * (size_t)height;
    m->blur[0] = malloc(n * sizeof(float));
    m->blur[1] = malloc(n * sizeof(float));
    m->row_buffers = malloc((size_t)m->threads * ((size_t)width + 8) * sizeof(float));
    m->row_sad = malloc((size_t)height * sizeof(double));
    if (!m->blur[0] || !m->blur[1] || !m->row_buffers || !m->row_sad) {
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
    free(m->row_buffers);
    free(m->row_sad);
    free(m);
}

double vsr_motion_add(vsr_motion *m, const float *ref, int stride)
{
    const int w = m->width, h = m->height;
    float *cur = m->blur[m->count & 1];
    const float *prev = m->blur[(m->count + 1) & 1];
    const int have_prev = m->count > 0;
#pragma omp parallel for num_threads(m->threads) schedule(static)
    for (int i = 0; i < h; i++) {
        float *ext = m->row_buffers + (size_t)omp_get_thread_num() * ((size_t)w + 8);
        float *e = ext + 2;
        for (int j = 0; j < w; j++)
            e[j] = 0.0f;
        for (int k = 0; k < 5; k++) {
            const float *restrict a = ref + (size_t)vsr_vmaf_mirror(i - 2 + k, h) * stride;
            const float c = motion_filter[k];
            for (int j = 0; j < w; j++)
                e[j] += c * a[j];
        }
        ext[1] = e[1];
        ext[0] = e[2];
        e[w] = e[w - 1];
        e[w + 1] = e[w - 2];
        float *out = cur + (size_t)i * w;
        for (int j = 0; j < w; j++)
            out[j] = 0.0f;
        for (int k = 0; k < 5; k++) {
            const float c = motion_filter[k];
            for (int j = 0; j < w; j++)
                out[j] += c * ext[j + k];
        }
        if (have_prev) {
            const float *p = prev + (size_t)i * w;
            float sad = 0.0f;
            for (int j = 0; j < w; j++)
                sad += fabsf(out[j] - p[j]);
            m->row_sad[i] = sad;
        }
    }
    m->count++;
    if (!have_prev)
        return 0.0;
    double sad = 0.0;
    for (int i = 0; i < h; i++)
        sad += m->row_sad[i];
    return sad / ((double)w * h);
}

double vsr_motion2(const double *motion, int n, int i)
{
    if (i == 0 || n < 2)
        return 0.0;
    if (i == n - 1)
        return motion[i];
    return motion[i] < motion[i + 1] ? motion[i] : motion[i + 1];
}
