/* Plans of the cpu backend: for one input size (N, H, W), the list of steps
 * that runs the graph — oneDNN primitives (convolutions, reorders, eltwise),
 * PReLU passes and plain ops — and where every tensor lives.
 *
 * Each blob can have two representations: `native`, in the layout and data
 * type a convolution chose (format_tag_any: channels-last or blocked, fp32 or
 * bf16), and `plain`, NCHW fp32 for the plain ops and the caller. A
 * representation is made on first need by a reorder and kept until the
 * blob's last reader, so a chain of convolutions never leaves oneDNN's
 * layout. Tensors live at offsets in the context's arena, found by a
 * first-fit allocator over the plan's lifetimes; the caller's input and
 * output tensors are used in place. Memory objects get their data pointers
 * bound at each run (the arena is shared by all plans of a context and the
 * caller's tensors change from call to call). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cpu/cpu_plan.h"

/* ---- building ---- */

typedef struct rep {
    int valid;
    dnnl_memory_desc_t md;
    cpu_buf buf;
    dnnl_memory_t mem;
    int block; /* allocator block, -1 if not in the arena */
} rep;

typedef struct blob_state {
    rep native, plain;
} blob_state;

typedef struct block {
    size_t off, size;
    int live;
} block;

typedef struct builder {
    cpu_ctx *ctx;
    const vsr_graph *g;
    const cpu_weights *w;
    cpu_plan *plan;
    vsr_shape *shapes;
    blob_state *blobs;
    int *n_consumers;
    block *blocks;
    int n_blocks, cap_blocks;
    int *fused;                 /* per node: 1 if folded into the convolution before it */
    int *tail;                  /* per node: for an add, 1 + the shuffle node of a fused SRVGG tail;
                                   for that shuffle and interp, -1 (deferred to the add) */
    dnnl_primitive_attr_t attr; /* user scratchpad; post-ops set per convolution */
    vsr_error *err;
} builder;

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return -1;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *arr = p;
    *cap = nc;
    return 0;
}

static int nomem(builder *b)
{
    return vsr_error_set(b->err, VSR_ERR_NOMEM, "out of memory");
}

/* First fit among the live blocks; returns the block index or -1. */
static int arena_alloc(builder *b, size_t size)
{
    size = (size + CPU_ALIGN - 1) / CPU_ALIGN * CPU_ALIGN;
    if (!size)
        size = CPU_ALIGN;
    size_t off = 0;
    for (;;) {
        int moved = 0;
        for (int i = 0; i < b->n_blocks; i++) {
            const block *k = &b->blocks[i];
            if (k->live && off < k->off + k->size && k->off < off + size) {
                off = k->off + k->size;
                moved = 1;
            }
        }
        if (!moved)
            break;
    }
    if (grow((void **)&b->blocks, &b->cap_blocks, b->n_blocks + 1, sizeof(block)))
        return -1;
    b->blocks[b->n_blocks] = (block){off, size, 1};
    if (off + size > b->plan->arena_bytes)
        b->plan->arena_bytes = off + size;
    return b->n_blocks++;
}

static void rep_release(builder *b, rep *r)
{
    if (r->valid && r->block >= 0)
        b->blocks[r->block].live = 0;
    r->valid = 0;
}

static int add_mem(builder *b, const dnnl_memory_desc_t *md, cpu_buf buf, dnnl_memory_t *out)
{
    cpu_plan *p = b->plan;
    if (grow((void **)&p->mems, &p->cap_mems, p->n_mems + 1, sizeof(mem_bind)))
        return nomem(b);
    dnnl_status_t st = dnnl_memory_create(out, md, b->w->engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "memory creation", NULL);
    p->mems[p->n_mems++] = (mem_bind){*out, buf};
    return VSR_OK;
}

/* A new representation with its own arena block. */
static int rep_new(builder *b, rep *r, const dnnl_memory_desc_t *md)
{
    memset(r, 0, sizeof *r);
    r->md = *md;
    r->block = arena_alloc(b, dnnl_memory_desc_get_size(md));
    if (r->block < 0)
        return nomem(b);
    r->buf = (cpu_buf){CPU_SLOT_ARENA, b->blocks[r->block].off, NULL};
    r->valid = 1;
    return add_mem(b, md, r->buf, &r->mem);
}

/* A representation on a caller's tensor. */
static int rep_slot(builder *b, rep *r, const dnnl_memory_desc_t *md, cpu_slot slot)
{
    memset(r, 0, sizeof *r);
    r->md = *md;
    r->block = -1;
    r->buf = (cpu_buf){slot, 0, NULL};
    r->valid = 1;
    return add_mem(b, md, r->buf, &r->mem);
}

