/* Resampling an RGB24 frame to any size, blended with a second one
 * resampled to the same size, into YUV 4:2:0 (issue 18): the model's
 * output at its own scale reaches the size asked, and the detail strength
 * mixes it with the input (detail 1: the model alone; 0: the input alone).
 *
 * Separable filters through per-axis tables: output pixel d of an axis
 * reads taps source pixels from first[d] on (clamped to the image, the
 * edge repeated) with weights summing to 1; stretched by the ratio when
 * shrinking, so that a x4 model's output brought to x2 is filtered, not
 * aliased. Lanczos-3 by default (what swscale's SWS_LANCZOS, the CPU
 * path's resampler, computes), bicubic (Catmull-Rom) as the cheaper one;
 * Mitchell-Netravali and bilinear are softer (no or less overshoot at
 * edges, which VMAF NEG does not count as detail): the input's filter, for
 * the floor of the detail blend, may be any of them.
 *
 * As with yuv420.h, the arithmetic is written once, here: the C code below
 * and the CUDA backend's kernels call the same inline functions on the
 * same tables, with every product and sum rounded on its own (no fused
 * multiply-add on either side), so both give the same bytes (the GPU test
 * checks it). The pass along x runs first, into float rows of the output's
 * width; the pass along y reads them for each 2x2 block, blends, rounds
 * to RGB24 and converts by vsr_yuv_block. */
#ifndef VSR_FRAME_RESAMPLE_H
#define VSR_FRAME_RESAMPLE_H

#include <stddef.h>

#include "frame/image.h"
#include "frame/yuv420.h" /* VSR_HOST_DEVICE, vsr_yuv_block */
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vsr_resample_filter {
    VSR_RESAMPLE_LANCZOS3, /* 6 taps up, 6 x ratio down */
    VSR_RESAMPLE_BICUBIC,  /* Catmull-Rom (a = -0.5): 4 taps up, 4 x ratio down */
    VSR_RESAMPLE_MITCHELL, /* Mitchell-Netravali (B = C = 1/3): 4 taps up */
    VSR_RESAMPLE_BILINEAR, /* the triangle: 2 taps up */
} vsr_resample_filter;

/* "lanczos3", "bicubic", "mitchell", "bilinear" */
const char *vsr_resample_filter_name(vsr_resample_filter f);

/* What to make of the model's output and the input at the output size. */
typedef struct vsr_resample {
    float detail;                     /* in [0, 1]: 1 the model alone, 0 the input alone */
    vsr_resample_filter filter;       /* for the model's frame */
    vsr_resample_filter input_filter; /* for the input's (the blend's floor) */
} vsr_resample;

/* One axis: in source pixels to out output pixels. */
typedef struct vsr_resample_table {
    int in, out, taps;
    vsr_resample_filter filter;
    int *first;    /* out entries: the first source pixel read (may be < 0 or run past in) */
    float *weight; /* out x taps */
} vsr_resample_table;

/* (Re)builds t for in -> out unless it is that already; in, out >= 1. */
int vsr_resample_table_make(vsr_resample_table *t, int in, int out, vsr_resample_filter f,
                            vsr_error *err);
void vsr_resample_table_free(vsr_resample_table *t);

/* Products and sums rounded one at a time on both sides: nvcc would fuse
 * a * b + c into one FMA (another rounding than the host's); the host's
 * compilers do not contract across statements. */
#ifdef __CUDA_ARCH__
#define VSR_FMUL(a, b) __fmul_rn((a), (b))
#define VSR_FADD(a, b) __fadd_rn((a), (b))
#else
#define VSR_FMUL(a, b) ((a) * (b))
#define VSR_FADD(a, b) ((a) + (b))
#endif

static inline VSR_HOST_DEVICE int vsr_resample_clamp(int i, int n)
{
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* The pass along x for one output pixel: rgb[3] from row (packed RGB24,
 * w pixels) at first with taps weights. */
static inline VSR_HOST_DEVICE void vsr_resample_x(const unsigned char *row, int w, int first,
                                                  const float *weight, int taps, float rgb[3])
{
    float r = 0.f, g = 0.f, b = 0.f;
    for (int i = 0; i < taps; i++) {
        const unsigned char *p = row + 3 * vsr_resample_clamp(first + i, w);
        const float wt = weight[i];
        float t = VSR_FMUL(wt, (float)p[0]);
        r = VSR_FADD(r, t);
        t = VSR_FMUL(wt, (float)p[1]);
        g = VSR_FADD(g, t);
        t = VSR_FMUL(wt, (float)p[2]);
        b = VSR_FADD(b, t);
    }
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
}

/* The pass along y for output column x: rgb[3] from the x pass's rows
 * (h rows of row_len floats, packed R,G,B) at first with taps weights. */
static inline VSR_HOST_DEVICE void vsr_resample_y(const float *rows, size_t row_len, int h, int x,
                                                  int first, const float *weight, int taps,
                                                  float rgb[3])
{
    float r = 0.f, g = 0.f, b = 0.f;
    for (int i = 0; i < taps; i++) {
        const float *p = rows + (size_t)vsr_resample_clamp(first + i, h) * row_len + 3 * (size_t)x;
        const float wt = weight[i];
        float t = VSR_FMUL(wt, p[0]);
        r = VSR_FADD(r, t);
        t = VSR_FMUL(wt, p[1]);
        g = VSR_FADD(g, t);
        t = VSR_FMUL(wt, p[2]);
        b = VSR_FADD(b, t);
    }
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
}

/* detail x m + (1 - detail) x in, rounded and clamped to 8 bits; m or in
 * is not read when its weight is 0. */
static inline VSR_HOST_DEVICE void vsr_resample_blend(const float m[3], const float in[3],
                                                      float detail, unsigned char out[3])
{
    for (int c = 0; c < 3; c++) {
        float v;
        if (detail >= 1.f) {
            v = m[c];
        } else if (detail <= 0.f) {
            v = in[c];
        } else {
            const float a = VSR_FMUL(detail, m[c]);
            const float b = VSR_FMUL(1.f - detail, in[c]);
            v = VSR_FADD(a, b);
        }
        const float r = VSR_FADD(v, 0.5f);
        out[c] = r <= 0.f ? 0 : r >= 255.f ? 255 : (unsigned char)r;
    }
}

/* A caller's reusable state for vsr_resample_yuv420: the four tables and
 * the x pass's rows (one per worker; grown as needed). */
typedef struct vsr_resampler {
    vsr_resample_table mx, my, ix, iy; /* the model's frame, the input's */
    float *rows_m, *rows_i;
    size_t cap_m, cap_i;
} vsr_resampler;

void vsr_resampler_free(vsr_resampler *r);

/* out (even sizes) = YUV 4:2:0 (vsr_yuv_block, coefficients k) of
 * rs->detail x model + (1 - rs->detail) x input, each resampled to out's
 * size with rs->filter (the model's) and rs->input_filter. model (RGB24,
 * any size) is not read at detail 0 and may then be NULL; input likewise
 * at detail 1. */
int vsr_resample_yuv420(vsr_resampler *r, const vsr_image *model, const vsr_image *input,
                        const vsr_resample *rs, const vsr_yuv_coeffs *k, vsr_yuv420 *out,
                        vsr_error *err);

#ifdef __cplusplus
}
#endif

#endif
