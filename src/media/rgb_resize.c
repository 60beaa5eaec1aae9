#include "media/rgb_resize.h"

#include <libswscale/swscale.h>
#include <string.h>

int vsr_rgb24_resize(const vsr_image *in, vsr_image *out, vsr_error *err)
{
    if (in->format != VSR_PIX_RGB24 || out->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INVALID, "resize: RGB24 images only");
    if (in->width == out->width && in->height == out->height) {
        for (int y = 0; y < in->height; y++)
            memcpy((unsigned char *)out->data + (size_t)y * out->stride,
                   (const unsigned char *)in->data + (size_t)y * in->stride, (size_t)in->width * 3);
        return VSR_OK;
    }
    struct SwsContext *sws =
        sws_getContext(in->width, in->height, AV_PIX_FMT_RGB24, out->width, out->height,
                       AV_PIX_FMT_RGB24, SWS_LANCZOS | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!sws)
        return vsr_error_set(err, VSR_ERR_NOMEM, "resize %dx%d to %dx%d: no swscale context",
                             in->width, in->height, out->width, out->height);
    const uint8_t *src[4] = {in->data, NULL, NULL, NULL};
    const int src_stride[4] = {(int)in->stride, 0, 0, 0};
    uint8_t *dst[4] = {out->data, NULL, NULL, NULL};
    const int dst_stride[4] = {(int)out->stride, 0, 0, 0};
    const int rows = sws_scale(sws, src, src_stride, 0, in->height, dst, dst_stride);
    sws_freeContext(sws);
    if (rows != out->height)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "resize %dx%d to %dx%d: %d of %d rows",
                             in->width, in->height, out->width, out->height, rows, out->height);
    return VSR_OK;
}
