#include "frame/blend.h"

#include <math.h>

int vsr_blend_weight(float detail)
{
    return (int)lrintf(detail * 65536.f);
}

static void blend_row(unsigned char *d, const unsigned char *s, size_t n, int32_t w)
{
    /* (w d + (65536 - w) s) / 65536, rounded: w d + 65536 s - w s */
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)((w * (d[i] - s[i]) + (s[i] << 16) + (1 << 15)) >> 16);
}

static int check_detail(float detail, vsr_error *err)
{
    if (!(detail >= 0.f && detail <= 1.f))
        return vsr_error_set(err, VSR_ERR_INVALID, "detail %g is not in [0, 1]", detail);
    return VSR_OK;
}

int vsr_yuv420_blend(vsr_yuv420 *dst, const vsr_yuv420 *src, float detail, vsr_error *err)
{
    int rc = check_detail(detail, err);
    if (rc)
        return rc;
    if (dst->width != src->width || dst->height != src->height)
        return vsr_error_set(err, VSR_ERR_INVALID, "blend: frames %dx%d and %dx%d differ",
                             dst->width, dst->height, src->width, src->height);
    const int32_t w = vsr_blend_weight(detail);
    for (int p = 0; p < 3; p++) {
        const int pw = p ? dst->width / 2 : dst->width, ph = p ? dst->height / 2 : dst->height;
        for (int y = 0; y < ph; y++)
            blend_row(dst->plane[p] + (size_t)y * dst->stride[p],
                      src->plane[p] + (size_t)y * src->stride[p], (size_t)pw, w);
    }
    return VSR_OK;
}

int vsr_rgb24_blend(vsr_image *dst, const vsr_image *src, float detail, vsr_error *err)
{
    int rc = check_detail(detail, err);
    if (rc)
        return rc;
    if (dst->format != VSR_PIX_RGB24 || src->format != VSR_PIX_RGB24 || dst->width != src->width ||
        dst->height != src->height)
        return vsr_error_set(err, VSR_ERR_INVALID, "blend: images %dx%d and %dx%d differ",
                             dst->width, dst->height, src->width, src->height);
    const int32_t w = vsr_blend_weight(detail);
    for (int y = 0; y < dst->height; y++)
        blend_row((unsigned char *)dst->data + (size_t)y * dst->stride,
                  (const unsigned char *)src->data + (size_t)y * src->stride,
                  (size_t)dst->width * 3, w);
    return VSR_OK;
}
