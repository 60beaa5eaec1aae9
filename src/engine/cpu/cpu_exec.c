/* The plan cache of a cpu context and plan execution: binds the arena,
 * scratchpad and caller's tensors to the plan's memory objects and runs its
 * steps in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cpu/cpu_plan.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_PLANS 8

const cpu_plan *cpu_plan_next(const cpu_plan *plan)
{
    return plan->next;
}

int cpu_plan_impls(const cpu_plan *p, const vsr_graph *g, vsr_cpu_impl_fn fn, void *user)
{
    for (int i = 0; fn && i < p->n_steps; i++)
        fn(user, g->nodes[p->steps[i].node].name, p->steps[i].what, p->steps[i].impl);
    return p->n_steps;
}

static void print_plan(const cpu_ctx *ctx, const cpu_plan *p)
{
    vsr_logf(NULL, VSR_LOG_INFO, "cpu",
             "plan for %dx%dx%d (%s, arena %zu MiB, scratch %zu KiB):", p->n, p->h, p->w,
             ctx->w->precision == VSR_PRECISION_BF16 ? "bf16" : "fp32", p->arena_bytes >> 20,
             p->scratch_bytes >> 10);
    for (int i = 0; i < p->n_steps; i++)
        vsr_logf(NULL, VSR_LOG_INFO, "cpu", "  %-20s %-12s %s",
                 ctx->g->nodes[p->steps[i].node].name, p->steps[i].what, p->steps[i].impl);
}

static int ensure(void **buf, size_t *size, size_t need)
{
    if (need <= *size)
        return 0;
    void *p = NULL;
    if (posix_memalign(&p, CPU_ALIGN, need))
        return -1;
    free(*buf);
    *buf = p;
    *size = need;
    return 0;
}

int cpu_plan_get(cpu_ctx *ctx, int n, int h, int w, cpu_plan **out, vsr_error *err)
{
    cpu_plan **link = &ctx->plans;
    for (cpu_plan *p = ctx->plans; p; link = &p->next, p = p->next) {
        if (p->n == n && p->h == h && p->w == w) {
            *link = p->next; /* move to front */
            p->next = ctx->plans;
            ctx->plans = p;
            *out = p;
            return VSR_OK;
        }
    }
    cpu_plan *p;
    int rc = cpu_plan_build(ctx, n, h, w, &p, err);
    if (rc)
        return rc;
    if (ensure(&ctx->arena, &ctx->arena_size, p->arena_bytes) ||
        ensure(&ctx->scratch, &ctx->scratch_size, p->scratch_bytes + CPU_ALIGN)) {
        cpu_plan_free(p);
        return vsr_error_set(err, VSR_ERR_NOMEM,
                             "cpu backend: out of memory for %zu MiB of activations (input "
                             "%dx%dx%d)",
                             p->arena_bytes >> 20, n, h, w);
    }
    if (ctx->verbose)
        print_plan(ctx, p);
    p->next = ctx->plans;
    ctx->plans = p;
    ctx->n_plans++;
    if (ctx->n_plans > MAX_PLANS) { /* drop the least recently used */
        cpu_plan **l = &ctx->plans;
        while ((*l)->next)
            l = &(*l)->next;
        cpu_plan_free(*l);
        *l = NULL;
        ctx->n_plans--;
    }
    *out = p;
    return VSR_OK;
}

/* ---- execution ---- */

static void *resolve(const cpu_buf *buf, const cpu_bind *bind)
{
    switch (buf->slot) {
    case CPU_SLOT_ARENA: return bind->arena + buf->off;
    case CPU_SLOT_INPUT: return bind->input;
    case CPU_SLOT_OUTPUT: return bind->output;
    case CPU_SLOT_SCRATCH: return bind->scratch;
    case CPU_SLOT_FIXED: return buf->ptr;
    }
    return NULL;
}

int cpu_plan_execute(cpu_ctx *ctx, cpu_plan *p, const cpu_bind *bind, vsr_error *err)
{
    const vsr_graph *g = ctx->g;
    int profile = ctx->verbose >= 2;
    double t_step = profile ? vsr_now_s() : 0, t_total = t_step;
    dnnl_status_t st;
    for (int i = 0; i < p->n_mems; i++) {
        st = dnnl_memory_set_data_handle(p->mems[i].mem, resolve(&p->mems[i].buf, bind));
        if (st != dnnl_success)
            return cpu_dnnl_error(err, st, "memory binding", NULL);
    }
    int pending = 0; /* primitives submitted since the last wait */
    for (int i = 0; i < p->n_steps; i++) {
        const step *s = &p->steps[i];
        const vsr_node *n = &g->nodes[s->node];
        if (s->kind == STEP_PRIM) {
            st = dnnl_primitive_execute(s->prim, ctx->stream, s->nargs, s->args);
            if (st != dnnl_success)
                return cpu_dnnl_error(err, st, s->what, n->name);
            pending = 1;
            if (!profile)
                continue;
        }
        if (pending) {
            st = dnnl_stream_wait(ctx->stream);
            if (st != dnnl_success)
                return cpu_dnnl_error(err, st, "stream wait", n->name);
            pending = 0;
        }
        if (s->kind == STEP_PRIM) {
            /* profiling: waited for above */
        } else if (s->kind == STEP_PRELU) {
            void *d = resolve(&s->data, bind);
            if (s->bf16)
                cpu_prelu_bf16(d, s->slopes, s->outer, s->c, s->inner, s->layout);
            else
                cpu_prelu_f32(d, s->slopes, s->outer, s->c, s->inner, s->layout);
        } else if (s->kind == STEP_TAIL) {
            cpu_shuffle_add(resolve(&s->in[0], bind), s->base, s->pixel_stride,
                            resolve(&s->in[1], bind), resolve(&s->out, bind), p->n, s->outs.c,
                            s->ins[1].h, s->ins[1].w, s->factor);
        } else {
            float *base[VSR_MAX_NODE_INPUTS];
            for (int k = 0; k < s->n_in; k++)
                base[k] = resolve(&s->in[k], bind);
            int rc =
                cpu_ops_run_batch(n, p->n, base, s->ins, resolve(&s->out, bind), &s->outs, err);
            if (rc)
                return rc;
        }
        if (profile) {
            double t = vsr_now_s();
            vsr_logf(NULL, VSR_LOG_INFO, "cpu", "  %-20s %-12s %-28s %8.2f ms", n->name, s->what,
                     s->impl, (t - t_step) * 1e3);
            t_step = t;
        }
    }
    if (profile)
        vsr_logf(NULL, VSR_LOG_INFO, "cpu", "run %dx%dx%d: %.1f ms", p->n, p->h, p->w,
                 (vsr_now_s() - t_total) * 1e3);
    if (pending) {
        st = dnnl_stream_wait(ctx->stream);
        if (st != dnnl_success)
            return cpu_dnnl_error(err, st, "stream wait", NULL);
    }
    return VSR_OK;
}
