/* SSIM: see ssim.h. Each output row is made in one pass from the 11 rows
 * around it (vertical sums of the five moments, then horizontal), as in
 * vif.c. */
#include "quality/ssim.h"

#include <math.h>
#include <stdlib.h>

#define SSIM_TAPS 11
#define SSIM_MOMENTS 5

struct vsr_ssim {
    int width, height;
    float window[SSIM_TAPS];
    float *row_buffers; /* 2 x SSIM_MOMENTS rows of width */
    double *row_sums;
};

int vsr_ssim_create(int width, int height, vsr_ssim **out, vsr_error *err)
{
    *out = NULL;
    if (width < SSIM_TAPS || height < SSIM_TAPS)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "SSIM: %dx%d is smaller than its window",
                             width, height);
    vsr_ssim *s = calloc(1, sizeof *s);
    if (!s)
        return vsr_error_set(err, VSR_ERR_NOMEM, "SSIM: out of memory");
    s->width = width;
    s->height = height;
    double sum = 0.0, g[SSIM_TAPS];
    for (int k = 0; k < SSIM_TAPS; k++) {
        double x = k - SSIM_TAPS / 2;
        g[k] = exp(-x * x / (2.0 * 1.5 * 1.5));
        sum += g[k];
    }
    for (int k = 0; k < SSIM_TAPS; k++)
        s->window[k] = (float)(g[k] / sum);
    s->row_buffers = malloc((size_t)2 * SSIM_MOMENTS * (size_t)width * sizeof(float));
    s->row_sums = malloc((size_t)height * sizeof(double));
    if (!s->row_buffers || !s->row_sums) {
        vsr_ssim_free(s);
        return vsr_error_set(err, VSR_ERR_NOMEM, "SSIM: out of memory for %dx%d", width, height);
    }
    *out = s;
    return VSR_OK;
}

void vsr_ssim_free(vsr_ssim *s)
{
    if (!s)
        return;
    free(s->row_buffers);
    free(s->row_sums);
    free(s);
}

double vsr_ssim_compute(vsr_ssim *s, const uint8_t *ref, ptrdiff_t ref_stride, const uint8_t *dis,
                        ptrdiff_t dis_stride)
{
    const int w = s->width, out_h = s->height - SSIM_TAPS + 1, out_w = w - SSIM_TAPS + 1;
    const float c1 = (0.01f * 255.0f) * (0.01f * 255.0f), c2 = (0.03f * 255.0f) * (0.03f * 255.0f);
    for (int i = 0; i < out_h; i++) {
        float *v[SSIM_MOMENTS], *hsum[SSIM_MOMENTS];
        float *buf = s->row_buffers + 0;
        for (int m = 0; m < SSIM_MOMENTS; m++) {
            v[m] = buf + (size_t)m * w;
            hsum[m] = buf + (size_t)(SSIM_MOMENTS + m) * w;
            for (int j = 0; j < w; j++)
                v[m][j] = 0.0f;
        }
        for (int k = 0; k < SSIM_TAPS; k++) {
            const uint8_t *a = ref + (i + k) * ref_stride, *b = dis + (i + k) * dis_stride;
            const float c = s->window[k];
            for (int j = 0; j < w; j++) {
                float x = a[j], y = b[j];
                v[0][j] += c * x;
                v[1][j] += c * y;
                v[2][j] += c * x * x;
                v[3][j] += c * y * y;
                v[4][j] += c * x * y;
            }
        }
        for (int m = 0; m < SSIM_MOMENTS; m++) {
            for (int j = 0; j < out_w; j++)
                hsum[m][j] = 0.0f;
            for (int k = 0; k < SSIM_TAPS; k++) {
                const float c = s->window[k];
                for (int j = 0; j < out_w; j++)
                    hsum[m][j] += c * v[m][j + k];
            }
        }
        double row = 0.0;
        for (int j = 0; j < out_w; j++) {
            float mx = hsum[0][j], my = hsum[1][j];
            float vx = hsum[2][j] - mx * mx, vy = hsum[3][j] - my * my, cxy = hsum[4][j] - mx * my;
            row += ((2.0f * mx * my + c1) * (2.0f * cxy + c2)) /
                   ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
        s->row_sums[i] = row;
    }
    double total = 0.0;
    for (int i = 0; i < out_h; i++)
        total += s->row_sums[i];
    return total / ((double)out_h * out_w);
}
