/* 3x3 convolution (stride 1, zero pad 1) to a few output channels (cout
 * 1..4) from cin = 16..64 (a multiple of 16), bias + a slope activation
 * fused: the RRDB models' last conv, 64 -> 3 at the output size (8.3 M
 * pixels a 2160p frame), where it only has to read its input once.
 *
 * Why not an implicit GEMM with pixels x taps as K: each input pixel would
 * then be read from shared memory by the nine outputs around it (9 x 128 B
 * a pixel), which costs about as much as the DRAM read itself. Here each
 * input pixel is multiplied once, on tensor cores (mma.sync m16n8k16, fp16
 * in, fp32 accumulate), by all 9 x cout (tap, channel) weight columns:
 * M = 16 input pixels, N = 9 cout (27 for cout 3, padded to 32), K = cin.
 * The fp32 partial sums go to shared memory (one row of them per input
 * row, a ring of four) and each output pixel adds its nine taps' partials
 * from the three rows around it.
 *
 * A block walks down a strip of 128 input columns (126 outputs + the two
 * halo columns) for SEG_H output rows, each of its 8 warps owning 16 input
 * columns; an input row is loaded straight from global memory into the A
 * fragments (16-byte loads, 64 contiguous bytes a pixel per instruction),
 * two rows ahead of the one being multiplied (one for cin 64 -> 4). The K
 * order is permuted so that each thread's fragment registers are the
 * channels it loaded; the weights are packed on the host in that order,
 * per lane, and stay in registers. Output: fp16 NHWC with 8 channels a pixel (the backend's
 * padding), channels >= cout written 0, one 16-byte store a pixel. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "engine/cuda/cuda_internal.h"

namespace vsrcuda
{

namespace
{

constexpr int NWARPS = 8;
constexpr int NTHREADS = 32 * NWARPS;
constexpr int IN_PIX = 16 * NWARPS; /* input columns of a strip */
constexpr int OUT_PIX = IN_PIX - 2; /* output columns of a strip */
constexpr int PSTRIDE = IN_PIX + 4; /* floats between partial columns: the fragment stores
                                       (column 2q + e, pixel r) fall in distinct banks */
constexpr int NSLOT = 4;            /* partial rows: 3 read while the next is written */
constexpr int SEG_H = 32;           /* output rows a block (2 halo rows more read) */
constexpr int OUT_CP = 8;           /* channels a pixel of the output */

template <int KC, int COUT> struct Shape {
    static constexpr int NCOL = 9 * COUT;     /* (tap, channel) columns */
    static constexpr int NT = (NCOL + 7) / 8; /* n-tiles of 8 */
    /* input rows loaded ahead: two, or one where the weights' registers
     * (2 KC NT) would make two spill under the 128 of 2 blocks an SM */
    static constexpr int PF = KC * NT > 16 ? 1 : 2;
    static constexpr int SLOT = NCOL * PSTRIDE; /* floats of one partial row */
    static constexpr int SMEM = NSLOT * SLOT * 4;
};

/* Channel of the first of the four K values lane q holds in chunk j (16
 * channels) of the MMA: its A registers are (base, base+1) for k = 2q,
 * 2q+1 and (base+2, base+3) for k = 2q+8, 2q+9. Chunks pair into 32-channel
 * pieces that each lane loads as 16 bytes (channels 8q..8q+7 of the
 * piece); an odd last chunk is loaded as 8 bytes (channels 4q..4q+3). */
__host__ __device__ constexpr int chan_base(int kc, int j, int q)
{
    return (kc % 2 && j == kc - 1) ? 32 * (j / 2) + 4 * q : 32 * (j / 2) + 8 * q + 4 * (j % 2);
}

