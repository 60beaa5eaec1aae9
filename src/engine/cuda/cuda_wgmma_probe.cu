/* Tensor-core throughput probe (vsr_cuda_wgmma_probe, for bench/cuda_bench.c
 * --probe): how fast the wgmma shapes a convolution kernel could be built
 * from run when fed from shared memory, before one is written around them.
 * The RRDB (ESRGAN) convolutions have 32 output channels in their dense
 * blocks: with the weights as A (M = 64 rows) half of every MMA is wasted,
 * with the pixels as A the weights are B and N is only 32, whose cost per
 * flop in shared-memory reads (A 2 KiB + B 1 KiB per 16 k-steps of 32
 * columns) is twice that of N = 128. This measures each layout.
 *
 * One CTA per SM, two consumer warpgroups, each issuing wgmma chains on
 * NACC independent accumulators from a fixed shared-memory tile (128-byte
 * swizzled, K-major, contents random); 4 k-steps per iteration, committed
 * and waited with one group in flight. RS variants load A with ldmatrix
 * every LD-th use (0: once). Results are not meaningful numbers; only the
 * time is. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/cuda/cuda_internal.h"
#include "engine/cuda/cuda_tensorcore.cuh"
#include "engine/cuda/cuda_wgmma.cuh"

#pragma nv_diag_suppress 177

namespace vsrcuda
{
namespace
{

using namespace tc;

__device__ __forceinline__ void ldsm_x4_a(uint32_t addr, uint32_t *r)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

template <int N, bool RS>
__device__ __forceinline__ void mma(float *acc, uint64_t da, const uint32_t *a, uint64_t db)
{
    if constexpr (RS) {
        if constexpr (N == 32)
            wgmma_m64n32k16_rs(acc, a, db);
        else if constexpr (N == 64)
            wgmma_m64n64k16_rs(acc, a, db);
        else if constexpr (N == 128)
            wgmma_m64n128k16_rs(acc, a, db);
        else
            wgmma_m64n256k16_rs(acc, a, db);
    } else {
        if constexpr (N == 32)
            wgmma_m64n32k16_ss(acc, da, db);
        else if constexpr (N == 64)
            wgmma_m64n64k16_ss(acc, da, db);
        else if constexpr (N == 128)
            wgmma_m64n128k16_ss(acc, da, db);
        else
            wgmma_m64n256k16_ss(acc, da, db);
    }
}

constexpr int A_TILE = 64 * 128; /* 64 rows x 64 fp16 (4 k-steps) */

template <int N, bool RS, int NACC, int LD>
__global__ void __launch_bounds__(256, 1) probe_kernel(int iters, float *sink)
{
#ifdef VSR_HAVE_WGMMA_CODE
    extern __shared__ unsigned char smem_raw[];
    unsigned char *smem = smem_raw + ((1024 - (smem_u32(smem_raw) & 1023)) & 1023);
    const uint32_t base = smem_u32(smem);
    const uint32_t sA = base, sB = base + NACC * A_TILE;
    const int bytes = NACC * A_TILE + N * 128;
    for (int i = threadIdx.x; i < bytes / 4; i += blockDim.x)
        reinterpret_cast<uint32_t *>(smem)[i] = 0x3c003c00u ^ (i * 2654435761u & 0x03ff03ffu);
    fence_proxy_async();
    __syncthreads();
    const int warp = (threadIdx.x >> 5) & 3, lane = threadIdx.x & 31;
    constexpr int LDD = LD > 0 ? LD : 1;
    float acc[NACC][N / 2];
#pragma unroll
    for (int a = 0; a < NACC; ++a)
#pragma unroll
        for (int q = 0; q < N / 2; ++q)
            acc[a][q] = 0.f;
    uint32_t frag[NACC][4];
    /* A fragment rows 16 warp + (lane & 15), k 8 (lane >> 4): 128-byte rows,
     * 16-byte chunk c stored at c ^ (row & 7) */
    auto a_addr = [&](int a, int k) {
        const int row = 16 * warp + (lane & 15), c = 2 * k + (lane >> 4);
        return sA + (uint32_t)(a * A_TILE + row * 128 + ((c ^ (row & 7)) << 4));
    };
    if (RS)
#pragma unroll
        for (int a = 0; a < NACC; ++a)
            ldsm_x4_a(a_addr(a, 0), frag[a]);
    wg_fence();
    for (int it = 0; it < iters; ++it) {
#pragma unroll
        for (int k = 0; k < 4; ++k) {
#pragma unroll
            for (int a = 0; a < NACC; ++a) {
                /* one fragment load serves LD MMAs (the reuse a kernel gets) */
                if (RS && LD > 0 && (a % LDD) == 0)
                    ldsm_x4_a(a_addr(a, k), frag[a]);
                mma<N, RS>(acc[a], sw128_desc(sA + a * A_TILE + k * 32),
                           frag[LD > 0 ? a - a % LDD : a], sw128_desc(sB + k * 32));
            }
        }
        wg_commit();
        wg_wait<1>();
    }
    wg_wait<0>();
    float s = 0.f;
#pragma unroll
    for (int a = 0; a < NACC; ++a)
#pragma unroll
        for (int q = 0; q < N / 2; ++q)
            s += acc[a][q];
    if (s == 12345.f)
        sink[threadIdx.x] = s;
#else
    (void)iters;
    (void)sink;
    __trap();
#endif
}

