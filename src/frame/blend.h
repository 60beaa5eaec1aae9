/* The detail strength's blend on the CPU paths (issue 18): the model's
 * output, resampled to the output size, mixed with the input resampled to
 * it, dst = detail x dst + (1 - detail) x src, in 8 bits. The pipeline
 * blends the two YUV 4:2:0 frames after swscale made both (half the bytes
 * of RGB; the conversion is affine, so the same mix up to rounding), vsr
 * image two RGB24 images. */
#ifndef VSR_FRAME_BLEND_H
#define VSR_FRAME_BLEND_H

#include "frame/image.h"
#include "frame/yuv420.h"
#include "util/error.h"

/* The weight of detail in 1/65536ths, as both blends apply it. */
int vsr_blend_weight(float detail);

/* dst's planes = blend of dst and src (same even sizes). */
int vsr_yuv420_blend(vsr_yuv420 *dst, const vsr_yuv420 *src, float detail, vsr_error *err);

/* dst = blend of dst and src (RGB24, same sizes). */
int vsr_rgb24_blend(vsr_image *dst, const vsr_image *src, float detail, vsr_error *err);

#endif
