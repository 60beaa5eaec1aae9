// VMAF features on CUDA: see quality/vmaf_cuda.h. The kernels follow the
// CPU extractors (quality/vif.c, adm.c, motion.c) operation for operation
// within each pixel (filter taps in the same order, the same float
// formulas, libvmaf's mirror and fast log2); the sums are formed per block
// in double and reduced per frame in a fixed order, so results are
// deterministic and differ from the CPU's row-order float sums only in
// rounding.
//
// One batch (up to VSR_VMAF_CUDA_MAX_BATCH frames, blockIdx.z = frame) is
// scored by 18 launches: motion blur and SAD, VIF statistic of scale 0 and
// decimation + statistic of scales 1-3, ADM wavelet + statistic of scales
// 0-3, and the per-frame reduction whose sums are copied into pinned host
// memory.
#include <cuda_runtime.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "quality/adm.h"
#include "quality/vmaf_cuda.h"
}

namespace
{

constexpr int kScales = VSR_VMAF_CUDA_SCALES;
constexpr int kMaxLimits = VSR_VMAF_CUDA_MAX_LIMITS;

// The per-frame sums the reduction produces.
constexpr int kStatVif = 0;  // + scale * 3 + {0 den, 1 num0, 2 num1}
constexpr int kStatAdm = 12; // + scale * 9 + {0..2 den per orientation, 3 + l * 3 + t num}
constexpr int kStatSad = 48;
constexpr int kStats = 49;

constexpr int kResultSlots = 4; // batches whose results can wait to be collected

// libvmaf's vif_filter1d_table_s (kernelscale 1.0), one row per scale.
__constant__ float c_vif_filter[kScales][17] = {
    {0.00745626912f, 0.0142655009f, 0.0250313189f, 0.0402820669f, 0.0594526194f, 0.0804751068f,
     0.0999041125f, 0.113746084f, 0.118773937f, 0.113746084f, 0.0999041125f, 0.0804751068f,
     0.0594526194f, 0.0402820669f, 0.0250313189f, 0.0142655009f, 0.00745626912f},
    {0.0189780835f, 0.0558981746f, 0.120920904f, 0.192116052f, 0.224173605f, 0.192116052f,
     0.120920904f, 0.0558981746f, 0.0189780835f},
    {0.054488685f, 0.244201347f, 0.402619958f, 0.244201347f, 0.054488685f},
    {0.166378498f, 0.667243004f, 0.166378498f},
};
// libvmaf's FILTER_5_s (motion)
__constant__ float c_motion_filter[5] = {0.054488685f, 0.244201347f, 0.402619958f, 0.244201347f,
                                         0.054488685f};

__host__ __device__ constexpr int vif_width(int scale)
{
    return scale == 0 ? 17 : scale == 1 ? 9 : scale == 2 ? 5 : 3;
}

// libvmaf's border rule (vmaf_math.h), clamped so that tiles hanging over
// a small picture read inside it (what they compute there is not used).
__device__ __forceinline__ int mirror(int i, int n)
{
    if (i < 0)
        i = -i;
    if (i >= n)
        i = 2 * n - i - 1;
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

// VIF follows libvmaf's integer extractor (vif.c says why): pixels 0..255,
// its row mirror that does not repeat the last row, and means rounded to
// 1/256 after each vertical pass and in the decimation.
__device__ __forceinline__ int vif_mirror_row(int i, int n)
{
    if (i < 0)
        i = -i;
    if (i >= n)
        i = 2 * n - i - 2;
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}
__device__ __forceinline__ float vif_pixel(uint8_t v)
{
    return (float)v;
}
__device__ __forceinline__ float vif_pixel(float v)
{
    return v;
}
__device__ __forceinline__ float round_q8(float x)
{
    return (float)(int)(x * 256.0f + 0.5f) * (1.0f / 256.0f);
}

__device__ __forceinline__ float to_float(uint8_t v)
{
    return (float)v - 128.0f;
}
__device__ __forceinline__ float to_float(float v)
{
    return v;
}

// vmaf_math.h's vsr_vmaf_log2f
__device__ __forceinline__ float fast_log2(float x)
{
    const float poly[9] = {-0.012671635276421f, 0.064841182402670f,  -0.157048836463065f,
                           0.257167726303123f,  -0.353800560300520f, 0.480131410397451f,
                           -0.721314327952201f, 1.442694803896991f,  0.0f};
    unsigned bits = __float_as_uint(x);
    int exponent = (int)((bits & 0x7F800000u) >> 23) - 127;
    float mant = __uint_as_float((bits & 0x007FFFFFu) | 0x3F800000u);
    float t = mant - 1.0f, acc = 0.0f;
#pragma unroll
    for (int i = 0; i < 9; i++)
        acc = acc * t + poly[i];
    return (float)exponent + acc;
}

// Sums N per-thread values over the block (blockDim 256) in double and
// writes them to dst[i * stride] (thread 0).
template <int N> __device__ void block_sum(const float (&v)[N], double *dst, int stride)
{
    __shared__ double red[8][N > 0 ? N : 1];
    const int tid = threadIdx.x + threadIdx.y * blockDim.x;
    const int lane = tid & 31, warp = tid >> 5;
#pragma unroll
    for (int i = 0; i < N; i++) {
        double d = v[i];
#pragma unroll
        for (int o = 16; o > 0; o >>= 1)
            d += __shfl_down_sync(0xffffffffu, d, o);
        if (lane == 0)
            red[warp][i] = d;
    }
    __syncthreads();
    if (tid < N) {
        double s = 0.0;
        for (int w = 0; w < 8; w++)
            s += red[w][tid];
        dst[(size_t)tid * stride] = s;
    }
}

struct Frames {
    // ref of frame z at ref + z * frame_stride; dis likewise (elements)
    const void *ref, *dis;
    size_t pitch, frame_stride;
};

constexpr int kTW = 32, kTH = 16; // output tile of the filter kernels (256 threads: 32 x 8)

// ---------------------------------------------------------------- VIF ----

// The VIF statistic of one scale (vif.c's vif_scale_statistic): the five
// moments filtered vertically then horizontally, the statistic, sums of den
// and num per limit. Vertical pass: each thread filters 4 rows of a column
// from registers, taps in order.
template <int S, typename T>
__global__ void __launch_bounds__(256)
    vif_stat_kernel(Frames f, int w, int h, float lim0, float lim1, int nlim, unsigned mask,
                    double *partials, size_t pstride)
{
    constexpr int FW = vif_width(S), R = FW / 2, CW = kTW + 2 * R, CH = kTH + 2 * R;
    constexpr int RPT = 4; // rows per thread in the vertical pass
    __shared__ float sa[CH][CW], sb[CH][CW];
    __shared__ float mom[5][kTH][CW];
    const int z = blockIdx.z;
    if (!((mask >> z) & 1u))
        return;
    const T *ref = (const T *)f.ref + z * f.frame_stride;
    const T *dis = (const T *)f.dis + z * f.frame_stride;
    const int tid = threadIdx.x + threadIdx.y * 32;
    const int x0 = blockIdx.x * kTW, y0 = blockIdx.y * kTH;
    for (int i = tid; i < CH * CW; i += 256) {
        int r = i / CW, c = i % CW;
        size_t o = (size_t)vif_mirror_row(y0 - R + r, h) * f.pitch + mirror(x0 - R + c, w);
        sa[r][c] = vif_pixel(ref[o]);
        sb[r][c] = vif_pixel(dis[o]);
    }
    __syncthreads();
    for (int item = tid; item < CW * (kTH / RPT); item += 256) {
        const int c = item % CW, r0 = (item / CW) * RPT;
        float xa[RPT + FW - 1], xb[RPT + FW - 1];
#pragma unroll
        for (int k = 0; k < RPT + FW - 1; k++) {
            xa[k] = sa[r0 + k][c];
            xb[k] = sb[r0 + k][c];
        }
        float m0[RPT], m1[RPT], m2[RPT], m3[RPT], m4[RPT];
#pragma unroll
        for (int o = 0; o < RPT; o++)
            m0[o] = m1[o] = m2[o] = m3[o] = m4[o] = 0.0f;
#pragma unroll
        for (int k = 0; k < FW; k++) {
            const float fk = c_vif_filter[S][k];
#pragma unroll
            for (int o = 0; o < RPT; o++) {
                const float a = xa[o + k], b = xb[o + k];
                m0[o] += fk * a;
                m1[o] += fk * b;
                m2[o] += fk * (a * a);
                m3[o] += fk * (b * b);
                m4[o] += fk * (a * b);
            }
        }
#pragma unroll
        for (int o = 0; o < RPT; o++) {
            mom[0][r0 + o][c] = round_q8(m0[o]);
            mom[1][r0 + o][c] = round_q8(m1[o]);
            mom[2][r0 + o][c] = m2[o];
            mom[3][r0 + o][c] = m3[o];
            mom[4][r0 + o][c] = m4[o];
        }
    }
    __syncthreads();
    const float sigma_nsq = 2.0f, sigma_max_inv = 4.0f / (255.0f * 255.0f), eps = 1.0e-10f;
    float acc[3] = {0.0f, 0.0f, 0.0f}; // den, num0, num1
    for (int p = tid; p < kTW * kTH; p += 256) {
        const int r = p / kTW, c = p % kTW;
        if (x0 + c >= w || y0 + r >= h)
            continue;
        float v[5];
#pragma unroll
        for (int m = 0; m < 5; m++) {
            float s = 0.0f;
#pragma unroll
            for (int k = 0; k < FW; k++)
                s += c_vif_filter[S][k] * mom[m][r][c + k];
            v[m] = s;
        }
        const float mu1 = v[0], mu2 = v[1];
        float sigma1_sq = v[2] - mu1 * mu1;
        float sigma2_sq = v[3] - mu2 * mu2;
        float sigma12 = v[4] - mu1 * mu2;
        sigma1_sq = sigma1_sq > 0.0f ? sigma1_sq : 0.0f;
        sigma2_sq = sigma2_sq > 0.0f ? sigma2_sq : 0.0f;
        float g = sigma12 / (sigma1_sq + eps);
        float sv_sq = sigma2_sq - g * sigma12;
        if (sigma1_sq < eps) {
            g = 0.0f;
            sv_sq = sigma2_sq;
            sigma1_sq = 0.0f;
        }
        if (sigma2_sq < eps) {
            g = 0.0f;
            sv_sq = 0.0f;
        }
        if (g < 0.0f) {
            sv_sq = sigma2_sq;
            g = 0.0f;
        }
        sv_sq = sv_sq > eps ? sv_sq : eps;
        const bool flat = sigma1_sq < sigma_nsq;
        acc[0] += flat ? 1.0f : fast_log2(1.0f + sigma1_sq / sigma_nsq);
#pragma unroll
        for (int l = 0; l < kMaxLimits; l++) {
            if (l >= nlim)
                break;
            const float lim = l == 0 ? lim0 : lim1;
            const float gl = g < lim ? g : lim;
            float n = fast_log2(1.0f + (gl * gl * sigma1_sq) / (sv_sq + sigma_nsq));
            if (sigma12 < 0.0f)
                n = 0.0f;
            if (flat)
                n = 1.0f - sigma2_sq * sigma_max_inv;
            acc[1 + l] += n;
        }
    }
    const int nb = gridDim.x * gridDim.y;
    block_sum<3>(acc, partials + z * pstride + blockIdx.y * gridDim.x + blockIdx.x, nb);
}

// The next scale's pictures (vif.c's vif_decimate): filtered by scale S's
// filter, even rows and columns kept.
template <int S, typename T>
__global__ void __launch_bounds__(256)
    vif_decimate_kernel(Frames f, int w, int h, float *out, size_t out_frame_stride, unsigned mask)
{
    constexpr int FW = vif_width(S), R = FW / 2;
    constexpr int CW = 2 * kTW + FW - 2, CH = 2 * kTH + FW - 2;
    __shared__ float s[2][CH][CW];
    __shared__ float vt[2][kTH][CW];
    const int z = blockIdx.z;
    if (!((mask >> z) & 1u))
        return;
    const T *src[2] = {(const T *)f.ref + z * f.frame_stride,
                       (const T *)f.dis + z * f.frame_stride};
    const int tid = threadIdx.x + threadIdx.y * 32;
    const int dw = w / 2, dh = h / 2;
    const int x0 = blockIdx.x * kTW, y0 = blockIdx.y * kTH;
    for (int i = tid; i < CH * CW; i += 256) {
        int r = i / CW, c = i % CW;
        size_t o = (size_t)vif_mirror_row(2 * y0 - R + r, h) * f.pitch + mirror(2 * x0 - R + c, w);
        s[0][r][c] = vif_pixel(src[0][o]);
        s[1][r][c] = vif_pixel(src[1][o]);
    }
    __syncthreads();
    for (int i = tid; i < 2 * kTH * CW; i += 256) {
        const int p = i / (kTH * CW), r = (i / CW) % kTH, c = i % CW;
        float acc = 0.0f;
#pragma unroll
        for (int k = 0; k < FW; k++)
            acc += c_vif_filter[S][k] * s[p][2 * r + k][c];
        vt[p][r][c] = round_q8(acc);
    }
    __syncthreads();
    for (int i = tid; i < 2 * kTH * kTW; i += 256) {
        const int p = i / (kTH * kTW), r = (i / kTW) % kTH, c = i % kTW;
        if (x0 + c >= dw || y0 + r >= dh)
            continue;
        float acc = 0.0f;
#pragma unroll
        for (int k = 0; k < FW; k++)
            acc += c_vif_filter[S][k] * vt[p][r][2 * c + k];
        out[(size_t)z * out_frame_stride + (size_t)p * ((size_t)dw * dh) + (size_t)(y0 + r) * dw +
            x0 + c] = round_q8(acc);
    }
}

// ---------------------------------------------------------------- ADM ----

enum { BAND_A, BAND_H, BAND_V, BAND_D };

// One level of the db2 transform (adm.c's adm_dwt2) of ref (blockIdx.z
// even) or dis (odd): out holds, per frame, ref's 4 bands then dis's, each
// w2 x h2.
template <typename T>
__global__ void __launch_bounds__(256)
    adm_dwt_kernel(Frames f, int w, int h, float *out, size_t out_frame_stride, unsigned mask)
{
    const float lo[4] = {0.482962913144690f, 0.836516303737469f, 0.224143868041857f,
                         -0.129409522550921f};
    const float hi[4] = {-0.129409522550921f, -0.224143868041857f, 0.836516303737469f,
                         -0.482962913144690f};
    const int z = blockIdx.z >> 1, p = blockIdx.z & 1;
    if (!((mask >> z) & 1u))
        return;
    const int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    const int j = blockIdx.x * blockDim.x + threadIdx.x, i = blockIdx.y * blockDim.y + threadIdx.y;
    if (j >= w2 || i >= h2)
        return;
    const T *src = (const T *)(p ? f.dis : f.ref) + z * f.frame_stride;
    const T *rows[4];
    int cols[4];
#pragma unroll
    for (int k = 0; k < 4; k++) {
        rows[k] = src + (size_t)mirror(2 * i - 1 + k, h) * f.pitch;
        cols[k] = mirror(2 * j - 1 + k, w);
    }
    float tlo[4], thi[4];
#pragma unroll
    for (int c = 0; c < 4; c++) {
        float s[4];
#pragma unroll
        for (int k = 0; k < 4; k++)
            s[k] = to_float(rows[k][cols[c]]);
        float acc = 0.0f;
        acc += lo[0] * s[0];
        acc += lo[1] * s[1];
        acc += lo[2] * s[2];
        acc += lo[3] * s[3];
        tlo[c] = acc;
        acc = 0.0f;
        acc += hi[0] * s[0];
        acc += hi[1] * s[1];
        acc += hi[2] * s[2];
        acc += hi[3] * s[3];
        thi[c] = acc;
    }
    const size_t n = (size_t)w2 * h2, o = (size_t)i * w2 + j;
    float *b = out + z * out_frame_stride + (size_t)p * 4 * n;
    float acc = 0.0f;
    acc += lo[0] * tlo[0];
    acc += lo[1] * tlo[1];
    acc += lo[2] * tlo[2];
    acc += lo[3] * tlo[3];
    b[BAND_A * n + o] = acc;
    acc = 0.0f;
    acc += hi[0] * tlo[0];
    acc += hi[1] * tlo[1];
    acc += hi[2] * tlo[2];
    acc += hi[3] * tlo[3];
    b[BAND_V * n + o] = acc;
    acc = 0.0f;
    acc += lo[0] * thi[0];
    acc += lo[1] * thi[1];
    acc += lo[2] * thi[2];
    acc += lo[3] * thi[3];
    b[BAND_H * n + o] = acc;
    acc = 0.0f;
    acc += hi[0] * thi[0];
    acc += hi[1] * thi[1];
    acc += hi[2] * thi[2];
    acc += hi[3] * thi[3];
    b[BAND_D * n + o] = acc;
}

// adm.c's adm_restore
__device__ __forceinline__ float adm_restore(float o, float t, bool same_angle, float limit)
{
    const float eps = 1e-30f;
    float k = t / (o + eps);
    k = k < 0.0f ? 0.0f : (k > 1.0f ? 1.0f : k);
    float rst = k * o;
    if (same_angle && rst > 0.0f) {
        float c = rst * limit;
        rst = c < t ? c : t;
    } else if (same_angle && rst < 0.0f) {
        float c = rst * limit;
        rst = c > t ? c : t;
    }
    return rst;
}

struct AdmScale {
    int w, h;                     // band size
    int left, top, right, bottom; // pooling region
    float rf[3];                  // csf weights per orientation (H, V, D)
};

constexpr float kOneBy30 = 0.0333333351f, kOneBy15 = 0.0666666701f;

// Decoupling of one pixel for one limit: the csf-weighted restored detail
// per orientation and the impairment's masking sums.
__device__ __forceinline__ void adm_decouple(const float o[3], const float t[3], float limit,
                                             const float rf[3], float cos_1deg_sq, float xr[3],
                                             float *ms, float *mc)
{
    float ot_dp = o[0] * t[0] + o[1] * t[1];
    float o_mag_sq = o[0] * o[0] + o[1] * o[1];
    float t_mag_sq = t[0] * t[0] + t[1] * t[1];
    bool same = (ot_dp >= 0.0f) && (ot_dp * ot_dp >= cos_1deg_sq * o_mag_sq * t_mag_sq);
    float a[3];
#pragma unroll
    for (int q = 0; q < 3; q++) {
        float r = adm_restore(o[q], t[q], same, limit);
        a[q] = rf[q] * (t[q] - r);
        xr[q] = rf[q] * r;
    }
    *ms = kOneBy30 * fabsf(a[0]) + kOneBy30 * fabsf(a[1]) + kOneBy30 * fabsf(a[2]);
    *mc = kOneBy15 * fabsf(a[0]) + kOneBy15 * fabsf(a[1]) + kOneBy15 * fabsf(a[2]);
}

// One scale's ADM sums (adm.c's adm_scale_den and adm_scale_num) over the
// pooling region, 32 x 8 pixels a block: den per orientation, and per limit
// the masked restored detail cubed per orientation.
__global__ void __launch_bounds__(256)
    adm_stat_kernel(const float *bands, size_t frame_stride, AdmScale sc, float lim0, float lim1,
                    int nlim, float cos_1deg_sq, unsigned mask, double *partials, size_t pstride)
{
    __shared__ float ms[kMaxLimits][10][34];
    const int z = blockIdx.z;
    if (!((mask >> z) & 1u))
        return;
    const size_t n = (size_t)sc.w * sc.h;
    const float *rb = bands + z * frame_stride, *db = rb + 4 * n;
    const int tid = threadIdx.x + threadIdx.y * 32;
    const int x0 = sc.left + blockIdx.x * 32, y0 = sc.top + blockIdx.y * 8;
    const float rf[3] = {sc.rf[0], sc.rf[1], sc.rf[2]};
    for (int i = tid; i < 340; i += 256) {
        const int r = i / 34, c = i % 34;
        const size_t q = (size_t)mirror(y0 - 1 + r, sc.h) * sc.w + mirror(x0 - 1 + c, sc.w);
        const float o[3] = {rb[BAND_H * n + q], rb[BAND_V * n + q], rb[BAND_D * n + q]};
        const float t[3] = {db[BAND_H * n + q], db[BAND_V * n + q], db[BAND_D * n + q]};
#pragma unroll
        for (int l = 0; l < kMaxLimits; l++) {
            if (l >= nlim)
                break;
            float xr[3], s, cc;
            adm_decouple(o, t, l == 0 ? lim0 : lim1, rf, cos_1deg_sq, xr, &s, &cc);
            ms[l][r][c] = s;
        }
    }
    __syncthreads();
    float acc[9] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int x = x0 + tx, y = y0 + ty;
    if (x < sc.right && y < sc.bottom) {
        const size_t q = (size_t)y * sc.w + x;
        const float o[3] = {rb[BAND_H * n + q], rb[BAND_V * n + q], rb[BAND_D * n + q]};
        const float t[3] = {db[BAND_H * n + q], db[BAND_V * n + q], db[BAND_D * n + q]};
#pragma unroll
        for (int k = 0; k < 3; k++) {
            float v = fabsf(rf[k] * o[k]);
            acc[k] = v * v * v;
        }
#pragma unroll
        for (int l = 0; l < kMaxLimits; l++) {
            if (l >= nlim)
                break;
            float xr[3], s, mc;
            adm_decouple(o, t, l == 0 ? lim0 : lim1, rf, cos_1deg_sq, xr, &s, &mc);
            const float thr = ms[l][ty][tx] + ms[l][ty][tx + 1] + ms[l][ty][tx + 2] +
                              ms[l][ty + 1][tx] + mc + ms[l][ty + 1][tx + 2] + ms[l][ty + 2][tx] +
                              ms[l][ty + 2][tx + 1] + ms[l][ty + 2][tx + 2];
#pragma unroll
            for (int k = 0; k < 3; k++) {
                float v = fabsf(xr[k]) - thr;
                v = v < 0.0f ? 0.0f : v;
                acc[3 + l * 3 + k] = v * v * v;
            }
        }
    }
    const int nb = gridDim.x * gridDim.y;
    block_sum<9>(acc, partials + z * pstride + blockIdx.y * gridDim.x + blockIdx.x, nb);
}

// ------------------------------------------------------------- motion ----

// The 5-tap blur of each frame's reference (motion.c), into its slot of
// the blur ring.
__global__ void __launch_bounds__(256)
    motion_blur_kernel(Frames f, int w, int h, float *ring, int first_slot, int slots)
{
    constexpr int R = 2, CW = kTW + 2 * R, CH = kTH + 2 * R;
    __shared__ float s[CH][CW];
    __shared__ float vt[kTH][CW];
    const int z = blockIdx.z;
    const uint8_t *ref = (const uint8_t *)f.ref + z * f.frame_stride;
    const int tid = threadIdx.x + threadIdx.y * 32;
    const int x0 = blockIdx.x * kTW, y0 = blockIdx.y * kTH;
    for (int i = tid; i < CH * CW; i += 256) {
        int r = i / CW, c = i % CW;
        s[r][c] = to_float(ref[(size_t)mirror(y0 - R + r, h) * f.pitch + mirror(x0 - R + c, w)]);
    }
    __syncthreads();
    for (int i = tid; i < kTH * CW; i += 256) {
        const int r = i / CW, c = i % CW;
        float acc = 0.0f;
#pragma unroll
        for (int k = 0; k < 5; k++)
            acc += c_motion_filter[k] * s[r + k][c];
        vt[r][c] = acc;
    }
    __syncthreads();
    float *out = ring + (size_t)((first_slot + z) % slots) * w * h;
    for (int i = tid; i < kTH * kTW; i += 256) {
        const int r = i / kTW, c = i % kTW;
        if (x0 + c >= w || y0 + r >= h)
            continue;
        float acc = 0.0f;
#pragma unroll
        for (int k = 0; k < 5; k++)
            acc += c_motion_filter[k] * vt[r][c + k];
        out[(size_t)(y0 + r) * w + x0 + c] = acc;
    }
}

// Sum |blur(frame) - blur(previous frame)| per block (frame z of the batch
// is frame first_slot + z of the ring; the previous one is the slot before).
__global__ void __launch_bounds__(256)
    motion_sad_kernel(const float *ring, int w, int h, int first_slot, int slots, double *partials,
                      size_t pstride)
{
    const int z = blockIdx.z;
    const size_t n = (size_t)w * h;
    const float *cur = ring + (size_t)((first_slot + z) % slots) * n;
    const float *prev = ring + (size_t)((first_slot + z + slots - 1) % slots) * n;
    float acc[1] = {0.0f};
    const size_t stride = (size_t)gridDim.x * 256;
    for (size_t i = (size_t)blockIdx.x * 256 + threadIdx.x; i < n; i += stride)
        acc[0] += fabsf(cur[i] - prev[i]);
    block_sum<1>(acc, partials + z * pstride + blockIdx.x, 1);
}

// ----------------------------------------------------------- reduction ----

struct StatTable {
    int offset[kStats], count[kStats];
};

// Per frame: each stat's partials summed in a fixed order (lane-strided,
// then a shuffle tree), one warp per stat.
__global__ void __launch_bounds__(256)
    reduce_kernel(const double *partials, size_t pstride, StatTable t, double *sums)
{
    const int z = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const double *p = partials + z * pstride;
    for (int s = warp; s < kStats; s += 8) {
        double acc = 0.0;
        for (int i = lane; i < t.count[s]; i += 32)
            acc += p[t.offset[s] + i];
#pragma unroll
        for (int o = 16; o > 0; o >>= 1)
            acc += __shfl_down_sync(0xffffffffu, acc, o);
        if (lane == 0)
            sums[z * kStats + s] = acc;
    }
}

// --------------------------------------------------------------- host ----

int cuda_fail(vsr_error *err, cudaError_t e, const char *what)
{
    return vsr_error_set(err, VSR_ERR_BACKEND, "VMAF on CUDA: %s: %s", what, cudaGetErrorString(e));
}

#define CK(call, what)                       \
    do {                                     \
        cudaError_t e_ = (call);             \
        if (e_ != cudaSuccess)               \
            return cuda_fail(err, e_, what); \
    } while (0)

struct Batch {
    int64_t first; // index of its first frame
    int n;         // frames
    unsigned scored;
    int slot; // result slot
};

} // namespace

struct vsr_vmaf_cuda {
    vsr_vmaf_cuda_options opt;
    int w, h, batch;
    cudaStream_t stream;
    cudaEvent_t copied;             // on a caller's stream, after its copy
    cudaEvent_t consumed[2];        // the input set's batch is done with it
    cudaEvent_t done[kResultSlots]; // the slot's sums are in host memory
    uint8_t *in8[2];                // input sets: batch x (ref, dis) planes
    size_t pitch8, in_frame_stride; // bytes
    float *vif_scaled[kScales];     // scales 1-3: batch x (ref, dis)
    float *adm_bands[kScales];      // batch x (ref bands, dis bands)
    float *blur;                    // ring of batch + 1 blurred references
    double *partials, *sums;
    size_t pstride;
    StatTable table;
    int vif_grid[kScales][2], adm_grid[kScales][2], sad_blocks;
    int vif_off[kScales], adm_off[kScales], sad_off;
    AdmScale adm[kScales];
    float adm_noise[kScales];
    double *host_sums;           // pinned: kResultSlots x batch x kStats
    Batch pending[kResultSlots]; // launched, not collected, in order
    int n_pending, next_slot;
    int set, fill; // input set being filled, frames in it
    unsigned fill_scored;
    int64_t submitted, launched, collected;
    vsr_vmaf_cuda_features *overflow; // finished, taken off a slot before collect
    int n_overflow, overflow_cap, overflow_head;
};

namespace
{

void finish_frame(const vsr_vmaf_cuda *c, const double *s, int64_t index, int scored,
                  vsr_vmaf_cuda_features *f)
{
    memset(f, 0, sizeof *f);
    f->index = index;
    f->scored = scored;
    f->motion = index == 0 ? 0.0 : s[kStatSad] / ((double)c->w * c->h);
    if (!scored)
        return;
    const int nl = c->opt.n_limits;
    for (int sc = 0; sc < kScales; sc++) {
        f->vif_den[sc] = s[kStatVif + sc * 3];
        for (int l = 0; l < nl; l++)
            f->vif_num[l][sc] = s[kStatVif + sc * 3 + 1 + l];
        // adm.c: float totals, powf(., 1/3) + noise, summed in float
        const double *a = s + kStatAdm + sc * 9;
        float den = 0.0f;
        for (int t = 0; t < 3; t++)
            den += powf((float)a[t], 1.0f / 3.0f) + c->adm_noise[sc];
        f->adm_den[sc] = den;
        for (int l = 0; l < nl; l++) {
            float num = 0.0f;
            for (int t = 0; t < 3; t++)
                num += powf((float)a[3 + l * 3 + t], 1.0f / 3.0f) + c->adm_noise[sc];
            f->adm_num[l][sc] = num;
        }
    }
}

int overflow_push(vsr_vmaf_cuda *c, const vsr_vmaf_cuda_features *f, vsr_error *err)
{
    if (c->overflow_head > 0 && c->overflow_head == c->n_overflow) {
        c->overflow_head = c->n_overflow = 0;
    }
    if (c->n_overflow == c->overflow_cap) {
        int cap = c->overflow_cap ? c->overflow_cap * 2 : 256;
        void *p = realloc(c->overflow, (size_t)cap * sizeof *c->overflow);
        if (!p)
            return vsr_error_set(err, VSR_ERR_NOMEM, "VMAF on CUDA: out of memory");
        c->overflow = (vsr_vmaf_cuda_features *)p;
        c->overflow_cap = cap;
    }
    c->overflow[c->n_overflow++] = *f;
    return VSR_OK;
}

// Moves the oldest launched batch's results (waiting for them) into the
// overflow queue, freeing its slot.
int retire_oldest(vsr_vmaf_cuda *c, vsr_error *err)
{
    Batch b = c->pending[0];
    CK(cudaEventSynchronize(c->done[b.slot]), "waiting for results");
    const double *s = c->host_sums + (size_t)b.slot * c->batch * kStats;
    for (int z = 0; z < b.n; z++) {
        vsr_vmaf_cuda_features f;
        finish_frame(c, s + (size_t)z * kStats, b.first + z, (b.scored >> z) & 1u, &f);
        int rc = overflow_push(c, &f, err);
        if (rc < 0)
            return rc;
    }
    memmove(c->pending, c->pending + 1, (size_t)(c->n_pending - 1) * sizeof(Batch));
    c->n_pending--;
    return VSR_OK;
}

Frames frames_of(const void *ref, const void *dis, size_t pitch, size_t frame_stride)
{
    Frames f;
    f.ref = ref;
    f.dis = dis;
    f.pitch = pitch;
    f.frame_stride = frame_stride;
    return f;
}

int launch_batch(vsr_vmaf_cuda *c, vsr_error *err)
{
    if (c->fill == 0)
        return VSR_OK;
    if (c->n_pending == kResultSlots) {
        int rc = retire_oldest(c, err);
        if (rc < 0)
            return rc;
    }
    const int n = c->fill, w = c->w, h = c->h, nl = c->opt.n_limits;
    const unsigned mask = c->fill_scored;
    const float vl0 = (float)c->opt.vif_gain_limits[0];
    const float vl1 = (float)c->opt.vif_gain_limits[nl > 1 ? 1 : 0];
    const float al0 = (float)c->opt.adm_gain_limits[0];
    const float al1 = (float)c->opt.adm_gain_limits[nl > 1 ? 1 : 0];
    cudaStream_t st = c->stream;
    const dim3 blk(32, 8);
    const uint8_t *in = c->in8[c->set];
    const size_t pitch = c->pitch8, ifs = c->in_frame_stride, plane = pitch * h;
    const Frames f8 = frames_of(in, in + plane, pitch, ifs);
    const int slots = c->batch + 1, first_slot = (int)(c->launched % slots);

    // motion
    motion_blur_kernel<<<dim3((w + kTW - 1) / kTW, (h + kTH - 1) / kTH, n), blk, 0, st>>>(
        f8, w, h, c->blur, first_slot, slots);
    motion_sad_kernel<<<dim3(c->sad_blocks, 1, n), 256, 0, st>>>(
        c->blur, w, h, first_slot, slots, c->partials + c->sad_off, c->pstride);

    // VIF
    double *P = c->partials;
    const size_t ps = c->pstride;
    vif_stat_kernel<0, uint8_t><<<dim3(c->vif_grid[0][0], c->vif_grid[0][1], n), blk, 0, st>>>(
        f8, w, h, vl0, vl1, nl, mask, P + c->vif_off[0], ps);
    {
        int sw = w / 2, sh = h / 2;
        size_t sfs = (size_t)2 * sw * sh;
        dim3 g((sw + kTW - 1) / kTW, (sh + kTH - 1) / kTH, n);
        vif_decimate_kernel<1, uint8_t><<<g, blk, 0, st>>>(f8, w, h, c->vif_scaled[1], sfs, mask);
        Frames f1 = frames_of(c->vif_scaled[1], c->vif_scaled[1] + (size_t)sw * sh, sw, sfs);
        vif_stat_kernel<1, float><<<dim3(c->vif_grid[1][0], c->vif_grid[1][1], n), blk, 0, st>>>(
            f1, sw, sh, vl0, vl1, nl, mask, P + c->vif_off[1], ps);
        int tw = sw / 2, th = sh / 2;
        size_t tfs = (size_t)2 * tw * th;
        g = dim3((tw + kTW - 1) / kTW, (th + kTH - 1) / kTH, n);
        vif_decimate_kernel<2, float><<<g, blk, 0, st>>>(f1, sw, sh, c->vif_scaled[2], tfs, mask);
        Frames f2 = frames_of(c->vif_scaled[2], c->vif_scaled[2] + (size_t)tw * th, tw, tfs);
        vif_stat_kernel<2, float><<<dim3(c->vif_grid[2][0], c->vif_grid[2][1], n), blk, 0, st>>>(
            f2, tw, th, vl0, vl1, nl, mask, P + c->vif_off[2], ps);
        int uw = tw / 2, uh = th / 2;
        size_t ufs = (size_t)2 * uw * uh;
        g = dim3((uw + kTW - 1) / kTW, (uh + kTH - 1) / kTH, n);
        vif_decimate_kernel<3, float><<<g, blk, 0, st>>>(f2, tw, th, c->vif_scaled[3], ufs, mask);
        Frames f3 = frames_of(c->vif_scaled[3], c->vif_scaled[3] + (size_t)uw * uh, uw, ufs);
        vif_stat_kernel<3, float><<<dim3(c->vif_grid[3][0], c->vif_grid[3][1], n), blk, 0, st>>>(
            f3, uw, uh, vl0, vl1, nl, mask, P + c->vif_off[3], ps);
    }

    // ADM
    const float cos_1deg_sq = (float)(cos(1.0 * 3.14159265358979323846 / 180.0) *
                                      cos(1.0 * 3.14159265358979323846 / 180.0));
    int cw = w, chh = h;
    for (int s = 0; s < kScales; s++) {
        const AdmScale &a = c->adm[s];
        const size_t bfs = (size_t)8 * a.w * a.h;
        dim3 g((a.w + 31) / 32, (a.h + 7) / 8, 2 * n);
        if (s == 0) {
            adm_dwt_kernel<uint8_t><<<g, blk, 0, st>>>(f8, w, h, c->adm_bands[0], bfs, mask);
        } else {
            const AdmScale &p = c->adm[s - 1];
            const size_t pn = (size_t)p.w * p.h;
            // band A of the previous scale: ref's at 0, dis's at 4 * pn
            Frames fa = frames_of(c->adm_bands[s - 1], c->adm_bands[s - 1] + 4 * pn, p.w, 8 * pn);
            adm_dwt_kernel<float><<<g, blk, 0, st>>>(fa, cw, chh, c->adm_bands[s], bfs, mask);
        }
        adm_stat_kernel<<<dim3(c->adm_grid[s][0], c->adm_grid[s][1], n), blk, 0, st>>>(
            c->adm_bands[s], bfs, a, al0, al1, nl, cos_1deg_sq, mask, P + c->adm_off[s], ps);
        cw = a.w;
        chh = a.h;
    }
    CK(cudaEventRecord(c->consumed[c->set], st), "event");

    reduce_kernel<<<n, 256, 0, st>>>(P, ps, c->table, c->sums);
    CK(cudaGetLastError(), "kernel launch");
    const int slot = c->next_slot;
    c->next_slot = (slot + 1) % kResultSlots;
    CK(cudaMemcpyAsync(c->host_sums + (size_t)slot * c->batch * kStats, c->sums,
                       (size_t)n * kStats * sizeof(double), cudaMemcpyDeviceToHost, st),
       "copying results");
    CK(cudaEventRecord(c->done[slot], st), "event");
    Batch b;
    b.first = c->launched;
    b.n = n;
    b.scored = mask;
    b.slot = slot;
    c->pending[c->n_pending++] = b;
    c->launched += n;
    c->fill = 0;
    c->fill_scored = 0;
    c->set ^= 1;
    return VSR_OK;
}

} // namespace

extern "C" int vsr_vmaf_cuda_create(const vsr_vmaf_cuda_options *opt, vsr_vmaf_cuda **out,
                                    vsr_error *err)
{
    *out = NULL;
    const int w = opt->width, h = opt->height;
    if (w < 32 || h < 32 || (int64_t)w * h > (int64_t)8192 * 8192)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "VMAF on CUDA: %dx%d: pictures must be 32x32 to 8192x8192", w, h);
    if (opt->n_limits < 1 || opt->n_limits > kMaxLimits)
        return vsr_error_set(err, VSR_ERR_INVALID, "VMAF on CUDA: %d gain-limit variants (1 or 2)",
                             opt->n_limits);
    for (int l = 0; l < opt->n_limits; l++)
        if (!(opt->adm_gain_limits[l] >= 1.0) || !(opt->vif_gain_limits[l] >= 1.0))
            return vsr_error_set(err, VSR_ERR_INVALID, "VMAF on CUDA: gain limits must be >= 1");
    const int batch = opt->batch ? opt->batch : 8;
    if (batch < 1 || batch > VSR_VMAF_CUDA_MAX_BATCH)
        return vsr_error_set(err, VSR_ERR_INVALID, "VMAF on CUDA: batch %d (1..%d)", batch,
                             VSR_VMAF_CUDA_MAX_BATCH);
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        return cuda_fail(err, e, "no CUDA device");
    if (opt->device < 0 || opt->device >= count)
        return vsr_error_set(err, VSR_ERR_INVALID, "VMAF on CUDA: device %d (%d present)",
                             opt->device, count);
    CK(cudaSetDevice(opt->device), "selecting the device");

