/* The RRDB (ESRGAN) convolutions on Hopper: 3x3, stride 1, zero pad 1,
 * Cin a multiple of 16 from 64 to 256 read as a channel prefix of a wider
 * NHWC buffer (the dense block's one buffer, so no concatenation is ever
 * copied), Cout 32 or 64 written at a channel offset of another, with bias,
 * LeakyReLU (any slope) and up to two scaled residuals fused:
 *   out = s0 * act(conv + bias) + s1 * r1 + s2 * r2.
 *
 * An implicit GEMM on wgmma, the weights as A (M = 64 rows), TW = 96
 * consecutive pixels of one input row as B (N = 96), 64-channel chunks
 * (K = 16 a step, 128-byte swizzle, the chunk's TMA box zero-filled past
 * Cin, the k-steps wholly past Cin skipped).
 *
 * Work: a tile is 4 output rows x 96 pixels; tiles are numbered down the
 * columns and each CTA (one per SM) claims them one at a time (a counter
 * of the launch's own), so that the CTAs end together. Two consumer
 * warpgroups work in step on the same tile, warpgroup w on output rows
 * 2w and 2w + 1, so every weight block brought in serves 384 pixels.
 * Per 64-channel chunk of the input (a "pass"; Cin 96 in one pass of
 * 96-channel rows, WIDE below) the tile reads 6 input rows; warpgroup w
 * reads rows 2w .. 2w + 3 of them.
 *  - Cout 64 ("plain"): per tap (ky, kx) one 64 x 64 weight block; each
 *    warpgroup accumulates its two rows in two 64 x 96 accumulators.
 *  - Cout 32 ("stacked"): one accumulator of M = 64 rows holds both output
 *    rows, 32 channels each: input row y' - 1 + j contributes to output
 *    row y' with ky = j and to y' + 1 with ky = j - 1, so A for input row
 *    j is [W(ky=j) ; W(ky=j-1)], a window into the block [0 W2 W1 W0 0]
 *    (32 rows each, per kx): 4 MMAs per 3 taps' worth of output, 75% of
 *    the tensor core's work useful; a layout with the pixels as A and N =
 *    32 ran at 57-63% of the m64n128 rate in bench/cuda_bench --probe
 *    (shared-memory reads per flop), this at 75% of it.
 *
 * Roles (Cout 64: 384 threads; Cout 32: 416): warp 9 schedules (claims
 * the CTA's next tile and waits for its inputs when the launch overlaps
 * the one before); warp 8 (one thread) brings input rows by TMA into a
 * ring of row slots, warp 10 (one thread) weight blocks by bulk copy into
 * a ring of weight slots (full/empty mbarrier pairs; an empty barrier
 * completes when the 8 consumer warps have each arrived); Cout 32: warp 11
 * (one thread) stores staged outputs by TMA (below); the last warp (one
 * thread) finishes tiles: it sets the flag of each tile stored
 * (RrdbConvArgs). A flag takes ~2 us of fences: done by the scheduler
 * between claims, it held up the next claim (the producer of the 64 -> 32
 * conv waited for tiles 2/3 of its time), by the storer, the next stores
 * (calls 19, 20: bench/cuda_NOTES.md, ninth round).
 * The consumers wait, issue their MMAs one commit group a step, and free
 * what the group before read once it completes (wgmma.wait_group 1), so a
 * step's MMAs are queued behind the last one's. Rows are freed as soon as
 * the warpgroup's last MMA on them completes, so the next pass's rows come
 * in during this one.
 * Order of a pass: rows 0-5; plain: taps (0, 0..2), (1, 0..2), (2, 0..2);
 * stacked: its 3 weight blocks (kx 0..2), which stay until the pass ends
 * (every input row uses all three).
 *
 * Epilogue (both warpgroups at once): + bias, activation, fp16, through
 * shared memory (stmatrix.trans, a warpgroup's stage). Cout 32 without
 * residuals: the storer takes the stage to global memory by a TMA store
 * (its layout is the copy engine's 64-byte swizzle) while the consumers
 * go on; Cout 64 without residuals (after the fold), a row's stage goes
 * out by a TMA store that the warpgroup's first thread issues, and that
 * thread's warp reports the tile done once the stores are complete, at
 * the next tile's epilogue. Otherwise the consumers read the stage back
 * and store it by 16-byte stores, the residuals read and added per 8
 * channels of a pixel in fp32 (Cout 64: a row's residuals loaded all at
 * once before its stores). A residual that is the input's own first 64
 * channels (the dense block's x, added by its last conv) is folded into
 * the MMAs instead (FOLD).
 *
 * Second round (bench/cuda_NOTES.md, RRDB; each can be turned off by
 * VSR_CUDA_RRDB_OFF to compare): Cout 32 with at most two chunks keeps its
 * weights in the ring for the whole kernel (stationary); the producer
 * prefetches a tile's residuals into L2 at the start of its last pass. */
#include <cuda.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <type_traits>

#include "engine/cuda/cuda_internal.h"
#include "engine/cuda/cuda_tensorcore.cuh"
#include "engine/cuda/cuda_wgmma.cuh"

/* the sm_90a helpers are unused in the other architectures' passes */
#pragma nv_diag_suppress 177

