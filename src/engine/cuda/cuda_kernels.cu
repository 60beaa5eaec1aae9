/* Simple kernels of the CUDA backend: layout conversion, activations,
 * direct convolution, element-wise ops, concat, pixel shuffle, resize.
 * Activations are fp16 NHWC with the channel count padded to a multiple of
 * 8 (cp); pad channels always hold 0. Arithmetic is fp32. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "engine/cuda/cuda_internal.h"

namespace vsrcuda
{

namespace
{

constexpr int ACT_RELU = 1, ACT_LEAKY = 2, ACT_PRELU = 3, ACT_CLIP = 4,
              ACT_SIGMOID = 5; /* = vsr_act_type */

__device__ __forceinline__ float apply_act(float v, int c, const DevAct &a)
{
    switch (a.type) {
    case ACT_RELU: return v > 0.f ? v : 0.f;
    case ACT_LEAKY: return v > 0.f ? v : v * a.alpha;
    case ACT_PRELU: return v > 0.f ? v : v * a.slopes[c];
    case ACT_CLIP: return fminf(fmaxf(v, a.alpha), a.beta);
    case ACT_SIGMOID: return 1.f / (1.f + __expf(-v));
    default: return v;
    }
}

inline int blocks_for(long long n, int threads)
{
    long long b = (n + threads - 1) / threads;
    if (b > 2147483647LL)
        b = 2147483647LL;
    return (int)(b < 1 ? 1 : b);
}

__global__ void k_nchw_to_nhwc(const float *in, __half *out, int n, int c, int h, int w, int cp)
{
    long long total = (long long)n * h * w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        long long img = p / ((long long)h * w);
        long long hw = p - img * h * w;
        __half *o = out + p * cp;
        const float *i0 = in + img * c * h * w + hw;
        for (int ch = 0; ch < cp; ++ch)
            o[ch] = __float2half_rn(ch < c ? i0[(long long)ch * h * w] : 0.f);
    }
}

__global__ void k_nhwc_to_nchw(const __half *in, float *out, int n, int c, int h, int w, int cp)
{
    long long total = (long long)n * h * w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        long long img = p / ((long long)h * w);
        long long hw = p - img * h * w;
        const __half *i0 = in + p * cp;
        float *o = out + img * c * h * w + hw;
        for (int ch = 0; ch < c; ++ch)
            o[(long long)ch * h * w] = __half2float(i0[ch]);
    }
}

__global__ void k_bias_act(const __half *in, __half *out, long long total, int c, int cp,
                           const float *bias, DevAct act)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cp);
        float v = 0.f;
        if (ch < c) {
            v = __half2float(in[i]);
            if (bias)
                v += bias[ch];
            v = apply_act(v, ch, act);
        }
        out[i] = __float2half_rn(v);
    }
}

/* One thread: one output pixel, 8 output channels. */
__global__ void k_conv_direct(DirectConvArgs a)
{
    const int groups = a.cop / 8;
    long long total = (long long)a.n * a.oh * a.ow * groups;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x) {
        int g = (int)(idx % groups);
        long long pix = idx / groups;
        int ox = (int)(pix % a.ow);
        long long t = pix / a.ow;
        int oy = (int)(t % a.oh);
        int img = (int)(t / a.oh);
        float acc[8];
#pragma unroll
        for (int j = 0; j < 8; ++j)
            acc[j] = a.bias ? a.bias[g * 8 + j] : 0.f;
        for (int ky = 0; ky < a.kh; ++ky) {
            int iy = oy * a.sh - a.pt + ky * a.dh;
            if ((unsigned)iy >= (unsigned)a.h)
                continue;
            for (int kx = 0; kx < a.kw; ++kx) {
                int ix = ox * a.sw - a.pl + kx * a.dw;
                if ((unsigned)ix >= (unsigned)a.w)
                    continue;
                const __half *ip = a.in + (((long long)img * a.h + iy) * a.w + ix) * a.cip;
                const float *wp = a.wt + ((long long)(ky * a.kw + kx) * a.cin) * a.cop + g * 8;
                for (int ci = 0; ci < a.cin; ++ci) {
                    float x = __half2float(ip[ci]);
                    const float4 w0 =
                        __ldg(reinterpret_cast<const float4 *>(wp + (long long)ci * a.cop));
                    const float4 w1 =
                        __ldg(reinterpret_cast<const float4 *>(wp + (long long)ci * a.cop + 4));
                    acc[0] += x * w0.x;
                    acc[1] += x * w0.y;
                    acc[2] += x * w0.z;
                    acc[3] += x * w0.w;
                    acc[4] += x * w1.x;
                    acc[5] += x * w1.y;
                    acc[6] += x * w1.z;
                    acc[7] += x * w1.w;
                }
            }
        }
        __align__(16) __half r[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            int ch = g * 8 + j;
            r[j] = __float2half_rn(ch < a.cout ? apply_act(acc[j], ch, a.act) : 0.f);
        }
        *reinterpret_cast<uint4 *>(a.out + pix * a.cop + g * 8) = *reinterpret_cast<uint4 *>(r);
    }
}

