/* Internals of the oneDNN CPU backend shared by its files:
 *   cpu_backend.c  the backend table: availability, weights, contexts, run
 *   cpu_plan.c     building a plan for one input size: primitives, buffers
 *   cpu_exec.c     a context's plan cache, running a plan
 *   cpu_prelu.c    the PReLU pass over channels-last / planar tensors
 *   cpu_ops.c      non-convolution ops on plain NCHW fp32 (ref kernels) */
#ifndef VSR_ENGINE_CPU_CPU_INTERNAL_H
#define VSR_ENGINE_CPU_CPU_INTERNAL_H

#include <oneapi/dnnl/dnnl.h>
#include <stddef.h>

#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/graph.h"
#include "util/error.h"

#define CPU_ALIGN 64

/* Converts a failed oneDNN status into a vsr_error naming what failed. */
int cpu_dnnl_error(vsr_error *err, dnnl_status_t st, const char *what, const char *layer);

/* Prepared weights of one convolution: reordered once into the layout the
 * convolution prefers (found with a probe size; a plan whose primitive
 * prefers another layout reorders a private copy). */
typedef struct cpu_conv_weights {
    dnnl_alg_kind_t alg;   /* direct or Winograd */
    dnnl_memory_desc_t md; /* layout of data */
    void *data;            /* fp32 or bf16, CPU_ALIGN-aligned */
} cpu_conv_weights;

typedef struct cpu_weights {
    const vsr_graph *g;
    vsr_precision precision;
    dnnl_engine_t engine;
    cpu_conv_weights *conv; /* per node; data NULL for non-convolutions */
    float **slopes;         /* per node: PReLU slopes expanded to every channel, or NULL */
    int winograd;           /* 0 when VSR_CPU_CONV=direct */
} cpu_weights;

dnnl_alg_kind_t cpu_conv_alg(const cpu_weights *w, const vsr_node *node);

typedef enum cpu_slot {
    CPU_SLOT_ARENA,   /* the context's activation arena, at an offset */
    CPU_SLOT_INPUT,   /* the caller's input tensor (plain NCHW fp32) */
    CPU_SLOT_OUTPUT,  /* the caller's output tensor (plain NCHW fp32) */
    CPU_SLOT_SCRATCH, /* the context's oneDNN scratchpad */
    CPU_SLOT_FIXED,   /* a fixed pointer (weights, bias) */
} cpu_slot;

typedef struct cpu_buf {
    cpu_slot slot;
    size_t off;
    void *ptr; /* CPU_SLOT_FIXED only */
} cpu_buf;

typedef struct cpu_plan cpu_plan;

typedef struct cpu_ctx {
    const vsr_graph *g;
    const cpu_weights *w;
    int threads; /* 0: OpenMP default */
    int prelu_onednn;
    int verbose;
    dnnl_stream_t stream;
    /* Memory shared by all plans (one plan runs at a time). */
    void *arena;
    size_t arena_size;
    void *scratch;
    size_t scratch_size;
    /* Plans cached per input size, most recent first. */
    cpu_plan *plans;
    int n_plans;
} cpu_ctx;

/* Set while running: the pointers behind the slots. */
typedef struct cpu_bind {
    char *arena, *scratch;
    float *input, *output;
} cpu_bind;

/* Returns the plan for an n x h x w input, building it on first use. Must
 * be called with the context's OpenMP thread count in effect. */
int cpu_plan_get(cpu_ctx *ctx, int n, int h, int w, cpu_plan **plan, vsr_error *err);
int cpu_plan_execute(cpu_ctx *ctx, cpu_plan *plan, const cpu_bind *bind, vsr_error *err);
void cpu_plan_free(cpu_plan *plan);
int cpu_plan_impls(const cpu_plan *plan, const vsr_graph *g, vsr_cpu_impl_fn fn, void *user);
const cpu_plan *cpu_plan_next(const cpu_plan *plan);

/* PReLU in place: x = x > 0 ? x : slope[c] * x, for the layouts
 *   NHWC     [outer][c]                  (outer = N*H*W, inner = 1)
 *   NCHW     [outer][c][inner]           (outer = N, inner = H*W)
 *   NCHW16C  [outer][c/16][inner][16]    (outer = N, inner = H*W, c % 16 == 0)
 * bf16 data is rounded to nearest even after the multiplication. Runs on
 * the calling thread's OpenMP team. */
typedef enum cpu_layout { CPU_LAYOUT_NHWC, CPU_LAYOUT_NCHW, CPU_LAYOUT_NCHW16C } cpu_layout;
const char *cpu_prelu_impl_name(void);
void cpu_prelu_f32(float *data, const float *slope, size_t outer, int c, size_t inner,
                   cpu_layout layout);
void cpu_prelu_bf16(unsigned short *data, const float *slope, size_t outer, int c, size_t inner,
                    cpu_layout layout);

/* Runs one non-convolution node on plain NCHW fp32 images (one image of a
 * batch per call): in[i] has shape ins[i], out has shape *outs. */
int cpu_ops_supported(const vsr_node *node);
/* The same for a batch of n images, in parallel over (image, channel) for
 * channel-wise ops; in[k] and out are the batches' first elements. */
int cpu_ops_run_batch(const vsr_node *node, int n, float *const *in, const vsr_shape *ins,
                      float *out, const vsr_shape *outs, vsr_error *err);

/* The SRVGG tail in one pass: out = pixel_shuffle(x, r) + nearest_upsample(in,
 * r). x holds n images of c*r*r channels, h x w, fp32, channel k of pixel p
 * of image 0 at x[base[k] + p * pixel_stride] (channels-last: base[k] = k,
 * stride c*r*r; nChw16c: base[k] = k/16*h*w*16 + k%16, stride 16; r is 2, 4
 * or 8, so the r sub-pixels of an output row are adjacent in x); in and
 * out are plain NCHW (n x c x h x w and n x c x h*r x w*r). */
void cpu_shuffle_add(const float *x, const size_t *base, size_t pixel_stride, const float *in,
                     float *out, int n, int c, int h, int w, int r);
int cpu_ops_run(const vsr_node *node, const float *const *in, const vsr_shape *ins, float *out,
                const vsr_shape *outs, vsr_error *err);

#endif