namespace vsrcuda
{

namespace
{

using namespace tc;

constexpr int PRODUCER_WARP = 8; /* the rows */
constexpr int SCHED_WARP = 9;
constexpr int WEIGHT_WARP = 10;
constexpr int STORE_WARP = 11; /* Cout 32 */
constexpr int SMEM_LIMIT = 227 * 1024;
constexpr int TW = 96;            /* pixels of a tile row (N of the MMA) */
constexpr int TILE_ROWS = 4;      /* output rows of a tile */
constexpr int EMPTY_ARRIVALS = 8; /* the consumer warps */

template <bool STACK, bool WIDE = false> struct RLayout {
    static_assert(STACK || !WIDE, "wide rows are the stacked kernel's");
    static constexpr int NTHREADS = STACK ? 416 : 384;
    static constexpr int FINISH_WARP = NTHREADS / 32 - 1;
    static constexpr int ROW_BYTES = (TW + 2) * 128; /* one chunk of an input row, halo included */
    /* WIDE: a row of 96 channels in one slot, the last 32 as a second box
     * of 64-byte rows (64-byte swizzle, on a 512-byte boundary) */
    static constexpr int ROW_HI_OFF = (ROW_BYTES + 511) / 512 * 512;
    static constexpr int ROW_HI = WIDE ? (TW + 2) * 64 : 0;
    static constexpr int ROW_SLOT = ((WIDE ? ROW_HI_OFF + ROW_HI : ROW_BYTES) + 1023) / 1024 * 1024;
    static constexpr int RS = WIDE ? 6 : STACK ? 7 : 8; /* row slots (WIDE: 7 do not fit) */
    /* a weight block as copied: plain 64 x 64, stacked [W2 W1 W0] 3 x 32 x 64 */
    static constexpr int WBLOCK = STACK ? 3 * 4096 : 8192;
    /* a slot: stacked, a zero block then the block (the next slot's zero
     * block, or the one after the last slot, closes the window) */
    static constexpr int WSLOT = STACK ? 16384 : 8192;
    static constexpr int WS = STACK ? 6 : 10; /* weight slots: stacked two passes */
    /* WIDE (stationary): 3 slots of the first 64 channels' blocks, then at
     * OFF_WHI 3 of the last 32 channels' ([W2 W1 W0] 3 x 32 x 32, 64-byte
     * rows), each after a zero block of 32 such rows and one closing them */
    static constexpr int WBLOCK_HI = 3 * 2048, WSLOT_HI = 8192;
    static constexpr int OFF_WHI = 3 * WSLOT + 4096;
    static constexpr int WRING =
        WIDE ? OFF_WHI + 3 * WSLOT_HI + 2048 : WS * WSLOT + (STACK ? 4096 : 0);
    static constexpr int STAGE = STACK ? 2 * TW * 64 : TW * 128; /* a warpgroup's staged output */
    static constexpr int OFF_ROWS = WRING;
    static constexpr int OFF_STAGE = OFF_ROWS + RS * ROW_SLOT;
    static constexpr int OFF_BIAS = OFF_STAGE + 2 * STAGE;
    /* the tiles: the ring the producer leaves for the consumers (4), the
     * scheduler's next one for the producer (1), the finisher's count of
     * tiles finished (1), a warpgroup's staged tile for the storer (2) */
    static constexpr int OFF_TILE = OFF_BIAS + 64 * 4;
    static constexpr int OFF_BAR = OFF_TILE + 8 * 4;
    /* mbarriers: rows and weights full/empty, the scheduler's tile full/empty,
     * a ring of 4 tiles done, the two stages' staged/free (the storer's) */
    static constexpr int DONE_RING = 4;
    /* the finisher reads tile_ring[kt & 3] of up to DONE_RING tiles not yet done */
    static_assert(DONE_RING <= 4, "the tile ring (OFF_TILE) holds 4 tiles");
    static constexpr int NBAR = 2 * RS + 2 * WS + 2 + DONE_RING + 4;
    /* plain: the fold's identity, a weight block; + alignment slack */
    static constexpr int OFF_ID = (OFF_BAR + NBAR * 8 + 1023) / 1024 * 1024;
    static constexpr int TOTAL = OFF_ID + (STACK ? 0 : 8192) + 1024;
    static_assert(WRING % 1024 == 0 && OFF_WHI % 512 == 0 && TOTAL <= SMEM_LIMIT, "shared memory");
};

/* Where a kernel's time goes, in a diagnostic build only (nvcc
 * -DVSR_RRDB_TRACE): each warp adds up the SM cycles it spends in each
 * phase; launch_rrdb sums them over the CTAs and prints, per conv shape,
 * the share of each phase at exit. In other builds it compiles to nothing. */
enum {
    TR_TOTAL,    /* consumers: the tile loop; producer: its whole loop */
    TR_ROWS,     /* waiting for input rows (producer: for free row slots) */
    TR_WEIGHTS,  /* waiting for weight blocks (producer: for free weight slots) */
    TR_MMA_WAIT, /* wgmma.wait_group 1 after each step's commit */
    TR_DRAIN,    /* wgmma.wait_group 0 at the end of a tile */
    TR_EPILOGUE, /* the epilogue */
    TR_TILES,    /* tiles done (a count) */
    TR_N = 8
};
struct Trace {
#ifdef VSR_RRDB_TRACE
    unsigned long long c[TR_N] = {};
    long long t0 = 0, t = 0;
    __device__ __forceinline__ void begin()
    {
        t0 = t = clock64();
    }
    __device__ __forceinline__ void mark()
    {
        t = clock64();
    }
    __device__ __forceinline__ void add(int k)
    {
        const long long n = clock64();
        c[k] += (unsigned long long)(n - t);
        t = n;
    }
    __device__ __forceinline__ void count(int k)
    {
        ++c[k];
    }
    __device__ __forceinline__ void flush(unsigned long long *out, int warp, int lane)
    {
        c[TR_TOTAL] = (unsigned long long)(clock64() - t0);
        if (out && lane == 0)
            for (int k = 0; k < TR_N; ++k)
                atomicAdd(out + warp * TR_N + k, c[k]);
    }
#else
    __device__ __forceinline__ void begin()
    {
    }
    __device__ __forceinline__ void mark()
    {
    }
    __device__ __forceinline__ void add(int)
    {
    }
    __device__ __forceinline__ void count(int)
    {
    }
    __device__ __forceinline__ void flush(unsigned long long *, int, int)
    {
    }
#endif
};

__device__ __forceinline__ void bulk_load(uint32_t dst, const void *src, uint32_t bytes,
                                          uint32_t bar)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile(
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, "
        "[%3];\n" ::"r"(dst),
        "l"(src), "r"(bytes), "r"(bar)
        : "memory");
#else
    (void)dst;
    (void)src;
    (void)bytes;
    (void)bar;
#endif
}

/* A box of a tensor into L2 (no shared memory, no barrier): data the
 * producer will load, or the epilogue read, some microseconds later. */
__device__ __forceinline__ void tma_prefetch_4d(const void *map, int c0, int c1, int c2, int c3)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile(
        "cp.async.bulk.prefetch.tensor.4d.L2.global.tile [%0, {%1, %2, %3, %4}];\n" ::"l"(map),
        "r"(c0), "r"(c1), "r"(c2), "r"(c3)
        : "memory");
#else
    (void)map;
    (void)c0;
    (void)c1;
    (void)c2;
    (void)c3;
#endif
}

constexpr int BAR_WG0 = 1; /* named barriers 1, 2: a consumer warpgroup's own */

struct TileAt {
    int img, x0, y0;
};
__device__ __forceinline__ int tile_number(int img, int sx, int sy, int tiles_x, int tiles_y)
{
    return (img * tiles_x + sx) * tiles_y + sy;
}
__device__ __forceinline__ TileAt tile_at(int t, int tiles_x, int tiles_y)
{
    TileAt p;
    const int per_img = tiles_x * tiles_y;
    p.img = t / per_img;
    const int r = t - p.img * per_img;
    const int sx = r / tiles_y;
    p.x0 = sx * TW;
    p.y0 = (r - sx * tiles_y) * TILE_ROWS;
    return p;
}

/* The mbarrier of use q of a ring of n slots (bars: the first slot's). */
__device__ __forceinline__ uint32_t ring_bar(uint32_t bars, uint32_t q, int n)
{
    return bars + 8 * (q % n);
}
/* One slot's phase: waits until use q of the ring's slot q % n is full
 * (test_full: whether it is, without waiting). */
__device__ __forceinline__ void wait_full(uint32_t bars, uint32_t q, int n)
{
    mbar_wait(ring_bar(bars, q, n), (q / n) & 1);
}
__device__ __forceinline__ bool test_full(uint32_t bars, uint32_t q, int n)
{
    return mbar_test(ring_bar(bars, q, n), (q / n) & 1);
}
/* A producer's wait until the slot of use q is free: use q - n released
 * (none to wait for in the first round). */
__device__ __forceinline__ void wait_empty(uint32_t bars, uint32_t q, int n)
{
    if (q >= (uint32_t)n)
        mbar_wait(ring_bar(bars, q, n), (q / n - 1) & 1);
}
/* A consumer warp's release of use q (after waiting for it to be full). */
__device__ __forceinline__ void release(uint32_t bars, uint32_t q, int n, int lane)
{
    if (lane == 0)
        mbar_arrive(ring_bar(bars, q, n), 1);
}

/* The stacked epilogue's staging: rows [half][px] of 32 fp16 channels (64
 * bytes), 16-byte chunk c of row r at r * 64 + ((c ^ ((r >> 1) & 3)) << 4)
 * (stmatrix's 8 rows of a matrix land in 8 different bank groups). */
__device__ __forceinline__ uint32_t stacked_stage_off(int row, int c)
{
    return (uint32_t)(row * 64 + ((c ^ ((row >> 1) & 3)) << 4));
}

__device__ __forceinline__ void stage_stacked(const float *acc, uint32_t st_base, int wq, int lane,
                                              const float *bq, float slope)
{
    const int m8 = lane >> 3, i8 = lane & 7;
#pragma unroll
    for (int jn = 0; jn < TW / 8; jn += 2) {
        uint32_t r[4];
#pragma unroll
        for (int mm = 0; mm < 4; ++mm) {
            const int jj = jn + (mm >> 1), q2 = mm & 1;
            float v0 = acc[jj * 4 + q2 * 2 + 0] + bq[q2];
            float v1 = acc[jj * 4 + q2 * 2 + 1] + bq[q2];
            v0 = v0 > 0.f ? v0 : v0 * slope;
            v1 = v1 > 0.f ? v1 : v1 * slope;
            r[mm] = pack_half2(v0, v1);
        }
        /* M row 16 wq + 8 (m8 & 1) + i: output row wq >> 1, channel chunk
         * (2 wq + (m8 & 1)) & 3 */
        const int px = 8 * (jn + (m8 >> 1)) + i8;
        const int row = (wq >> 1) * TW + px;
        stsm_x4_trans(st_base + stacked_stage_off(row, (2 * wq + (m8 & 1)) & 3), r[0], r[1], r[2],
                      r[3]);
    }
}

/* The residuals of 8 channels of a pixel (r2 zero without one). */
struct Res8 {
    uint4 r1, r2;
};
__device__ __forceinline__ Res8 load_res8(const RrdbConvArgs &a, long long pix, int c8)
{
    Res8 r;
    /* through L2 only (ld.global.cg): another SM wrote them, maybe while
     * this kernel ran (an overlapped launch), and L1 is not coherent */
    r.r1 = __ldcg(reinterpret_cast<const uint4 *>(a.r1 + pix * a.r1_stride + c8 * 8));
    r.r2 = make_uint4(0, 0, 0, 0);
    if (a.r2)
        r.r2 = __ldcg(reinterpret_cast<const uint4 *>(a.r2 + pix * a.r2_stride + c8 * 8));
    return r;
}

/* 8 fp16 staged values (+ the residuals rs, loaded before, in fp32) stored
 * at dst. */