static void plain_md(builder *b, int blob, dnnl_memory_desc_t *md)
{
    vsr_shape s = b->shapes[blob];
    dnnl_dims_t d = {b->plan->n, s.c, s.h, s.w};
    dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, dnnl_nchw);
}

static step *add_step(builder *b, step_kind kind, int node, const char *what)
{
    cpu_plan *p = b->plan;
    if (grow((void **)&p->steps, &p->cap_steps, p->n_steps + 1, sizeof(step)))
        return NULL;
    step *s = &p->steps[p->n_steps++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->node = node;
    s->what = what;
    return s;
}

/* Finishes a primitive step: creates the primitive, adds the scratchpad
 * argument, records the implementation. Takes ownership of pd. */
static int finish_prim(builder *b, step *s, dnnl_primitive_desc_t pd)
{
    const char *name = b->g->nodes[s->node].name;
    s->pd = pd;
    dnnl_status_t st = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s->impl);
    if (st != dnnl_success)
        s->impl = "?";
    st = dnnl_primitive_create(&s->prim, pd);
    if (st != dnnl_success) {
        s->prim = NULL;
        return cpu_dnnl_error(b->err, st, s->what, name);
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t ss = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (ss) {
        dnnl_memory_t m;
        int rc = add_mem(b, smd, (cpu_buf){CPU_SLOT_SCRATCH, 0, NULL}, &m);
        if (rc)
            return rc;
        s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m};
        if (ss > b->plan->scratch_bytes)
            b->plan->scratch_bytes = ss;
    }
    return VSR_OK;
}

static int add_reorder(builder *b, int node, const rep *from, const rep *to)
{
    step *s = add_step(b, STEP_PRIM, node, "reorder");
    if (!s)
        return nomem(b);
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&pd, &from->md, b->w->engine, &to->md,
                                                          b->w->engine, b->attr);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "reorder", b->g->nodes[node].name);
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_FROM, from->mem};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_TO, to->mem};
    return finish_prim(b, s, pd);
}

/* The representation any valid one of blob can be reordered from. */
static const rep *some_rep(builder *b, int blob)
{
    blob_state *bs = &b->blobs[blob];
    return bs->native.valid ? &bs->native : &bs->plain;
}

/* Makes sure blob has a plain NCHW fp32 representation. */
static int need_plain(builder *b, int node, int blob)
{
    blob_state *bs = &b->blobs[blob];
    if (bs->plain.valid)
        return VSR_OK;
    if (!bs->native.valid)
        return vsr_error_set(b->err, VSR_ERR_INTERNAL, "cpu plan: blob %d used before it is made",
                             blob);
    dnnl_memory_desc_t md;
    plain_md(b, blob, &md);
    int rc = rep_new(b, &bs->plain, &md);
    return rc ? rc : add_reorder(b, node, &bs->native, &bs->plain);
}

static int is_eltwise_act(vsr_act_type t)
{
    return t == VSR_ACT_RELU || t == VSR_ACT_LEAKY || t == VSR_ACT_CLIP || t == VSR_ACT_SIGMOID;
}

static void eltwise_alg(const vsr_activation *a, dnnl_alg_kind_t *alg, float *alpha, float *beta)
{
    *alpha = 0;
    *beta = 0;
    switch (a->type) {
    case VSR_ACT_LEAKY:
        *alpha = a->alpha;
        /* fall through */
    case VSR_ACT_RELU: *alg = dnnl_eltwise_relu; break;
    case VSR_ACT_CLIP:
        *alg = dnnl_eltwise_clip;
        *alpha = a->alpha;
        *beta = a->beta;
        break;
    case VSR_ACT_SIGMOID: *alg = dnnl_eltwise_logistic; break;
    default:
        *alg = dnnl_eltwise_linear; /* identity: alpha 1, beta 0 */
        *alpha = 1;
        break;
    }
}

/* 1 if blob is read only by convolutions, directly or through activations:
 * then in bf16 mode it can stay bf16. */
static int feeds_only_convs(builder *b, int blob, int depth)
{
    if (blob == b->g->output_blob || depth > 64)
        return 0;
    for (int i = 0; i < b->g->n_nodes; i++) {
        const vsr_node *n = &b->g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] != blob)
                continue;
            if (n->type == VSR_OP_ACTIVATION) {
                if (!feeds_only_convs(b, n->output, depth + 1))
                    return 0;
            } else if (n->type != VSR_OP_CONV) {
                return 0;
            }
        }
    }
    return 1;
}

/* The PReLU pass on r (in place), with the built-in loop where the layout
 * is channels-last or planar, else oneDNN's prelu primitive. */
