/* The CUDA backend (vsr_backend_cuda) and its extras for benchmarks and
 * device tests. C API; the implementation is CUDA C++ (cuda_backend.cu).
 *
 * Environment (read when weights / contexts are created):
 *   VSR_CUDA_FUSED=0     no hand-written fused kernels: every convolution
 *                        goes through cuDNN (or the direct kernel)
 *   VSR_CUDA_VARIANT=k   body-conv kernel variant (vsr_cuda_variant_name);
 *                        default: the fastest measured for the GPU (H100:
 *                        wgmma_tma_pingpong; sm_80-class: mma.sync)
 *   VSR_CUDA_NO_CUDNN=1  never load cuDNN
 *   VSR_CUDA_NO_RRDB=1   not the Hopper RRDB kernels (ESRGAN-family models:
 *                        cuDNN and copied concatenations instead); =32 or
 *                        =64: not the one with that many output channels
 *   VSR_CUDA_RRDB_OFF=N  the RRDB kernels' refinements in the bit mask N
 *                        off (1 stationary weights, 2 residual
 *                        prefetch, 4 consecutive convs overlapped, 8
 *                        the residual folded into the MMAs, 16 stores
 *                        by the copy engine, 256 96 -> 32 in one
 *                        pass of 96 channels), to
 *                        measure what each brings; 128 adds stalls before
 *                        the tiles (cuda_psnr overlap's race check); 32
 *                        and 64 drop the 64-output convs' epilogue or
 *                        its stores, to time them (wrong outputs)
 *   VSR_CUDA_NO_FIRST=1, VSR_CUDA_NO_TAIL=1, VSR_CUDA_FIRST_FP32=1
 *                        debugging: generic first layer / generic tail /
 *                        first layer in fp32 FMA instead of tensor cores
 *   VSR_CUDA_NO_UPCONV=1 nearest x2 and the 3x3 conv after it (the RRDB
 *                        models' upsampling) as two steps, not one kernel
 *   VSR_CUDA_SPIN=1      spin while waiting for the GPU (default: block,
 *                        leaving the cores to the encoders)
 * Compute is fp16 storage with fp32 accumulation: --precision auto or fp16;
 * fp32 and bf16 are refused. */
#ifndef VSR_ENGINE_CUDA_BACKEND_H
#define VSR_ENGINE_CUDA_BACKEND_H

#include <stddef.h>

#include "engine/backend.h"
#include "util/error.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const vsr_backend_ops vsr_backend_cuda;

/* One line: GPU name, compute capability, SMs, memory, driver/runtime and
 * cuDNN versions. */
int vsr_cuda_device_info(int device, char *buf, size_t len, vsr_error *err);

/* One line per step of the execution plan (what runs how). */
int vsr_cuda_plan_describe(const void *weights, char *buf, size_t len);

int vsr_cuda_num_variants(void);
const char *vsr_cuda_variant_name(int v);
void vsr_cuda_ctx_set_variant(void *ctx, int variant);

/* Runs the graph on device-resident random input (n x C x h x w), output
 * left on the device: warmup runs, then iters timed with events. Reports
 * milliseconds per batch. With profile != 0 also prints (one extra run)
 * to stdout the time of each class of step (kind, channels, size), and
 * with profile == 1 each step's time too. */
int vsr_cuda_bench_device(void *ctx, int n, int h, int w, int warmup, int iters, int profile,
                          double *ms_per_batch, vsr_error *err);

/* Tensor-core throughput of the wgmma shapes (cuda_wgmma_probe.cu):
 * RESULT lines on stdout, one per shape; for choosing kernel layouts. */
int vsr_cuda_wgmma_probe(void);

#ifdef __cplusplus
}
#endif

#endif
