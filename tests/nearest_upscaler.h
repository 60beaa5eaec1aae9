/* The pipeline tests' stand-in for a model: nearest-neighbour upscaling
 * through the vsr_upscaler interface, so that a test's frames are known
 * exactly; a worker's context is the upscaler's shared state. */
#ifndef VSR_TESTS_NEAREST_UPSCALER_H
#define VSR_TESTS_NEAREST_UPSCALER_H

#include <stdint.h>
#include <string.h>

#include "frame/image.h"
#include "util/error.h"

static inline int nn_create(void *shared, void **ctx, vsr_error *err)
{
    (void)err;
    *ctx = shared;
    return VSR_OK;
}

static inline void nn_destroy(void *ctx)
{
    (void)ctx;
}

/* out (RGB24) = in (RGB24) scaled up scale times, pixel by pixel. */
static inline void nn_scale(const vsr_image *in, vsr_image *out, int scale)
{
    for (int y = 0; y < out->height; y++) {
        const uint8_t *src = (const uint8_t *)in->data + (size_t)(y / scale) * in->stride;
        uint8_t *dst = (uint8_t *)out->data + (size_t)y * out->stride;
        for (int x = 0; x < out->width; x++)
            memcpy(dst + 3 * x, src + 3 * (x / scale), 3);
    }
}

#endif
