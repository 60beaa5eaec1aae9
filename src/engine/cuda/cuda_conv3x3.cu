/* Fused 3x3 convolution, 64 input channels, stride 1, zero pad 1, as an
 * implicit GEMM on tensor cores (mma.sync m16n8k16, fp16 in, fp32
 * accumulate), for the SRVGGNetCompact body and tail.
 *
 * GEMM view per tile: M = output pixels (TILE_H rows x 16 columns), N =
 * output channels (COUT), K = 9 taps x 64 input channels = 576.
 * The whole weight matrix of the layer (COUT x 576 fp16, 72 KiB for COUT 64)
 * stays in shared memory; the kernel is persistent (one or two blocks per
 * SM loop over tiles) and loads the next input tile (TILE_H+2 x 18 pixels x
 * 64 channels) with cp.async while computing the current one. A and B
 * fragments come from shared memory through ldmatrix; both layouts swizzle
 * 16-byte chunks (chunk ^ (row & 7)) so that ldmatrix is conflict-free.
 *
 * Epilogues: body: + bias, PReLU, fp16 NHWC store. Tail (COUT 48): + bias,
 * PixelShuffle(4), + nearest-upsampled fp32 input, fp32 NCHW store. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "engine/cuda/cuda_internal.h"
#include "engine/cuda/cuda_tensorcore.cuh"

/* the sm_90a helpers are unused in the other architectures' passes */
#pragma nv_diag_suppress 177

