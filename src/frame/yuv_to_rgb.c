#include "frame/yuv_to_rgb.h"

#include <math.h>

static int32_t fixed(double v)
{
    return (int32_t)lround(v * 65536.0);
}

void vsr_rgb_coeffs_init(vsr_rgb_coeffs *k, double kr, double kb, int full_range)
{
    const double kg = 1.0 - kr - kb;
    const double ys = full_range ? 1.0 : 255.0 / 219.0;
    const double cs = full_range ? 1.0 : 255.0 / 224.0;
    k->y = fixed(ys);
    k->y_offset = full_range ? 0 : 16;
    k->rv = fixed(2.0 * (1.0 - kr) * cs);
    k->bu = fixed(2.0 * (1.0 - kb) * cs);
    k->gu = fixed(-2.0 * (1.0 - kb) * kb / kg * cs);
    k->gv = fixed(-2.0 * (1.0 - kr) * kr / kg * cs);
}

void vsr_yuv_in_to_rgb24(const vsr_yuv_in *f, const vsr_rgb_coeffs *k, int x0, int y0, int w, int h,
                         unsigned char *dst)
{
    for (int y = 0; y < h; y++) {
        const int sy = vsr_mirror(y0 + y, f->height);
        for (int x = 0; x < w; x++, dst += 3)
            vsr_yuv_in_pixel(f, k, vsr_mirror(x0 + x, f->width), sy, dst);
    }
}