__device__ __forceinline__ float binop(float x, float y, int op)
{
    switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return fmaxf(x, y);
    default: return fminf(x, y);
    }
}

__global__ void k_binary(const __half *a, const __half *b, __half *out, long long total, int c,
                         int cp, int op, int with_scalar, float scalar)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cp);
        float v = 0.f;
        if (ch < c)
            v = binop(__half2float(a[i]), with_scalar ? scalar : __half2float(b[i]), op);
        out[i] = __float2half_rn(v);
    }
}

__global__ void k_eltwise(const __half *const *ins, int n_in, __half *out, long long total, int c,
                          int cp, int op, const float *coeffs)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cp);
        float v = 0.f;
        if (ch < c) {
            if (op == 1) { /* sum */
                for (int k = 0; k < n_in; ++k)
                    v += (coeffs ? coeffs[k] : 1.f) * __half2float(ins[k][i]);
            } else if (op == 0) { /* prod */
                v = 1.f;
                for (int k = 0; k < n_in; ++k)
                    v *= __half2float(ins[k][i]);
            } else { /* max */
                v = __half2float(ins[0][i]);
                for (int k = 1; k < n_in; ++k)
                    v = fmaxf(v, __half2float(ins[k][i]));
            }
        }
        out[i] = __float2half_rn(v);
    }
}

__global__ void k_concat_part(const __half *in, int c, int cpi, __half *out, int cpo, int off,
                              long long pixels)
{
    long long total = pixels * c;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        long long p = i / c;
        int ch = (int)(i - p * c);
        out[p * cpo + off + ch] = in[p * cpi + ch];
    }
}

__global__ void k_zero_pad(__half *out, long long pixels, int c, int cp)
{
    int padc = cp - c;
    long long total = pixels * padc;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        long long p = i / padc;
        int ch = c + (int)(i - p * padc);
        out[p * cp + ch] = __float2half_rn(0.f);
    }
}

/* out(img, y, x, ch) = in(img, y/r, x/r, ch*r*r + (y%r)*r + x%r) */
__global__ void k_pixel_shuffle(const __half *in, int cpi, __half *out, int c_out, int cpo, int n,
                                int h, int w, int r)
{
    const int oh = h * r, ow = w * r;
    long long total = (long long)n * oh * ow * cpo;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cpo);
        long long p = i / cpo;
        int x = (int)(p % ow);
        long long t = p / ow;
        int y = (int)(t % oh);
        int img = (int)(t / oh);
        __half v = __float2half_rn(0.f);
        if (ch < c_out) {
            int ic = ch * r * r + (y % r) * r + (x % r);
            v = in[(((long long)img * h + y / r) * w + x / r) * cpi + ic];
        }
        out[i] = v;
    }
}

/* Output pixel (y, x) of a separable resize through per-axis tables (see
 * launch_resize), reading the source through at(sy, sx); indices clamped
 * to the h x w source. */