static int add_prelu(builder *b, int node, const rep *r, const float *slopes)
{
    const dnnl_memory_desc_t *md = &r->md;
    const dnnl_blocking_desc_t *bk = &md->format_desc.blocking;
    const dnnl_dim_t *d = md->dims;
    int dense = md->format_kind == dnnl_blocked && md->ndims == 4 && bk->inner_nblks == 0 &&
                md->padded_dims[1] == d[1] && md->offset0 == 0;
    int cl = dense && bk->strides[1] == 1 && bk->strides[3] == d[1] &&
             bk->strides[2] == d[3] * d[1] && bk->strides[0] == d[2] * d[3] * d[1];
    int planar = dense && bk->strides[3] == 1 && bk->strides[2] == d[3] &&
                 bk->strides[1] == d[2] * d[3] && bk->strides[0] == d[1] * d[2] * d[3];
    /* nChw16c with no channel padding */
    int b16 = md->format_kind == dnnl_blocked && md->ndims == 4 && bk->inner_nblks == 1 &&
              bk->inner_idxs[0] == 1 && bk->inner_blks[0] == 16 && d[1] % 16 == 0 &&
              md->padded_dims[1] == d[1] && md->offset0 == 0 && bk->strides[3] == 16 &&
              bk->strides[2] == 16 * d[3] && bk->strides[1] == 16 * d[2] * d[3] &&
              bk->strides[0] == d[1] * d[2] * d[3];
    int f32 = md->data_type == dnnl_f32, bf16 = md->data_type == dnnl_bf16;
    if (!b->ctx->prelu_onednn && (cl || planar || b16) && (f32 || bf16)) {
        step *s = add_step(b, STEP_PRELU, node, "prelu");
        if (!s)
            return nomem(b);
        s->impl = cpu_prelu_impl_name();
        s->data = r->buf;
        s->bf16 = bf16;
        s->layout = cl ? CPU_LAYOUT_NHWC : planar ? CPU_LAYOUT_NCHW : CPU_LAYOUT_NCHW16C;
        s->c = (int)d[1];
        s->outer = cl ? (size_t)(d[0] * d[2] * d[3]) : (size_t)d[0];
        s->inner = cl ? 1 : (size_t)(d[2] * d[3]);
        s->slopes = slopes;
        return VSR_OK;
    }
    step *s = add_step(b, STEP_PRIM, node, "prelu");
    if (!s)
        return nomem(b);
    dnnl_dims_t wd = {1, d[1], 1, 1};
    dnnl_memory_desc_t wmd;
    dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dnnl_f32, dnnl_abcd);
    dnnl_prelu_desc_t pdesc;
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_prelu_forward_desc_init(&pdesc, dnnl_forward_inference, md, &wmd);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&pd, &pdesc, b->attr, b->w->engine, NULL);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "prelu", b->g->nodes[node].name);
    dnnl_memory_t wm;
    int rc = add_mem(b, &wmd, (cpu_buf){CPU_SLOT_FIXED, 0, (void *)slopes}, &wm);
    if (rc) {
        dnnl_primitive_desc_destroy(pd);
        return rc;
    }
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, r->mem};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, wm};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DST, r->mem};
    return finish_prim(b, s, pd);
}

static int add_eltwise(builder *b, int node, const rep *r, const vsr_activation *a)
{
    step *s = add_step(b, STEP_PRIM, node, "eltwise");
    if (!s)
        return nomem(b);
    dnnl_alg_kind_t alg;
    float alpha, beta;
    eltwise_alg(a, &alg, &alpha, &beta);
    dnnl_eltwise_desc_t ed;
    dnnl_primitive_desc_t pd;
    dnnl_status_t st =
        dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, alg, &r->md, alpha, beta);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&pd, &ed, b->attr, b->w->engine, NULL);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "eltwise", b->g->nodes[node].name);
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, r->mem};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DST, r->mem};
    return finish_prim(b, s, pd);
}

/* The single consumer of blob, or -1. */
static int sole_consumer(builder *b, int blob)
{
    if (b->n_consumers[blob] != 1 || blob == b->g->output_blob)
        return -1;
    for (int i = 0; i < b->g->n_nodes; i++)
        for (int k = 0; k < b->g->nodes[i].n_inputs; k++)
            if (b->g->nodes[i].inputs[k] == blob)
                return i;
    return -1;
}

/* The first convolution reading blob, directly or through activations,
 * or -1. */