namespace vsrcuda
{

namespace
{

using namespace tc;

constexpr int CIN = 64;
constexpr int KTOT = 9 * CIN; /* 576 */
constexpr int TILE_W = 16;
constexpr int IN_W = TILE_W + 2; /* 18 */

__device__ __forceinline__ void ldsm_x4(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2,
                                        uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}

__device__ __forceinline__ void mma16816(float *c, const uint32_t *a, uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

constexpr int TAIL_ROW = 4 * TILE_W + 4; /* staged output row, floats (padded) */

template <int COUT, int TILE_H, int NSTAGE, bool TAIL = false> struct Smem {
    static constexpr int W_BYTES = COUT * KTOT * 2;
    static constexpr int IN_PIX = (TILE_H + 2) * IN_W;
    static constexpr int IN_BYTES = IN_PIX * CIN * 2;
    static constexpr int PARAM_BYTES = 2 * COUT * 4;
    /* tail: the tile's fp32 output, 3 x (4 TILE_H) rows x (4 TILE_W) */
    static constexpr int OUT_BYTES = TAIL ? 3 * 4 * TILE_H * TAIL_ROW * 4 : 0;
    static constexpr int TOTAL = W_BYTES + NSTAGE * IN_BYTES + PARAM_BYTES + OUT_BYTES;
};

/* Loads the input tile whose top-left output pixel is (y0, x0) of image
 * img into sIn (swizzled), zero outside the image. */
template <int TILE_H, int NTHREADS>
__device__ __forceinline__ void load_tile(__half *sIn, const __half *in, int img, int y0, int x0,
                                          int H, int W)
{
    constexpr int IN_PIX = (TILE_H + 2) * IN_W;
    const uint32_t base = smem_u32(sIn);
    for (int idx = threadIdx.x; idx < IN_PIX * 8; idx += NTHREADS) {
        int p = idx >> 3, c = idx & 7;
        int iy = p / IN_W, ix = p - iy * IN_W;
        int gy = y0 - 1 + iy, gx = x0 - 1 + ix;
        bool ok = (unsigned)gy < (unsigned)H && (unsigned)gx < (unsigned)W;
        const __half *src = ok ? in + ((((long long)img * H + gy) * W + gx) * CIN + c * 8) : in;
        uint32_t dst = base + (uint32_t)(p * 128 + ((c ^ (p & 7)) << 4));
        cp_async16(dst, src, ok ? 16 : 0);
    }
}

/* COUT output channels; warps arranged WARPS_M x WARPS_N; each warp owns WM
 * m16 tiles (= WM output rows of 16 pixels) and WN n8 tiles. */
template <int COUT, int WARPS_M, int WARPS_N, int WM, int WN, int NSTAGE, int MINB, bool TAIL>
__global__ void __launch_bounds__(WARPS_M *WARPS_N * 32, MINB) conv3x3_kernel(const Conv3x3Args a)
{
    constexpr int NTHREADS = WARPS_M * WARPS_N * 32;
    constexpr int TILE_H = WARPS_M * WM;
    static_assert(WARPS_N * WN * 8 == COUT, "N split must cover COUT");
    static_assert(WN % 2 == 0, "WN must be even (ldmatrix.x4 loads two n8 tiles)");
    using S = Smem<COUT, TILE_H, NSTAGE, TAIL>;

    extern __shared__ __align__(128) unsigned char smem[];
    __half *sW = reinterpret_cast<__half *>(smem);
    __half *sIn0 = reinterpret_cast<__half *>(smem + S::W_BYTES);
    float *sBias = reinterpret_cast<float *>(smem + S::W_BYTES + NSTAGE * S::IN_BYTES);
    float *sSlope = sBias + COUT;
    float *sOut = sSlope + COUT; /* tail only */

    const int H = a.h, W = a.w;
    const int tiles_x = (W + TILE_W - 1) / TILE_W;
    const int tiles_y = (H + TILE_H - 1) / TILE_H;
    const int tiles_img = tiles_x * tiles_y;
    const int tiles_total = tiles_img * a.n;

    /* Weights: COUT rows of 72 chunks, swizzled within groups of 8. */
    {
        const uint32_t base = smem_u32(sW);
        for (int idx = threadIdx.x; idx < COUT * (KTOT / 8); idx += NTHREADS) {
            int n = idx / (KTOT / 8), c = idx - n * (KTOT / 8);
            int pc = (c & ~7) | ((c ^ n) & 7);
            cp_async16(base + (uint32_t)(n * KTOT * 2 + pc * 16),
                       a.wt + (long long)n * KTOT + c * 8, 16);
        }
        for (int i = threadIdx.x; i < COUT; i += NTHREADS) {
            sBias[i] = a.bias ? a.bias[i] : 0.f;
            sSlope[i] = a.slopes ? a.slopes[i] : 1.f;
        }
    }

    auto tile_coords = [&](int t, int &img, int &y0, int &x0) {
        img = t / tiles_img;
        int r = t - img * tiles_img;
        int ty = r / tiles_x;
        y0 = ty * TILE_H;
        x0 = (r - ty * tiles_x) * TILE_W;
    };

    int t = blockIdx.x;
    if (NSTAGE == 2 && t < tiles_total) {
        int img, y0, x0;
        tile_coords(t, img, y0, x0);
        load_tile<TILE_H, NTHREADS>(sIn0, a.in, img, y0, x0, H, W);
    }
    cp_async_commit();

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int wm = warp % WARPS_M, wn = warp / WARPS_M;
    /* ldmatrix lane roles */
    const int lj = lane >> 3, lr = lane & 7;
    /* A: matrix lj: pixel column lr + (lj&1)*8, channel chunk +(lj>>1) */
    const int a_px = lr + (lj & 1) * 8;
    const int a_ch = lj >> 1;
    const int a_p0 = (wm * WM) * IN_W + a_px; /* pixel index for row 0, tap (0,0) */
    /* B: matrix lj: n row lr + (lj>>1)*8, k chunk +(lj&1) */
    const int b_n0 = wn * WN * 8 + lr + (lj >> 1) * 8;
    const int b_kc = lj & 1;
    const uint32_t sW_base = smem_u32(sW);

    for (int it = 0; t < tiles_total; t += gridDim.x, ++it) {
        __half *sIn = sIn0 + (NSTAGE == 2 ? (it & 1) * (S::IN_BYTES / 2) : 0);
        if (NSTAGE == 2) {
            int tn = t + gridDim.x;
            if (tn < tiles_total) {
                int img, y0, x0;
                tile_coords(tn, img, y0, x0);
                load_tile<TILE_H, NTHREADS>(sIn0 + ((it + 1) & 1) * (S::IN_BYTES / 2), a.in, img,
                                            y0, x0, H, W);
            }
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            int img, y0, x0;
            tile_coords(t, img, y0, x0);
            load_tile<TILE_H, NTHREADS>(sIn, a.in, img, y0, x0, H, W);
            cp_async_commit();
            cp_async_wait<0>();
        }
        __syncthreads();

        float acc[WM][WN][4];
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < WN; ++j)
#pragma unroll
                for (int q = 0; q < 4; ++q)
                    acc[i][j][q] = 0.f;

        const uint32_t sIn_base = smem_u32(sIn);
#pragma unroll 1
        for (int tap = 0; tap < 9; ++tap) {
            const int ky = tap / 3, kx = tap - ky * 3;
#pragma unroll
            for (int kc = 0; kc < 4; ++kc) {
                uint32_t af[WM][4];
#pragma unroll
                for (int i = 0; i < WM; ++i) {
                    int p = a_p0 + (i + ky) * IN_W + kx;
                    int ch = kc * 2 + a_ch;
                    ldsm_x4(sIn_base + (uint32_t)(p * 128 + ((ch ^ (p & 7)) << 4)), af[i][0],
                            af[i][1], af[i][2], af[i][3]);
                }
                uint32_t bf[WN][2];
#pragma unroll
                for (int q = 0; q < WN / 2; ++q) {
                    int n = b_n0 + q * 16;
                    int c = (tap * 4 + kc) * 2 + b_kc;
                    int pc = (c & ~7) | ((c ^ n) & 7);
                    ldsm_x4(sW_base + (uint32_t)(n * KTOT * 2 + pc * 16), bf[2 * q][0],
                            bf[2 * q][1], bf[2 * q + 1][0], bf[2 * q + 1][1]);
                }
#pragma unroll
                for (int i = 0; i < WM; ++i)
#pragma unroll
                    for (int j = 0; j < WN; ++j)
                        mma16816(acc[i][j], af[i], bf[j][0], bf[j][1]);
            }
        }

        /* Epilogue */
        int img, y0, x0;
        tile_coords(t, img, y0, x0);
        const int g = lane >> 2, tq = lane & 3;
#pragma unroll
        for (int i = 0; i < WM; ++i) {
            const int gy = y0 + wm * WM + i;
#pragma unroll
            for (int hh = 0; hh < 2; ++hh) {
                const int gx = x0 + g + hh * 8;
                if (gy >= H || gx >= W)
                    continue;
#pragma unroll
                for (int j = 0; j < WN; ++j) {
                    const int ch = wn * WN * 8 + j * 8 + tq * 2;
                    float v0 = acc[i][j][hh * 2 + 0] + sBias[ch];
                    float v1 = acc[i][j][hh * 2 + 1] + sBias[ch + 1];
                    if (!TAIL) {
                        v0 = v0 > 0.f ? v0 : v0 * sSlope[ch];
                        v1 = v1 > 0.f ? v1 : v1 * sSlope[ch + 1];
                        __half2 hv = __floats2half2_rn(v0, v1);
                        *reinterpret_cast<__half2 *>(
                            a.out + (((long long)img * H + gy) * W + gx) * COUT + ch) = hv;
                    } else {
                        /* PixelShuffle(4): channel ch = c*16 + dy*4 + dx; staged */
                        const int c = ch >> 4, dy = (ch >> 2) & 3, dx = ch & 3;
                        const float r = a.resid[(((long long)img * 3 + c) * H + gy) * W + gx];
                        const int ly = gy - y0, lx = gx - x0;
                        *reinterpret_cast<float2 *>(
                            sOut + (c * 4 * TILE_H + 4 * ly + dy) * TAIL_ROW + 4 * lx + dx) =
                            make_float2(v0 + r, v1 + r);
                    }
                }
            }
        }
        if (TAIL) {
            /* coalesced fp32 NCHW rows: 16-byte stores, 4 output pixels each */
            __syncthreads();
            const long long OW = 4LL * W, OH = 4LL * H;
            constexpr int Q = TILE_W; /* float4 per staged row */
            for (int idx = threadIdx.x; idx < 3 * 4 * TILE_H * Q; idx += NTHREADS) {
                int q = idx % Q, row = idx / Q; /* row = c * 4 TILE_H + oy */
                int c = row / (4 * TILE_H), oy = row - c * 4 * TILE_H;
                long long gyo = 4LL * y0 + oy;
                int gxi = x0 + q;
                if (gyo >= OH || gxi >= W)
                    continue;
                float4 v = *reinterpret_cast<const float4 *>(sOut + row * TAIL_ROW + 4 * q);
                *reinterpret_cast<float4 *>(a.out_f32 + (((long long)img * 3 + c) * OH + gyo) * OW +
                                            4LL * gxi) = v;
            }
        }
        __syncthreads(); /* the buffer is refilled next iteration (NSTAGE 1) or the one after */
    }
    cp_async_wait<0>();
}

template <int COUT, int WARPS_M, int WARPS_N, int WM, int WN, int NSTAGE, int MINB, bool TAIL>
cudaError_t launch_variant(const Conv3x3Args &a, const ConvLaunch &l)
{
    constexpr int TILE_H = WARPS_M * WM;
    constexpr int NTHREADS = WARPS_M * WARPS_N * 32;
    using S = Smem<COUT, TILE_H, NSTAGE, TAIL>;
    auto kern = conv3x3_kernel<COUT, WARPS_M, WARPS_N, WM, WN, NSTAGE, MINB, TAIL>;
    /* per device and cheap: set on every launch */
    cudaError_t e =
        cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, S::TOTAL);
    if (e != cudaSuccess)
        return e;
    int per_sm = 0;
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kern, NTHREADS, S::TOTAL);
    if (e != cudaSuccess)
        return e;
    if (per_sm < 1)
        return cudaErrorInvalidConfiguration;
    long long tiles =
        (long long)((a.w + TILE_W - 1) / TILE_W) * ((a.h + TILE_H - 1) / TILE_H) * a.n;
    long long grid = (long long)l.num_sms * per_sm;
    if (grid > tiles)
        grid = tiles;
    if (grid < 1)
        return cudaSuccess;
    kern<<<(int)grid, NTHREADS, S::TOTAL, l.stream>>>(a);
    return cudaGetLastError();
}

