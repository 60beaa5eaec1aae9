/* The SRVGG body convolution (3x3, 64 -> 64, + bias, PReLU, fp16 NHWC), its
 * tail (3x3, 64 -> 48, + bias, PixelShuffle(4), + the upsampled input, fp32
 * NCHW), and the RRDB models' upsampling (nearest x2, then 3x3 64 -> 64, +
 * bias, PReLU, as one step: UP2 below) on Hopper: a warp-specialized
 * implicit GEMM.
 *
 * Work: an output tile is TW pixels of one row (160, or 128 where that
 * pads the width less; the tail always 128). Tiles are numbered down the
 * columns (image, column of tiles, row), and each CTA takes one contiguous
 * range of them, so consecutive tiles of a CTA are vertically adjacent and
 * share two of their three input rows: each input row is read from global
 * memory once per column of tiles.
 *
 * Roles (288 threads, one CTA per SM):
 * - warp 8, the producer, copies input rows (TW + 2 pixels x 64 channels,
 *   the halo included, zero outside the image) with TMA into a ring of row
 *   slots (7 at TW 128, 5 at 160), as far ahead as the ring allows;
 * - warpgroups 0 and 1, the consumers, take alternate tiles. A tile is
 *   D (64 channels x TW pixels) = W (64 x 576) x X (576 x TW pixels): 9
 *   taps x 4 k16 steps of wgmma.m64nTWk16, A = the tap's weights (resident
 *   in shared memory), B = TW consecutive pixels of one of the three rows.
 *   Then bias and PReLU, a transpose through shared memory (stmatrix) and
 *   16-byte coalesced stores.
 *
 * Ping-pong: a named barrier hands the tensor cores from one consumer to
 * the other once all but its last 4 MMAs are done, so one warpgroup's
 * epilogue runs under the other's MMAs instead of both draining at once
 * (wgmma_ss_stm_t2x128, the kernel before this one, ran its two
 * warpgroups in step: 0.35 ms a body layer at 1080p on H100, this one
 * 0.245 ms at TW 160, 0.255 at 128).
 *
 * Row slots: each slot has a "full" mbarrier (the copy's bytes) and an
 * "empty" one that completes after three arrivals: a row is read by the
 * tiles above, on and below it, and each of them arrives once after its
 * MMAs; rows at the ends of a range have fewer readers, and the first of
 * their readers arrives for the missing ones (an early arrival cannot
 * complete the phase before the real readers' arrivals).
 *
 * UP2: a 3x3 conv of the nearest-x2 upsampled input is, per output parity
 * (py, px), a 2x2 conv of the input itself: output row 2y + py reads
 * input rows y - 1 + py + ty (ty = 0, 1) with the kernel rows summed as
 * {0}, {1, 2} (py 0) or {0, 1}, {2} (py 1), and the same across. So a
 * tile (input row y, TW input pixels) reads the same three rows as the
 * body's, and gives output rows 2y and 2y + 1 (two accumulators) at
 * pixels of one parity px, which the CTA keeps for all its tiles (its 8
 * summed weight blocks resident; the grid's two halves take px 0 and 1):
 * 4 taps an output pixel instead of 9, and the upsampled activations
 * (4x the input's bytes) never written or read (0.9 ms of a
 * realesrgan-x4plus frame at 960x540 on an H100 went to them). */
#include <cuda.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>

#include "engine/cuda/cuda_internal.h"
#include "engine/cuda/cuda_tensorcore.cuh"

/* the sm_90a helpers are unused in the other architectures' passes */
#pragma nv_diag_suppress 177