template <class At>
__device__ __forceinline__ float resize_pixel(int y, int x, int h, int w, int taps, const int *yofs,
                                              const float *ay, const int *xofs, const float *ax,
                                              At at)
{
    float v = 0.f;
    for (int a = 0; a < taps; ++a) {
        int sy = yofs[y] + a;
        sy = sy < 0 ? 0 : (sy >= h ? h - 1 : sy);
        float wy = ay[y * taps + a];
        if (wy == 0.f)
            continue;
        float row = 0.f;
        for (int b = 0; b < taps; ++b) {
            int sx = xofs[x] + b;
            sx = sx < 0 ? 0 : (sx >= w ? w - 1 : sx);
            row += ax[x * taps + b] * at(sy, sx);
        }
        v += wy * row;
    }
    return v;
}

__global__ void k_resize(const __half *in, int h, int w, __half *out, int oh, int ow, int n, int c,
                         int cp, int taps, const int *yofs, const float *ay, const int *xofs,
                         const float *ax)
{
    long long total = (long long)n * oh * ow * cp;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        int ch = (int)(i % cp);
        long long p = i / cp;
        int x = (int)(p % ow);
        long long t = p / ow;
        int y = (int)(t % oh);
        int img = (int)(t / oh);
        float v = 0.f;
        if (ch < c)
            v = resize_pixel(y, x, h, w, taps, yofs, ay, xofs, ax, [&](int sy, int sx) {
                return __half2float(in[(((long long)img * h + sy) * w + sx) * cp + ch]);
            });
        out[i] = __float2half_rn(v);
    }
}

__global__ void k_fill_random(float *p, long long count, unsigned seed)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count;
         i += (long long)gridDim.x * blockDim.x) {
        unsigned x = (unsigned)i * 2654435761u ^ seed;
        x ^= x >> 16;
        x *= 0x7feb352du;
        x ^= x >> 15;
        x *= 0x846ca68bu;
        x ^= x >> 16;
        p[i] = (x >> 8) * (1.0f / 16777216.0f);
    }
}

} // namespace

void launch_nchw_f32_to_nhwc_f16(const float *in, __half *out, int n, int c, int h, int w, int cp,
                                 cudaStream_t s)
{
    long long total = (long long)n * h * w;
    k_nchw_to_nhwc<<<blocks_for(total, 256), 256, 0, s>>>(in, out, n, c, h, w, cp);
}

void launch_nhwc_f16_to_nchw_f32(const __half *in, float *out, int n, int c, int h, int w, int cp,
                                 cudaStream_t s)
{
    long long total = (long long)n * h * w;
    k_nhwc_to_nchw<<<blocks_for(total, 256), 256, 0, s>>>(in, out, n, c, h, w, cp);
}

void launch_bias_act(const __half *in, __half *out, long long pixels, int c, int cp,
                     const float *bias, DevAct act, cudaStream_t s)
{
    long long total = pixels * cp;
    k_bias_act<<<blocks_for(total, 256), 256, 0, s>>>(in, out, total, c, cp, bias, act);
}

void launch_conv_direct(const DirectConvArgs &a, cudaStream_t s)
{
    long long total = (long long)a.n * a.oh * a.ow * (a.cop / 8);
    k_conv_direct<<<blocks_for(total, 128), 128, 0, s>>>(a);
}

void launch_binary(const __half *a, const __half *b, __half *out, long long pixels, int c, int cp,
                   int op, int with_scalar, float scalar, cudaStream_t s)
{
    long long total = pixels * cp;
    k_binary<<<blocks_for(total, 256), 256, 0, s>>>(a, b, out, total, c, cp, op, with_scalar,
                                                    scalar);
}

void launch_eltwise(const __half *const *ins_dev, int n_in, __half *out, long long pixels, int c,
                    int cp, int op, const float *coeffs_dev, cudaStream_t s)
{
    long long total = pixels * cp;
    k_eltwise<<<blocks_for(total, 256), 256, 0, s>>>(ins_dev, n_in, out, total, c, cp, op,
                                                     coeffs_dev);
}