static int first_conv_reader(builder *b, int blob)
{
    for (int i = 0; i < b->g->n_nodes; i++) {
        const vsr_node *n = &b->g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] != blob)
                continue;
            if (n->type == VSR_OP_CONV)
                return i;
            if (n->type == VSR_OP_ACTIVATION)
                return first_conv_reader(b, n->output);
        }
    }
    return -1;
}

static int build_conv(builder *b, int i)
{
    const vsr_node *n = &b->g->nodes[i];
    const vsr_conv_params *c = &n->p.conv;
    const cpu_conv_weights *cw = &b->w->conv[i];
    int bf16 = b->w->precision == VSR_PRECISION_BF16;
    dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
    vsr_shape is = b->shapes[n->inputs[0]], os = b->shapes[n->output];
    int N = b->plan->n;
    int rc = VSR_OK;

    /* Activations: the convolution's own, then a standalone activation that
     * is the only reader of its output. Eltwise ones become post-ops up to
     * the first PReLU; PReLU runs as a pass afterwards. */
    const vsr_activation *acts[2] = {&c->act, NULL};
    int out_blob = n->output, next = sole_consumer(b, n->output);
    if (next >= 0 && b->g->nodes[next].type == VSR_OP_ACTIVATION && c->act.type != VSR_ACT_PRELU &&
        (is_eltwise_act(b->g->nodes[next].p.act.type) ||
         b->g->nodes[next].p.act.type == VSR_ACT_PRELU)) {
        acts[1] = &b->g->nodes[next].p.act;
        b->fused[next] = 1;
        out_blob = b->g->nodes[next].output;
    }
    int dst_bf16 = bf16 && feeds_only_convs(b, out_blob, 0);

    dnnl_post_ops_t po;
    dnnl_status_t st = dnnl_post_ops_create(&po);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "post-ops", n->name);
    for (int k = 0; k < 2; k++) {
        if (acts[k] && is_eltwise_act(acts[k]->type)) {
            dnnl_alg_kind_t alg;
            float alpha, beta;
            eltwise_alg(acts[k], &alg, &alpha, &beta);
            dnnl_post_ops_append_eltwise(po, 1.0f, alg, alpha, beta);
        }
    }
    dnnl_primitive_attr_t attr;
    st = dnnl_primitive_attr_clone(&attr, b->attr);
    if (st == dnnl_success) {
        st = dnnl_primitive_attr_set_post_ops(attr, po);
        if (st != dnnl_success)
            dnnl_primitive_attr_destroy(attr);
    }
    dnnl_post_ops_destroy(po);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "post-ops", n->name);

    dnnl_dims_t sd = {N, is.c, is.h, is.w}, dd = {N, os.c, os.h, os.w};
    dnnl_dims_t wd = {c->out_c, c->in_c, c->kernel_h, c->kernel_w}, bd = {c->out_c};
    dnnl_dims_t strides = {c->stride_h, c->stride_w};
    dnnl_dims_t dil = {c->dilation_h - 1, c->dilation_w - 1};
    dnnl_dims_t pl = {c->pad_top, c->pad_left}, pr = {c->pad_bottom, c->pad_right};
    dnnl_memory_desc_t smd, wmd, bmd, dmd;
    dnnl_memory_desc_init_by_tag(&smd, 4, sd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a);
    /* A direct convolution feeding a Winograd one writes the blocked layout
     * Winograd reads, saving a reorder. */
    dnnl_format_tag_t dst_tag = dnnl_format_tag_any;
    int reader = first_conv_reader(b, out_blob);
    if (reader >= 0 && b->w->conv[reader].alg == dnnl_convolution_winograd &&
        cw->alg != dnnl_convolution_winograd && !dst_bf16 && os.c % 16 == 0)
        dst_tag = dnnl_nChw16c;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_alg_kind_t alg = cw->alg;
    for (;;) {
        dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dst_bf16 ? dnnl_bf16 : dnnl_f32, dst_tag);
        st = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, alg, &smd,
                                                        &wmd, c->bias ? &bmd : NULL, &dmd, strides,
                                                        dil, pl, pr);
        if (st == dnnl_success)
            st = dnnl_primitive_desc_create(&pd, &cd, attr, b->w->engine, NULL);
        if (st == dnnl_success && dst_tag != dnnl_format_tag_any) {
            const char *impl = "";
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
            if (strstr(impl, "ref")) { /* not worth a slow convolution */
                dnnl_primitive_desc_destroy(pd);
                pd = NULL;
                st = dnnl_unimplemented;
            }
        }
        if (st == dnnl_success)
            break;
        if (dst_tag != dnnl_format_tag_any)
            dst_tag = dnnl_format_tag_any;
        else if (alg != dnnl_convolution_direct)
            alg = dnnl_convolution_direct; /* no Winograd for this size */
        else
            break;
    }
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success)
        return cpu_dnnl_error(b->err, st, "convolution", n->name);
    const dnnl_memory_desc_t *want_src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *want_w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *want_dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);

    /* Source: the blob's native representation if it is in the wanted
     * layout; else a reorder, kept as the native one when there was none. */
    blob_state *in = &b->blobs[n->inputs[0]];
    rep tmp = {0};
    const rep *src;
    if (!in->native.valid && !in->plain.valid) {
        dnnl_primitive_desc_destroy(pd);
        return vsr_error_set(b->err, VSR_ERR_INTERNAL,
                             "cpu plan: layer %s reads a blob that "
                             "is not made",
                             n->name);
    }
    if (in->native.valid && dnnl_memory_desc_equal(&in->native.md, want_src)) {
        src = &in->native;
    } else if (!in->native.valid) {
        rc = rep_new(b, &in->native, want_src);
        if (!rc)
            rc = add_reorder(b, i, &in->plain, &in->native);
        src = &in->native;
    } else {
        rc = rep_new(b, &tmp, want_src);
        if (!rc)
            rc = add_reorder(b, i, &in->native, &tmp);
        src = &tmp;
    }
    if (rc) {
        dnnl_primitive_desc_destroy(pd);
        return rc;
    }

    /* Weights: the shared copy, or a private one in the layout this
     * primitive wants. */
    dnnl_memory_t wm, bm = NULL;
    if (dnnl_memory_desc_equal(want_w, &cw->md)) {
        rc = add_mem(b, &cw->md, (cpu_buf){CPU_SLOT_FIXED, 0, cw->data}, &wm);
    } else {
        cpu_plan *p = b->plan;
        void *data = NULL;
        if (grow((void **)&p->owned, &p->cap_owned, p->n_owned + 1, sizeof(void *)) ||
            posix_memalign(&data, CPU_ALIGN, dnnl_memory_desc_get_size(want_w))) {
            dnnl_primitive_desc_destroy(pd);
            return nomem(b);
        }
        p->owned[p->n_owned++] = data;
        dnnl_memory_desc_t user;
        dnnl_memory_desc_init_by_tag(&user, 4, wd, dnnl_f32, dnnl_oihw);
        dnnl_memory_t um = NULL, dm = NULL;
        dnnl_primitive_desc_t rpd = NULL;
        dnnl_primitive_t r = NULL;
        st = dnnl_memory_create(&um, &user, b->w->engine, (void *)c->weight);
        if (st == dnnl_success)
            st = dnnl_memory_create(&dm, want_w, b->w->engine, data);
        if (st == dnnl_success)
            st = dnnl_reorder_primitive_desc_create(&rpd, &user, b->w->engine, want_w, b->w->engine,
                                                    NULL);
        if (st == dnnl_success)
            st = dnnl_primitive_create(&r, rpd);
        if (st == dnnl_success) {
            dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, um}, {DNNL_ARG_TO, dm}};
            st = dnnl_primitive_execute(r, b->ctx->stream, 2, a);
        }
        if (st == dnnl_success)
            st = dnnl_stream_wait(b->ctx->stream);
        if (r)
            dnnl_primitive_destroy(r);
        if (rpd)
            dnnl_primitive_desc_destroy(rpd);
        if (um)
            dnnl_memory_destroy(um);
        if (dm)
            dnnl_memory_destroy(dm);
        if (st != dnnl_success) {
            dnnl_primitive_desc_destroy(pd);
            return cpu_dnnl_error(b->err, st, "weights reorder", n->name);
        }
        rc = add_mem(b, want_w, (cpu_buf){CPU_SLOT_FIXED, 0, data}, &wm);
    }
    if (!rc && c->bias)
        rc = add_mem(b, &bmd, (cpu_buf){CPU_SLOT_FIXED, 0, (void *)c->bias}, &bm);

    /* Destination: a new native representation of the (fused) output. */
    blob_state *out = &b->blobs[out_blob];
    if (!rc)
        rc = rep_new(b, &out->native, want_dst);
    if (rc) {
        dnnl_primitive_desc_destroy(pd);
        return rc;
    }
    step *s = add_step(b, STEP_PRIM, i, "convolution");
    if (!s) {
        dnnl_primitive_desc_destroy(pd);
        return nomem(b);
    }
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, src->mem};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, wm};
    if (bm)
        s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, bm};
    s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DST, out->native.mem};
    rc = finish_prim(b, s, pd);
    rep_release(b, &tmp);

    /* PReLU runs after the post-ops; a second activation is fused only
     * when the convolution's own is not a PReLU, so none follows one. */
    for (int k = 0; !rc && k < 2; k++) {
        int owner = k == 0 ? i : next;
        if (acts[k] && acts[k]->type == VSR_ACT_PRELU)
            rc = add_prelu(b, owner, &out->native, b->w->slopes[owner]);
    }
    return rc;
}