__device__ __forceinline__ void mma16816(float *c, uint32_t a0, uint32_t a1, uint32_t a2,
                                         uint32_t a3, uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

/* One pixel's channels of this lane (the chunks' A registers), or zeros
 * outside the image (the conv's zero padding). */
template <int KC>
__device__ __forceinline__ void load_pixel(const __half *px, bool inside, int q,
                                           uint32_t (&d)[KC][2])
{
#pragma unroll
    for (int p = 0; p < KC / 2; ++p) {
        uint4 v = make_uint4(0, 0, 0, 0);
        if (inside)
            v = __ldg(reinterpret_cast<const uint4 *>(px + chan_base(KC, 2 * p, q)));
        d[2 * p][0] = v.x;
        d[2 * p][1] = v.y;
        d[2 * p + 1][0] = v.z;
        d[2 * p + 1][1] = v.w;
    }
    if (KC % 2) {
        uint2 v = make_uint2(0, 0);
        if (inside)
            v = __ldg(reinterpret_cast<const uint2 *>(px + chan_base(KC, KC - 1, q)));
        d[KC - 1][0] = v.x;
        d[KC - 1][1] = v.y;
    }
}

template <int KC, int COUT>
__global__ void __launch_bounds__(NTHREADS, 2) conv3x3_narrow_kernel(NarrowConvArgs a)
{
    using S = Shape<KC, COUT>;
    constexpr int PF = S::PF;
    constexpr int CIN = 16 * KC;
    constexpr int NT = S::NT;
    extern __shared__ float part[]; /* [NSLOT][NCOL][PSTRIDE] */

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = lane >> 2, q = lane & 3;
    const int x0 = blockIdx.x * OUT_PIX; /* first output column; input from x0 - 1 */
    const int y0 = blockIdx.y * SEG_H;
    const int n_in = min(SEG_H, a.h - y0) + 2; /* input rows y0 - 1 .. */
    const __half *img = a.in + (size_t)blockIdx.z * a.h * a.w * CIN;

    uint32_t wb[KC][NT][2];
    {
        const uint2 *wp = reinterpret_cast<const uint2 *>(a.wt) + (size_t)lane * KC * NT;
#pragma unroll
        for (int j = 0; j < KC; ++j)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                const uint2 v = __ldg(wp + j * NT + nt);
                wb[j][nt][0] = v.x;
                wb[j][nt][1] = v.y;
            }
    }
    /* this lane's input columns: rows r and r + 8 of its warp's m-tile */
    const int gx0 = x0 - 1 + warp * 16 + r, gx1 = gx0 + 8;
    const bool in0 = gx0 >= 0 && gx0 < a.w, in1 = gx1 >= 0 && gx1 < a.w;

    /* ring of PF + 1 input rows in registers: [row][pixel][chunk][reg] */
    uint32_t ring[PF + 1][2][KC][2];
    auto load_row = [&](int i, uint32_t(&d)[2][KC][2]) {
        const int gy = y0 - 1 + i;
        const bool row_in = i < n_in && gy >= 0 && gy < a.h;
        const __half *row = img + (size_t)(row_in ? gy : 0) * a.w * CIN;
        load_pixel<KC>(row + (size_t)(in0 ? gx0 : 0) * CIN, row_in && in0, q, d[0]);
        load_pixel<KC>(row + (size_t)(in1 ? gx1 : 0) * CIN, row_in && in1, q, d[1]);
    };
#pragma unroll
    for (int u = 0; u < PF; ++u)
        load_row(u, ring[u]);

    float bias[COUT], slope[COUT];
#pragma unroll
    for (int co = 0; co < COUT; ++co) {
        bias[co] = a.bias ? a.bias[co] : 0.f;
        slope[co] = a.slopes ? a.slopes[co] : 1.f;
    }

    for (int base = 0; base < n_in; base += PF + 1) {
#pragma unroll
        for (int u = 0; u < PF + 1; ++u) {
            const int i = base + u; /* input row y0 - 1 + i */
            if (i >= n_in)
                break;
            load_row(i + PF, ring[(u + PF) % (PF + 1)]);

            float acc[NT][4];
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
                acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.f;
            const uint32_t(&cur)[2][KC][2] = ring[u];
#pragma unroll
            for (int j = 0; j < KC; ++j)
#pragma unroll
                for (int nt = 0; nt < NT; ++nt)
                    mma16816(acc[nt], cur[0][j][0], cur[1][j][0], cur[0][j][1], cur[1][j][1],
                             wb[j][nt][0], wb[j][nt][1]);

            /* partials of this row: column nt*8 + n, input column p */
            float *slot = part + (i % NSLOT) * S::SLOT;
            const int p = warp * 16 + r;
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                const int col = nt * 8 + 2 * q;
                if (col < S::NCOL) {
                    slot[col * PSTRIDE + p] = acc[nt][0];
                    slot[col * PSTRIDE + p + 8] = acc[nt][2];
                }
                if (col + 1 < S::NCOL) {
                    slot[(col + 1) * PSTRIDE + p] = acc[nt][1];
                    slot[(col + 1) * PSTRIDE + p + 8] = acc[nt][3];
                }
            }
            /* one barrier a row: of the four slots, the one the next row
             * writes was last read for the previous output row, which
             * every thread finished before arriving here */
            __syncthreads();

            /* output row y0 + i - 2 from input rows i - 2, i - 1, i */
            const int t = threadIdx.x, x = x0 + t;
            if (i >= 2 && t < OUT_PIX && x < a.w) {
                float v[COUT];
#pragma unroll
                for (int co = 0; co < COUT; ++co)
                    v[co] = bias[co];
#pragma unroll
                for (int ky = 0; ky < 3; ++ky) {
                    const float *s = part + ((i - 2 + ky) % NSLOT) * S::SLOT + t;
#pragma unroll
                    for (int kx = 0; kx < 3; ++kx)
#pragma unroll
                        for (int co = 0; co < COUT; ++co)
                            v[co] += s[((ky * 3 + kx) * COUT + co) * PSTRIDE + kx];
                }
                __align__(16) __half o[OUT_CP];
#pragma unroll
                for (int c = 0; c < OUT_CP; ++c)
                    o[c] = __float2half_rn(0.f);
#pragma unroll
                for (int co = 0; co < COUT; ++co)
                    o[co] = __float2half_rn(v[co] > 0.f ? v[co] : slope[co] * v[co]);
                const size_t opix = ((size_t)blockIdx.z * a.h + (y0 + i - 2)) * a.w + x;
                *reinterpret_cast<uint4 *>(a.out + opix * OUT_CP) =
                    *reinterpret_cast<const uint4 *>(o);
            }
        }
    }
}