/* ------------------------------------------------------------------------
 * Hopper (sm_90a), roles swapped, both operands from shared memory:
 * D (64 output channels x 128 pixels) += W (64 x 16, the tap's weights) x
 * X (16 x 128 pixels). A tile is 2 output rows x 128 pixels; warpgroup w
 * computes row w: 9 taps x 4 k16 steps = 36 wgmma.m64n128k16, issued back
 * to back, one wait. The input tile (4 rows x 130 pixels, 128 bytes a
 * pixel, 128-byte swizzle by absolute pixel index) serves every tap: the B
 * descriptor starts at pixel (w+ky)*130+kx, which is not 1024-byte aligned,
 * so the descriptor's base offset carries the phase of the swizzle pattern
 * (BO=1); BO=0 leaves it 0. The epilogue transposes through shared memory
 * (channels of a pixel contiguous) and stores 16-byte chunks.
 * ---------------------------------------------------------------------- */
#define VSR_TMA_VARIANT 2 /* wgmma_tma_pingpong: fastest measured on H100 */

constexpr int SS_TW = 128, SS_IN_W = SS_TW + 2, SS_ROWS = 2, SS_IN_ROWS = SS_ROWS + 2;
constexpr int SS_IN_BYTES = SS_IN_ROWS * SS_IN_W * 128; /* 66560 = 65 KiB */
constexpr int SS_W_BYTES = 9 * 64 * 128;
constexpr int SS_TOTAL = SS_W_BYTES + 2 * SS_IN_BYTES + 2 * 64 * 4 + 1024;