static int build_activation(builder *b, int i)
{
    const vsr_node *n = &b->g->nodes[i];
    int src_blob = n->inputs[0];
    blob_state *in = &b->blobs[src_blob], *out = &b->blobs[n->output];
    int native = in->native.valid;
    rep *from = native ? &in->native : &in->plain;
    rep *to = native ? &out->native : &out->plain;
    int rc;
    int in_place =
        b->g->blob_last_use[src_blob] == i && src_blob != b->g->output_blob && from->block >= 0;
    if (in_place) {
        *to = *from;
        from->valid = 0;
        /* The other representation of the input is stale for the output and
         * no longer needed. */
        rep_release(b, native ? &in->plain : &in->native);
    } else {
        rc = rep_new(b, to, &from->md);
        if (!rc)
            rc = add_reorder(b, i, from, to);
        if (rc)
            return rc;
    }
    if (n->p.act.type == VSR_ACT_PRELU)
        return add_prelu(b, i, to, b->w->slopes[i]);
    return add_eltwise(b, i, to, &n->p.act);
}

static int build_op(builder *b, int i)
{
    const vsr_node *n = &b->g->nodes[i];
    step *s;
    int rc;
    for (int k = 0; k < n->n_inputs; k++) {
        rc = need_plain(b, i, n->inputs[k]);
        if (rc)
            return rc;
    }
    blob_state *out = &b->blobs[n->output];
    dnnl_memory_desc_t md;
    plain_md(b, n->output, &md);
    if (n->output == b->g->output_blob)
        rc = rep_slot(b, &out->plain, &md, CPU_SLOT_OUTPUT);
    else
        rc = rep_new(b, &out->plain, &md);
    if (rc)
        return rc;
    s = add_step(b, STEP_OP, i, vsr_op_name(n->type));
    if (!s)
        return nomem(b);
    s->impl = "vsr:ref_ops";
    s->n_in = n->n_inputs;
    for (int k = 0; k < n->n_inputs; k++) {
        s->in[k] = b->blobs[n->inputs[k]].plain.buf;
        s->ins[k] = b->shapes[n->inputs[k]];
    }
    s->out = out->plain.buf;
    s->outs = b->shapes[n->output];
    return VSR_OK;
}

