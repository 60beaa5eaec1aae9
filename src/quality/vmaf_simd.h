/* How the quality kernels get wide vectors without tying the binary to
 * one processor: each row kernel is compiled for AVX-512, AVX2 and the
 * baseline, and the loader picks one at start (GCC function
 * multi-versioning). The loops are written to vectorise (restrict
 * parameters, no branches, `omp simd` reductions). */
#ifndef VSR_QUALITY_VMAF_SIMD_H
#define VSR_QUALITY_VMAF_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define VSR_QUALITY_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VSR_QUALITY_KERNEL
#endif

#endif
