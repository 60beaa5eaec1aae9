/* RGB24 to 8-bit YUV 4:2:0, limited range, in fixed point: the conversion
 * a GPU backend does on its own output so that only the encoder's frame
 * (half the bytes of RGB24) crosses to the host, and no CPU core spends
 * time on it.
 *
 * It is written once, here, as inline integer arithmetic on one 2x2 block;
 * the C conversion below and the CUDA kernel both call vsr_yuv_block, so
 * both give the same bytes for the same RGB24 pixels (the GPU test checks
 * it byte for byte). Chroma is the mean of each 2x2 block (centred
 * siting, what swscale's area filter gives); the pipeline's CPU path keeps
 * swscale, and a unit test holds the two within a code value. */
#ifndef VSR_FRAME_YUV420_H
#define VSR_FRAME_YUV420_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define VSR_HOST_DEVICE __host__ __device__
#else
#define VSR_HOST_DEVICE
#endif

/* Weights of R, G, B scaled by 2^16, limited range (Y 16..235, C 16..240)
 * folded in. The chroma rows sum to zero, so grey stays exactly 128. */
typedef struct vsr_yuv_coeffs {
    int32_t y[3], u[3], v[3];
} vsr_yuv_coeffs;

/* kr, kb: the matrix's luma weights (BT.709: 0.2126, 0.0722; BT.601:
 * 0.299, 0.114). */
void vsr_yuv_coeffs_init(vsr_yuv_coeffs *k, double kr, double kb);

/* A YUV 4:2:0 8-bit frame in host memory (e.g. an AVFrame's planes). */
typedef struct vsr_yuv420 {
    int width, height; /* even */
    unsigned char *plane[3];
    size_t stride[3];
} vsr_yuv420;

static inline VSR_HOST_DEVICE unsigned char vsr_yuv_clip(int32_t v)
{
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One 2x2 block: p holds its pixels as R,G,B in the order top-left,
 * top-right, bottom-left, bottom-right; writes the four Y values in that
 * order and one Cb and one Cr. */
static inline VSR_HOST_DEVICE void vsr_yuv_block(const vsr_yuv_coeffs *k, const unsigned char p[12],
                                                 unsigned char y[4], unsigned char *cb,
                                                 unsigned char *cr)
{
    int32_t r4 = 0, g4 = 0, b4 = 0;
    for (int i = 0; i < 4; i++) {
        int32_t r = p[3 * i], g = p[3 * i + 1], b = p[3 * i + 2];
        y[i] =
            vsr_yuv_clip((k->y[0] * r + k->y[1] * g + k->y[2] * b + (16 << 16) + (1 << 15)) >> 16);
        r4 += r;
        g4 += g;
        b4 += b;
    }
    /* the sums carry 2 more bits: shift by 18, offset 128 << 18 */
    *cb =
        vsr_yuv_clip((k->u[0] * r4 + k->u[1] * g4 + k->u[2] * b4 + (128 << 18) + (1 << 17)) >> 18);
    *cr =
        vsr_yuv_clip((k->v[0] * r4 + k->v[1] * g4 + k->v[2] * b4 + (128 << 18) + (1 << 17)) >> 18);
}

/* Converts w x h (both even) packed RGB24 pixels (rows rgb_stride bytes
 * apart) into the planes of out at (x, y) (both even). */
void vsr_rgb24_to_yuv420(const unsigned char *rgb, size_t rgb_stride, int w, int h,
                         const vsr_yuv_coeffs *k, vsr_yuv420 *out, int x, int y);

#endif
