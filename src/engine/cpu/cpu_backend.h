/* The oneDNN CPU backend (`cpu`): what it offers beyond the backend table.
 *
 * Convolutions run on oneDNN with the layouts oneDNN prefers (channels-last
 * or blocked); activations stay in that layout from one convolution to the
 * next and are reordered only where a non-convolution op (pixel shuffle,
 * interp, binary, eltwise, concat: run on plain NCHW fp32 with the ref
 * backend's kernels) or the graph's input/output needs plain NCHW.
 * ReLU/LeakyReLU/Clip/Sigmoid are convolution post-ops; PReLU runs as a
 * separate in-place pass over the convolution's output (oneDNN 2.6's PReLU
 * post-op falls back to its slow reference implementation).
 *
 * Convolutions: fp32 3x3 stride-1 convolutions of 16k channels run as
 * Winograd F(4x4,3x3) where oneDNN has it (AVX-512), about 2x the direct
 * convolution's speed at the same 8-bit output; the rest, and all bf16, run
 * direct (brgconv). VSR_CPU_CONV=direct turns Winograd off.
 *
 * Threads: a context's run uses cfg->threads OpenMP threads (0: OpenMP's
 * default, i.e. OMP_NUM_THREADS or all cores). run() sets the calling
 * thread's OpenMP thread count for the duration of the call and restores it
 * (oneDNN primitives are built and run under that count). Each worker
 * thread that calls run() gets an OpenMP team of its own, so W workers with
 * T threads each use W x T threads: give each worker cores / W threads, or
 * they oversubscribe the cores and all slow down; libgomp's idle threads
 * also spin for a while after each parallel region, so with more threads
 * than cores set OMP_WAIT_POLICY=passive. Contexts share one weights object
 * safely: weights are read-only, each context has its own oneDNN stream,
 * plans, activation arena and scratchpad.
 *
 * Environment:
 *   VSR_VERBOSE=1       print every primitive's implementation when a context
 *                       builds a plan for a new input size (stderr);
 *   VSR_VERBOSE=2       also the time of every step of every run.
 *   VSR_CPU_PRELU=onednn  run PReLU with oneDNN's prelu primitive instead of
 *                       the built-in AVX-512 loop (for comparison). */
#ifndef VSR_ENGINE_CPU_CPU_BACKEND_H
#define VSR_ENGINE_CPU_CPU_BACKEND_H

#include "engine/backend.h"

extern const vsr_backend_ops vsr_backend_cpu;

/* 1 if this CPU (as oneDNN sees it, honouring ONEDNN_MAX_CPU_ISA) computes
 * bf16 natively (AVX512_BF16 or AMX); else 0 and why in err. */
int vsr_cpu_bf16_supported(vsr_error *err);

/* Builds (or finds in the context's cache) the plan for an N x H x W input
 * without running it, so that its primitives can be inspected. */
int vsr_cpu_context_prepare(void *ctx, int n, int h, int w, vsr_error *err);

/* Calls fn once per primitive of the context's most recent plan, in
 * execution order: layer is the graph node's name, kind what the primitive
 * does ("convolution", "reorder", "eltwise", "prelu"), impl oneDNN's
 * implementation string (dnnl_query_impl_info_str), or "vsr:avx512" /
 * "vsr:scalar" / "vsr:ref_ops" for work done by this backend's own code.
 * Returns the number of primitives, 0 when no plan was built yet. */
typedef void (*vsr_cpu_impl_fn)(void *user, const char *layer, const char *kind, const char *impl);
int vsr_cpu_context_impls(const void *ctx, vsr_cpu_impl_fn fn, void *user);

#endif