__device__ __forceinline__ void load_tile_ss(uint32_t base, const __half *in, int img, int y0,
                                             int x0, int H, int W)
{
    for (int idx = threadIdx.x; idx < SS_IN_ROWS * SS_IN_W * 8; idx += 256) {
        int p = idx >> 3, c = idx & 7;
        int iy = p / SS_IN_W, ix = p - iy * SS_IN_W;
        int gy = y0 - 1 + iy, gx = x0 - 1 + ix;
        bool ok = (unsigned)gy < (unsigned)H && (unsigned)gx < (unsigned)W;
        const __half *src = ok ? in + ((((long long)img * H + gy) * W + gx) * CIN + c * 8) : in;
        cp_async16(base + (uint32_t)(p * 128 + ((c ^ (p & 7)) << 4)), src, ok ? 16 : 0);
    }
}

constexpr int SS_TAIL_ROW = 4 * SS_TW + 4; /* staged fp32 output row (padded) */

/* TAIL: the SRVGG tail: 48 real output channels (rows 48..63 of the weight
 * tile are zero), + bias, PixelShuffle(4), + nearest-x4 residual, fp32 NCHW */

template <int BO, bool TAIL>
__global__ void __launch_bounds__(256, 1) conv3x3_ss_kernel(const Conv3x3Args a)
{
#ifdef VSR_HAVE_WGMMA_CODE
    extern __shared__ unsigned char smem_raw[];
    unsigned char *smem = smem_raw + ((1024 - (smem_u32(smem_raw) & 1023)) & 1023);
    const uint32_t sW = smem_u32(smem);
    const uint32_t sIn0 = sW + SS_W_BYTES;
    unsigned char *sIn0p = smem + SS_W_BYTES;
    float *sBias = reinterpret_cast<float *>(smem + SS_W_BYTES + 2 * SS_IN_BYTES);
    float *sSlope = sBias + 64;

    const int H = a.h, W = a.w;
    const int tiles_x = (W + SS_TW - 1) / SS_TW;
    const int tiles_y = (H + SS_ROWS - 1) / SS_ROWS;
    const int tiles_img = tiles_x * tiles_y;
    const int tiles_total = tiles_img * a.n;

    constexpr int NREAL = TAIL ? 48 : 64;
    for (int idx = threadIdx.x; idx < 64 * 72; idx += 256) {
        int n = idx / 72, c = idx - n * 72;
        int tap = c >> 3, cc = c & 7;
        const bool ok = n < NREAL;
        cp_async16(sW + (uint32_t)(tap * 8192 + n * 128 + ((cc ^ (n & 7)) << 4)),
                   ok ? a.wt + (long long)n * KTOT + c * 8 : a.wt, ok ? 16 : 0);
    }
    for (int i = threadIdx.x; i < 64; i += 256) {
        sBias[i] = a.bias && i < NREAL ? a.bias[i] : 0.f;
        sSlope[i] = a.slopes && i < NREAL ? a.slopes[i] : 1.f;
    }
    auto tile_coords = [&](int t, int &img, int &y0, int &x0) {
        img = t / tiles_img;
        int r = t - img * tiles_img;
        int ty = r / tiles_x;
        y0 = ty * SS_ROWS;
        x0 = (r - ty * tiles_x) * SS_TW;
    };
    int t = blockIdx.x;
    if (t < tiles_total) {
        int img, y0, x0;
        tile_coords(t, img, y0, x0);
        load_tile_ss(sIn0, a.in, img, y0, x0, H, W);
    }
    cp_async_commit();

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int wg = warp >> 2, wq = warp & 3;
    const int g = lane >> 2, tq = lane & 3;

    for (int it = 0; t < tiles_total; t += gridDim.x, ++it) {
        const uint32_t buf = sIn0 + (uint32_t)((it & 1) * SS_IN_BYTES);
        unsigned char *bufp = sIn0p + (it & 1) * SS_IN_BYTES;
        int tn = t + gridDim.x;
        if (tn < tiles_total) {
            int img, y0, x0;
            tile_coords(tn, img, y0, x0);
            load_tile_ss(sIn0 + (uint32_t)(((it + 1) & 1) * SS_IN_BYTES), a.in, img, y0, x0, H, W);
        }
        cp_async_commit();
        cp_async_wait<1>();
        fence_proxy_async();
        __syncthreads();

        float acc[64];
#pragma unroll
        for (int q = 0; q < 64; ++q)
            acc[q] = 0.f;
#pragma unroll
        for (int q = 0; q < 64; ++q)
            reg_fence(acc[q]);
        wg_fence();
#pragma unroll
        for (int tap = 0; tap < 9; ++tap) {
            const int ky = tap / 3, kx = tap - ky * 3;
            const uint32_t bstart = buf + (uint32_t)(((wg + ky) * SS_IN_W + kx) * 128);
#pragma unroll
            for (int kc = 0; kc < 4; ++kc) {
                const uint64_t da = sw128_desc(sW + tap * 8192 + kc * 32);
                uint64_t db = sw128_desc(bstart + kc * 32);
                if (BO)
                    db |= (uint64_t)((bstart >> 7) & 7) << 49;
                wgmma_m64n128k16_ss(acc, da, db);
            }
        }
        wg_commit();
        wg_wait<0>();
#pragma unroll
        for (int q = 0; q < 64; ++q)
            reg_fence(acc[q]);
        __syncthreads(); /* both warpgroups are done reading the tile: stage into it */

        int img, y0, x0;
        tile_coords(t, img, y0, x0);
        if (TAIL) {
            /* stage[c*4+dy][4 px + dx] per warpgroup (= output row y0 + wg) */
            float *stage = reinterpret_cast<float *>(bufp + wg * (12 * SS_TAIL_ROW * 4));
            const int gy = y0 + wg;
            if (wq < 3 && gy < H) {
#pragma unroll
                for (int q2 = 0; q2 < 2; ++q2) {
                    const int oc = 16 * wq + g + 8 * q2;
                    const float b = sBias[oc];
                    const int c = oc >> 4, dy = (oc >> 2) & 3, dx = oc & 3;
                    const float *res = a.resid + (((long long)img * 3 + c) * H + gy) * W;
                    float *srow = stage + (c * 4 + dy) * SS_TAIL_ROW + dx;
#pragma unroll
                    for (int jn = 0; jn < 16; ++jn)
#pragma unroll
                        for (int q1 = 0; q1 < 2; ++q1) {
                            const int px = 8 * jn + 2 * tq + q1;
                            const int gx = x0 + px;
                            const float r = gx < W ? __ldg(res + gx) : 0.f;
                            srow[4 * px] = acc[jn * 4 + q2 * 2 + q1] + b + r;
                        }
                }
            }
            __syncthreads();
            const long long OW = 4LL * W, OH = 4LL * H;
            for (int i = threadIdx.x; i < SS_ROWS * 12 * SS_TW; i += 256) {
                int r = i / (12 * SS_TW), rem = i - r * 12 * SS_TW;
                int row = rem / SS_TW, q = rem - row * SS_TW; /* row = c*4 + dy */
                int gyy = y0 + r, gx = x0 + q;
                if (gyy >= H || gx >= W)
                    continue;
                int c = row >> 2, dy = row & 3;
                const float4 v = *reinterpret_cast<const float4 *>(
                    bufp + r * (12 * SS_TAIL_ROW * 4) + (row * SS_TAIL_ROW + 4 * q) * 4);
                *reinterpret_cast<float4 *>(
                    a.out_f32 + (((long long)img * 3 + c) * OH + 4LL * gyy + dy) * OW + 4LL * gx) =
                    v;
            }
            __syncthreads();
            continue;
        }
        /* each warpgroup's output row, transposed into its half of the tile */
        const float bq[2] = {sBias[16 * wq + g], sBias[16 * wq + g + 8]};
        const float sq[2] = {sSlope[16 * wq + g], sSlope[16 * wq + g + 8]};
        stage_bias_prelu<SS_TW>(acc, smem_u32(bufp + wg * (SS_TW * 128)), wq, lane, bq, sq);
        __syncthreads();
        for (int i = threadIdx.x; i < SS_ROWS * SS_TW * 8; i += 256) {
            int r = i / (SS_TW * 8), rem = i - r * SS_TW * 8;
            int px = rem >> 3, c = rem & 7;
            int gy = y0 + r, gx = x0 + px;
            if (gy >= H || gx >= W)
                continue;
            const uint4 v = *reinterpret_cast<const uint4 *>(bufp + r * (SS_TW * 128) + px * 128 +
                                                             ((c ^ (px & 7)) << 4));
            *reinterpret_cast<uint4 *>(a.out + (((long long)img * H + gy) * W + gx) * 64 + c * 8) =
                v;
        }
        __syncthreads();
    }
    cp_async_wait<0>();
#else
    (void)a;
    __trap();
#endif
}

