/* SSIM (Wang et al. 2004) of two 8-bit luma planes: an 11x11 Gaussian
 * window of sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, averaged over the
 * positions where the window lies inside the picture. No downsampling
 * first (libvmaf's float_ssim scales large pictures down; this one
 * measures at full resolution, the stricter of the two). */
#ifndef VSR_QUALITY_SSIM_H
#define VSR_QUALITY_SSIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vsr_ssim vsr_ssim;

int vsr_ssim_create(int width, int height, vsr_ssim **out, vsr_error *err);
void vsr_ssim_free(vsr_ssim *s);
double vsr_ssim_compute(vsr_ssim *s, const uint8_t *ref, ptrdiff_t ref_stride, const uint8_t *dis,
                        ptrdiff_t dis_stride);

#endif