void launch_concat_part(const __half *in, int c, int cpi, __half *out, int cpo, int off,
                        long long pixels, cudaStream_t s)
{
    long long total = pixels * c;
    k_concat_part<<<blocks_for(total, 256), 256, 0, s>>>(in, c, cpi, out, cpo, off, pixels);
}

void launch_zero_pad_channels(__half *out, long long pixels, int c, int cp, cudaStream_t s)
{
    if (cp <= c)
        return;
    long long total = pixels * (cp - c);
    k_zero_pad<<<blocks_for(total, 256), 256, 0, s>>>(out, pixels, c, cp);
}

void launch_pixel_shuffle(const __half *in, int cpi, __half *out, int c_out, int cpo, int n, int h,
                          int w, int r, cudaStream_t s)
{
    long long total = (long long)n * h * r * w * r * cpo;
    k_pixel_shuffle<<<blocks_for(total, 256), 256, 0, s>>>(in, cpi, out, c_out, cpo, n, h, w, r);
}

void launch_resize(const __half *in, int h, int w, __half *out, int oh, int ow, int n, int c,
                   int cp, int taps, const int *yofs, const float *ay, const int *xofs,
                   const float *ax, cudaStream_t s)
{
    long long total = (long long)n * oh * ow * cp;
    k_resize<<<blocks_for(total, 256), 256, 0, s>>>(in, h, w, out, oh, ow, n, c, cp, taps, yofs, ay,
                                                    xofs, ax);
}

__global__ void k_resize_nchw_f32(const float *in, int h, int w, float *out, int oh, int ow,
                                  int planes, int taps, const int *yofs, const float *ay,
                                  const int *xofs, const float *ax)
{
    const long long total = (long long)planes * oh * ow;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const int x = (int)(i % ow);
        const long long t = i / ow;
        const int y = (int)(t % oh);
        const float *plane = in + (t / oh) * h * w;
        out[i] = resize_pixel(y, x, h, w, taps, yofs, ay, xofs, ax, [&](int sy, int sx) {
            return __ldg(plane + (long long)sy * w + sx);
        });
    }
}

void launch_resize_nchw_f32(const float *in, int h, int w, float *out, int oh, int ow, int planes,
                            int taps, const int *yofs, const float *ay, const int *xofs,
                            const float *ax, cudaStream_t s)
{
    const long long total = (long long)planes * oh * ow;
    k_resize_nchw_f32<<<blocks_for(total, 256), 256, 0, s>>>(in, h, w, out, oh, ow, planes, taps,
                                                             yofs, ay, xofs, ax);
}

void launch_fill_random(float *p, long long count, unsigned seed, cudaStream_t s)
{
    k_fill_random<<<blocks_for(count, 256), 256, 0, s>>>(p, count, seed);
}

__global__ void k_rgb24_to_nchw(const unsigned char *in, float *out, int h, int w)
{
    long long total = (long long)h * w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        const unsigned char *px = in + p * 3;
        for (int ch = 0; ch < 3; ++ch)
            out[ch * total + p] = __fmul_rn((float)px[ch], 1.f / 255.f);
    }
}

__device__ __forceinline__ unsigned char to_u8(float v)
{
    v = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
    return (unsigned char)__fadd_rn(__fmul_rn(v, 255.f), 0.5f);
}

__global__ void k_nchw_to_rgb24(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                                unsigned char *out)
{
    long long total = (long long)ow * oh, plane = (long long)h * w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        int y = (int)(p / ow), x = (int)(p - (long long)y * ow);
        const float *src = in + (long long)(oy + y) * w + ox + x;
        for (int ch = 0; ch < 3; ++ch)
            out[p * 3 + ch] = to_u8(src[ch * plane]);
    }
}