template <int BO, bool TAIL = false>
cudaError_t launch_ss_variant(const Conv3x3Args &a, const ConvLaunch &l)
{
    auto kern = conv3x3_ss_kernel<BO, TAIL>;
    cudaError_t e = sm90a_code(kern);
    if (e != cudaSuccess)
        return e;
    e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, SS_TOTAL);
    if (e != cudaSuccess)
        return e;
    long long tiles =
        (long long)((a.w + SS_TW - 1) / SS_TW) * ((a.h + SS_ROWS - 1) / SS_ROWS) * a.n;
    long long grid = l.num_sms;
    if (grid > tiles)
        grid = tiles;
    if (grid < 1)
        return cudaSuccess;
    kern<<<(int)grid, 256, SS_TOTAL, l.stream>>>(a);
    return cudaGetLastError();
}

/* The TMA kernel's body tile: 160 pixels (measured 4-7% faster than 128
 * on H100 at 960, 1920 and 3840 wide) unless 128 pads the width less. */
cudaError_t launch_tma_body(const Conv3x3Args &a, const ConvLaunch &l)
{
    const int pad160 = (a.w + 159) / 160 * 160, pad128 = (a.w + 127) / 128 * 128;
    return launch_conv3x3_tma_pingpong(a, l, pad128 < pad160 ? 128 : 160);
}

