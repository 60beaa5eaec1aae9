/* The `cpu` backend table: availability, shared weights, per-worker
 * contexts, run. Plans (primitives per input size) are in cpu_plan.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/cpu/cpu_internal.h"

static const char *dnnl_status_str(dnnl_status_t st)
{
    switch (st) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_iterator_ends: return "iterator ends";
    case dnnl_runtime_error: return "runtime error";
    case dnnl_not_required: return "not required";
    }
    return "unknown status";
}

int cpu_dnnl_error(vsr_error *err, dnnl_status_t st, const char *what, const char *layer)
{
    return vsr_error_set(err, st == dnnl_out_of_memory ? VSR_ERR_NOMEM : VSR_ERR_BACKEND,
                         "oneDNN %s%s%s: %s", what, layer ? " for layer " : "", layer ? layer : "",
                         dnnl_status_str(st));
}

static int cpu_available(vsr_error *err)
{
    dnnl_engine_t e;
    dnnl_status_t st = dnnl_engine_create(&e, dnnl_cpu, 0);
    if (st != dnnl_success) {
        cpu_dnnl_error(err, st, "CPU engine creation", NULL);
        return 0;
    }
    dnnl_engine_destroy(e);
    return 1;
}

int vsr_cpu_bf16_supported(vsr_error *err)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16)
        return 1;
    vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                  "bf16 needs a CPU with AVX512_BF16 or AMX; oneDNN finds none here "
                  "(ISA 0x%x; ONEDNN_MAX_CPU_ISA may limit it): use --precision fp32",
                  (unsigned)isa);
    return 0;
}

static int check_precision(const vsr_backend_config *cfg, vsr_error *err)
{
    vsr_precision p = cfg ? cfg->precision : VSR_PRECISION_FP32;
    if (p == VSR_PRECISION_FP32)
        return VSR_OK;
    if (p == VSR_PRECISION_BF16)
        return vsr_cpu_bf16_supported(err) ? VSR_OK : err->code;
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                         "the cpu backend computes in fp32 or bf16, not fp16");
}

/* oneDNN runs the convolutions and activations, the ref kernels the rest
 * (cpu_ops.c); fp32, or bf16 where the CPU has it. */
static int cpu_supports(const vsr_graph *g, const vsr_backend_config *cfg, vsr_error *err)
{
    if (check_precision(cfg, err))
        return 0;
    for (int i = 0; g && i < g->n_nodes; i++) {
        const vsr_node *n = &g->nodes[i];
        if (n->type != VSR_OP_CONV && n->type != VSR_OP_ACTIVATION && !cpu_ops_supported(n)) {
            vsr_error_set(err, VSR_ERR_UNSUPPORTED, "layer %s: the cpu backend lacks op %s",
                          n->name, vsr_op_name(n->type));
            return 0;
        }
    }
    return 1;
}

/* ---- weights ---- */

/* The algorithm to try first for a convolution: Winograd (oneDNN's
 * jit_wino_4x3 / jit_fp32_wino_2x3, AVX-512, fp32 only) for 3x3 stride-1
 * convolutions of 16k channels, unless VSR_CPU_CONV=direct; direct
 * otherwise. Where oneDNN has no Winograd for the CPU or the shape, the
 * caller falls back to direct.
 *
 * Measured on the 2-core EPYC (Zen 4, AVX-512), animevideov3 at 480x270, one
 * thread, process CPU time: direct fp32 110 GFLOP/s, Winograd fp32 195-223
 * (counted as direct FLOPs), direct bf16 219; 8-bit output still equal to
 * the ref backend's within 1 (tests/unit/test_cpu_backend.c). */
dnnl_alg_kind_t cpu_conv_alg(const cpu_weights *w, const vsr_node *node)
{
    const vsr_conv_params *c = &node->p.conv;
    if (w->winograd && w->precision == VSR_PRECISION_FP32 && c->kernel_h == 3 && c->kernel_w == 3 &&
        c->stride_h == 1 && c->stride_w == 1 && c->dilation_h == 1 && c->dilation_w == 1 &&
        c->in_c % 16 == 0 && c->out_c % 16 == 0)
        return dnnl_convolution_winograd;
    return dnnl_convolution_direct;
}