__device__ __forceinline__ void store8(const RrdbConvArgs &a, uint4 v, const Res8 &rs,
                                       long long pix, int c8)
{
    if (a.r1) {
        const uint4 r1 = rs.r1, r2 = rs.r2;
        const __half2 *hv = reinterpret_cast<const __half2 *>(&v);
        const __half2 *h1 = reinterpret_cast<const __half2 *>(&r1);
        const __half2 *h2 = reinterpret_cast<const __half2 *>(&r2);
        uint4 o;
        __half2 *ho = reinterpret_cast<__half2 *>(&o);
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const float2 f = __half22float2(hv[k]), f1 = __half22float2(h1[k]),
                         f2 = __half22float2(h2[k]);
            ho[k] = __floats2half2_rn(a.s0 * f.x + a.s1 * f1.x + a.s2 * f2.x,
                                      a.s0 * f.y + a.s1 * f1.y + a.s2 * f2.y);
        }
        v = o;
    }
    *reinterpret_cast<uint4 *>(a.out + pix * a.out_stride + c8 * 8) = v;
}

/* Overlapped launches (RrdbConvArgs' scheduling): a tile's flag is
 * released by the finisher warp once the tile's stores are done (a fence,
 * then plain stores: the PTX model's release pattern), and acquired by the
 * next launch's scheduler before its producer loads rows that the tile
 * wrote. */
__device__ __forceinline__ unsigned int load_acquire(const unsigned int *p)
{
    unsigned int v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];\n" : "=r"(v) : "l"(p) : "memory");
    return v;
}
__device__ __forceinline__ void fence_acq_rel_gpu()
{
    asm volatile("fence.acq_rel.gpu;\n" ::: "memory");
}
__device__ __forceinline__ void store_relaxed(unsigned int *p, unsigned int v)
{
    asm volatile("st.relaxed.gpu.global.u32 [%0], %1;\n" ::"l"(p), "r"(v) : "memory");
}
__device__ __forceinline__ void red_relaxed_add(unsigned int *p, unsigned int v)
{
    asm volatile("red.relaxed.gpu.global.add.u32 [%0], %1;\n" ::"l"(p), "r"(v) : "memory");
}

/* Lets the next launch on the stream start (a programmatic dependent
 * launch) once every CTA of this one has, or has ended. */
__device__ __forceinline__ void launch_dependents()
{
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
}
/* Orders global memory between the generic proxy (flags, other threads)
 * and the copy engine's (TMA loads and stores). */
__device__ __forceinline__ void fence_proxy_async_global()
{
    asm volatile("fence.proxy.async.global;\n" ::: "memory");
}

/* The scheduler warp (all 32 lanes) waits until the tiles of the launch
 * before whose outputs tile t reads (the 3 x 3 around it: the rows above
 * and below, the pixels left and right) are written. A wait of more than
 * ~10 s means a broken chain: the kernel traps (the stream reports a
 * launch failure) instead of hanging. */
__device__ __forceinline__ void wait_inputs(const RrdbConvArgs &a, int t, int tiles_x, int tiles_y,
                                            int lane)
{
    const int rad = 1, span = 2 * rad + 1;
    const TileAt p = tile_at(t, tiles_x, tiles_y);
    const int sx = p.x0 / TW + lane % span - rad, sy = p.y0 / TILE_ROWS + lane / span - rad;
    if (lane < span * span && sx >= 0 && sx < tiles_x && sy >= 0 && sy < tiles_y) {
        const unsigned int *f = a.flags + tile_number(p.img, sx, sy, tiles_x, tiles_y);
        const long long t0 = clock64();
        while (load_acquire(f) < a.wait_epoch)
            if (clock64() - t0 > 20000000000LL)
                __trap();
    }
    __syncwarp();
}

/* KS_LAST: 16-channel k-steps of the last chunk (cin - 64 (chunks - 1)) / 16.
 * FOLD (plain, two chunks or more): a.fold times the input's first 64
 * channels added to the accumulators by an MMA with a scaled identity
 * (at the centre tap of the first pass), in place of a residual read in
 * the epilogue (the dense block's x, which is also the conv's input).
 * WIDE (stacked, Cin 96, stationary weights): one pass of 96-channel rows
 * (rows_hi: the map of their last 32 channels) instead of two passes of
 * 64, the second half empty and zero-filled: 0.11 ms a frame of x4plus
 * at 960x540 on an H100 (bench/cuda_NOTES.md, twelfth round). */