    vsr_vmaf_cuda *c = (vsr_vmaf_cuda *)calloc(1, sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "VMAF on CUDA: out of memory");
    c->opt = *opt;
    c->opt.batch = batch;
    c->w = w;
    c->h = h;
    c->batch = batch;
    int rc = VSR_OK;
#define CKF(call, what)                    \
    do {                                   \
        cudaError_t e_ = (call);           \
        if (e_ != cudaSuccess) {           \
            rc = cuda_fail(err, e_, what); \
            goto fail;                     \
        }                                  \
    } while (0)
    {
        CKF(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "stream");
        CKF(cudaEventCreateWithFlags(&c->copied, cudaEventDisableTiming), "event");
        for (int i = 0; i < 2; i++)
            CKF(cudaEventCreateWithFlags(&c->consumed[i], cudaEventDisableTiming), "event");
        for (int i = 0; i < kResultSlots; i++)
            CKF(cudaEventCreateWithFlags(&c->done[i], cudaEventDisableTiming), "event");
        c->pitch8 = ((size_t)w + 255) & ~(size_t)255;
        c->in_frame_stride = 2 * c->pitch8 * h;
        for (int i = 0; i < 2; i++)
            CKF(cudaMalloc(&c->in8[i], c->in_frame_stride * batch), "device memory");
        for (int s = 1; s < kScales; s++) {
            size_t n = (size_t)(w >> s) * (h >> s);
            CKF(cudaMalloc(&c->vif_scaled[s], 2 * n * batch * sizeof(float)), "device memory");
        }
        // partial sums: VIF (3 per block), ADM (9), SAD (1)
        size_t off = 0;
        for (int s = 0; s < kScales; s++) {
            int sw = w >> s, sh = h >> s;
            c->vif_grid[s][0] = (sw + kTW - 1) / kTW;
            c->vif_grid[s][1] = (sh + kTH - 1) / kTH;
            int nb = c->vif_grid[s][0] * c->vif_grid[s][1];
            c->vif_off[s] = (int)off;
            for (int k = 0; k < 3; k++) {
                c->table.offset[kStatVif + s * 3 + k] = (int)off + k * nb;
                c->table.count[kStatVif + s * 3 + k] = nb;
            }
            off += (size_t)3 * nb;
        }
        int aw = w, ah = h;
        for (int s = 0; s < kScales; s++) {
            aw = (aw + 1) / 2;
            ah = (ah + 1) / 2;
            AdmScale &a = c->adm[s];
            a.w = aw;
            a.h = ah;
            a.left = (int)(aw * 0.1 - 0.5);
            a.top = (int)(ah * 0.1 - 0.5);
            a.right = aw - a.left;
            a.bottom = ah - a.top;
            const float f1 = 1.0f / vsr_adm_quant_step(s, 1), f2 = 1.0f / vsr_adm_quant_step(s, 2);
            a.rf[0] = f1;
            a.rf[1] = f1;
            a.rf[2] = f2;
            c->adm_noise[s] =
                powf((float)((a.right - a.left) * (a.bottom - a.top) * (1.0 / 32.0)), 1.0f / 3.0f);
            CKF(cudaMalloc(&c->adm_bands[s], (size_t)8 * aw * ah * batch * sizeof(float)),
                "device memory");
            c->adm_grid[s][0] = (a.right - a.left + 31) / 32;
            c->adm_grid[s][1] = (a.bottom - a.top + 7) / 8;
            int nb = c->adm_grid[s][0] * c->adm_grid[s][1];
            c->adm_off[s] = (int)off;
            for (int k = 0; k < 9; k++) {
                c->table.offset[kStatAdm + s * 9 + k] = (int)off + k * nb;
                c->table.count[kStatAdm + s * 9 + k] = nb;
            }
            off += (size_t)9 * nb;
        }
        c->sad_blocks = (int)(((size_t)w * h + 256 * 16 - 1) / (256 * 16));
        c->sad_blocks = c->sad_blocks > 1024 ? 1024 : c->sad_blocks;
        c->sad_off = (int)off;
        c->table.offset[kStatSad] = (int)off;
        c->table.count[kStatSad] = c->sad_blocks;
        off += c->sad_blocks;
        c->pstride = off;
        CKF(cudaMalloc(&c->partials, off * batch * sizeof(double)), "device memory");
        CKF(cudaMemset(c->partials, 0, off * batch * sizeof(double)), "device memory");
        CKF(cudaMalloc(&c->sums, (size_t)kStats * batch * sizeof(double)), "device memory");
        CKF(cudaMalloc(&c->blur, (size_t)w * h * (batch + 1) * sizeof(float)), "device memory");
        CKF(cudaMemset(c->blur, 0, (size_t)w * h * (batch + 1) * sizeof(float)), "device memory");
        CKF(cudaMallocHost(&c->host_sums, (size_t)kResultSlots * batch * kStats * sizeof(double)),
            "pinned memory");
        CKF(cudaStreamSynchronize(c->stream), "stream");
    }
#undef CKF
    *out = c;
    return VSR_OK;
fail:
    vsr_vmaf_cuda_free(c);
    return rc;
}

