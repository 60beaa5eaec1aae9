#include "frame/yuv420.h"

#include <math.h>
#include <string.h>

static int32_t fixed(double v)
{
    return (int32_t)lround(v * 65536.0);
}

void vsr_yuv_coeffs_init(vsr_yuv_coeffs *k, double kr, double kb)
{
    const double kg = 1.0 - kr - kb;
    const double ys = 219.0 / 255.0;                       /* luma: 16..235 */
    const double cbs = 224.0 / 255.0 / (2.0 * (1.0 - kb)); /* chroma: 16..240 */
    const double crs = 224.0 / 255.0 / (2.0 * (1.0 - kr));
    k->y[0] = fixed(kr * ys);
    k->y[1] = fixed(kg * ys);
    k->y[2] = fixed(kb * ys);
    k->u[0] = fixed(-kr * cbs);
    k->u[1] = fixed(-kg * cbs);
    k->u[2] = -(k->u[0] + k->u[1]);
    k->v[1] = fixed(-kg * crs);
    k->v[2] = fixed(-kb * crs);
    k->v[0] = -(k->v[1] + k->v[2]);
}

void vsr_rgb24_to_yuv420(const unsigned char *rgb, size_t rgb_stride, int w, int h,
                         const vsr_yuv_coeffs *k, vsr_yuv420 *out, int x, int y)
{
    for (int by = 0; by < h / 2; by++) {
        const unsigned char *top = rgb + (size_t)(2 * by) * rgb_stride, *bottom = top + rgb_stride;
        unsigned char *y0 = out->plane[0] + (size_t)(y + 2 * by) * out->stride[0] + x;
        unsigned char *y1 = y0 + out->stride[0];
        unsigned char *cb = out->plane[1] + (size_t)(y / 2 + by) * out->stride[1] + x / 2;
        unsigned char *cr = out->plane[2] + (size_t)(y / 2 + by) * out->stride[2] + x / 2;
        for (int bx = 0; bx < w / 2; bx++) {
            unsigned char p[12], luma[4];
            memcpy(p, top + 6 * bx, 6);
            memcpy(p + 6, bottom + 6 * bx, 6);
            vsr_yuv_block(k, p, luma, cb + bx, cr + bx);
            y0[2 * bx] = luma[0];
            y0[2 * bx + 1] = luma[1];
            y1[2 * bx] = luma[2];
            y1[2 * bx + 1] = luma[3];
        }
    }
}
