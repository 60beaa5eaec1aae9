/* The plan structures of the cpu backend, shared by cpu_plan.c (building)
 * and cpu_exec.c (plan cache and execution). */
#ifndef VSR_ENGINE_CPU_CPU_PLAN_H
#define VSR_ENGINE_CPU_CPU_PLAN_H

#include "engine/cpu/cpu_internal.h"

typedef enum step_kind {
    STEP_PRIM,  /* a oneDNN primitive */
    STEP_PRELU, /* cpu_prelu_* on one tensor, in place */
    STEP_OP,    /* a plain op through cpu_ops_run_batch */
    STEP_TAIL,  /* cpu_shuffle_add: in[0] native NHWC, in[1] plain, out plain */
} step_kind;

typedef struct step {
    step_kind kind;
    int node;         /* the graph node it belongs to */
    const char *what; /* "convolution", "reorder", ... */
    const char *impl;
    /* STEP_PRIM */
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[6];
    /* STEP_PRELU */
    cpu_buf data;
    int bf16, c;
    cpu_layout layout;
    size_t outer, inner;
    const float *slopes;
    /* STEP_OP */
    int n_in;
    cpu_buf in[VSR_MAX_NODE_INPUTS];
    vsr_shape ins[VSR_MAX_NODE_INPUTS];
    cpu_buf out;
    vsr_shape outs;
    int factor; /* STEP_TAIL */
    const size_t *base;
    size_t pixel_stride;
} step;

typedef struct mem_bind {
    dnnl_memory_t mem;
    cpu_buf buf;
} mem_bind;

struct cpu_plan {
    int n, h, w;
    step *steps;
    int n_steps, cap_steps;
    mem_bind *mems;
    int n_mems, cap_mems;
    void **owned; /* private weight copies */
    int n_owned, cap_owned;
    size_t arena_bytes, scratch_bytes;
    cpu_plan *next;
};

/* Builds the plan for an n x h x w input (cpu_plan.c). */
int cpu_plan_build(cpu_ctx *ctx, int n, int h, int w, cpu_plan **out, vsr_error *err);

#endif
