/* Internal declarations of the CUDA backend, shared by its .cu files only
 * (CUDA C++; never include this from C). */
#ifndef VSR_ENGINE_CUDA_INTERNAL_H
#define VSR_ENGINE_CUDA_INTERNAL_H

#include <cuda.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "frame/yuv420.h"
#include "frame/yuv_to_rgb.h"

namespace vsrcuda
{

/* Activation as the kernels see it (slopes: device pointer, cp entries). */
struct DevAct {
    int type; /* vsr_act_type */
    float alpha, beta;
    const float *slopes; /* PReLU: per padded channel (n_slopes==1 expanded) */
};

static inline int round_up8(int c)
{
    return (c + 7) & ~7;
}

/* ---- cuda_kernels.cu ---- */

/* fp32 NCHW (n x c x h x w) -> fp16 NHWC with cp channels (pad zeroed). */
void launch_nchw_f32_to_nhwc_f16(const float *in, __half *out, int n, int c, int h, int w, int cp,
                                 cudaStream_t s);
/* fp16 NHWC (cp channels) -> fp32 NCHW (first c channels). */
void launch_nhwc_f16_to_nchw_f32(const __half *in, float *out, int n, int c, int h, int w, int cp,
                                 cudaStream_t s);

/* out = act(x + bias[c]) for c < C, 0 for pad channels; in place allowed.
 * bias may be NULL. */
void launch_bias_act(const __half *in, __half *out, long long pixels, int c, int cp,
                     const float *bias, DevAct act, cudaStream_t s);

/* Direct convolution, fp32 math: in NHWC (cip), weights [kh][kw][cin][cop]
 * fp32, out NHWC (cop), bias + activation fused. Any kernel/stride/dilation/pad. */
struct DirectConvArgs {
    const __half *in;
    int n, h, w, cin, cip;
    const float *wt;
    const float *bias;
    int cout, cop;
    int kh, kw, sh, sw, dh, dw, pt, pl;
    int oh, ow;
    __half *out;
    DevAct act;
};
void launch_conv_direct(const DirectConvArgs &a, cudaStream_t s);

void launch_binary(const __half *a, const __half *b, __half *out, long long pixels, int c, int cp,
                   int op, int with_scalar, float scalar, cudaStream_t s);

/* ins: device array of n_in pointers. */
void launch_eltwise(const __half *const *ins_dev, int n_in, __half *out, long long pixels, int c,
                    int cp, int op, const float *coeffs_dev, cudaStream_t s);

/* Copies c channels of in (cpi) to out (cpo) at channel offset off. */
void launch_concat_part(const __half *in, int c, int cpi, __half *out, int cpo, int off,
                        long long pixels, cudaStream_t s);
void launch_zero_pad_channels(__half *out, long long pixels, int c, int cp, cudaStream_t s);

void launch_pixel_shuffle(const __half *in, int cpi, __half *out, int c_out, int cpo, int n, int h,
                          int w, int r, cudaStream_t s);

/* Separable resize through per-axis tables: out(y,x) = sum_i sum_j
 * ay[y][i] * ax[x][j] * in(yofs[y]+i, xofs[x]+j) with taps 1 (nearest),
 * 2 (bilinear) or 4 (bicubic); indices are clamped to the image. */
void launch_resize(const __half *in, int h, int w, __half *out, int oh, int ow, int n, int c,
                   int cp, int taps, const int *yofs, const float *ay, const int *xofs,
                   const float *ax, cudaStream_t s);

/* The same on fp32 planes (planes = images x channels, each h x w). */
void launch_resize_nchw_f32(const float *in, int h, int w, float *out, int oh, int ow, int planes,
                            int taps, const int *yofs, const float *ay, const int *xofs,
                            const float *ax, cudaStream_t s);

/* Conv3x3 3->64, pad 1, + bias, x>0 ? x : slope*x, from the fp32 NCHW
 * input to fp16 NHWC (64 channels, ostride channels a pixel apart: 64, or
 * wider where out is a slice of a wider buffer). Weights OIHW. */
struct FirstConvParams {
    float w[64 * 27];
    float bias[64];
    float slope[64];
};
void launch_first_conv(const float *in, __half *out, int ostride, int n, int h, int w,
                       const FirstConvParams &p, cudaStream_t s);

/* The same on tensor cores: wt is 64 x 32 fp16 (k = ci*9 + ky*3 + kx, 27..31
 * zero), bias and slope 64 floats each (device). */
void launch_first_conv_tc(const float *in, __half *out, int ostride, int n, int h, int w,
                          const __half *wt, const float *bias, const float *slope, cudaStream_t s);

/* Nearest x2 of fp16 NHWC (cp channels, a multiple of 8): each pixel to
 * its 2 x 2 (cuda_nearest2x.cu). */
void launch_nearest2x_nhwc(const __half *in, __half *out, int n, int h, int w, int cp,
                           cudaStream_t s);

/* Fill fp32 with uniform [0,1) values (bench inputs). */
void launch_fill_random(float *p, long long count, unsigned seed, cudaStream_t s);
/* The 8-bit path's conversions (n = 1): packed RGB24 -> fp32 NCHW in
 * [0, 1], and the region [ox, ox + ow) x [oy, oy + oh) of fp32 NCHW (c x h
 * x w) -> packed RGB24, clamp(round(v * 255)); with the host's exact
 * float operations (no contraction), so both paths give the same bytes. */
void launch_rgb24_to_nchw_f32(const unsigned char *in, float *out, int h, int w, cudaStream_t s);
/* Region (x0, y0, w, h) of a 4:2:0 frame on this device, mirrored past its
 * borders, to fp32 NCHW: the bytes vsr_yuv_in_pixel gives, then as above. */
void launch_yuv_in_to_nchw_f32(const vsr_yuv_in &f, const vsr_rgb_coeffs &k, int x0, int y0, int w,
                               int h, float *out, cudaStream_t s);
void launch_nchw_f32_to_rgb24(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                              unsigned char *out, cudaStream_t s);
/* The same region's RGB24 values converted to compact I420 (ow, oh even)
 * by vsr_yuv_block, the host's own integer arithmetic. */
void launch_nchw_f32_to_i420(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                             const vsr_yuv_coeffs &k, unsigned char *out, cudaStream_t s);

/* ---- cuda_conv3x3.cu: fused Conv3x3 64->64 (+bias+PReLU) and the SRVGG tail ---- */

struct Conv3x3Args {
    const __half *in;    /* N x H x W x 64, fp16 */
    const __half *wt;    /* COUT x 576, K = (ky*3+kx)*64 + ci */
    const float *bias;   /* COUT */
    const float *slopes; /* COUT, or NULL: identity */
    __half *out;         /* N x H x W x COUT (not tail) */
    const float *resid;  /* tail: N x 3 x H x W fp32 graph input */
    float *out_f32;      /* tail: N x 3 x 4H x 4W */
    int n, h, w;
};

/* cuTensorMapEncodeTiled, as the driver gives it (cudaGetDriverEntryPointByVersion) */
typedef CUresult (*TensorMapEncodeTiledFn)(CUtensorMap *, CUtensorMapDataType, cuuint32_t, void *,
                                           const cuuint64_t *, const cuuint64_t *,
                                           const cuuint32_t *, const cuuint32_t *,
                                           CUtensorMapInterleave, CUtensorMapSwizzle,
                                           CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

/* Whether kern has sm_90a code this device runs (the Hopper kernels):
 * cudaSuccess, cudaErrorNoKernelImageForDevice, or the runtime's error. */
template <typename K> cudaError_t sm90a_code(K kern)
{
    cudaFuncAttributes fa;
    const cudaError_t e = cudaFuncGetAttributes(&fa, kern);
    if (e != cudaSuccess)
        return e;
    return fa.binaryVersion == 90 ? cudaSuccess : cudaErrorNoKernelImageForDevice;
}

/* What a convolution launch needs of its device and worker. */
struct ConvLaunch {
    int num_sms;
    TensorMapEncodeTiledFn encode_tiled; /* NULL: the TMA kernel is not used */
    cudaStream_t stream;
};

/* Number of kernel variants for the 64->64 body conv. */
int conv3x3_num_variants(void);
const char *conv3x3_variant_name(int v);
/* The fastest variant measured for this device's architecture. */
int conv3x3_default_variant(int device);
cudaError_t launch_conv3x3_body(int variant, const Conv3x3Args &a, const ConvLaunch &l);
/* Conv 64->48, bias, PixelShuffle(4), + nearest-x4(resid), fp32 NCHW out. */
cudaError_t launch_conv3x3_tail48(int variant, const Conv3x3Args &a, const ConvLaunch &l);

/* ---- cuda_conv3x3_tma.cu ---- */

/* The body conv on Hopper with rows brought in by TMA and two consumer
 * warpgroups in ping-pong, tiles of tile_w (128 or 160) pixels;
 * cudaErrorNoKernelImageForDevice without sm_90a code,
 * cudaErrorNotSupported without l.encode_tiled. */
cudaError_t launch_conv3x3_tma_pingpong(const Conv3x3Args &a, const ConvLaunch &l, int tile_w);
/* The same kernel as the SRVGG tail (launch_conv3x3_tail48's work). */
cudaError_t launch_conv3x3_tma_pingpong_tail(const Conv3x3Args &a, const ConvLaunch &l);
/* The same kernel as nearest x2 then the body conv (+ bias, PReLU): a.in,
 * a.n, a.h, a.w the input before the upsampling, a.out 2h x 2w; a.wt
 * conv3x3_up2_pack_weights's layout (2 x 64 x 8 x 64 fp16) on the device.
 * conv3x3_up2_available: whether this build has its code for the current
 * device. */
cudaError_t launch_conv3x3_up2(const Conv3x3Args &a, const ConvLaunch &l);
bool conv3x3_up2_available(void);
/* Packs a 3x3 64 -> 64 conv's weights (OIHW fp32) for launch_conv3x3_up2:
 * per output column parity, 8 blocks of taps summed as the upsampling
 * repeats pixels (cuda_conv3x3_tma.cu). */
void conv3x3_up2_pack_weights(const float *w, __half *out);

/* ---- cuda_conv3x3_rrdb.cu: the RRDB (ESRGAN) convolutions on Hopper ---- */

/* 3x3, pad 1: channels [0, cin) of in (in_stride channels a pixel, cin a
 * multiple of 32, 64..256) -> cout (32 or 64) channels of out (out_stride
 * a pixel; out may point into a wider buffer at a channel offset):
 *   out = s0 * act(conv + bias) + s1 * r1 + s2 * r2,
 * act(v) = v > 0 ? v : slope * v; r1, r2 (cout channels a pixel, strides
 * r1_stride, r2_stride) may be NULL. Strides and channel offsets are
 * multiples of 8. wt: conv3x3_rrdb_pack_weights's layout on the device. */
struct RrdbConvArgs {
    const __half *in;
    int in_stride, cin;
    const __half *wt;
    const float *bias; /* cout floats, or NULL */
    float slope;
    int cout;
    __half *out;
    int out_stride;
    const __half *r1, *r2;
    int r1_stride, r2_stride;
    float s0, s1, s2;
    int n, h, w;
    /* launch_rrdb's, not the caller's: fold > 0 adds fold * (the input's
     * first 64 channels) to the conv by an MMA (r1 being those channels),
     * and stage_scale scales the conv's value before its rounding to fp16
     * (s0, when fold has taken r1's place) */
    float fold, stage_scale;
    int off;                   /* RRDB_OFF_* bits: refinements turned off, for comparison */
    unsigned long long *trace; /* diagnostic builds (VSR_RRDB_TRACE): phase cycles, or NULL */
    /* Scheduling (run_graph's): the CTAs claim tiles one at a time from
     * *claim (a counter of this launch's own, zero before it), so that they
     * end together; each tile's flag is set to epoch once its outputs are
     * written, and *stored (this launch's, zero before it) counts the
     * tiles so flagged. wait_epoch > 0: the launch follows an RRDB conv of
     * the same size (epoch wait_epoch, its count *wait_stored) at once on
     * the stream and may overlap it (a programmatic dependent launch,
     * where the launches fill the GPU: launch_rrdb): a tile's rows are
     * loaded only once the 3 x 3 tiles around it hold wait_epoch or more,
     * and the launch after this one is let in only once *wait_stored
     * counts every tile (the kernel says why). */
    unsigned long long *claim;
    unsigned int *flags; /* conv3x3_rrdb_tiles(n, h, w) of them */
    unsigned int *stored;
    const unsigned int *wait_stored;
    unsigned int epoch, wait_epoch;
};

/* The RRDB kernels' refinements (2026-12-06, second round), each on by
 * default; VSR_CUDA_RRDB_OFF (a sum of these) turns them off to measure
 * what each brings. */
enum {
    RRDB_OFF_STATIONARY = 1,   /* Cout 32, Cin <= 128: weights loaded once a CTA */
    RRDB_OFF_RES_PREFETCH = 2, /* residuals prefetched into L2 before the epilogue */
    RRDB_OFF_STREAM = 4,       /* consecutive RRDB convs overlapped, tile by tile */
    RRDB_OFF_FOLD = 8,         /* a residual that is the input's first 64 channels as an MMA */
    RRDB_OFF_TMA_STORE = 16,   /* no residual (after the fold): stored by the copy engine */
    /* not refinements: Cout 64 without its epilogue's stores, or without
     * its epilogue (outputs left as they were: wrong, to time them) */
    RRDB_TEST_NO_EPILOGUE = 32,
    RRDB_TEST_NO_STORES = 64,
    /* not a refinement: stalls of 0..32k cycles before the tiles, to test
     * the overlap's waits (cuda_psnr overlap) */
    RRDB_TEST_STALLS = 128,
    RRDB_OFF_WIDE = 256, /* Cout 32, Cin 96: one pass of 96-channel rows, not two of 64 */
};

/* Whether this build has the kernel for the current device (sm_90a code),
 * and whether it takes this shape (cin a multiple of 32, 64..256; cout 32
 * or 64). */
bool conv3x3_rrdb_available(void);
bool conv3x3_rrdb_supports(int cin, int cout);
/* Bytes of the packed weights, and the packing (host): w is OIHW fp32. */
size_t conv3x3_rrdb_weight_bytes(int cin, int cout);
/* Tiles of a launch on n x h x w: the flags it sets. */
size_t conv3x3_rrdb_tiles(int n, int h, int w);
void conv3x3_rrdb_pack_weights(const float *w, int cin, int cout, __half *out);
cudaError_t launch_conv3x3_rrdb(const RrdbConvArgs &a, const ConvLaunch &l);

/* ---- cuda_conv3x3_narrow.cu: 3x3 convs to a few channels (the RRDB's last) ---- */

/* 3x3, pad 1: in (cin channels a pixel, 16..64, a multiple of 16) -> out
 * (8 channels a pixel: cout 1..4, the rest written 0), out = act(conv +
 * bias), act(v) = v > 0 ? v : slopes[c] * v (slopes NULL: none). wt:
 * conv3x3_narrow_pack_weights's layout on the device. */
struct NarrowConvArgs {
    const __half *in;
    int cin;
    const __half *wt;
    const float *bias;   /* cout floats, or NULL */
    const float *slopes; /* cout floats, or NULL */
    int cout;
    __half *out;
    int n, h, w;
};
bool conv3x3_narrow_supports(int cin, int cout);
/* Bytes of the packed weights, and the packing (host): w is OIHW fp32. */
size_t conv3x3_narrow_weight_bytes(int cin, int cout);
void conv3x3_narrow_pack_weights(const float *w, int cin, int cout, __half *out);
cudaError_t launch_conv3x3_narrow(const NarrowConvArgs &a, cudaStream_t s);

} // namespace vsrcuda

#endif