template <bool STACK, int KS_LAST, bool FOLD, bool WIDE>
__global__ void __launch_bounds__(RLayout<STACK, WIDE>::NTHREADS, 1)
    conv3x3_rrdb_kernel(const RrdbConvArgs a, const __grid_constant__ CUtensorMap rows,
                        const __grid_constant__ CUtensorMap rows_hi,
                        const __grid_constant__ CUtensorMap res1,
                        const __grid_constant__ CUtensorMap res2,
                        const __grid_constant__ CUtensorMap outm)
{
#ifdef VSR_HAVE_WGMMA_CODE
    using L = RLayout<STACK, WIDE>;
    constexpr int RS = L::RS, WS = L::WS, NTHREADS = L::NTHREADS;
    extern __shared__ unsigned char smem_raw[];
    unsigned char *smem = smem_raw + ((1024 - (smem_u32(smem_raw) & 1023)) & 1023);
    const uint32_t base = smem_u32(smem);
    const uint32_t sW = base, sRows = base + L::OFF_ROWS;
    const uint32_t fullR = base + L::OFF_BAR, emptyR = fullR + RS * 8;
    const uint32_t fullW = emptyR + RS * 8, emptyW = fullW + WS * 8;
    const uint32_t fullQ = emptyW + WS * 8, emptyQ = fullQ + 8, doneT = emptyQ + 8;
    const uint32_t staged = doneT + 8 * L::DONE_RING, stageFree = staged + 16,
                   sId = base + L::OFF_ID;
    float *sBias = reinterpret_cast<float *>(smem + L::OFF_BIAS);
    /* Cout 32 without residuals: a warpgroup's stage goes out by one TMA
     * store, issued by the storer warp, and the consumers go on to their
     * next tile's MMAs meanwhile (the outputs are plain values). */
    const bool tma_store = STACK && !a.r1 && !(a.off & RRDB_OFF_TMA_STORE);
    /* Cout 64 without residuals (after the fold): each row's stage goes
     * out by a TMA store that the warpgroup's first thread issues, the
     * warpgroup going on meanwhile; that thread's warp says the tile is
     * done only once its stores are complete, at the next tile's
     * epilogue (call 37: without their stores the 64-output convs took
     * 3.3 ms less a frame) */
    const bool tma_store64 = !STACK && !a.r1 && !(a.off & RRDB_OFF_TMA_STORE);

    const int H = a.h, W = a.w;
    const int tiles_x = (W + TW - 1) / TW, tiles_y = (H + TILE_ROWS - 1) / TILE_ROWS;
    const int total = a.n * tiles_x * tiles_y; /* launch_rrdb checked the range */
    const int nch = (a.cin + 63) / 64;
    const int npass = WIDE ? 1 : nch; /* passes of 6 rows a tile */
    volatile int *tile_ring = reinterpret_cast<volatile int *>(smem + L::OFF_TILE);
    volatile int *tile_next = tile_ring + 4;
    volatile int *finished = tile_ring + 5;   /* tiles the finisher is done with */
    volatile int *store_tile = tile_ring + 6; /* a warpgroup's staged tile, for the storer */

    /* The next launch on the stream may start its CTAs (on SMs this one
     * leaves) once every CTA of this one has let it (or ended); it then
     * waits for the tiles it needs, flag by flag. Launches overlap only
     * where a grid fills the GPU (launch_rrdb), so that at most two are
     * resident at once: a CTA an SM, the next launch's last CTA starts
     * only once the launch before has left every SM. With three resident
     * (a grid smaller than a third of the GPU) the output differed from
     * one conv at a time, by a cause not found (calls 7-11:
     * bench/results/2026-12-06-h100-rrdb-4.md, -5.md). A launch with none
     * before it to overlap lets the next one in at once; one that
     * overlaps the launch before, only once that launch is all stored
     * (the scheduler below): with grids under the GPU's size that alone
     * did not suffice at 44 CTAs (three resident), but it is cheap and
     * kept. */
    if (!a.wait_epoch)
        launch_dependents();

    if (STACK) /* the zero blocks: 4 KiB before each slot's block and after the last */
        for (int i = threadIdx.x; i < ((WIDE ? 3 : WS) + 1) * 256; i += NTHREADS) {
            const int blk = i >> 8, k = i & 255;
            *reinterpret_cast<uint4 *>(smem + blk * L::WSLOT + k * 16) = make_uint4(0, 0, 0, 0);
        }
    if (WIDE) /* and the last 32 channels' (2 KiB) */
        for (int i = threadIdx.x; i < 4 * 128; i += NTHREADS) {
            const int blk = i >> 7, k = i & 127;
            *reinterpret_cast<uint4 *>(smem + L::OFF_WHI + blk * L::WSLOT_HI + k * 16) =
                make_uint4(0, 0, 0, 0);
        }
    if (FOLD) /* the identity times fold, as a 64 x 64 weight block (128-byte swizzle) */
        for (int i = threadIdx.x; i < 512; i += NTHREADS) {
            const int r = i >> 3, k8 = (i & 7) ^ (r & 7); /* row, logical 8-channel chunk */
            __half h[8];
            for (int j = 0; j < 8; ++j)
                h[j] = __float2half_rn(k8 * 8 + j == r ? a.fold : 0.f);
            *reinterpret_cast<uint4 *>(smem + L::OFF_ID + i * 16) =
                *reinterpret_cast<const uint4 *>(h);
        }
    for (int i = threadIdx.x; i < 64; i += NTHREADS)
        sBias[i] = a.bias && i < a.cout ? a.bias[i] : 0.f;
    if (threadIdx.x == 0) {
        for (int r = 0; r < RS; ++r) {
            mbar_init(fullR + 8 * r, 1);
            mbar_init(emptyR + 8 * r, EMPTY_ARRIVALS);
        }
        for (int r = 0; r < WS; ++r) {
            mbar_init(fullW + 8 * r, 1);
            mbar_init(emptyW + 8 * r, EMPTY_ARRIVALS);
        }
        mbar_init(fullQ, 1);
        mbar_init(emptyQ, 2); /* the two producers */
        for (int d = 0; d < L::DONE_RING; ++d)
            mbar_init(doneT + 8 * d, EMPTY_ARRIVALS);
        *finished = 0;
        for (int w = 0; w < 2; ++w) {
            mbar_init(staged + 8 * w, 4); /* the warpgroup's warps */
            mbar_init(stageFree + 8 * w, 1);
        }
        mbar_init_fence();
    }
    fence_proxy_async(); /* the zero and identity blocks are read by the tensor cores */
    __syncthreads();

    /* Cout 32 with at most two chunks: the 3 or 6 weight blocks fit the
     * ring, so they come in once and stay (slot 3c + kx) instead of once a
     * tile: a third of the bytes a pass streams. */
    const bool stationary = STACK && (WIDE || (nch <= 2 && !(a.off & RRDB_OFF_STATIONARY)));
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (warp == SCHED_WARP) {
        /* The scheduler: claims this CTA's next tile once the producer has
         * taken the last one (one tile ahead: the CTAs end together), waits
         * for its inputs, and lets the next launch in once the launch
         * before is all stored (checked once a tile, never waited for). It
         * does the global round trips (~1 us each) that would otherwise
         * hold up the producer. */
        bool let_in = !a.wait_epoch;
        for (int kt = 0;; ++kt) {
            if (kt > 0)
                mbar_wait(emptyQ, (kt - 1) & 1);
            /* Tile kt completes done barrier kt % DONE_RING: the finisher
             * must have seen tile kt - DONE_RING's completion first (else
             * the barrier's phase would come round twice unseen). The
             * finisher's fence (~2 us) can make it wait: ~1/4 of the
             * scheduler's time in the 64 -> 32 conv (call 22). */
            while (*finished < kt - (L::DONE_RING - 1))
                ;
            int t = 0;
            if (lane == 0)
                t = (int)min(atomicAdd(a.claim, 1ULL), (unsigned long long)total);
            t = __shfl_sync(0xffffffffu, t, 0);
            if (t < total && a.wait_epoch)
                wait_inputs(a, t, tiles_x, tiles_y, lane);
            if ((a.off & RRDB_TEST_STALLS) && lane == 0) { /* 0..32k cycles, by the tile */
                const long long d =
                    (long long)(((unsigned)(t + 1) * 2654435761u) >> 20 & 0xfff) * 8;
                const long long c0 = clock64();
                while (clock64() - c0 < d)
                    ;
            }
            if (lane == 0) {
                *tile_next = t < total ? t : -1;
                mbar_arrive(fullQ, 1);
            }
            if (!let_in && lane == 0 && load_acquire(a.wait_stored) >= (unsigned)total) {
                launch_dependents();
                let_in = true;
            }
            if (t >= total)
                return;
        }
    }
    if constexpr (STACK) {
        if (warp == STORE_WARP) {
            /* The storer: per tile, each warpgroup's stage (its two output
             * rows) by one TMA store once staged; the stage is free again
             * once read, and the tile is done (for the finisher) once both
             * stores are complete. A staged tile of -1 is the end. */
            if (!tma_store || lane != 0)
                return;
            for (int kt = 0;; ++kt) {
                int t = -1;
                for (int w = 0; w < 2; ++w) {
                    mbar_wait(staged + 8 * w, kt & 1);
                    t = store_tile[w];
                    if (t >= 0) {
                        const TileAt p = tile_at(t, tiles_x, tiles_y);
                        tma_store_4d(&outm, base + L::OFF_STAGE + w * L::STAGE, 0, p.x0,
                                     p.y0 + 2 * w, p.img);
                        bulk_commit();
                    }
                }
                if (t >= 0) {
                    bulk_wait_read<1>();
                    mbar_arrive(stageFree, 1);
                    bulk_wait_read<0>();
                    mbar_arrive(stageFree + 8, 1);
                    bulk_wait<0>();
                    /* the copy engine's writes before the flag, which the
                     * next launch acquires before its copy engine reads them */
                    fence_proxy_async_global();
                }
                mbar_arrive(ring_bar(doneT, kt, L::DONE_RING), EMPTY_ARRIVALS);
                if (t < 0)
                    return;
            }
        }
    }
    if (warp == L::FINISH_WARP) {
        /* The finisher: once tiles are stored, their flags for the next
         * launch and the count of tiles stored, the tiles done by then
         * behind one fence (with three fences a tile it was busy the whole
         * 64 -> 32 conv, call 21). A tile of -1 is the end. */
        if (lane != 0)
            return;
        for (int kt = 0;;) {
            wait_full(doneT, kt, L::DONE_RING);
            int n = 1;
            while (n < L::DONE_RING && test_full(doneT, kt + n, L::DONE_RING))
                ++n;
            fence_acq_rel_gpu();
            int stored = 0;
            for (; stored < n && tile_ring[(kt + stored) & 3] >= 0; ++stored)
                store_relaxed(a.flags + tile_ring[(kt + stored) & 3], a.epoch);
            if (stored)
                red_relaxed_add(a.stored, stored);
            if (stored < n)
                return;
            kt += n;
            *finished = kt;
        }
    }
    /* A producer's tile kt from the scheduler (-1: none left): both
     * producers take each one before the scheduler claims the next. */
    auto take_tile = [&](int kt) {
        mbar_wait(fullQ, kt & 1);
        const int t = *tile_next;
        mbar_arrive(emptyQ, 1);
        return t;
    };
    if (warp == WEIGHT_WARP) {
        /* The weight producer: each tile's weight blocks into the ring, in
         * the consumers' order (plain: per pass the 9 taps; stacked: per
         * pass its 3 blocks, none when stationary). Apart from the rows,
         * so that neither ring's wait for a free slot holds up the other's
         * loads (call 21: bench/cuda_NOTES.md, ninth round). */
        if (lane != 0)
            return;
        const unsigned char *wt = reinterpret_cast<const unsigned char *>(a.wt);
        if (stationary)
            for (int blk = 0; blk < 3 * nch; ++blk) {
                /* WIDE: blocks 3-5 are the last 32 channels', packed after
                 * the 6 blocks of two chunks (conv3x3_rrdb_pack_weights) */
                const bool hi = WIDE && blk >= 3;
                const uint32_t bytes = hi ? L::WBLOCK_HI : L::WBLOCK;
                mbar_arrive_expect_tx(fullW + 8 * blk, bytes);
                bulk_load(hi ? sW + L::OFF_WHI + (blk - 3) * L::WSLOT_HI + 2048
                             : sW + blk * L::WSLOT + 4096,
                          wt + (hi ? 6 * (size_t)L::WBLOCK + (blk - 3) * (size_t)L::WBLOCK_HI
                                   : (size_t)blk * L::WBLOCK),
                          bytes, fullW + 8 * blk);
            }
        uint32_t wq = 0;
        int kt = 0;
        for (;; ++kt) {
            if (take_tile(kt) < 0)
                break;
            if (stationary)
                continue;
            if constexpr (!WIDE) /* WIDE is always stationary */
                for (int blk = 0; blk < (STACK ? 3 : 9) * nch; ++blk) {
                    const uint32_t slot = wq % WS;
                    wait_empty(emptyW, wq, WS);
                    mbar_arrive_expect_tx(fullW + 8 * slot, L::WBLOCK);
                    bulk_load(sW + slot * L::WSLOT + (STACK ? 4096 : 0),
                              wt + (size_t)blk * L::WBLOCK, L::WBLOCK, fullW + 8 * slot);
                    ++wq;
                }
        }
        /* a CTA that got no tile must not exit with its stationary weights
         * still coming into its shared memory (the consumers of one that
         * did wait for them) */
        if (stationary && kt == 0)
            for (int blk = 0; blk < 3 * nch; ++blk)
                mbar_wait(fullW + 8 * blk, 0);
        return;
    }
    if (warp == PRODUCER_WARP) {
        /* The row producer: each tile's input rows, per pass 6 rows of one
         * 64-channel chunk, into the row ring. */
        if (lane != 0)
            return;
        Trace tr;
        tr.begin();
        uint32_t rq = 0;
        /* Tile kt of this CTA, from the scheduler (-1: none left); its
         * number goes in the ring for the consumers before its first row. */
        int kt = 0;
        for (;; ++kt) {
            const int t = take_tile(kt);
            if (t < 0)
                break;
            /* its inputs, which the scheduler saw written, are read by the
             * copy engine (the async proxy) */
            if (a.wait_epoch)
                fence_proxy_async_global();
            const TileAt p = tile_at(t, tiles_x, tiles_y);
            tile_ring[kt & 3] = t;
            for (int c = 0; c < npass; ++c) {
                /* The residuals of the tile's epilogue into L2 at the start
                 * of its last pass, which its stores would otherwise wait
                 * for. (Prefetching the next pass's rows as well cost 9 ms
                 * a frame on the H100: bench/cuda_NOTES.md.) */
                if (c == npass - 1 && a.r1 && !(a.off & RRDB_OFF_RES_PREFETCH)) {
                    tma_prefetch_4d(&res1, 0, p.x0, p.y0, p.img);
                    if (a.r2)
                        tma_prefetch_4d(&res2, 0, p.x0, p.y0, p.img);
                }
                for (int i = 0; i < 6; ++i) {
                    const uint32_t slot = rq % RS;
                    tr.mark();
                    wait_empty(emptyR, rq, RS);
                    tr.add(TR_ROWS);
                    mbar_arrive_expect_tx(fullR + 8 * slot, L::ROW_BYTES + L::ROW_HI);
                    tma_load_4d(sRows + slot * L::ROW_SLOT, &rows, fullR + 8 * slot, c * 64,
                                p.x0 - 1, p.y0 - 1 + i, p.img);
                    if (WIDE)
                        tma_load_4d(sRows + slot * L::ROW_SLOT + L::ROW_HI_OFF, &rows_hi,
                                    fullR + 8 * slot, 64, p.x0 - 1, p.y0 - 1 + i, p.img);
                    ++rq;
                }
            }
        }
        /* the end: the next row slot completes with no row, tile -1 */
        wait_empty(emptyR, rq, RS);
        tile_ring[kt & 3] = -1;
        mbar_arrive(ring_bar(fullR, rq, RS), 1);
        tr.flush(a.trace, PRODUCER_WARP, 0);
        return;
    }

    /* ---- consumers ---- */
    const int wg = warp >> 2, wq4 = warp & 3, tid = threadIdx.x & 127, g = lane >> 2;
    unsigned char *stage = smem + L::OFF_STAGE + wg * L::STAGE;
    const uint32_t st_base = smem_u32(stage);
    float bq[2];
#pragma unroll
    for (int q2 = 0; q2 < 2; ++q2)
        bq[q2] = sBias[(16 * wq4 + g + 8 * q2) & (STACK ? 31 : 63)];
    const float sq[2] = {a.slope, a.slope};
    constexpr int NACC = STACK ? 1 : 2;
    uint32_t rq = 0, wq = 0; /* the producer's sequence numbers, followed */
    Trace tr;
    tr.begin();
    /* With TMA stores: the stage, once the storer has read its last tile,
     * handed to it staged with tile t's rows (or t = -1: the end) */
    auto wait_stage_free = [&](int kt) {
        if (kt > 0)
            mbar_wait(stageFree + 8 * wg, (kt - 1) & 1);
    };
    auto hand_to_storer = [&](int t) {
        fence_proxy_async(); /* this thread's staging, to the copy engine */
        __syncwarp();
        if (lane == 0) {
            if (wq4 == 0)
                store_tile[wg] = t;
            mbar_arrive(staged + 8 * wg, 1);
        }
    };

    /* Cout 64 with TMA stores: the issuing warp's part of tile kt done,
     * once its stores are complete (and ordered before the flag, which
     * the next launch acquires before its copy engine reads them) */
    auto stores_done = [&](int kt_done) {
        if (wq4 != 0)
            return;
        if (tid == 0) {
            bulk_wait<0>();
            fence_proxy_async_global();
        }
        __syncwarp();
        release(doneT, kt_done, L::DONE_RING, lane);
    };

    for (int kt = 0;; ++kt) {
        /* the tile's number, left by the producer before its first row */
        tr.mark();
        wait_full(fullR, rq, RS);
        tr.add(TR_ROWS);
        const int t = tile_ring[kt & 3];
        if (t < 0) { /* the end, to the finisher (through the storer) */
            if (tma_store) {
                wait_stage_free(kt);
                hand_to_storer(-1);
            } else {
                if (tma_store64 && kt > 0)
                    stores_done(kt - 1);
                __syncwarp();
                release(doneT, kt, L::DONE_RING, lane);
            }
            break;
        }
        const TileAt p = tile_at(t, tiles_x, tiles_y);
        float acc[NACC][TW / 2];
#pragma unroll
        for (int o = 0; o < NACC; ++o)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                acc[o][q] = 0.f;
#pragma unroll
        for (int o = 0; o < NACC; ++o)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                reg_fence(acc[o][q]);
        wg_fence();

        /* Rows of a pass a warpgroup never reads are freed once they are in:
         * warpgroup 1's (0, 1: the first loaded) when its pass starts,
         * warpgroup 0's (4, 5: the last) when its pass ends. (Freeing
         * warpgroup 1's at the pass end could deadlock: the next pass's
         * row 2, which it waits for first, goes into row 1's slot.) */
        auto release_unread = [&](uint32_t r0) {
            for (int i = 0; i < 2; ++i) {
                const uint32_t q = r0 + (wg ? i : 4 + i);
                tr.mark();
                wait_full(fullR, q, RS);
                tr.add(TR_ROWS);
                release(emptyR, q, RS, lane);
            }
        };
        /* the step whose group is still in flight: its pass and position
         * (after each commit the kernel waits for all but the newest group;
         * keeping two in flight, freeing two steps back, measured 2-4%
         * slower on the H100, bench/results/2026-12-06-h100-rrdb.md) */
        int prev_c = -1, prev_s = 0;
        auto release_step = [&](int c, int s) {
            const uint32_t r0 = rq + 6 * c; /* row 0 of pass c */
            if (STACK) {
                /* step s read input row 2 wg + s; at the pass end the rows
                 * this warpgroup never reads and the pass's weights go too */
                release(emptyR, r0 + 2 * wg + s, RS, lane);
                if (s == 3) {
                    if (wg == 0)
                        release_unread(r0);
                    if (!stationary)
                        for (int kx = 0; kx < 3; ++kx)
                            release(emptyW, wq + 3 * c + kx, WS, lane);
                }
            } else {
                const int ky = s / 3, kx = s - 3 * ky;
                release(emptyW, wq + 9 * c + s, WS, lane);
                if (kx == 2) {
                    /* input row i is last read at ky = min(2, i - 2 wg) */
                    if (ky < 2)
                        release(emptyR, r0 + 2 * wg + ky, RS, lane);
                    else {
                        release(emptyR, r0 + 2 * wg + 2, RS, lane);
                        release(emptyR, r0 + 2 * wg + 3, RS, lane);
                        if (wg == 0)
                            release_unread(r0);
                    }
                }
            }
        };

        /* One pass: chunk c of the input, KS k-steps of 16 channels (4, or
         * fewer for the last chunk; a compile-time count, since a branch
         * around the MMAs between the barrier waits makes ptxas serialize
         * every wgmma, C7520). */
        auto pass = [&](auto ks_const, auto first_const, int c) {
            constexpr int KS = decltype(ks_const)::value;
            constexpr bool FIRST = decltype(first_const)::value; /* FOLD's pass */
            const uint32_t r0 = rq + 6 * c;
            if (wg == 1)
                release_unread(r0);
            if (STACK) {
                /* stationary: the blocks' slots 3c + kx, full once and for good */
                const uint32_t w0 = (stationary ? 0 : wq) + 3 * c;
                tr.mark();
                for (int kx = 0; kx < 3; ++kx) {
                    wait_full(fullW, w0 + kx, WS);
                    if (WIDE)
                        wait_full(fullW, 3 + kx, WS);
                }
                tr.add(TR_WEIGHTS);
#pragma unroll
                for (int s = 0; s < 4; ++s) {
                    const uint32_t q = r0 + 2 * wg + s;
                    tr.mark();
                    wait_full(fullR, q, RS);
                    tr.add(TR_ROWS);
                    const uint64_t drow = sw128_desc(sRows + (q % RS) * L::ROW_SLOT);
                    wg_fence();
#pragma unroll
                    for (int kx = 0; kx < 3; ++kx) {
                        /* the window [W(ky = s) ; W(ky = s - 1)] of [0 W2 W1 W0 0] */
                        const uint64_t da =
                            sw128_desc(sW + ((w0 + kx) % WS) * L::WSLOT + (uint32_t)(3 - s) * 4096);
                        const uint64_t db = desc_add(drow, kx * 128);
#pragma unroll
                        for (int k = 0; k < KS; ++k)
                            wgmma_m64n96k16_ss(acc[0], desc_add(da, k * 32), desc_add(db, k * 32));
                    }
                    if constexpr (WIDE) { /* the row's last 32 channels, the same windows */
                        const uint64_t dhi =
                            sw64_desc(sRows + (q % RS) * L::ROW_SLOT + L::ROW_HI_OFF);
#pragma unroll
                        for (int kx = 0; kx < 3; ++kx) {
                            const uint64_t da = sw64_desc(sW + L::OFF_WHI + kx * L::WSLOT_HI +
                                                          (uint32_t)(3 - s) * 2048);
                            const uint64_t db = desc_add(dhi, kx * 64);
#pragma unroll
                            for (int k = 0; k < KS_LAST; ++k)
                                wgmma_m64n96k16_ss(acc[0], desc_add(da, k * 32),
                                                   desc_add(db, k * 32));
                        }
                    }
                    wg_commit();
                    tr.mark();
                    wg_wait<1>();
                    tr.add(TR_MMA_WAIT);
                    if (prev_c >= 0)
                        release_step(prev_c, prev_s);
                    prev_c = c;
                    prev_s = s;
                }
            } else {
                /* step s = tap (ky, kx); ID: the fold's MMAs too (the centre
                 * tap: the input rows of the two output rows, one pixel in) */
                auto step = [&](int s, auto id_const) {
                    constexpr bool ID = decltype(id_const)::value;
                    const int ky = s / 3, kx = s - 3 * ky;
                    const uint32_t wseq = wq + 9 * c + s;
                    tr.mark();
                    wait_full(fullW, wseq, WS);
                    tr.add(TR_WEIGHTS);
                    const uint32_t q0 = r0 + 2 * wg + ky;
                    if (kx == 0) {
                        wait_full(fullR, q0, RS);
                        wait_full(fullR, q0 + 1, RS);
                        tr.add(TR_ROWS);
                    }
                    const uint64_t da = sw128_desc(sW + (wseq % WS) * L::WSLOT);
                    wg_fence();
#pragma unroll
                    for (int o = 0; o < 2; ++o) {
                        const uint64_t db =
                            sw128_desc(sRows + ((q0 + o) % RS) * L::ROW_SLOT + kx * 128);
#pragma unroll
                        for (int k = 0; k < KS; ++k)
                            wgmma_m64n96k16_ss(acc[STACK ? 0 : o], desc_add(da, k * 32),
                                               desc_add(db, k * 32));
                        if constexpr (ID)
#pragma unroll
                            for (int k = 0; k < 4; ++k)
                                wgmma_m64n96k16_ss(acc[STACK ? 0 : o],
                                                   desc_add(sw128_desc(sId), k * 32),
                                                   desc_add(db, k * 32));
                    }
                    wg_commit();
                    tr.mark();
                    wg_wait<1>();
                    tr.add(TR_MMA_WAIT);
                    if (prev_c >= 0)
                        release_step(prev_c, prev_s);
                    prev_c = c;
                    prev_s = s;
                };
                /* no branch around the MMAs: the fold's step is peeled */
                if constexpr (FIRST) {
#pragma unroll
                    for (int s = 0; s < 4; ++s)
                        step(s, std::false_type());
                    step(4, std::true_type());
#pragma unroll
                    for (int s = 5; s < 9; ++s)
                        step(s, std::false_type());
                } else {
#pragma unroll
                    for (int s = 0; s < 9; ++s)
                        step(s, std::false_type());
                }
            }
        };
        int c_next = 0;
        if constexpr (FOLD && !STACK) { /* launch_rrdb: two chunks or more */
            pass(std::integral_constant<int, 4>(), std::true_type(), 0);
            c_next = 1;
        }
        for (int c = c_next; c < npass - 1; ++c)
            pass(std::integral_constant<int, 4>(), std::false_type(), c);
        /* WIDE: the one pass's first 64 channels (its last 32 in the pass) */
        constexpr int KS_FINAL = WIDE ? 4 : KS_LAST;
        pass(std::integral_constant<int, KS_FINAL>(), std::false_type(), npass - 1);
        tr.mark();
        wg_wait<0>();
        tr.add(TR_DRAIN);
#pragma unroll
        for (int o = 0; o < NACC; ++o)
#pragma unroll
            for (int q = 0; q < TW / 2; ++q)
                reg_fence(acc[o][q]);
        release_step(prev_c, prev_s);
        rq += 6 * npass;
        if (!stationary)
            wq += (STACK ? 3 : 9) * nch;

        /* ---- epilogue ---- */
        tr.mark();
        if (STACK && tma_store) {
            wait_stage_free(kt);
            stage_stacked(acc[0], st_base, wq4, lane, bq, a.slope);
            hand_to_storer(t);
        } else if (STACK) {
            named_sync(BAR_WG0 + wg, 128); /* the last tile's stores have read the stage */
            stage_stacked(acc[0], st_base, wq4, lane, bq, a.slope);
            named_sync(BAR_WG0 + wg, 128);
#pragma unroll
            for (int it = 0; it < 2 * TW * 4 / 128; ++it) {
                const int i = tid + 128 * it;
                const int row = i >> 2, c8 = i & 3; /* row = half * TW + px */
                const int half = row / TW, px = row - half * TW;
                const int y = p.y0 + 2 * wg + half, gx = p.x0 + px;
                if (y < H && gx < W) {
                    const long long pix = ((long long)p.img * H + y) * W + gx;
                    Res8 rs = {};
                    if (a.r1)
                        rs = load_res8(a, pix, c8);
                    store8(a, *reinterpret_cast<const uint4 *>(stage + stacked_stage_off(row, c8)),
                           rs, pix, c8);
                }
            }
        } else {
            /* The residuals of a row are loaded all at once, after its
             * staging (which frees its accumulator's registers): loaded
             * beside each store, the stores (which may alias them, as far
             * as the compiler knows) kept them to one round trip at a
             * time, 12 a tile. */
            constexpr int NIT = TW * 8 / 128;
            /* diagnostics (cost of the epilogue): none of it, or no stores */
            const bool no_epilogue = a.off & RRDB_TEST_NO_EPILOGUE;
            const bool no_stores = a.off & RRDB_TEST_NO_STORES;
            if (tma_store64 && kt > 0)
                stores_done(kt - 1);
#pragma unroll
            for (int o = 0; o < 2 && !no_epilogue; ++o) {
                const int y = p.y0 + 2 * wg + o;
                if (tma_store64 && tid == 0)
                    bulk_wait_read<0>(); /* the copy engine has read the stage */
                named_sync(BAR_WG0 + wg, 128);
                stage_bias_prelu<TW>(acc[o], st_base, wq4, lane, bq, sq, a.stage_scale);
                if (tma_store64) {
                    fence_proxy_async(); /* this thread's staging, to the copy engine */
                    named_sync(BAR_WG0 + wg, 128);
                    if (tid == 0 && !no_stores) {
                        tma_store_4d(&outm, st_base, 0, p.x0, y, p.img);
                        bulk_commit();
                    }
                    continue;
                }
                Res8 rs[NIT];
#pragma unroll
                for (int it = 0; it < NIT; ++it) {
                    const int i = tid + 128 * it;
                    const int px = i >> 3, c8 = i & 7, gx = p.x0 + px;
                    rs[it] = Res8{};
                    if (a.r1 && y < H && gx < W)
                        rs[it] = load_res8(a, ((long long)p.img * H + y) * W + gx, c8);
                }
                named_sync(BAR_WG0 + wg, 128);
#pragma unroll
                for (int it = 0; it < NIT; ++it) {
                    const int i = tid + 128 * it;
                    const int px = i >> 3, c8 = i & 7, gx = p.x0 + px;
                    if (y < H && gx < W && !no_stores)
                        store8(a,
                               *reinterpret_cast<const uint4 *>(stage + px * 128 +
                                                                ((c8 ^ (px & 7)) << 4)),
                               rs[it], ((long long)p.img * H + y) * W + gx, c8);
                }
            }
        }
        /* the tile is stored: the finisher sets its flag (for the copy
         * engine's stores, once the storer, or Cout 64 the issuing warp,
         * says so) */
        __syncwarp();
        if (!tma_store && !(tma_store64 && wq4 == 0))
            release(doneT, kt, L::DONE_RING, lane);
        tr.add(TR_EPILOGUE);
        tr.count(TR_TILES);
    }
    tr.flush(a.trace, warp, lane);
#else
    (void)a;
    (void)rows;
    (void)rows_hi;
    (void)res1;
    (void)res2;
    (void)outm;
    __trap();
#endif
}