static void *aligned_bytes(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, CPU_ALIGN, n ? (n + CPU_ALIGN - 1) / CPU_ALIGN * CPU_ALIGN : CPU_ALIGN))
        return NULL;
    return p;
}

/* Finds the weights layout a convolution prefers with a probe input and
 * reorders node's OIHW fp32 weights into it. */
static int prepare_conv(cpu_weights *w, const vsr_node *node, dnnl_stream_t stream,
                        cpu_conv_weights *cw, vsr_error *err)
{
    const vsr_conv_params *c = &node->p.conv;
    dnnl_data_type_t dt = w->precision == VSR_PRECISION_BF16 ? dnnl_bf16 : dnnl_f32;
    /* A probe of a typical tile size: oneDNN picks its implementation (and
     * so the weights layout) by size, e.g. Winograd 2x3 for small inputs,
     * 4x3 for large ones. */
    int ph = 256 + c->dilation_h * (c->kernel_h - 1), pw = 256 + c->dilation_w * (c->kernel_w - 1);
    int oh =
        (ph + c->pad_top + c->pad_bottom - c->dilation_h * (c->kernel_h - 1) - 1) / c->stride_h + 1;
    int ow =
        (pw + c->pad_left + c->pad_right - c->dilation_w * (c->kernel_w - 1) - 1) / c->stride_w + 1;
    dnnl_dims_t sd = {1, c->in_c, ph, pw}, dd = {1, c->out_c, oh, ow};
    dnnl_dims_t wd = {c->out_c, c->in_c, c->kernel_h, c->kernel_w}, bd = {c->out_c};
    dnnl_dims_t strides = {c->stride_h, c->stride_w};
    dnnl_dims_t dil = {c->dilation_h - 1, c->dilation_w - 1};
    dnnl_dims_t pl = {c->pad_top, c->pad_left}, pr = {c->pad_bottom, c->pad_right};
    dnnl_memory_desc_t smd, wmd, bmd, dmd, user_md;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t src = NULL, dst = NULL;
    dnnl_status_t st;
    int rc = VSR_OK;

    dnnl_memory_desc_init_by_tag(&smd, 4, sd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a);
    dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&user_md, 4, wd, dnnl_f32, dnnl_oihw);
    cw->alg = cpu_conv_alg(w, node);
    for (;;) {
        st = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, cw->alg, &smd,
                                                        &wmd, c->bias ? &bmd : NULL, &dmd, strides,
                                                        dil, pl, pr);
        if (st == dnnl_success)
            st = dnnl_primitive_desc_create(&pd, &cd, NULL, w->engine, NULL);
        if (st == dnnl_success || cw->alg == dnnl_convolution_direct)
            break;
        cw->alg = dnnl_convolution_direct; /* no Winograd here */
    }
    if (st != dnnl_success) {
        rc = cpu_dnnl_error(err, st, "convolution", node->name);
        goto done;
    }
    cw->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    cw->data = aligned_bytes(dnnl_memory_desc_get_size(&cw->md));
    if (!cw->data) {
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for the weights of layer %s",
                           node->name);
        goto done;
    }
    st = dnnl_memory_create(&src, &user_md, w->engine, (void *)c->weight);
    if (st == dnnl_success)
        st = dnnl_memory_create(&dst, &cw->md, w->engine, cw->data);
    if (st == dnnl_success)
        st =
            dnnl_reorder_primitive_desc_create(&rpd, &user_md, w->engine, &cw->md, w->engine, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&reorder, rpd);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        st = dnnl_primitive_execute(reorder, stream, 2, args);
    }
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    if (st != dnnl_success)
        rc = cpu_dnnl_error(err, st, "weights reorder", node->name);
done:
    if (reorder)
        dnnl_primitive_destroy(reorder);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (src)
        dnnl_memory_destroy(src);
    if (dst)
        dnnl_memory_destroy(dst);
    return rc;
}

static float *expand_slopes(const vsr_activation *a, int channels)
{
    int n = (channels + 15) / 16 * 16;
    float *s = aligned_bytes(sizeof(float) * (size_t)n);
    if (!s)
        return NULL;
    for (int i = 0; i < n; i++)
        s[i] = i < channels ? a->slopes[a->n_slopes == 1 ? 0 : i] : 0.0f;
    return s;
}