extern "C" void vsr_vmaf_cuda_free(vsr_vmaf_cuda *c)
{
    if (!c)
        return;
    cudaSetDevice(c->opt.device);
    if (c->stream)
        cudaStreamSynchronize(c->stream);
    for (int i = 0; i < 2; i++)
        cudaFree(c->in8[i]);
    for (int s = 0; s < kScales; s++) {
        cudaFree(c->vif_scaled[s]);
        cudaFree(c->adm_bands[s]);
    }
    cudaFree(c->blur);
    cudaFree(c->partials);
    cudaFree(c->sums);
    cudaFreeHost(c->host_sums);
    if (c->copied)
        cudaEventDestroy(c->copied);
    for (int i = 0; i < 2; i++)
        if (c->consumed[i])
            cudaEventDestroy(c->consumed[i]);
    for (int i = 0; i < kResultSlots; i++)
        if (c->done[i])
            cudaEventDestroy(c->done[i]);
    if (c->stream)
        cudaStreamDestroy(c->stream);
    free(c->overflow);
    free(c);
}

namespace
{

// The input slot of the next frame: ref at [0], dis at [1].
void next_slot(vsr_vmaf_cuda *c, uint8_t **ref, uint8_t **dis)
{
    uint8_t *base = c->in8[c->set] + (size_t)c->fill * c->in_frame_stride;
    *ref = base;
    *dis = base + c->pitch8 * c->h;
}

int after_copy(vsr_vmaf_cuda *c, int scored, vsr_error *err)
{
    c->fill_scored |= (unsigned)(scored ? 1 : 0) << c->fill;
    c->fill++;
    c->submitted++;
    if (c->fill == c->batch)
        return launch_batch(c, err);
    return VSR_OK;
}

} // namespace