/* The SRVGG tail: add(pixel_shuffle(conv, r), interp_nearest(x, r)) with
 * both operands read only by the add, r a power of two (so that ncnn's
 * nearest source index (int)(y * (1/r)) is exactly y / r). Marks the add
 * with 1 + the shuffle's index and defers the shuffle and interp to it. */
static void find_tails(builder *b)
{
    const vsr_graph *g = b->g;
    int *producer = malloc(sizeof(int) * (size_t)g->n_blobs);
    if (!producer)
        return; /* no fusion, still correct */
    for (int k = 0; k < g->n_blobs; k++)
        producer[k] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        producer[g->nodes[i].output] = i;
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *add = &g->nodes[i];
        if (add->type != VSR_OP_BINARY || add->p.binary.op != VSR_BIN_ADD ||
            add->p.binary.with_scalar || add->n_inputs != 2)
            continue;
        for (int o = 0; o < 2; o++) {
            int a = producer[add->inputs[o]], c = producer[add->inputs[1 - o]];
            if (a < 0 || c < 0 || a == c)
                continue;
            const vsr_node *sh = &g->nodes[a], *in = &g->nodes[c];
            if (sh->type != VSR_OP_PIXEL_SHUFFLE || in->type != VSR_OP_INTERP)
                continue;
            int r = sh->p.shuffle_factor, x = sh->inputs[0];
            if ((r != 2 && r != 4 && r != 8) || in->p.interp.mode != VSR_INTERP_NEAREST ||
                in->p.interp.scale_h != (float)r || in->p.interp.scale_w != (float)r ||
                in->p.interp.align_corners || producer[x] < 0 ||
                g->nodes[producer[x]].type != VSR_OP_CONV || b->n_consumers[sh->output] != 1 ||
                b->n_consumers[in->output] != 1 || sh->output == g->output_blob ||
                in->output == g->output_blob)
                continue;
            vsr_shape xs = b->shapes[x], is = b->shapes[in->inputs[0]];
            if (xs.c != is.c * r * r || xs.h != is.h || xs.w != is.w)
                continue;
            b->tail[i] = 1 + a;
            b->tail[a] = b->tail[c] = -1;
            break;
        }
    }
    free(producer);
}