/* One thread per 2x2 block of the region. */
__global__ void k_nchw_to_i420(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                               const vsr_yuv_coeffs k, unsigned char *out)
{
    const int cw = ow / 2;
    long long blocks = (long long)cw * (oh / 2), plane = (long long)h * w;
    unsigned char *cb = out + (long long)ow * oh, *cr = cb + blocks;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b < blocks;
         b += (long long)gridDim.x * blockDim.x) {
        int by = (int)(b / cw), bx = (int)(b - (long long)by * cw);
        unsigned char px[12], luma[4];
        for (int i = 0; i < 4; ++i) {
            const float *src = in + (long long)(oy + 2 * by + i / 2) * w + ox + 2 * bx + i % 2;
            for (int ch = 0; ch < 3; ++ch)
                px[3 * i + ch] = to_u8(src[ch * plane]);
        }
        vsr_yuv_block(&k, px, luma, cb + b, cr + b);
        unsigned char *y0 = out + (long long)(2 * by) * ow + 2 * bx;
        y0[0] = luma[0];
        y0[1] = luma[1];
        y0[ow] = luma[2];
        y0[ow + 1] = luma[3];
    }
}

/* Region (x0, y0, w, h) of the mirrored 4:2:0 frame, converted by the
 * shared fixed-point code to the bytes the RGB24 path would upload, then
 * to floats exactly as k_rgb24_to_nchw makes them. */
__global__ void k_yuv_in_to_nchw(const vsr_yuv_in f, const vsr_rgb_coeffs k, int x0, int y0, int w,
                                 int h, float *out)
{
    long long total = (long long)h * w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        int y = (int)(p / w), x = (int)(p - (long long)y * w);
        unsigned char rgb[3];
        vsr_yuv_in_pixel(&f, &k, vsr_mirror(x0 + x, f.width), vsr_mirror(y0 + y, f.height), rgb);
        for (int ch = 0; ch < 3; ++ch)
            out[ch * total + p] = __fmul_rn((float)rgb[ch], 1.f / 255.f);
    }
}

void launch_yuv_in_to_nchw_f32(const vsr_yuv_in &f, const vsr_rgb_coeffs &k, int x0, int y0, int w,
                               int h, float *out, cudaStream_t s)
{
    k_yuv_in_to_nchw<<<blocks_for((long long)h * w, 256), 256, 0, s>>>(f, k, x0, y0, w, h, out);
}

void launch_rgb24_to_nchw_f32(const unsigned char *in, float *out, int h, int w, cudaStream_t s)
{
    k_rgb24_to_nchw<<<blocks_for((long long)h * w, 256), 256, 0, s>>>(in, out, h, w);
}

void launch_nchw_f32_to_rgb24(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                              unsigned char *out, cudaStream_t s)
{
    k_nchw_to_rgb24<<<blocks_for((long long)ow * oh, 256), 256, 0, s>>>(in, h, w, ox, oy, ow, oh,
                                                                        out);
}

void launch_nchw_f32_to_i420(const float *in, int h, int w, int ox, int oy, int ow, int oh,
                             const vsr_yuv_coeffs &k, unsigned char *out, cudaStream_t s)
{
    k_nchw_to_i420<<<blocks_for((long long)(ow / 2) * (oh / 2), 256), 256, 0, s>>>(in, h, w, ox, oy,
                                                                                   ow, oh, k, out);
}

} // namespace vsrcuda

/* ---- first layer: Conv3x3 3->64 (+bias, slopes) straight from the fp32
 * NCHW graph input; weights travel as kernel parameters (constant bank),
 * so every FMA takes its weight as an operand without a load. ---- */
