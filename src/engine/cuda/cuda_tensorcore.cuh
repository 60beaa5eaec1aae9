/* Inline device helpers of the tensor-core convolution kernels (CUDA C++,
 * included by their .cu files only): cp.async, and for Hopper (sm_90a) the
 * wgmma instructions, their shared-memory descriptors, stmatrix and the
 * proxy fence. The sm_90a helpers compile empty in the other
 * architectures' passes; kernels using them are never launched there. */
#ifndef VSR_ENGINE_CUDA_TENSORCORE_CUH
#define VSR_ENGINE_CUDA_TENSORCORE_CUH

#include <cuda_fp16.h>
#include <stdint.h>

namespace vsrcuda
{
namespace tc
{

__device__ __forceinline__ uint32_t smem_u32(const void *p)
{
    return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, int src_bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit()
{
    asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void cp_async_wait()
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/* ------------------------------------------------------------------------
 * Hopper (sm_90a) helpers: wgmma fences and groups, and the shared-memory
 * descriptor (128-byte swizzle, K-major). Other architectures' passes
 * compile them empty (the kernel using them is then never launched).
 * ---------------------------------------------------------------------- */
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define VSR_HAVE_WGMMA_CODE 1
#endif

__device__ __forceinline__ void wg_fence()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void wg_commit()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
template <int N> __device__ __forceinline__ void wg_wait()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}
__device__ __forceinline__ void fence_proxy_async()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void reg_fence(float &r)
{
    asm volatile("" : "+f"(r)::"memory");
}

/* A wgmma operand's descriptor: K-major, 128-byte rows in the 128-byte
 * swizzle (8-row groups 1024 bytes apart), starting at shared address saddr. */
__device__ __forceinline__ uint64_t sw128_desc(uint32_t saddr)
{
    return (uint64_t)((saddr & 0x3FFFF) >> 4) | ((uint64_t)1 << 16) |
           ((uint64_t)(1024 >> 4) << 32) | ((uint64_t)1 << 62);
}
/* The same for 64-byte rows in the 64-byte swizzle (8-row groups 512
 * bytes apart). */
__device__ __forceinline__ uint64_t sw64_desc(uint32_t saddr)
{
    return (uint64_t)((saddr & 0x3FFFF) >> 4) | ((uint64_t)1 << 16) | ((uint64_t)(512 >> 4) << 32) |
           ((uint64_t)2 << 62);
}
/* The descriptor of saddr + bytes from saddr's: the address field is the
 * low 14 bits of saddr >> 4, and shared addresses stay under 2^18 (228
 * KiB), so it never carries, not even out of the low word: one 32-bit add
 * instead of the mask, shift and or per MMA (call 19: ~14 integer
 * instructions before each wgmma), and the high word stays a constant. */
__device__ __forceinline__ uint64_t desc_add(uint64_t desc, uint32_t bytes)
{
    return (desc & 0xFFFFFFFF00000000ull) | (uint32_t)((uint32_t)desc + (bytes >> 4));
}

__device__ __forceinline__ void wgmma_m64n128k16_ss(float *d, uint64_t da, uint64_t db)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("{\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
                 "%64, %65, 1, 1, 1, 0, 0;\n"
                 "}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
                   "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
                   "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),
                   "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
                   "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),
                   "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
                   "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
                   "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
                   "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]),
                   "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
                   "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db));
#else
    (void)d;
    (void)da;
    (void)db;
#endif
}

/* The same with N = 160 (80 accumulators a thread). */
__device__ __forceinline__ void wgmma_m64n160k16_ss(float *d, uint64_t da, uint64_t db)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile(
        "{\n"
        "wgmma.mma_async.sync.aligned.m64n160k16.f32.f16.f16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79}, "
        "%80, %81, 1, 1, 1, 0, 0;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
          "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
          "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]),
          "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
          "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]),
          "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
          "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]),
          "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]),
          "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]),
          "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]),
          "+f"(d[77]), "+f"(d[78]), "+f"(d[79])
        : "l"(da), "l"(db));
#else
    (void)d;
    (void)da;
    (void)db;
#endif
}

__device__ __forceinline__ void stsm_x4_trans(uint32_t addr, uint32_t r0, uint32_t r1, uint32_t r2,
                                              uint32_t r3)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile(
        "stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(addr),
        "r"(r0), "r"(r1), "r"(r2), "r"(r3)
        : "memory");
#else
    (void)addr;
    (void)r0;
    (void)r1;
    (void)r2;
    (void)r3;
#endif
}
__device__ __forceinline__ uint32_t pack_half2(float a, float b)
{
    __half2 h = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t *>(&h);
}

/* The body epilogue of a warpgroup's wgmma.m64nNk16 accumulators (D =
 * 64 channels x N pixels; thread (warp wq of the group, lane): acc[jn*4 +
 * q] is channel 16 wq + lane/4 (+8 for q >= 2), pixel 8 jn + 2 (lane % 4)
 * (+1 for odd q)): + bias, PReLU (bq, sq: this thread's two channels'),
 * times scale, fp16, written through stmatrix.trans as pixel rows of 128
 * bytes (64 channels) at st_base, 16-byte chunk c of pixel px at px * 128
 * + ((c ^ (px & 7)) << 4). */
template <int N>
__device__ __forceinline__ void stage_bias_prelu(const float *acc, uint32_t st_base, int wq,
                                                 int lane, const float *bq, const float *sq,
                                                 float scale = 1.f)
{
    const int m8 = lane >> 3, i8 = lane & 7;
#pragma unroll
    for (int jn = 0; jn < N / 8; jn += 2) {
        uint32_t r[4];
#pragma unroll
        for (int mm = 0; mm < 4; ++mm) {
            const int jj = jn + (mm >> 1), q2 = mm & 1;
            float v0 = acc[jj * 4 + q2 * 2 + 0] + bq[q2];
            float v1 = acc[jj * 4 + q2 * 2 + 1] + bq[q2];
            v0 = v0 > 0.f ? v0 : v0 * sq[q2];
            v1 = v1 > 0.f ? v1 : v1 * sq[q2];
            r[mm] = pack_half2(v0 * scale, v1 * scale);
        }
        const int px = 8 * (jn + (m8 >> 1)) + i8;
        const int chunk = 2 * wq + (m8 & 1);
        stsm_x4_trans(st_base + (uint32_t)(px * 128 + ((chunk ^ (px & 7)) << 4)), r[0], r[1], r[2],
                      r[3]);
    }
}

/* ------------------------------------------------------------------------
 * Hopper (sm_90) asynchronous copies: mbarriers and the bulk tensor copy
 * engine (TMA). A full/empty pair of mbarriers guards each shared-memory
 * slot: the producer arms "full" with the bytes it expects and the copy
 * completes them; consumers arrive on "empty" when done reading.
 * ---------------------------------------------------------------------- */
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
#else
    (void)bar;
    (void)count;
#endif
}
/* Makes initialised mbarriers visible to the copy engine. */
__device__ __forceinline__ void mbar_init_fence()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile(
        "{\n.reg .b64 st;\nmbarrier.arrive.expect_tx.shared::cta.b64 st, [%0], %1;\n}\n" ::"r"(bar),
        "r"(bytes)
        : "memory");