/* The layout of r as the fused tail reads it: per-channel offsets and the
 * pixel stride, for dense channels-last or nChw16c fp32; 0 if neither. */
static int tail_layout(builder *b, const rep *r, const size_t **base, size_t *pixel_stride)
{
    const dnnl_memory_desc_t *md = &r->md;
    const dnnl_blocking_desc_t *bk = &md->format_desc.blocking;
    const dnnl_dim_t *d = md->dims;
    if (!r->valid || md->data_type != dnnl_f32 || md->format_kind != dnnl_blocked ||
        md->ndims != 4 || md->padded_dims[1] != d[1] || md->offset0 != 0)
        return 0;
    int cl = bk->inner_nblks == 0 && bk->strides[1] == 1 && bk->strides[3] == d[1] &&
             bk->strides[2] == d[3] * d[1] && bk->strides[0] == d[2] * d[3] * d[1];
    int b16 = bk->inner_nblks == 1 && bk->inner_idxs[0] == 1 && bk->inner_blks[0] == 16 &&
              d[1] % 16 == 0 && bk->strides[3] == 16 && bk->strides[2] == 16 * d[3] &&
              bk->strides[1] == 16 * d[2] * d[3] && bk->strides[0] == d[1] * d[2] * d[3];
    if (!cl && !b16)
        return 0;
    cpu_plan *p = b->plan;
    size_t *t = malloc(sizeof(size_t) * (size_t)d[1]);
    if (!t || grow((void **)&p->owned, &p->cap_owned, p->n_owned + 1, sizeof(void *))) {
        free(t);
        return 0;
    }
    p->owned[p->n_owned++] = t;
    for (dnnl_dim_t k = 0; k < d[1]; k++)
        t[k] = cl ? (size_t)k : (size_t)(k / 16 * d[2] * d[3] * 16 + k % 16);
    *base = t;
    *pixel_stride = cl ? (size_t)d[1] : 16;
    return 1;
}

static int build_op(builder *b, int i);

static void release_dead_inputs(builder *b, int node, int upto)
{
    const vsr_node *n = &b->g->nodes[node];
    for (int k = 0; k < n->n_inputs; k++) {
        int blob = n->inputs[k];
        if (b->g->blob_last_use[blob] <= upto && blob != b->g->output_blob) {
            rep_release(b, &b->blobs[blob].native);
            rep_release(b, &b->blobs[blob].plain);
        }
    }
}

/* The add of a fused tail; falls back to the three plain ops when the
 * convolution's output is not channels-last fp32. */
static int build_tail(builder *b, int i)
{
    const vsr_node *add = &b->g->nodes[i];
    int a = b->tail[i] - 1;
    const vsr_node *sh = &b->g->nodes[a];
    int c = -1;
    for (int k = 0; k < 2; k++)
        if (add->inputs[k] != sh->output)
            for (int j = 0; j < b->g->n_nodes; j++)
                if (b->g->nodes[j].output == add->inputs[k])
                    c = j;
    const vsr_node *in = &b->g->nodes[c];
    blob_state *x = &b->blobs[sh->inputs[0]];
    const size_t *base = NULL;
    size_t pixel_stride = 0;
    int rc;
    if (!tail_layout(b, &x->native, &base, &pixel_stride)) {
        int first = a < c ? a : c, second = a < c ? c : a;
        rc = build_op(b, first);
        if (!rc)
            rc = build_op(b, second);
        if (!rc) {
            release_dead_inputs(b, first, second);
            release_dead_inputs(b, second, second);
            rc = build_op(b, i);
        }
        return rc;
    }
    rc = need_plain(b, i, in->inputs[0]);
    if (rc)
        return rc;
    blob_state *out = &b->blobs[add->output];
    dnnl_memory_desc_t md;
    plain_md(b, add->output, &md);
    if (add->output == b->g->output_blob)
        rc = rep_slot(b, &out->plain, &md, CPU_SLOT_OUTPUT);
    else
        rc = rep_new(b, &out->plain, &md);
    if (rc)
        return rc;
    step *s = add_step(b, STEP_TAIL, i, "shuffle+add");
    if (!s)
        return nomem(b);
    s->impl = "vsr:fused_tail";
    s->n_in = 2;
    s->in[0] = x->native.buf;
    s->ins[0] = b->shapes[sh->inputs[0]];
    s->in[1] = b->blobs[in->inputs[0]].plain.buf;
    s->ins[1] = b->shapes[in->inputs[0]];
    s->out = out->plain.buf;
    s->outs = b->shapes[add->output];
    s->factor = sh->p.shuffle_factor;
    s->base = base;
    s->pixel_stride = pixel_stride;
    release_dead_inputs(b, a, i);
    release_dead_inputs(b, c, i);
    return VSR_OK;
}