struct VariantInfo {
    const char *name;
    cudaError_t (*fn)(const Conv3x3Args &, const ConvLaunch &);
};

const VariantInfo kVariants[] = {
    /* 0: sm_80+, mma.sync: 8 warps, 16x16 px tile, warp 64px x 32ch,
     * double-buffered, 1 block/SM */
    {"w8_t16x16_wm4wn4_s2", launch_variant<64, 4, 2, 4, 4, 2, 1, false>},
    /* 1: sm_90a, wgmma: weights x pixels, both from smem, 2x128 px tile,
     * epilogue through stmatrix.trans (variant 9 of the notes' history) */
    {"wgmma_ss_stm_t2x128", launch_ss_variant<0, false>},
    /* 2: sm_90a, wgmma: 1x160 (or 1x128) px tiles from a ring of input
     * rows that a producer warp fills through TMA; two consumer warpgroups
     * in ping-pong (one's epilogue under the other's MMAs) */
    {"wgmma_tma_pingpong", launch_tma_body},
};

} // namespace

int conv3x3_num_variants(void)
{
    return (int)(sizeof(kVariants) / sizeof(kVariants[0]));
}
const char *conv3x3_variant_name(int v)
{
    return v >= 0 && v < conv3x3_num_variants() ? kVariants[v].name : "?";
}