#else
    (void)bar;
    (void)bytes;
#endif
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar, uint32_t count)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.shared::cta.b64 st, [%0], %1;\n}\n" ::"r"(bar),
                 "r"(count)
                 : "memory");
#else
    (void)bar;
    (void)count;
#endif
}
/* Waits until the phase of parity `parity` of the barrier has completed. */
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("{\n"
                 ".reg .pred done;\n"
                 "WAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n"
                 "}\n" ::"r"(bar),
                 "r"(parity)
                 : "memory");
#else
    (void)bar;
    (void)parity;
#endif
}
/* Whether the phase of the given parity has completed, without waiting. */
__device__ __forceinline__ bool mbar_test(uint32_t bar, uint32_t parity)
{
#ifdef VSR_HAVE_WGMMA_CODE
    uint32_t done;
    asm volatile("{\n"
                 ".reg .pred p;\n"
                 "mbarrier.test_wait.parity.shared::cta.b64 p, [%1], %2;\n"
                 "selp.u32 %0, 1, 0, p;\n"
                 "}\n"
                 : "=r"(done)
                 : "r"(bar), "r"(parity)
                 : "memory");
    return done != 0;
#else
    (void)bar;
    (void)parity;
    return false;
#endif
}
/* 4-D tiled tensor copy global -> shared, completing on mbarrier bar;
 * coordinates innermost first, out-of-bounds elements read as zero. */
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const void *tensor_map, uint32_t bar,
                                            int c0, int c1, int c2, int c3)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes "
                 "[%0], [%1, {%2, %3, %4, %5}], [%6];\n" ::"r"(dst),
                 "l"(tensor_map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
                 : "memory");
#else
    (void)dst;
    (void)tensor_map;
    (void)bar;
    (void)c0;
    (void)c1;
    (void)c2;
    (void)c3;
#endif
}
/* 4-D tiled tensor copy shared -> global (the TMA store), in the calling
 * thread's bulk async-group; elements outside the tensor are not written.
 * The shared memory it reads must have been written before, and made
 * visible to the copy engine by fence_proxy_async() in each writer. */
__device__ __forceinline__ void tma_store_4d(const void *tensor_map, uint32_t src, int c0, int c1,
                                             int c2, int c3)
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group "
                 "[%0, {%2, %3, %4, %5}], [%1];\n" ::"l"(tensor_map),
                 "r"(src), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
                 : "memory");
#else
    (void)tensor_map;
    (void)src;
    (void)c0;
    (void)c1;
    (void)c2;
    (void)c3;
#endif
}
__device__ __forceinline__ void bulk_commit()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
#endif
}
/* Waits until at most N of this thread's bulk groups still read their
 * shared memory (which may then be written again). */
template <int N> __device__ __forceinline__ void bulk_wait_read()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
#endif
}
/* Waits until at most N of this thread's bulk groups are incomplete (the
 * others' writes done and visible to this thread). */
template <int N> __device__ __forceinline__ void bulk_wait()
{
#ifdef VSR_HAVE_WGMMA_CODE
    asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}
/* Named barriers (ids 1..15; 0 is __syncthreads) for groups of warps. */
__device__ __forceinline__ void named_sync(int id, int threads)
{
    asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_arrive(int id, int threads)
{
    asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

} // namespace tc
} // namespace vsrcuda

#endif