extern "C" int vsr_vmaf_cuda_submit(vsr_vmaf_cuda *c, const uint8_t *ref, size_t ref_pitch,
                                    const uint8_t *dis, size_t dis_pitch, void *stream,
                                    vsr_error *err)
{
    CK(cudaSetDevice(c->opt.device), "selecting the device");
    cudaStream_t s = stream ? (cudaStream_t)stream : (cudaStream_t)0;
    uint8_t *r, *d;
    next_slot(c, &r, &d);
    // the copy waits until the batch that last read this input set is done
    CK(cudaStreamWaitEvent(s, c->consumed[c->set], 0), "ordering the copy");
    CK(cudaMemcpy2DAsync(r, c->pitch8, ref, ref_pitch, c->w, c->h, cudaMemcpyDeviceToDevice, s),
       "copying the reference");
    if (dis)
        CK(cudaMemcpy2DAsync(d, c->pitch8, dis, dis_pitch, c->w, c->h, cudaMemcpyDeviceToDevice, s),
           "copying the distorted picture");
    CK(cudaEventRecord(c->copied, s), "event");
    CK(cudaStreamWaitEvent(c->stream, c->copied, 0), "ordering the batch");
    return after_copy(c, dis != NULL, err);
}

extern "C" int vsr_vmaf_cuda_submit_host(vsr_vmaf_cuda *c, const uint8_t *ref, ptrdiff_t ref_stride,
                                         const uint8_t *dis, ptrdiff_t dis_stride, vsr_error *err)
{
    CK(cudaSetDevice(c->opt.device), "selecting the device");
    uint8_t *r, *d;
    next_slot(c, &r, &d);
    // on the context's stream: after the batch that last read this set
    CK(cudaMemcpy2DAsync(r, c->pitch8, ref, (size_t)ref_stride, c->w, c->h, cudaMemcpyHostToDevice,
                         c->stream),
       "uploading the reference");
    if (dis)
        CK(cudaMemcpy2DAsync(d, c->pitch8, dis, (size_t)dis_stride, c->w, c->h,
                             cudaMemcpyHostToDevice, c->stream),
           "uploading the distorted picture");
    return after_copy(c, dis != NULL, err);
}