template <int KC, int COUT> cudaError_t launch(const NarrowConvArgs &a, cudaStream_t s)
{
    auto kern = conv3x3_narrow_kernel<KC, COUT>;
    constexpr int smem = Shape<KC, COUT>::SMEM;
    /* per device and cheap: set on every launch */
    cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    if (e != cudaSuccess)
        return e;
    const dim3 grid((a.w + OUT_PIX - 1) / OUT_PIX, (a.h + SEG_H - 1) / SEG_H, a.n);
    kern<<<grid, NTHREADS, smem, s>>>(a);
    return cudaGetLastError();
}

template <int KC> cudaError_t launch_cout(const NarrowConvArgs &a, cudaStream_t s)
{
    switch (a.cout) {
    case 1: return launch<KC, 1>(a, s);
    case 2: return launch<KC, 2>(a, s);
    case 3: return launch<KC, 3>(a, s);
    case 4: return launch<KC, 4>(a, s);
    }
    return cudaErrorInvalidValue;
}

int n_tiles(int cout)
{
    return (9 * cout + 7) / 8;
}

} // namespace

bool conv3x3_narrow_supports(int cin, int cout)
{
    return cout >= 1 && cout <= 4 && cin >= 16 && cin <= 64 && cin % 16 == 0;
}

size_t conv3x3_narrow_weight_bytes(int cin, int cout)
{
    return (size_t)32 * (cin / 16) * n_tiles(cout) * 2 * 4;
}

void conv3x3_narrow_pack_weights(const float *w, int cin, int cout, __half *out)
{
    /* per lane (r = lane / 4, q = lane % 4), chunk j, n-tile nt: the B
     * fragment's two registers, k = 2q, 2q+1 then 2q+8, 2q+9 of column
     * n = r, i.e. channels chan_base .. +3 of (tap, channel) column
     * nt * 8 + r = tap * cout + co; columns past 9 cout are 0 */
    const int kc = cin / 16, nt_n = n_tiles(cout);
    for (int lane = 0; lane < 32; ++lane)
        for (int j = 0; j < kc; ++j)
            for (int nt = 0; nt < nt_n; ++nt) {
                const int col = nt * 8 + lane / 4, tap = col / cout, co = col % cout;
                const int ch = chan_base(kc, j, lane % 4);
                __half *d = out + (((size_t)lane * kc + j) * nt_n + nt) * 4;
                for (int e = 0; e < 4; ++e)
                    d[e] = __float2half_rn(col < 9 * cout ? w[((size_t)co * cin + ch + e) * 9 + tap]
                                                          : 0.f);
            }
}

cudaError_t launch_conv3x3_narrow(const NarrowConvArgs &a, cudaStream_t s)
{
    if (!conv3x3_narrow_supports(a.cin, a.cout) || a.h > 65535 * SEG_H || a.n > 65535)
        return cudaErrorInvalidValue;
    if (a.n < 1 || a.h < 1 || a.w < 1)
        return cudaSuccess;
    switch (a.cin / 16) {
    case 1: return launch_cout<1>(a, s);
    case 2: return launch_cout<2>(a, s);
    case 3: return launch_cout<3>(a, s);
    case 4: return launch_cout<4>(a, s);
    }
    return cudaErrorInvalidValue;
}

} // namespace vsrcuda