static void cpu_weights_destroy(void *p)
{
    cpu_weights *w = p;
    if (!w)
        return;
    if (w->g) {
        for (int i = 0; i < w->g->n_nodes; i++) {
            if (w->conv)
                free(w->conv[i].data);
            if (w->slopes)
                free(w->slopes[i]);
        }
    }
    free(w->conv);
    free(w->slopes);
    if (w->engine)
        dnnl_engine_destroy(w->engine);
    free(w);
}

static int cpu_weights_create(const vsr_graph *g, const vsr_backend_config *cfg, void **out,
                              vsr_error *err)
{
    if (!cpu_supports(g, cfg, err))
        return err ? err->code : VSR_ERR_UNSUPPORTED;
    int rc;
    *out = NULL;
    cpu_weights *w = calloc(1, sizeof *w);
    if (!w)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    w->g = g;
    w->precision = cfg ? cfg->precision : VSR_PRECISION_FP32;
    vsr_backend_settings knobs;
    vsr_backend_settings_of(cfg ? &cfg->settings : NULL, &knobs);
    w->winograd = !knobs.cpu_conv_direct;
    w->conv = calloc((size_t)g->n_nodes + 1, sizeof *w->conv);
    w->slopes = calloc((size_t)g->n_nodes + 1, sizeof *w->slopes);
    if (!w->conv || !w->slopes) {
        cpu_weights_destroy(w);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    dnnl_status_t st = dnnl_engine_create(&w->engine, dnnl_cpu, 0);
    if (st != dnnl_success) {
        w->engine = NULL;
        cpu_weights_destroy(w);
        return cpu_dnnl_error(err, st, "CPU engine creation", NULL);
    }
    dnnl_stream_t stream;
    st = dnnl_stream_create(&stream, w->engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        cpu_weights_destroy(w);
        return cpu_dnnl_error(err, st, "stream creation", NULL);
    }

    /* Channel counts per blob, for PReLU slopes of standalone activations. */
    vsr_shape *shapes = malloc(sizeof(vsr_shape) * (size_t)g->n_blobs);
    if (!shapes)
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    else
        rc = vsr_graph_infer_shapes(g, 64, 48, shapes, err);
    for (int i = 0; !rc && i < g->n_nodes; i++) {
        const vsr_node *n = &g->nodes[i];
        const vsr_activation *a = NULL;
        int channels = 0;
        if (n->type == VSR_OP_CONV) {
            rc = prepare_conv(w, n, stream, &w->conv[i], err);
            a = &n->p.conv.act;
            channels = n->p.conv.out_c;
        } else if (n->type == VSR_OP_ACTIVATION) {
            a = &n->p.act;
            channels = shapes[n->inputs[0]].c;
        } /* the other ops run through the ref kernels (cpu_supports checked them) */
        if (!rc && a && a->type == VSR_ACT_PRELU) {
            w->slopes[i] = expand_slopes(a, channels);
            if (!w->slopes[i])
                rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
        }
    }
    free(shapes);
    dnnl_stream_destroy(stream);
    if (rc) {
        cpu_weights_destroy(w);
        return rc;
    }
    *out = w;
    return VSR_OK;
}

/* ---- contexts ---- */

static void cpu_context_destroy(void *p)
{
    cpu_ctx *ctx = p;
    if (!ctx)
        return;
    while (ctx->plans) {
        cpu_plan *next = (cpu_plan *)cpu_plan_next(ctx->plans);
        cpu_plan_free(ctx->plans);
        ctx->plans = next;
    }
    if (ctx->stream)
        dnnl_stream_destroy(ctx->stream);
    free(ctx->arena);
    free(ctx->scratch);
    free(ctx);
}

static int cpu_context_create(const vsr_graph *g, const void *weights,
                              const vsr_backend_config *cfg, void **out, vsr_error *err)
{
    const cpu_weights *w = weights;
    int rc = check_precision(cfg, err);
    if (rc)
        return rc;
    if (!w || w->g != g)
        return vsr_error_set(err, VSR_ERR_INVALID, "cpu context: weights of another graph");
    if ((cfg ? cfg->precision : VSR_PRECISION_FP32) != w->precision)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cpu context: precision differs from the weights' precision");
    if (cfg && cfg->threads < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "cpu context: %d threads", cfg->threads);
    cpu_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    ctx->g = g;
    ctx->w = w;
    ctx->threads = cfg ? cfg->threads : 0;
    vsr_backend_settings knobs;
    vsr_backend_settings_of(cfg ? &cfg->settings : NULL, &knobs);
    ctx->prelu_onednn = knobs.cpu_prelu_onednn;
    ctx->verbose = knobs.verbose;
    dnnl_status_t st = dnnl_stream_create(&ctx->stream, w->engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        ctx->stream = NULL;
        cpu_context_destroy(ctx);
        return cpu_dnnl_error(err, st, "stream creation", NULL);
    }
    *out = ctx;
    return VSR_OK;
}

/* The OpenMP thread count of the calling thread, set for one call. oneDNN
 * primitives must run with the thread count they were created with, so
 * plans are built and run inside the same setting. */
typedef struct thread_scope {
    int saved;
} thread_scope;

static void threads_enter(const cpu_ctx *ctx, thread_scope *s)
{
    s->saved = 0;
#ifdef _OPENMP
    if (ctx->threads > 0) {
        s->saved = omp_get_max_threads();
        omp_set_num_threads(ctx->threads);
    }
#else
    (void)ctx;
#endif
}

static void threads_leave(const thread_scope *s)
{
#ifdef _OPENMP
    if (s->saved > 0)
        omp_set_num_threads(s->saved);
#else
    (void)s;
#endif
}

int vsr_cpu_context_prepare(void *p, int n, int h, int w, vsr_error *err)
{
    cpu_ctx *ctx = p;
    cpu_plan *plan;
    thread_scope ts;
    threads_enter(ctx, &ts);
    int rc = cpu_plan_get(ctx, n, h, w, &plan, err);
    threads_leave(&ts);
    return rc;
}

int vsr_cpu_context_impls(const void *p, vsr_cpu_impl_fn fn, void *user)
{
    const cpu_ctx *ctx = p;
    return ctx->plans ? cpu_plan_impls(ctx->plans, ctx->g, fn, user) : 0;
}

static int cpu_run(void *p, const vsr_tensor *in, vsr_tensor *out, vsr_error *err)
{
    cpu_ctx *ctx = p;
    const vsr_graph *g = ctx->g;
    if (in->n < 1 || in->c != g->in_channels || in->h < 1 || in->w < 1)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cpu run: input %dx%dx%dx%d for a model of %d "
                             "input channels",
                             in->n, in->c, in->h, in->w, g->in_channels);
    if (out->n != in->n || out->c != g->out_channels || out->h != in->h * g->scale ||
        out->w != in->w * g->scale)
        return vsr_error_set(
            err, VSR_ERR_INVALID, "cpu run: output %dx%dx%dx%d, expected %dx%dx%dx%d", out->n,
            out->c, out->h, out->w, in->n, g->out_channels, in->h * g->scale, in->w * g->scale);
    thread_scope ts;
    threads_enter(ctx, &ts);
    cpu_plan *plan;
    int rc = cpu_plan_get(ctx, in->n, in->h, in->w, &plan, err);
    if (!rc) {
        cpu_bind b = {ctx->arena, ctx->scratch, in->data, out->data};
        rc = cpu_plan_execute(ctx, plan, &b, err);
    }
    threads_leave(&ts);
    return rc;
}

static size_t cpu_extra_bytes_per_pixel(const vsr_graph *g, const vsr_backend_config *cfg)
{
    (void)cfg;
    /* Plain NCHW copies next to the oneDNN layouts where non-convolution ops
     * read a convolution's output: at most one more activation. */
    return g->peak_bytes_per_pixel / 2;
}

const vsr_backend_ops vsr_backend_cpu = {
    .name = "cpu",
    .description = "oneDNN on the CPU (fp32; bf16 with AVX512_BF16 or AMX)",
    .available = cpu_available,
    .supports = cpu_supports,
    .weights_create = cpu_weights_create,
    .weights_destroy = cpu_weights_destroy,
    .context_create = cpu_context_create,
    .context_destroy = cpu_context_destroy,
    .run = cpu_run,
    .extra_bytes_per_pixel = cpu_extra_bytes_per_pixel,
    .native_precision = VSR_PRECISION_FP32,
    .device_type = VSR_DEVICE_CPU,
    .caps = 0,
    .precisions = VSR_PRECISION_BIT(VSR_PRECISION_FP32) | VSR_PRECISION_BIT(VSR_PRECISION_BF16),
};