namespace vsrcuda
{
namespace
{
__global__ void __launch_bounds__(128)
    k_first_conv(const float *in, __half *out, int ostride, int n, int h, int w,
                 const __grid_constant__ FirstConvParams p)
{
    long long total = (long long)n * h * w;
    long long pix = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (pix >= total)
        pix = total - 1; /* computes a duplicate; not stored */
    int x = (int)(pix % w);
    long long t = pix / w;
    int y = (int)(t % h);
    int img = (int)(t / h);
    float v[27];
#pragma unroll
    for (int c = 0; c < 3; ++c)
#pragma unroll
        for (int ky = 0; ky < 3; ++ky)
#pragma unroll
            for (int kx = 0; kx < 3; ++kx) {
                int iy = y + ky - 1, ix = x + kx - 1;
                bool ok = (unsigned)iy < (unsigned)h && (unsigned)ix < (unsigned)w;
                v[c * 9 + ky * 3 + kx] =
                    ok ? __ldg(in + (((long long)img * 3 + c) * h + iy) * w + ix) : 0.f;
            }
    /* stage the block's 128 x 128 bytes in shared memory (chunks swizzled),
     * then store them coalesced */
    __shared__ uint4 stage[128 * 8];
    const int tx = threadIdx.x;
#pragma unroll
    for (int g = 0; g < 8; ++g) {
        __align__(16) __half r[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int oc = g * 8 + j;
            float a = p.bias[oc];
#pragma unroll
            for (int k = 0; k < 27; ++k)
                a = fmaf(v[k], p.w[oc * 27 + k], a);
            a = a > 0.f ? a : a * p.slope[oc];
            r[j] = __float2half_rn(a);
        }
        stage[tx * 8 + (g ^ (tx & 7))] = *reinterpret_cast<uint4 *>(r);
    }
    __syncthreads();
    const long long pix0 = (long long)blockIdx.x * blockDim.x;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int i = k * 128 + tx, px = i >> 3, ch = i & 7;
        if (pix0 + px < total)
            *reinterpret_cast<uint4 *>(out + (pix0 + px) * ostride + ch * 8) =
                stage[px * 8 + (ch ^ (px & 7))];
    }
}
} // namespace

void launch_first_conv(const float *in, __half *out, int ostride, int n, int h, int w,
                       const FirstConvParams &p, cudaStream_t s)
{
    long long total = (long long)n * h * w;
    k_first_conv<<<blocks_for(total, 128), 128, 0, s>>>(in, out, ostride, n, h, w, p);
}
} // namespace vsrcuda

/* ---- first layer on tensor cores: per block 128 pixels; the 3x3x3 patch
 * of each pixel (K = 27, padded to 32) goes to shared memory as fp16, then
 * mma.sync m16n8k16 against the 64 x 32 weights; bias + slopes, fp16 NHWC
 * out through a shared-memory transpose for 16-byte coalesced stores. ---- */