struct ProbeVariant {
    const char *name;
    int n, nacc;
    cudaError_t (*run)(int grid, int iters, float *sink, cudaStream_t s);
};

template <int N, bool RS, int NACC, int LD>
cudaError_t run_probe(int grid, int iters, float *sink, cudaStream_t s)
{
    auto k = probe_kernel<N, RS, NACC, LD>;
    const int smem = NACC * A_TILE + N * 128 + 1024;
    cudaError_t e = cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    if (e != cudaSuccess)
        return e;
    k<<<grid, 256, smem, s>>>(iters, sink);
    return cudaGetLastError();
}

const ProbeVariant k_variants[] = {
    {"ss_m64n128 x1 (A=weights, B=128 px: the SRVGG kernel's MMA)", 128, 1,
     run_probe<128, false, 1, 0>},
    {"ss_m64n128 x2", 128, 2, run_probe<128, false, 2, 0>},
    {"ss_m64n256 x1", 256, 1, run_probe<256, false, 1, 0>},
    {"ss_m64n64 x2", 64, 2, run_probe<64, false, 2, 0>},
    {"ss_m64n64 x4", 64, 4, run_probe<64, false, 4, 0>},
    {"ss_m64n32 x4 (A=64 px, B=32 out channels)", 32, 4, run_probe<32, false, 4, 0>},
    {"ss_m64n32 x8", 32, 8, run_probe<32, false, 8, 0>},
    {"rs_m64n32 x4, A in registers (no reload)", 32, 4, run_probe<32, true, 4, 0>},
    {"rs_m64n32 x4, ldmatrix A for every MMA", 32, 4, run_probe<32, true, 4, 1>},
    {"rs_m64n32 x4, ldmatrix A every 2nd MMA", 32, 4, run_probe<32, true, 4, 2>},
    {"rs_m64n32 x8, ldmatrix A every 2nd MMA", 32, 8, run_probe<32, true, 8, 2>},
    {"rs_m64n64 x2, ldmatrix A for every MMA", 64, 2, run_probe<64, true, 2, 1>},
    {"rs_m64n64 x4, ldmatrix A every 2nd MMA", 64, 4, run_probe<64, true, 4, 2>},
    {"rs_m64n128 x1, A in registers", 128, 1, run_probe<128, true, 1, 0>},
};

} // namespace
} // namespace vsrcuda

using namespace vsrcuda;

extern "C" int vsr_cuda_wgmma_probe(void)
{
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess)
        return -1;
    float *sink = nullptr;
    if (cudaMalloc(&sink, 4096) != cudaSuccess)
        return -1;
    cudaEvent_t t0, t1;
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    int rc = 0;
    for (const ProbeVariant &v : k_variants) {
        /* ~2^33 MACs per warpgroup x CTA at N = 128 */
        const double macs_per_iter = 4.0 * v.nacc * 64.0 * v.n * 16.0;
        const int iters = (int)(1.2e7 * 2 / (macs_per_iter / 1e3));
        cudaError_t e = v.run(p.multiProcessorCount, iters / 8, sink, 0); /* warm-up */
        if (e == cudaSuccess)
            e = cudaDeviceSynchronize();
        cudaEventRecord(t0);
        if (e == cudaSuccess)
            e = v.run(p.multiProcessorCount, iters, sink, 0);
        cudaEventRecord(t1);
        if (e == cudaSuccess)
            e = cudaEventSynchronize(t1);
        if (e != cudaSuccess) {
            printf("probe %s: %s\n", v.name, cudaGetErrorString(e));
            rc = -1;
            break;
        }
        float ms = 0;
        cudaEventElapsedTime(&ms, t0, t1);
        const double flop = 2.0 * macs_per_iter * iters * 2 * p.multiProcessorCount;
        printf("RESULT probe=\"%s\" ms=%.3f tflops=%.1f\n", v.name, ms, flop / (ms * 1e-3) / 1e12);
        fflush(stdout);
    }
    cudaEventDestroy(t0);
    cudaEventDestroy(t1);
    cudaFree(sink);
    return rc;
}