namespace vsrcuda
{

namespace
{

using namespace tc;

constexpr int W_BYTES = 9 * 64 * 128; /* weights: 9 taps x 64 out x 64 in, fp16 (UP2: 8) */
constexpr int NTHREADS = 288;
constexpr int PRODUCER_WARP = 8;
constexpr int SMEM_LIMIT = 227 * 1024; /* shared memory of a block on sm_90 */

/* Shared memory of the kernel for tiles of TW pixels: the weights, one
 * output stage per consumer, then as many row slots as fit (7 at 128
 * pixels, 5 at 160). Offsets from the 1024-aligned base. */
template <int TW> struct Layout {
    static constexpr int ROW_PIX = TW + 2;          /* input pixels of a row, halo included */
    static constexpr int ROW_BYTES = ROW_PIX * 128; /* 64 fp16 channels a pixel */
    /* slots 1024-aligned: the 128-byte swizzle's phase follows the address */
    static constexpr int ROW_SLOT = (ROW_BYTES + 1023) / 1024 * 1024;
    static constexpr int STAGE_BYTES = TW * 128; /* one consumer's transposed output */
    static constexpr int OFF_STAGE = W_BYTES;
    static constexpr int OFF_RING = OFF_STAGE + 2 * STAGE_BYTES;
    static constexpr int SMALL = 2 * 64 * 4 + 2 * 8 * 8 + 1024; /* bias, slopes, barriers, slack */
    static constexpr int RING = (SMEM_LIMIT - OFF_RING - SMALL) / ROW_SLOT < 7
                                    ? (SMEM_LIMIT - OFF_RING - SMALL) / ROW_SLOT
                                    : 7;
    static constexpr int OFF_BIAS = OFF_RING + RING * ROW_SLOT;
    static constexpr int OFF_SLOPE = OFF_BIAS + 64 * 4;
    static constexpr int OFF_FULL = OFF_SLOPE + 64 * 4;
    static constexpr int OFF_EMPTY = OFF_FULL + RING * 8;
    static constexpr int TOTAL = OFF_EMPTY + RING * 8 + 1024; /* + alignment slack */
    static_assert(RING >= 5 && TOTAL <= SMEM_LIMIT, "row ring too small");
    static_assert(TW % 16 == 0, "the epilogue stores pairs of 8-pixel blocks");
};

/* D (64 x TW) += A (64 x 16) x B (16 x TW), both from shared memory */
template <int TW> __device__ __forceinline__ void wgmma_ss(float *acc, uint64_t da, uint64_t db)
{
    if constexpr (TW == 128)
        wgmma_m64n128k16_ss(acc, da, db);
    else
        wgmma_m64n160k16_ss(acc, da, db);
}

/* named barriers: 1, 2 = a consumer warpgroup's own; 3, 4 = the ping-pong
 * hand-over to warpgroup 1, 0 */
constexpr int BAR_WG0 = 1, BAR_TO_WG1 = 3, BAR_TO_WG0 = 4;

/* Where tile j (0-based, of the CTA's range [i0, i1)) is: its strip s
 * (image x column of tiles), row y, the ring sequence number q of its top
 * input row (row y-1), its index k within the run of the range inside the
 * strip, and that run's length. The producer brings rows in the same
 * order: per run, rows ya-1 .. yb (two more than the run's tiles). */
struct TilePos {
    int s, y, q, k, len;
};
__device__ __forceinline__ TilePos tile_pos(int i0, int i1, int H, int j)
{
    TilePos t;
    const int i = i0 + j;
    t.s = i / H;
    t.y = i - t.s * H;
    const int s0 = i0 / H;
    const int first_len = min(i1, (s0 + 1) * H) - i0;
    if (t.s == s0) {
        t.q = j;
        t.k = j;
        t.len = first_len;
    } else {
        t.q = first_len + 2 + (t.s - s0 - 1) * (H + 2) + t.y;
        t.k = t.y;
        t.len = min(i1 - t.s * H, H);
    }
    return t;
}

/* Readers of row m (0 .. len+1) of a run of len tiles: tiles m-2 .. m. */
__device__ __forceinline__ int row_readers(int m, int len)
{
    return min(m, len - 1) - max(m - 2, 0) + 1;
}

/* The tail's epilogue for one tile (output row y of image img, pixels x0..):
 * channel oc = 16 wq + g + 8 q2 is colour wq, sub-row dy = (oc >> 2) & 3 =
 * g / 4 + 2 q2, sub-column dx = g & 3. Pass q2 stages output rows 4y + 2q2
 * and 4y + 2q2 + 1 (fp32, [colour][row][4 x 128 + 4]; the padding spreads
 * a warp's writes over all 32 banks), then stores them as float4 with the
 * residual added. */
template <int TW>
__device__ __forceinline__ void tail_epilogue(const Conv3x3Args &a, const float *acc, float *stage,
                                              int wg, int wq, int lane, int img, int y, int x0,
                                              const float *bq)
{
    constexpr int TAIL_ROW = 4 * TW + 4;
    static_assert(3 * 2 * TAIL_ROW * 4 <= Layout<TW>::STAGE_BYTES, "the tail's stage");
    const int g = lane >> 2, tq = lane & 3, tid = threadIdx.x & 127;
    const int H = a.h, W = a.w;
    const long long OH = 4LL * H, OW = 4LL * W;
#pragma unroll
    for (int q2 = 0; q2 < 2; ++q2) {
        if (wq < 3) {
            float *srow = stage + (wq * 2 + (g >> 2)) * TAIL_ROW + (g & 3);
#pragma unroll
            for (int jn = 0; jn < TW / 8; ++jn)
#pragma unroll
                for (int q1 = 0; q1 < 2; ++q1)
                    srow[4 * (8 * jn + 2 * tq + q1)] = acc[jn * 4 + q2 * 2 + q1] + bq[q2];
        }
        named_sync(BAR_WG0 + wg, 128);
#pragma unroll
        for (int it = 0; it < (3 * 2 * TW + 127) / 128; ++it) {
            const int i = tid + 128 * it;
            const int row = i / TW, px = i - row * TW; /* row = colour * 2 + sub-row */
            const int c = row >> 1, gx = x0 + px;
            if (row < 6 && gx < W) {
                const float r = __ldg(a.resid + (((long long)img * 3 + c) * H + y) * W + gx);
                float4 v = *reinterpret_cast<const float4 *>(stage + row * TAIL_ROW + 4 * px);
                v.x += r;
                v.y += r;
                v.z += r;
                v.w += r;
                *reinterpret_cast<float4 *>(
                    a.out_f32 +
                    (((long long)img * 3 + c) * OH + 4LL * y + 2 * q2 + (row & 1)) * OW +
                    4LL * gx) = v;
            }
        }
        if (q2 == 0)
            named_sync(BAR_WG0 + wg, 128); /* the stage is read: pass 1 may write */
    }
}

/* What a kernel makes of its tiles. TAIL: the SRVGG tail instead of a body
 * layer: 48 output channels (rows 48..63 of the weights are zero), + bias,
 * PixelShuffle(4), + the nearest-x4 upsampled fp32 input, fp32 NCHW out;
 * its epilogue stages half the shuffled tile (2 of the 4 output rows) at a
 * time. UP2: the nearest-x2 upsampling and a body layer (above). */
enum Mode { BODY, TAIL, UP2 };

/* UP2's weight block for output parity (py, px) and tap (ty, tx): the
 * kernel's taps ky, kx with ky in rows_of(py, ty), kx in rows_of(px, tx)
 * summed, a bit set per kernel row */
__host__ __device__ constexpr int up2_rows_of(int p, int t)
{
    return p == 0 ? (t == 0 ? 1 : 6) : (t == 0 ? 3 : 4);
}

template <int TW, int MODE>
__global__ void __launch_bounds__(NTHREADS, 1)
    conv3x3_tma_pingpong_kernel(const Conv3x3Args a, const __grid_constant__ CUtensorMap rows,
                                const __grid_constant__ CUtensorMap outm)
{
#ifdef VSR_HAVE_WGMMA_CODE
    constexpr bool IS_TAIL = MODE == TAIL, IS_UP2 = MODE == UP2;
    constexpr int NACC = IS_UP2 ? 2 : 1; /* UP2: output rows 2y and 2y + 1 */
    extern __shared__ unsigned char smem_raw[];
    unsigned char *smem = smem_raw + ((1024 - (smem_u32(smem_raw) & 1023)) & 1023);
    const uint32_t base = smem_u32(smem);
    using L = Layout<TW>;
    constexpr int RING = L::RING, ROW_SLOT = L::ROW_SLOT;
    const uint32_t sW = base, sRing = base + L::OFF_RING;
    const uint32_t sFull = base + L::OFF_FULL, sEmpty = base + L::OFF_EMPTY;
    float *sBias = reinterpret_cast<float *>(smem + L::OFF_BIAS);
    float *sSlope = reinterpret_cast<float *>(smem + L::OFF_SLOPE);

    const int H = a.h, W = a.w;
    const int tiles_x = (W + TW - 1) / TW;
    const long long total = (long long)a.n * tiles_x * H;
    /* UP2: the grid's first half makes the even output columns, the
     * second the odd ones, each half all the tiles */
    const int ctas = IS_UP2 ? (int)gridDim.x / 2 : (int)gridDim.x;
    const int px = IS_UP2 ? (int)blockIdx.x / ctas : 0, cta = (int)blockIdx.x - px * ctas;
    const int i0 = (int)(total * cta / ctas);
    const int i1 = (int)(total * (cta + 1) / ctas);

    /* weights: tap-major, 64 rows (output channels) of 128 bytes, swizzled
     * (UP2: the 8 blocks of this CTA's parity px) */
    constexpr int NREAL = IS_TAIL ? 48 : 64, TAPS = IS_UP2 ? 8 : 9;
    const __half *wt = a.wt + (long long)px * 64 * TAPS * 64;
    for (int idx = threadIdx.x; idx < 64 * TAPS * 8; idx += NTHREADS) {
        const int n = idx / (TAPS * 8), c = idx - n * (TAPS * 8);
        const int tap = c >> 3, cc = c & 7;
        const bool real = n < NREAL;
        cp_async16(sW + (uint32_t)(tap * 8192 + n * 128 + ((cc ^ (n & 7)) << 4)),
                   real ? wt + (long long)n * TAPS * 64 + c * 8 : wt, real ? 16 : 0);
    }
    cp_async_commit();
    for (int i = threadIdx.x; i < 64; i += NTHREADS) {
        sBias[i] = a.bias && i < NREAL ? a.bias[i] : 0.f;
        sSlope[i] = a.slopes && i < NREAL ? a.slopes[i] : 1.f;
    }
    if (threadIdx.x == 0) {
        for (int r = 0; r < RING; ++r) {
            mbar_init(sFull + 8 * r, 1);
            mbar_init(sEmpty + 8 * r, 3);
        }
        mbar_init_fence();
    }
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (warp == PRODUCER_WARP) {
        if (lane != 0)
            return;
        int q = 0;
        for (int s = i0 / H; s * H < i1; ++s) {
            const int img = s / tiles_x, x0 = (s - img * tiles_x) * TW;
            const int ya = max(i0 - s * H, 0), yb = min(i1 - s * H, H);
            for (int r = ya - 1; r <= yb; ++r, ++q) {
                const int slot = q % RING, use = q / RING;
                if (use > 0)
                    mbar_wait(sEmpty + 8 * slot, (use - 1) & 1);
                mbar_arrive_expect_tx(sFull + 8 * slot, L::ROW_BYTES);
                tma_load_4d(sRing + slot * ROW_SLOT, &rows, sFull + 8 * slot, 0, x0 - 1, r, img);
            }
        }
        return;
    }

    const int wg = warp >> 2, wq = warp & 3, tid = threadIdx.x & 127;
    const int g = lane >> 2;
    const int count = i1 - i0;
    unsigned char *stage = smem + L::OFF_STAGE + wg * L::STAGE_BYTES;
    const uint32_t st_base = smem_u32(stage);
    float bq[2], sq[2];
#pragma unroll
    for (int q2 = 0; q2 < 2; ++q2) {
        bq[q2] = sBias[16 * wq + g + 8 * q2];
        sq[q2] = sSlope[16 * wq + g + 8 * q2];
    }

    for (int j = wg; j < count; j += 2) {
        const TilePos t = tile_pos(i0, i1, H, j);
#pragma unroll
        for (int r = 0; r < 3; ++r)
            mbar_wait(sFull + 8 * ((t.q + r) % RING), ((t.q + r) / RING) & 1);
        if (j > 0)
            named_sync(wg ? BAR_TO_WG1 : BAR_TO_WG0, 256); /* the tensor cores are ours */

        float acc[NACC][TW / 2];
#pragma unroll
        for (int h = 0; h < NACC; ++h)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                acc[h][q] = 0.f;
#pragma unroll
        for (int h = 0; h < NACC; ++h)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                reg_fence(acc[h][q]);
        wg_fence();
        /* per tap: its weight block, the input row (0..2 from row y - 1)
         * and the column (0..2 from pixel x0 - 1) it reads, the accumulator */
#pragma unroll
        for (int tap = 0; tap < TAPS; ++tap) {
            const int py = IS_UP2 ? tap >> 2 : 0;
            const int ky = IS_UP2 ? py + ((tap >> 1) & 1) : tap / 3;
            const int kx = IS_UP2 ? px + (tap & 1) : tap - ky * 3;
            const uint32_t bstart = sRing + (uint32_t)(((t.q + ky) % RING) * ROW_SLOT + kx * 128);
#pragma unroll
            for (int kc = 0; kc < 4; ++kc)
                wgmma_ss<TW>(acc[py], sw128_desc(sW + tap * 8192 + kc * 32),
                             sw128_desc(bstart + kc * 32));
            if (tap == TAPS - 2)
                wg_commit(); /* the last tap's 4 in a group of their own */
        }
        wg_commit();
        wg_wait<1>();
        /* all but the last 4 MMAs done: the other warpgroup may queue its own */
        if (j + 1 < count)
            named_arrive(wg ? BAR_TO_WG0 : BAR_TO_WG1, 256);
        wg_wait<0>();
#pragma unroll
        for (int h = 0; h < NACC; ++h)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                reg_fence(acc[h][q]);

        /* every warp of the warpgroup is past its MMAs (the rows are free)
         * and past the last tile's stores (the stage is free: the copy
         * engine has read it) */
        if (!IS_TAIL && tid == 0)
            bulk_wait_read<0>();
        named_sync(BAR_WG0 + wg, 128);
        if (tid == 0) {
#pragma unroll
            for (int r = 0; r < 3; ++r) {
                const int m = t.k + r;
                const bool first_reader = r == 2 || t.k == 0;
                const int n = 1 + (first_reader ? 3 - row_readers(m, t.len) : 0);
                mbar_arrive(sEmpty + 8 * ((t.q + r) % RING), (uint32_t)n);
            }
        }

        const int img = t.s / tiles_x, x0 = (t.s - img * tiles_x) * TW;
        /* acc[jn*4 + q]: channel 16 wq + g (+8 for q >= 2), pixel 8 jn + 2 tq
         * (+1 for odd q) */
        if constexpr (IS_TAIL) {
            tail_epilogue<TW>(a, acc[0], reinterpret_cast<float *>(stage), wg, wq, lane, img, t.y,
                              x0, bq);
        } else {
            /* the stage out by one TMA store, issued by the warpgroup's
             * first thread (UP2: output row 2y + h, pixels 2 (x0 + p) + px) */
#pragma unroll
            for (int h = 0; h < NACC; ++h) {
                if (h > 0) { /* the copy engine has read the stage: the next row may go in */
                    if (tid == 0)
                        bulk_wait_read<0>();
                    named_sync(BAR_WG0 + wg, 128);
                }
                stage_bias_prelu<TW>(acc[h], st_base, wq, lane, bq, sq);
                fence_proxy_async(); /* this thread's staging, to the copy engine */
                named_sync(BAR_WG0 + wg, 128);
                if (tid == 0) {
                    tma_store_4d(&outm, st_base, 64 * px, x0, (IS_UP2 ? 2 * t.y + h : t.y), img);
                    bulk_commit();
                }
            }
        }
    }
    /* the shared memory stays until the copy engine has read it */
    if (!IS_TAIL && tid == 0)
        bulk_wait<0>();
#else
    (void)a;
    (void)rows;
    (void)outm;
    __trap();
#endif
}

template <int TW, int MODE>
cudaError_t launch_tma_pingpong(const Conv3x3Args &a, const ConvLaunch &l)
{
    using L = Layout<TW>;
    auto kern = conv3x3_tma_pingpong_kernel<TW, MODE>;
    cudaError_t e = sm90a_code(kern);
    if (e != cudaSuccess)
        return e;
    if (!l.encode_tiled)
        return cudaErrorNotSupported;
    const long long tiles = (long long)((a.w + TW - 1) / TW) * a.h * a.n;
    if (tiles < 1)
        return cudaSuccess;
    if (tiles > INT32_MAX)
        return cudaErrorInvalidValue;
    e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, L::TOTAL);
    if (e != cudaSuccess)
        return e;