#ifdef VSR_RRDB_TRACE
/* The diagnostic build's tally per conv shape, printed at exit: a process
 * of that build is a benchmark that launches from one thread (this state
 * exists only there). */
struct TraceTally {
    int cin, cout, launches;
    double c[9][TR_N];
};
static TraceTally g_tally[8];
static int g_ntally;
static unsigned long long *g_trace_dev;

static void trace_print(void)
{
    static const char *name[TR_N] = {"total", "rows",     "weights", "mma-wait",
                                     "drain", "epilogue", "tiles",   ""};
    for (int i = 0; i < g_ntally; ++i) {
        const TraceTally &t = g_tally[i];
        fprintf(stderr, "rrdb-trace %d->%d launches %d tiles %.0f:", t.cin, t.cout, t.launches,
                t.c[0][TR_TILES]);
        for (int w = 0; w <= PRODUCER_WARP; w += 4) {
            const double tot = t.c[w][TR_TOTAL];
            fprintf(stderr, " | %s%d cyc/tile %.0f", w == PRODUCER_WARP ? "prod" : "warp", w,
                    tot / (t.c[0][TR_TILES] > 0 ? t.c[0][TR_TILES] : 1));
            double rest = tot;
            for (int k = TR_ROWS; k <= TR_EPILOGUE; ++k)
                if (t.c[w][k] > 0) {
                    fprintf(stderr, " %s %.1f%%", name[k], 100.0 * t.c[w][k] / tot);
                    rest -= t.c[w][k];
                }
            fprintf(stderr, " other %.1f%%", 100.0 * rest / tot);
        }
        fprintf(stderr, "\n");
    }
}