extern "C" int vsr_vmaf_cuda_flush(vsr_vmaf_cuda *c, vsr_error *err)
{
    CK(cudaSetDevice(c->opt.device), "selecting the device");
    return launch_batch(c, err);
}

extern "C" int vsr_vmaf_cuda_collect(vsr_vmaf_cuda *c, vsr_vmaf_cuda_features *out, int max,
                                     int wait, vsr_error *err)
{
    CK(cudaSetDevice(c->opt.device), "selecting the device");
    int rc;
    if (wait && (rc = launch_batch(c, err)) < 0)
        return rc;
    int got = 0;
    while (got < max) {
        if (c->overflow_head < c->n_overflow) {
            out[got++] = c->overflow[c->overflow_head++];
            continue;
        }
        if (c->n_pending == 0)
            break;
        if (!wait) {
            cudaError_t e = cudaEventQuery(c->done[c->pending[0].slot]);
            if (e == cudaErrorNotReady)
                break;
            if (e != cudaSuccess)
                return cuda_fail(err, e, "results");
        }
        if ((rc = retire_oldest(c, err)) < 0)
            return rc;
    }
    c->collected += got;
    return got;
}

extern "C" int64_t vsr_vmaf_cuda_pending(const vsr_vmaf_cuda *c)
{
    return c->submitted - c->collected;
}