    /* the input as a 4-D tensor (channels, x, y, image), boxes of one row */
    CUtensorMap map;
    const cuuint64_t dims[4] = {64, (cuuint64_t)a.w, (cuuint64_t)a.h, (cuuint64_t)a.n};
    const cuuint64_t strides[3] = {64 * 2, (cuuint64_t)a.w * 128, (cuuint64_t)a.w * a.h * 128};
    const cuuint32_t box[4] = {64, L::ROW_PIX, 1, 1};
    const cuuint32_t elem_strides[4] = {1, 1, 1, 1};
    CUresult r = l.encode_tiled(
        &map, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<__half *>(a.in), dims, strides, box,
        elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
        CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS)
        return cudaErrorInvalidValue;
    /* the output as the consumers store it: a row of TW pixels x 64
     * channels, 128-byte rows in the 128-byte swizzle of the stage. UP2:
     * 2h rows of w pixel pairs, the channels of a pair (128) the innermost
     * dimension, a CTA's column parity px its channels 64 px .. */
    CUtensorMap omap;
    memset(&omap, 0, sizeof omap);
    if (MODE != TAIL) {
        const int os = MODE == UP2 ? 2 : 1;
        const cuuint64_t odims[4] = {(cuuint64_t)os * 64, (cuuint64_t)a.w, (cuuint64_t)os * a.h,
                                     (cuuint64_t)a.n};
        const cuuint64_t ostrides[3] = {(cuuint64_t)os * 128, (cuuint64_t)os * a.w * 128,
                                        (cuuint64_t)os * a.w * os * a.h * 128};
        const cuuint32_t obox[4] = {64, TW, 1, 1};
        r = l.encode_tiled(&omap, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, a.out, odims, ostrides, obox,
                           elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                           CU_TENSOR_MAP_L2_PROMOTION_NONE, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
        if (r != CUDA_SUCCESS)
            return cudaErrorInvalidValue;
    }

    /* UP2: an even grid, half of it for each output column parity */
    const long long work = MODE == UP2 ? 2 * tiles : tiles;
    int grid = (int)(work < l.num_sms ? work : l.num_sms);
    if (MODE == UP2)
        grid = grid < 2 ? 2 : grid & ~1;
    kern<<<grid, NTHREADS, L::TOTAL, l.stream>>>(a, map, omap);
    return cudaGetLastError();
}

} // namespace

cudaError_t launch_conv3x3_tma_pingpong(const Conv3x3Args &a, const ConvLaunch &l, int tile_w)
{
    return tile_w == 160 ? launch_tma_pingpong<160, BODY>(a, l)
                         : launch_tma_pingpong<128, BODY>(a, l);
}
cudaError_t launch_conv3x3_tma_pingpong_tail(const Conv3x3Args &a, const ConvLaunch &l)
{
    /* 128-px tiles: at 1080p on H100 the tail took 0.31 ms so, 0.46 ms at 160 */
    return launch_tma_pingpong<128, TAIL>(a, l);
}
cudaError_t launch_conv3x3_up2(const Conv3x3Args &a, const ConvLaunch &l)
{
    /* 128-px tiles: two accumulators of 64 x 128 (at 160, 160 registers) */
    return launch_tma_pingpong<128, UP2>(a, l);
}

bool conv3x3_up2_available(void)
{
    const cudaError_t e = sm90a_code(conv3x3_tma_pingpong_kernel<128, UP2>);
    cudaGetLastError();
    return e == cudaSuccess;
}

void conv3x3_up2_pack_weights(const float *w, __half *out)
{
    /* [px][o][tap (py, ty, tx)][ci], each the sum of its kernel taps in
     * fp32, rounded once */
    for (int px = 0; px < 2; ++px)
        for (int o = 0; o < 64; ++o)
            for (int tap = 0; tap < 8; ++tap) {
                const int py = tap >> 2, ty = (tap >> 1) & 1, tx = tap & 1;
                const int rows = up2_rows_of(py, ty), cols = up2_rows_of(px, tx);
                for (int ci = 0; ci < 64; ++ci) {
                    float v = 0.f;
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx)
                            if ((rows >> ky & 1) && (cols >> kx & 1))
                                v += w[((o * 64 + ci) * 3 + ky) * 3 + kx];
                    out[((px * 64 + o) * 8 + tap) * 64 + ci] = __float2half_rn(v);
                }
            }
}

} // namespace vsrcuda