/* Runs the launch, waits for it and adds its counters to its shape's tally. */
template <typename K>
static cudaError_t traced_launch(K launch, RrdbConvArgs &b, cudaStream_t stream)
{
    const size_t bytes = 9 * TR_N * sizeof(unsigned long long);
    if (!g_trace_dev) {
        if (cudaMalloc(&g_trace_dev, bytes) != cudaSuccess)
            return cudaErrorMemoryAllocation;
        atexit(trace_print);
    }
    cudaMemsetAsync(g_trace_dev, 0, bytes, stream);
    b.trace = g_trace_dev;
    launch();
    unsigned long long h[9 * TR_N];
    cudaError_t e = cudaStreamSynchronize(stream);
    if (e == cudaSuccess)
        e = cudaMemcpy(h, g_trace_dev, bytes, cudaMemcpyDeviceToHost);
    if (e != cudaSuccess)
        return e;
    int i = 0;
    while (i < g_ntally && (g_tally[i].cin != b.cin || g_tally[i].cout != b.cout))
        ++i;
    if (i == g_ntally) {
        if (g_ntally == 8)
            return cudaSuccess;
        g_tally[g_ntally++] = TraceTally{b.cin, b.cout, 0, {}};
    }
    ++g_tally[i].launches;
    for (int w = 0; w < 9; ++w)
        for (int k = 0; k < TR_N; ++k)
            g_tally[i].c[w][k] += (double)h[w * TR_N + k];
    return cudaGetLastError();
}
#endif