namespace vsrcuda
{
namespace
{
__device__ __forceinline__ void ldsm4(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2,
                                      uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}
__device__ __forceinline__ void mma_16816(float *c, const uint32_t *a, uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

constexpr int FC_ROW = 40; /* halves per smem row: 32 + 8 pad (conflict-free ldmatrix) */

__global__ void __launch_bounds__(128)
    k_first_conv_tc(const float *in, __half *out, int ostride, int n, int h, int w,
                    const __half *wt, const float *bias, const float *slope)
{
    __shared__ __align__(16) __half sA[128 * FC_ROW];
    __shared__ __align__(16) __half sB[64 * FC_ROW];
    __shared__ __align__(16) uint4 stage[128 * 8];
    __shared__ float sBias[64], sSlope[64];
    const int tx = threadIdx.x;
    const long long total = (long long)n * h * w;
    const long long pix0 = (long long)blockIdx.x * 128;
    /* weights: 64 rows x 4 chunks of 8 halves */
    for (int i = tx; i < 64 * 4; i += 128) {
        int r = i >> 2, c = i & 3;
        *reinterpret_cast<uint4 *>(sB + r * FC_ROW + c * 8) =
            *reinterpret_cast<const uint4 *>(wt + r * 32 + c * 8);
    }
    if (tx < 64) {
        sBias[tx] = bias[tx];
        sSlope[tx] = slope[tx];
    }
    {
        long long pix = pix0 + tx;
        if (pix >= total)
            pix = total - 1;
        int x = (int)(pix % w);
        long long t = pix / w;
        int y = (int)(t % h);
        int img = (int)(t / h);
        __align__(16) __half v[32];
#pragma unroll
        for (int c = 0; c < 3; ++c)
#pragma unroll
            for (int ky = 0; ky < 3; ++ky)
#pragma unroll
                for (int kx = 0; kx < 3; ++kx) {
                    int iy = y + ky - 1, ix = x + kx - 1;
                    bool ok = (unsigned)iy < (unsigned)h && (unsigned)ix < (unsigned)w;
                    v[c * 9 + ky * 3 + kx] = __float2half_rn(
                        ok ? __ldg(in + (((long long)img * 3 + c) * h + iy) * w + ix) : 0.f);
                }
#pragma unroll
        for (int k = 27; k < 32; ++k)
            v[k] = __float2half_rn(0.f);
#pragma unroll
        for (int c = 0; c < 4; ++c)
            *reinterpret_cast<uint4 *>(sA + tx * FC_ROW + c * 8) =
                *reinterpret_cast<uint4 *>(v + c * 8);
    }
    __syncthreads();
    const int warp = tx >> 5, lane = tx & 31, lj = lane >> 3, lr = lane & 7;
    float acc[2][8][4];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
            for (int q = 0; q < 4; ++q)
                acc[i][j][q] = 0.f;
    const uint32_t a_base = (uint32_t)__cvta_generic_to_shared(sA);
    const uint32_t b_base = (uint32_t)__cvta_generic_to_shared(sB);
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {
        uint32_t af[2][4];
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            int row = warp * 32 + i * 16 + lr + (lj & 1) * 8;
            int col = ks * 16 + (lj >> 1) * 8;
            ldsm4(a_base + (uint32_t)((row * FC_ROW + col) * 2), af[i][0], af[i][1], af[i][2],
                  af[i][3]);
        }
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            uint32_t b0, b1, b2, b3;
            int row = q * 16 + lr + (lj >> 1) * 8;
            int col = ks * 16 + (lj & 1) * 8;
            ldsm4(b_base + (uint32_t)((row * FC_ROW + col) * 2), b0, b1, b2, b3);
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                mma_16816(acc[i][2 * q], af[i], b0, b1);
                mma_16816(acc[i][2 * q + 1], af[i], b2, b3);
            }
        }
    }
    /* epilogue: pixel row warp*32 + i*16 + g (+8), channels j*8 + 2tq (+1) */
    const int g = lane >> 2, tq = lane & 3;
    __half *st = reinterpret_cast<__half *>(stage);
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int hh = 0; hh < 2; ++hh) {
            const int px = warp * 32 + i * 16 + g + hh * 8;
#pragma unroll
            for (int j = 0; j < 8; ++j) {
                const int oc = j * 8 + tq * 2;
                float v0 = acc[i][j][hh * 2] + sBias[oc],
                      v1 = acc[i][j][hh * 2 + 1] + sBias[oc + 1];
                v0 = v0 > 0.f ? v0 : v0 * sSlope[oc];
                v1 = v1 > 0.f ? v1 : v1 * sSlope[oc + 1];
                *reinterpret_cast<__half2 *>(st + px * 64 + ((j ^ (px & 7)) << 3) + tq * 2) =
                    __floats2half2_rn(v0, v1);
            }
        }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int i = k * 128 + tx, px = i >> 3, ch = i & 7;
        if (pix0 + px < total)
            *reinterpret_cast<uint4 *>(out + (pix0 + px) * ostride + ch * 8) =
                stage[px * 8 + (ch ^ (px & 7))];
    }
}
} // namespace

void launch_first_conv_tc(const float *in, __half *out, int ostride, int n, int h, int w,
                          const __half *wt, const float *bias, const float *slope, cudaStream_t s)
{
    long long total = (long long)n * h * w;
    k_first_conv_tc<<<blocks_for(total, 128), 128, 0, s>>>(in, out, ostride, n, h, w, wt, bias,
                                                           slope);
}
} // namespace vsrcuda