static int build(builder *b)
{
    const vsr_graph *g = b->g;
    int rc;
    dnnl_memory_desc_t md;
    plain_md(b, g->input_blob, &md);
    rc = rep_slot(b, &b->blobs[g->input_blob].plain, &md, CPU_SLOT_INPUT);
    find_tails(b);
    for (int i = 0; !rc && i < g->n_nodes; i++) {
        const vsr_node *n = &g->nodes[i];
        if (b->tail[i] < 0)
            continue; /* deferred to the add of its tail; inputs kept alive */
        if (b->tail[i] > 0) {
            rc = build_tail(b, i);
        } else if (!b->fused[i]) {
            if (n->type == VSR_OP_CONV) {
                rc = build_conv(b, i);
            } else if (n->type == VSR_OP_ACTIVATION) {
                rc = build_activation(b, i);
            } else {
                rc = build_op(b, i);
            }
        }
        /* Release what no later node reads. */
        if (!rc)
            release_dead_inputs(b, i, i);
        if (!rc && g->blob_last_use[n->output] < 0 && n->output != g->output_blob) {
            rep_release(b, &b->blobs[n->output].native);
            rep_release(b, &b->blobs[n->output].plain);
        }
    }
    if (rc)
        return rc;
    /* The output, plain, in the caller's tensor. */
    blob_state *o = &b->blobs[g->output_blob];
    if (!(o->plain.valid && o->plain.buf.slot == CPU_SLOT_OUTPUT)) {
        const rep *from = some_rep(b, g->output_blob);
        if (!from->valid)
            return vsr_error_set(b->err, VSR_ERR_INTERNAL, "cpu plan: the output is never made");
        rep dst;
        plain_md(b, g->output_blob, &md);
        rc = rep_slot(b, &dst, &md, CPU_SLOT_OUTPUT);
        if (!rc)
            rc = add_reorder(b, g->n_nodes - 1, from, &dst);
    }
    return rc;
}

void cpu_plan_free(cpu_plan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_steps; i++) {
        if (p->steps[i].prim)
            dnnl_primitive_destroy(p->steps[i].prim);
        if (p->steps[i].pd)
            dnnl_primitive_desc_destroy(p->steps[i].pd);
    }
    for (int i = 0; i < p->n_mems; i++)
        dnnl_memory_destroy(p->mems[i].mem);
    for (int i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->steps);
    free(p->mems);
    free(p->owned);
    free(p);
}

int cpu_plan_build(cpu_ctx *ctx, int n, int h, int w, cpu_plan **out, vsr_error *err)
{
    const vsr_graph *g = ctx->g;
    builder b = {0};
    b.ctx = ctx;
    b.g = g;
    b.w = ctx->w;
    b.err = err;
    b.plan = calloc(1, sizeof(cpu_plan));
    b.shapes = calloc((size_t)g->n_blobs, sizeof(vsr_shape));
    b.blobs = calloc((size_t)g->n_blobs, sizeof(blob_state));
    b.n_consumers = calloc((size_t)g->n_blobs, sizeof(int));
    b.fused = calloc((size_t)g->n_nodes + 1, sizeof(int));
    b.tail = calloc((size_t)g->n_nodes + 1, sizeof(int));
    int rc = VSR_OK;
    if (!b.plan || !b.shapes || !b.blobs || !b.n_consumers || !b.fused || !b.tail) {
        rc = nomem(&b);
        goto done;
    }
    b.plan->n = n;
    b.plan->h = h;
    b.plan->w = w;
    rc = vsr_graph_infer_shapes(g, h, w, b.shapes, err);
    if (rc)
        goto done;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            b.n_consumers[g->nodes[i].inputs[k]]++;
    dnnl_status_t st = dnnl_primitive_attr_create(&b.attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(b.attr, dnnl_scratchpad_mode_user);
    if (st != dnnl_success) {
        rc = cpu_dnnl_error(err, st, "attributes", NULL);
        goto done;
    }
    rc = build(&b);
done:
    if (b.attr)
        dnnl_primitive_attr_destroy(b.attr);
    free(b.shapes);
    free(b.blobs);
    free(b.n_consumers);
    free(b.fused);
    free(b.tail);
    free(b.blocks);
    if (rc) {
        vsr_error_prefix(err, "cpu backend, input %dx%dx%d", n, h, w);
        cpu_plan_free(b.plan);
        return rc;
    }
    *out = b.plan;
    return VSR_OK;
}
