#include "frame/image.h"

#include <stdlib.h>
#include <string.h>

int vsr_image_alloc(vsr_image *img, int width, int height, vsr_pixel_format format, vsr_error *err)
{
    memset(img, 0, sizeof *img);
    size_t px = format == VSR_PIX_RGB24 ? 3 : 3 * sizeof(float);
    if (width <= 0 || height <= 0 || (size_t)width > ((size_t)1 << 40) / px / (size_t)height)
        return vsr_error_set(err, VSR_ERR_INVALID, "bad image size %dx%d", width, height);
    img->data = malloc(px * width * height);
    if (!img->data)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
    img->width = width;
    img->height = height;
    img->format = format;
    img->stride = px * width;
    return VSR_OK;
}

void vsr_image_free(vsr_image *img)
{
    if (img) {
        free(img->data);
        img->data = NULL;
    }
}
