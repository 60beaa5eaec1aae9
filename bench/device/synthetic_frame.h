/* The synthetic test frame of the device tools (cuda_psnr, cuda_resample):
 * smooth gradients, edges and some noise, like a natural frame, the same
 * bytes every run. */
#ifndef VSR_BENCH_DEVICE_SYNTHETIC_FRAME_H
#define VSR_BENCH_DEVICE_SYNTHETIC_FRAME_H

#include <math.h>
#include <stddef.h>

#include "frame/image.h"

/* Fills img (RGB24, packed rows). */
static inline void fill_synthetic(vsr_image *img)
{
    unsigned char *p = img->data;
    unsigned s = 12345;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            for (int c = 0; c < 3; c++) {
                s = s * 1103515245u + 12345u;
                double v = 128 + 90 * sin(x * 0.05 * (c + 1) + y * 0.031) +
                           ((x / 16 + y / 12) % 2 ? 20 : -20) + ((s >> 16) % 17) - 8;
                p[((size_t)y * img->width + x) * 3 + c] = (unsigned char)(v < 0     ? 0
                                                                          : v > 255 ? 255
                                                                                    : v);
            }
}

#endif