cudaError_t launch_conv3x3_body(int variant, const Conv3x3Args &a, const ConvLaunch &l)
{
    if (variant < 0 || variant >= conv3x3_num_variants())
        variant = 0;
    /* without sm_90a code for this GPU, or without TMA, the next older kernel */
    cudaError_t e;
    while ((e = kVariants[variant].fn(a, l)) == cudaErrorNoKernelImageForDevice ||
           e == cudaErrorNotSupported) {
        if (variant == 0)
            break;
        cudaGetLastError();
        --variant;
    }
    return e;
}

int conv3x3_default_variant(int device)
{
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, device) != cudaSuccess)
        return 0;
    if (p.major == 9 && p.minor == 0 && sm90a_code(conv3x3_ss_kernel<0, false>) == cudaSuccess)
        return VSR_TMA_VARIANT;
    cudaGetLastError();
    return 0;
}

cudaError_t launch_conv3x3_tail48(int variant, const Conv3x3Args &a, const ConvLaunch &l)
{
    /* with an sm_90a body kernel, the same kind of tail */
    if (variant == VSR_TMA_VARIANT) {
        cudaError_t e = launch_conv3x3_tma_pingpong_tail(a, l);
        if (e != cudaErrorNoKernelImageForDevice && e != cudaErrorNotSupported)
            return e;
        cudaGetLastError();
    }
    if (variant >= 1) {
        cudaError_t e = launch_ss_variant<0, true>(a, l);
        if (e != cudaErrorNoKernelImageForDevice)
            return e;
        cudaGetLastError();
    }
    /* 8 warps along M, each 2 rows x 48 channels; 16x16 tile, double-buffered */
    return launch_variant<48, 8, 1, 2, 6, 2, 1, true>(a, l);
}

} // namespace vsrcuda
