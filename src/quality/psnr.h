/* PSNR of 8-bit planes, as libvmaf reports it: 10 log10(255^2 / MSE),
 * capped at 60 dB (libvmaf's cap for 8-bit: a lossless frame is 60, not
 * infinity, so that means over frames stay finite). */
#ifndef VSR_QUALITY_PSNR_H
#define VSR_QUALITY_PSNR_H

#include <stddef.h>
#include <stdint.h>

#define VSR_PSNR_MAX_DB 60.0

/* Sum of squared differences of two w x h 8-bit planes (exact). */
uint64_t vsr_plane_sse(const uint8_t *a, ptrdiff_t a_stride, const uint8_t *b, ptrdiff_t b_stride,
                       int w, int h);

/* PSNR in dB from a sum of squared errors over n samples. */
double vsr_psnr_from_sse(uint64_t sse, uint64_t n);

#endif
