/* Packed RGB images in host memory: what the engine reads and writes, and
 * what media's decoders, converters and image files hand over. A leaf type
 * (frame/ includes only util/), so that media and engine share it without
 * either including the other. */
#ifndef VSR_FRAME_IMAGE_H
#define VSR_FRAME_IMAGE_H

#include <stddef.h>

#include "util/error.h"

typedef enum vsr_pixel_format {
    VSR_PIX_RGB24,  /* packed 8-bit R,G,B */
    VSR_PIX_RGBF32, /* packed float R,G,B in [0,1] */
} vsr_pixel_format;

/* A packed RGB image in host memory; stride in bytes. */
typedef struct vsr_image {
    int width, height;
    vsr_pixel_format format;
    size_t stride;
    void *data;
} vsr_image;

/* Allocates a packed image (stride = width * pixel size); free with
 * vsr_image_free. */
int vsr_image_alloc(vsr_image *img, int width, int height, vsr_pixel_format format, vsr_error *err);
void vsr_image_free(vsr_image *img);

#endif
