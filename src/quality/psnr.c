#include "quality/psnr.h"

#include <math.h>

uint64_t vsr_plane_sse(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                       int w, int h)
{
    uint64_t sse = 0;
    for (int i = 0; i < h; i++) {
        const uint8_t *ra = a + i * a_stride, *rb = b + i * b_stride;
        uint32_t row = 0; /* 255^2 x 65536 fits: rows are narrower than that */
        for (int j = 0; j < w; j++) {
            int d = (int)ra[j] - (int)rb[j];
            row += (uint32_t)(d * d);
        }
        sse += row;
    }
    return sse;
}

double vsr_psnr_from_sse(uint64_t sse, uint64_t n)
{
    if (sse == 0 || n == 0)
        return VSR_PSNR_MAX_DB;
    double db = 10.0 * log10(255.0 * 255.0 * (double)n / (double)sse);
    return db < VSR_PSNR_MAX_DB ? db : VSR_PSNR_MAX_DB;
}
