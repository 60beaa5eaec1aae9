/* Frames for the inference benchmarks (context_cost, device_pool_bench):
 * a frame's content does not change the work, so the input is a fixed
 * pattern, and each worker upscales into an output of its own. */
#ifndef VSR_BENCH_FRAMES_H
#define VSR_BENCH_FRAMES_H

#include <stdlib.h>

#include "frame/image.h"
#include "pipeline/upscaler.h"

/* A w x h RGB24 frame of a fixed pattern; data NULL when out of memory. */
static inline vsr_image bench_pattern_frame(int w, int h)
{
    vsr_image in = {w, h, VSR_PIX_RGB24, (size_t)w * 3, malloc((size_t)w * h * 3)};
    for (size_t i = 0; in.data && i < (size_t)w * h * 3; i++)
        ((unsigned char *)in.data)[i] = (unsigned char)(i * 2654435761u >> 24);
    return in;
}

/* The RGB24 frame up makes of in (malloc'd; data NULL when out of memory). */
static inline vsr_image bench_output_frame(const vsr_upscaler *up, const vsr_image *in)
{
    vsr_image out = {in->width * up->scale, in->height * up->scale, VSR_PIX_RGB24,
                     (size_t)in->width * up->scale * 3, NULL};
    out.data = malloc(out.stride * (size_t)out.height);
    return out;
}

#endif