/* The launch's tensor maps: the input rows (maps[0]; with wide, maps[4]
 * their channels 64-95), to prefetch them, the residuals (maps[1],
 * maps[2]; zeroed where absent or where one cannot be made, *off_bits then
 * gets RRDB_OFF_RES_PREFETCH), and for the copy engine's stores the output
 * (maps[3]; zeroed where they are off or where it cannot be made,
 * *off_bits then gets RRDB_OFF_TMA_STORE). */
cudaError_t encode_maps(const RrdbConvArgs &a, const ConvLaunch &l, bool wide, CUtensorMap maps[5],
                        int *off_bits)
{
    /* the input as a 4-D tensor (channels [0, cin) of each pixel, x, y,
     * image), boxes of one row chunk: 64 channels x (TW + 2) pixels, zero
     * past cin and outside the image */
    CUtensorMap &map = maps[0];
    const cuuint64_t ps = (cuuint64_t)a.in_stride * 2;
    const cuuint64_t dims[4] = {(cuuint64_t)a.cin, (cuuint64_t)a.w, (cuuint64_t)a.h,
                                (cuuint64_t)a.n};
    const cuuint64_t strides[3] = {ps, ps * a.w, ps * a.w * a.h};
    const cuuint32_t box[4] = {64, TW + 2, 1, 1};
    const cuuint32_t elem_strides[4] = {1, 1, 1, 1};
    CUresult r = l.encode_tiled(
        &map, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<__half *>(a.in), dims, strides, box,
        elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
        CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS)
        return cudaErrorInvalidValue;
    /* wide: the same tensor in boxes of 32 channels, 64-byte rows */
    memset(&maps[4], 0, sizeof maps[4]);
    const cuuint32_t box_hi[4] = {32, TW + 2, 1, 1};
    if (wide &&
        l.encode_tiled(&maps[4], CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<__half *>(a.in),
                       dims, strides, box_hi, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                       CU_TENSOR_MAP_SWIZZLE_64B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                       CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS)
        return cudaErrorInvalidValue;

    /* the residuals as tensors of cout channels, a tile's box (4 rows x TW
     * pixels) each, only to prefetch them: a map that cannot be made (an
     * odd alignment) just turns the prefetch off */
    CUtensorMap *res = maps + 1;
    memset(res, 0, 2 * sizeof *res);
    for (int k = 0; k < 2 && a.r1 && !(*off_bits & RRDB_OFF_RES_PREFETCH); ++k) {
        const __half *rp = k ? a.r2 : a.r1;
        if (!rp)
            break;
        const cuuint64_t rs = (cuuint64_t)(k ? a.r2_stride : a.r1_stride) * 2;
        const cuuint64_t rdims[4] = {(cuuint64_t)a.cout, (cuuint64_t)a.w, (cuuint64_t)a.h,
                                     (cuuint64_t)a.n};
        const cuuint64_t rstrides[3] = {rs, rs * a.w, rs * a.w * a.h};
        const cuuint32_t rbox[4] = {(cuuint32_t)a.cout, TW, TILE_ROWS, 1};
        if (l.encode_tiled(&res[k], CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<__half *>(rp),
                           rdims, rstrides, rbox, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                           CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                           CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS)
            *off_bits |= RRDB_OFF_RES_PREFETCH;
    }

    /* the output (no residual) as the copy engine stores it: Cout 32, the
     * storer's stage of a warpgroup, 2 rows x TW pixels x 32 channels,
     * 64-byte rows in the 64-byte swizzle that stage_stacked writes; Cout
     * 64, a row's stage, TW pixels x 64 channels, 128-byte rows in the
     * 128-byte swizzle that stage_bias_prelu writes */
    CUtensorMap &out = maps[3];
    memset(&out, 0, sizeof out);
    if ((a.cout == 32 || a.cout == 64) && !a.r1 && !(*off_bits & RRDB_OFF_TMA_STORE)) {
        const bool stacked = a.cout == 32;
        const cuuint64_t os = (cuuint64_t)a.out_stride * 2;
        const cuuint64_t odims[4] = {(cuuint64_t)a.cout, (cuuint64_t)a.w, (cuuint64_t)a.h,
                                     (cuuint64_t)a.n};
        const cuuint64_t ostrides[3] = {os, os * a.w, os * a.w * a.h};
        const cuuint32_t obox[4] = {(cuuint32_t)a.cout, TW, stacked ? 2u : 1u, 1};
        if (l.encode_tiled(&out, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, a.out, odims, ostrides, obox,
                           elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                           stacked ? CU_TENSOR_MAP_SWIZZLE_64B : CU_TENSOR_MAP_SWIZZLE_128B,
                           CU_TENSOR_MAP_L2_PROMOTION_NONE,
                           CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS)
            *off_bits |= RRDB_OFF_TMA_STORE;
    } else {
        *off_bits |= RRDB_OFF_TMA_STORE;
    }
    return cudaSuccess;
}

/* The fold (RrdbConvArgs::fold): whether r1 is the input's first 64
 * channels, added to the plain value (no activation) of a conv of two
 * chunks or more, with s1 / s0 (the identity's entries) in fp16 to
 * fp32's precision.
 * Then b's residuals move down one (r2 into r1's place) and s0 scales
 * the value before its rounding, which then happens once as before
 * when no residual is left. */
void plan_fold(const RrdbConvArgs &a, RrdbConvArgs &b)
{
    b.fold = 0.f;
    b.stage_scale = 1.f;
    if (a.cout != 64 || a.cin <= 64 || !a.r1 || a.r1 != a.in || a.r1_stride != a.in_stride ||
        a.slope != 1.f || a.s0 == 0.f || (a.off & RRDB_OFF_FOLD))
        return;
    const float f = a.s1 / a.s0, fh = __half2float(__float2half_rn(f));
    if (!(f > 0.f) || fabsf(fh - f) > 1e-6f * f)
        return;
    b.fold = fh;
    b.stage_scale = a.s0;
    b.s0 = 1.f;
    b.r1 = a.r2;
    b.r1_stride = a.r2_stride;
    b.s1 = a.s2;
    b.r2 = nullptr;
    b.r2_stride = 0;
    b.s2 = 0.f;
}

template <bool STACK, int KS_LAST, bool WIDE = false>
cudaError_t launch_rrdb(const RrdbConvArgs &a, const ConvLaunch &l)
{
    using L = RLayout<STACK, WIDE>;
    RrdbConvArgs b = a;
    plan_fold(a, b);
    auto kern = b.fold > 0.f ? conv3x3_rrdb_kernel<STACK, KS_LAST, !STACK, WIDE>
                             : conv3x3_rrdb_kernel<STACK, KS_LAST, false, WIDE>;
    cudaError_t e = sm90a_code(kern);
    if (e != cudaSuccess)
        return e;
    if (!l.encode_tiled)
        return cudaErrorNotSupported;
    if (!a.claim || !a.flags || !a.stored || (a.wait_epoch && !a.wait_stored) || a.cin < 64 ||
        a.cin > 256 || (a.cin - 1) % 64 + 1 != 16 * KS_LAST || a.in_stride < a.cin ||
        a.in_stride % 8 || a.out_stride % 8 || (a.r1 && a.r1_stride % 8) ||
        (a.r2 && a.r2_stride % 8))
        return cudaErrorInvalidValue;
    const long long tiles = (long long)conv3x3_rrdb_tiles(a.n, a.h, a.w);
    if (tiles < 1)
        return cudaSuccess;
    if (tiles > INT32_MAX)
        return cudaErrorInvalidValue;
    e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, L::TOTAL);
    if (e != cudaSuccess)
        return e;

    CUtensorMap maps[5];
    e = encode_maps(b, l, WIDE, maps, &b.off);
    if (e != cudaSuccess)
        return e;
    CUtensorMap &map = maps[0], *res = maps + 1;
    /* one CTA an SM (the shared memory allows no more), each claiming
     * tiles until none is left; a launch that waits for the one before by
     * its flags may start beside it, where both fill the GPU (the kernel
     * says why): smaller ones run one at a time */
    if (tiles < l.num_sms)
        b.wait_epoch = 0;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3((unsigned)(tiles < l.num_sms ? tiles : l.num_sms));
    cfg.blockDim = dim3(L::NTHREADS);
    cfg.dynamicSmemBytes = L::TOTAL;
    cfg.stream = l.stream;
    cudaLaunchAttribute overlap;
    overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    overlap.val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = &overlap;
    cfg.numAttrs = b.wait_epoch ? 1 : 0;
#ifdef VSR_RRDB_TRACE
    return traced_launch(
        [&] { cudaLaunchKernelEx(&cfg, kern, b, map, maps[4], res[0], res[1], maps[3]); }, b,
        l.stream);
#else
    e = cudaLaunchKernelEx(&cfg, kern, b, map, maps[4], res[0], res[1], maps[3]);
    return e != cudaSuccess ? e : cudaGetLastError();
#endif
}

} // namespace

bool conv3x3_rrdb_available(void)
{
    if (sm90a_code(conv3x3_rrdb_kernel<true, 4, false, false>) != cudaSuccess) {
        cudaGetLastError();
        return false;
    }
    return true;
}

/* Cout 32, Cin 96: besides the two chunks' blocks, the last 32 channels'
 * for the wide kernel (RLayout::WBLOCK_HI), which can be turned off at
 * run time (RRDB_OFF_WIDE). */
static bool wide_shape(int cin, int cout)
{
    return cout == 32 && cin == 96;
}

size_t conv3x3_rrdb_weight_bytes(int cin, int cout)
{
    const int nch = (cin + 63) / 64;
    return cout == 32 ? (size_t)nch * 3 * RLayout<true>::WBLOCK +
                            (wide_shape(cin, cout) ? 3 * RLayout<true, true>::WBLOCK_HI : 0)
                      : (size_t)nch * 9 * RLayout<false>::WBLOCK;
}

void conv3x3_rrdb_pack_weights(const float *w, int cin, int cout, __half *out)
{
    /* element (row r, channel k) of a 128-byte-row block, 128-byte swizzle */
    auto at = [](int r, int k) { return (size_t)r * 64 + (((k >> 3) ^ (r & 7)) << 3) + (k & 7); };
    /* the same for 64-byte rows (32 channels), 64-byte swizzle */
    auto at64 = [](int r, int k) {
        return (size_t)r * 32 + (((k >> 3) ^ ((r >> 1) & 3)) << 3) + (k & 7);
    };
    const int nch = (cin + 63) / 64;
    const size_t bytes = conv3x3_rrdb_weight_bytes(cin, cout);
    for (size_t i = 0; i < bytes / 2; ++i)
        out[i] = __float2half_rn(0.f);
    for (int c = 0; c < nch; ++c)
        for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
                for (int o = 0; o < cout; ++o)
                    for (int k = 0; k < 64 && c * 64 + k < cin; ++k) {
                        const float v = w[(((size_t)o * cin + c * 64 + k) * 3 + ky) * 3 + kx];
                        if (cout == 32) {
                            /* block (c, kx): rows [W2 W1 W0], 32 each */
                            __half *blk = out + (size_t)(c * 3 + kx) * (3 * 32 * 64);
                            blk[at((2 - ky) * 32 + o, k)] = __float2half_rn(v);
                            /* wide: channels 64-95 again, per kx [W2 W1 W0]
                             * of 64-byte rows, 64-byte swizzle */
                            if (c == 1 && wide_shape(cin, cout)) {
                                __half *hi = out + (size_t)6 * (3 * 32 * 64) + kx * (3 * 32 * 32);
                                hi[at64((2 - ky) * 32 + o, k)] = __float2half_rn(v);
                            }
                        } else {
                            __half *blk = out + (size_t)(c * 9 + ky * 3 + kx) * (64 * 64);
                            blk[at(o, k)] = __float2half_rn(v);
                        }
                    }
}

size_t conv3x3_rrdb_tiles(int n, int h, int w)
{
    return (size_t)((w + TW - 1) / TW) * ((h + TILE_ROWS - 1) / TILE_ROWS) * n;
}

bool conv3x3_rrdb_supports(int cin, int cout)
{
    return (cout == 32 || cout == 64) && cin >= 64 && cin <= 256 && cin % 32 == 0;
}

cudaError_t launch_conv3x3_rrdb(const RrdbConvArgs &a, const ConvLaunch &l)
{
    if (!conv3x3_rrdb_supports(a.cin, a.cout))
        return cudaErrorInvalidValue;
    const bool half = a.cin % 64 != 0; /* the last chunk has 32 channels */
    if (wide_shape(a.cin, a.cout) && !(a.off & (RRDB_OFF_WIDE | RRDB_OFF_STATIONARY)))
        return launch_rrdb<true, 2, true>(a, l);
    if (a.cout == 32)
        return half ? launch_rrdb<true, 2>(a, l) : launch_rrdb<true, 4>(a, l);
    return half ? launch_rrdb<false, 2>(a, l) : launch_rrdb<false, 4>(a, l);
}

} // namespace vsrcuda
