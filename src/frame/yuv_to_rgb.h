/* 8-bit YUV 4:2:0 (NV12, NVDEC's output, or I420, the software decoders')
 * to RGB24, in fixed point: the conversion a GPU backend does on a decoded
 * frame, so that the CPU does no YUV to RGB and half the bytes of RGB24
 * cross to the GPU (none at all for a frame NVDEC decoded there).
 *
 * As with yuv420.h, the arithmetic is written once, here: the C
 * conversion and the CUDA kernel both call vsr_yuv_in_pixel, so both give
 * the same bytes (the GPU test checks it byte for byte). Chroma is
 * upsampled bilinearly with centred siting (weights 3/4 and 1/4 in each
 * direction, edges repeated), as swscale's SWS_BILINEAR with full chroma
 * interpolation does across (the pipeline's CPU path); down, swscale puts
 * chroma half a luma row lower than centred siting, and differs on sharp
 * vertical chroma edges (test_yuv_to_rgb). */
#ifndef VSR_FRAME_YUV_TO_RGB_H
#define VSR_FRAME_YUV_TO_RGB_H

#include <stddef.h>
#include <stdint.h>

#include "frame/yuv420.h" /* VSR_HOST_DEVICE, vsr_yuv_clip */

/* YUV to RGB weights scaled by 2^16, the range folded in. */
typedef struct vsr_rgb_coeffs {
    int32_t y;              /* luma scale */
    int32_t y_offset;       /* 16 (limited range) or 0 (full range) */
    int32_t rv, gu, gv, bu; /* chroma weights: R from Cr, G from Cb and Cr, B from Cb */
} vsr_rgb_coeffs;

/* kr, kb: the matrix's luma weights (as vsr_yuv_coeffs_init); full_range:
 * 0..255 luma and chroma (JPEG) instead of 16..235 / 16..240. */
void vsr_rgb_coeffs_init(vsr_rgb_coeffs *k, double kr, double kb, int full_range);

/* A 4:2:0 frame in the memory of whoever reads it: host memory for the C
 * conversion; for a GPU backend, device memory (device: its ordinal;
 * ready_stream: the CUDA stream whose pending work writes the planes,
 * NVDEC's copy into the frame, NULL for the legacy default stream) or host
 * memory (device -1), which it copies over first. Chroma is
 * ceil(width / 2) x ceil(height / 2) samples of Cb and of Cr, rows
 * chroma_stride bytes apart, chroma_step bytes between a row's samples:
 * NV12 is cb, cr = cb + 1 and step 2; I420 is two planes and step 1. */
typedef struct vsr_yuv_in {
    int width, height;
    const unsigned char *luma, *cb, *cr;
    size_t luma_stride, chroma_stride;
    int chroma_step;
    int device;
    void *ready_stream;
} vsr_yuv_in;

/* Mirror index without repeating the edge (-1 -> 1, n -> n - 2), folded
 * until it lands inside [0, n): the engine's pre-padded virtual frame. */
static inline VSR_HOST_DEVICE int vsr_mirror(int i, int n)
{
    if (n == 1)
        return 0;
    while (i < 0 || i >= n)
        i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

/* The RGB of pixel (x, y), inside the frame. */
static inline VSR_HOST_DEVICE void vsr_yuv_in_pixel(const vsr_yuv_in *f, const vsr_rgb_coeffs *k,
                                                    int x, int y, unsigned char rgb[3])
{
    /* The nearest chroma sample (weight 3/4) and the next one towards the
     * pixel (1/4), in each direction; at the edges the nearest twice. */
    const int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
    const int cx = x / 2, cy = y / 2;
    int nx = x % 2 ? cx + 1 : cx - 1, ny = y % 2 ? cy + 1 : cy - 1;
    nx = nx < 0 ? 0 : nx >= cw ? cw - 1 : nx;
    ny = ny < 0 ? 0 : ny >= ch ? ch - 1 : ny;
    const size_t o00 = (size_t)cy * f->chroma_stride + (size_t)cx * f->chroma_step;
    const size_t o01 = (size_t)cy * f->chroma_stride + (size_t)nx * f->chroma_step;
    const size_t o10 = (size_t)ny * f->chroma_stride + (size_t)cx * f->chroma_step;
    const size_t o11 = (size_t)ny * f->chroma_stride + (size_t)nx * f->chroma_step;
    /* sixteen times the interpolated Cb and Cr */
    const int32_t u = 9 * f->cb[o00] + 3 * (f->cb[o01] + f->cb[o10]) + f->cb[o11];
    const int32_t v = 9 * f->cr[o00] + 3 * (f->cr[o01] + f->cr[o10]) + f->cr[o11];
    const int32_t l = k->y * (f->luma[(size_t)y * f->luma_stride + x] - k->y_offset) * 16;
    const int32_t du = u - 128 * 16, dv = v - 128 * 16;
    /* values carry 2^16 x 16: shift by 20 with rounding */
    rgb[0] = vsr_yuv_clip((l + k->rv * dv + (1 << 19)) >> 20);
    rgb[1] = vsr_yuv_clip((l + k->gu * du + k->gv * dv + (1 << 19)) >> 20);
    rgb[2] = vsr_yuv_clip((l + k->bu * du + (1 << 19)) >> 20);
}

/* Region [x0, x0 + w) x [y0, y0 + h) of the frame mirrored past its
 * borders (vsr_mirror), as compact RGB24 into dst. */
void vsr_yuv_in_to_rgb24(const vsr_yuv_in *f, const vsr_rgb_coeffs *k, int x0, int y0, int w, int h,
                         unsigned char *dst);

#endif
