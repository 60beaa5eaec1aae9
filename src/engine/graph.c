/* Graph validation and the facts derived from it: shapes, scale, receptive
 * radius (the tile halo), cost and activation memory per pixel. */
#include "engine/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

const char *vsr_op_name(vsr_op_type t)
{
    switch (t) {
    case VSR_OP_CONV: return "Convolution";
    case VSR_OP_ACTIVATION: return "Activation";
    case VSR_OP_PIXEL_SHUFFLE: return "PixelShuffle";
    case VSR_OP_INTERP: return "Interp";
    case VSR_OP_BINARY: return "BinaryOp";
    case VSR_OP_ELTWISE: return "Eltwise";
    case VSR_OP_CONCAT: return "Concat";
    case VSR_OP_GROUP_CONV: return "GroupConvolution";
    case VSR_OP_DECONV: return "Deconvolution";
    case VSR_OP_PAD: return "Pad";
    case VSR_OP_SLICE: return "Slice";
    }
    return "unknown";
}

int vsr_interp_output_size(int in, float scale)
{
    /* ncnn: static_cast<int>(w * width_scale), in float arithmetic. */
    return (int)((float)in * scale);
}

/* The sizes in 64 bits: with the parameters within their limits
 * (check_sizes) and in <= VSR_MAX_DIM they fit an int anyway, but a size
 * that comes out over VSR_MAX_DIM is refused by the caller, not wrapped. */
static long long conv_output_size(int in, int kernel, int dilation, int stride, int pad0, int pad1)
{
    long long extent = (long long)dilation * (kernel - 1) + 1;
    return ((long long)in + pad0 + pad1 - extent) / stride + 1;
}

static long long deconv_output_size(int in, int kernel, int dilation, int stride, int pad0,
                                    int pad1, int out_pad)
{
    return ((long long)in - 1) * stride - pad0 - pad1 + (long long)dilation * (kernel - 1) +
           out_pad + 1;
}

/* A shape dimension from a 64-bit size: anything out of range becomes -1
 * or VSR_MAX_DIM + 1, which the checks after infer_node's switch refuse. */
static int dim_of(long long v)
{
    return v < 0 ? -1 : v > VSR_MAX_DIM ? VSR_MAX_DIM + 1 : (int)v;
}

static int out_of(int v, int lo, int hi)
{
    return v < lo || v > hi;
}

/* Range-checks the size parameters of a node before anything computes with
 * them (issue 20: a .param with a huge pad or dilation was a signed
 * overflow here, refused by a Release build only because the wrapped size
 * happened to be negative). */
static int check_sizes(const vsr_node *n, vsr_error *err)
{
    if (n->type == VSR_OP_CONV || n->type == VSR_OP_GROUP_CONV || n->type == VSR_OP_DECONV) {
        const vsr_conv_params *c = &n->p.conv;
        const char *bad = NULL;
        if (out_of(c->kernel_h, 1, VSR_MAX_KERNEL) || out_of(c->kernel_w, 1, VSR_MAX_KERNEL))
            bad = "kernel";
        else if (out_of(c->stride_h, 1, VSR_MAX_STRIDE) || out_of(c->stride_w, 1, VSR_MAX_STRIDE))
            bad = "stride";
        else if (out_of(c->dilation_h, 1, VSR_MAX_DILATION) ||
                 out_of(c->dilation_w, 1, VSR_MAX_DILATION))
            bad = "dilation";
        else if (out_of(c->pad_top, 0, VSR_MAX_PAD) || out_of(c->pad_bottom, 0, VSR_MAX_PAD) ||
                 out_of(c->pad_left, 0, VSR_MAX_PAD) || out_of(c->pad_right, 0, VSR_MAX_PAD))
            bad = "padding";
        else if (n->type == VSR_OP_DECONV && (out_of(c->out_pad_h, 0, c->stride_h - 1) ||
                                              out_of(c->out_pad_w, 0, c->stride_w - 1)))
            bad = "output padding";
        if (bad)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: %s %s out of range (kernel %dx%d of 1..%d, stride "
                                 "%dx%d of 1..%d, dilation %dx%d of 1..%d, pads %d,%d,%d,%d of "
                                 "0..%d, output pads %d,%d below the stride)",
                                 n->name, vsr_op_name(n->type), bad, c->kernel_w, c->kernel_h,
                                 VSR_MAX_KERNEL, c->stride_w, c->stride_h, VSR_MAX_STRIDE,
                                 c->dilation_w, c->dilation_h, VSR_MAX_DILATION, c->pad_top,
                                 c->pad_left, c->pad_bottom, c->pad_right, VSR_MAX_PAD,
                                 c->out_pad_w, c->out_pad_h);
    } else if (n->type == VSR_OP_PAD) {
        const vsr_pad_params *p = &n->p.pad;
        if (out_of(p->top, 0, VSR_MAX_PAD) || out_of(p->bottom, 0, VSR_MAX_PAD) ||
            out_of(p->left, 0, VSR_MAX_PAD) || out_of(p->right, 0, VSR_MAX_PAD))
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: Pad padding %d,%d,%d,%d out of range (0..%d)", n->name,
                                 p->top, p->left, p->bottom, p->right, VSR_MAX_PAD);
    } else if (n->type == VSR_OP_INTERP) {
        /* (int)(size x scale) of a float beyond int is undefined too. */
        const vsr_interp_params *ip = &n->p.interp;
        if (!(ip->scale_h > 0.f && ip->scale_h <= VSR_MAX_STRIDE && ip->scale_w > 0.f &&
              ip->scale_w <= VSR_MAX_STRIDE))
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: Interp scale %gx%g out of range (0..%d]", n->name,
                                 (double)ip->scale_w, (double)ip->scale_h, VSR_MAX_STRIDE);
    } else if (n->type == VSR_OP_PIXEL_SHUFFLE) {
        if (out_of(n->p.shuffle_factor, 1, VSR_MAX_STRIDE))
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: PixelShuffle factor %d out of range (1..%d)", n->name,
                                 n->p.shuffle_factor, VSR_MAX_STRIDE);
    }
    return VSR_OK;
}

void vsr_slice_range(int start, int end, int size, int *lo, int *hi)
{
    long s = start < 0 ? (long)start + size : start;
    long e = end < 0 ? (long)end + size : end;
    s = s < 0 ? 0 : s > size ? size : s;
    e = e < 0 ? 0 : e > size ? size : e;
    *lo = (int)s;
    *hi = (int)(e > s ? e : s);
}

static int groups_of(const vsr_conv_params *c)
{
    return c->groups > 1 ? c->groups : 1;
}

static int infer_node(const vsr_graph *g, const vsr_node *n, vsr_shape *shapes, vsr_error *err)
{
    const vsr_shape a = shapes[n->inputs[0]];
    vsr_shape *o = &shapes[n->output];
    switch (n->type) {
    case VSR_OP_CONV:
    case VSR_OP_GROUP_CONV: {
        /* A plain convolution is the one-group case. */
        const vsr_conv_params *c = &n->p.conv;
        int groups = n->type == VSR_OP_GROUP_CONV ? groups_of(c) : 1;
        if (a.c != c->in_c * groups || c->out_c % groups)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: convolution of %d group(s) expects %d input channels "
                                 "and a multiple of %d outputs, gets %d in, %d out",
                                 n->name, groups, c->in_c * groups, groups, a.c, c->out_c);
        o->c = c->out_c;
        o->h = dim_of(conv_output_size(a.h, c->kernel_h, c->dilation_h, c->stride_h, c->pad_top,
                                       c->pad_bottom));
        o->w = dim_of(conv_output_size(a.w, c->kernel_w, c->dilation_w, c->stride_w, c->pad_left,
                                       c->pad_right));
        if (c->act.type == VSR_ACT_PRELU && c->act.n_slopes != 1 && c->act.n_slopes != c->out_c)
            return vsr_error_set(err, VSR_ERR_FORMAT, "layer %s: %d PReLU slopes for %d channels",
                                 n->name, c->act.n_slopes, c->out_c);
        break;
    }
    case VSR_OP_DECONV: {
        const vsr_conv_params *c = &n->p.conv;
        int groups = groups_of(c);
        if (a.c != c->in_c || c->in_c % groups || c->out_c % groups)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: deconvolution of %d groups expects %d input channels, "
                                 "gets %d",
                                 n->name, groups, c->in_c, a.c);
        o->c = c->out_c;
        o->h = dim_of(deconv_output_size(a.h, c->kernel_h, c->dilation_h, c->stride_h, c->pad_top,
                                         c->pad_bottom, c->out_pad_h));
        o->w = dim_of(deconv_output_size(a.w, c->kernel_w, c->dilation_w, c->stride_w, c->pad_left,
                                         c->pad_right, c->out_pad_w));
        if (c->act.type == VSR_ACT_PRELU && c->act.n_slopes != 1 && c->act.n_slopes != c->out_c)
            return vsr_error_set(err, VSR_ERR_FORMAT, "layer %s: %d PReLU slopes for %d channels",
                                 n->name, c->act.n_slopes, c->out_c);
        break;
    }
    case VSR_OP_PAD: {
        const vsr_pad_params *p = &n->p.pad;
        if (p->mode == VSR_PAD_REFLECT &&
            (p->top >= a.h || p->bottom >= a.h || p->left >= a.w || p->right >= a.w))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "layer %s: reflect padding by %d,%d,%d,%d needs an input larger "
                                 "than that, gets %dx%d",
                                 n->name, p->top, p->left, p->bottom, p->right, a.w, a.h);
        o->c = a.c;
        o->h = a.h + p->top + p->bottom;
        o->w = a.w + p->left + p->right;
        break;
    }
    case VSR_OP_SLICE: {
        int size[3] = {a.c, a.h, a.w}, len[3];
        for (int k = 0; k < 3; k++) {
            int lo, hi;
            vsr_slice_range(n->p.slice.start[k], n->p.slice.end[k], size[k], &lo, &hi);
            len[k] = hi - lo;
        }
        o->c = len[0];
        o->h = len[1];
        o->w = len[2];
        break;
    }
    case VSR_OP_ACTIVATION:
        if (n->p.act.type == VSR_ACT_PRELU && n->p.act.n_slopes != 1 && n->p.act.n_slopes != a.c)
            return vsr_error_set(err, VSR_ERR_FORMAT, "layer %s: %d PReLU slopes for %d channels",
                                 n->name, n->p.act.n_slopes, a.c);
        *o = a;
        break;
    case VSR_OP_PIXEL_SHUFFLE: {
        int r = n->p.shuffle_factor;
        if (a.c % (r * r) != 0)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "layer %s: %d channels do not divide by factor %d squared",
                                 n->name, a.c, r);
        o->c = a.c / (r * r);
        o->h = a.h * r;
        o->w = a.w * r;
        break;
    }
    case VSR_OP_INTERP:
        o->c = a.c;
        o->h = vsr_interp_output_size(a.h, n->p.interp.scale_h);
        o->w = vsr_interp_output_size(a.w, n->p.interp.scale_w);
        break;
    case VSR_OP_BINARY:
        if (!n->p.binary.with_scalar) {
            vsr_shape b = shapes[n->inputs[1]];
            if (a.c != b.c || a.h != b.h || a.w != b.w)
                return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                     "layer %s: operands %dx%dx%d and %dx%dx%d differ "
                                     "(broadcasting is not supported)",
                                     n->name, a.c, a.h, a.w, b.c, b.h, b.w);
        }
        *o = a;
        break;
    case VSR_OP_ELTWISE:
        for (int i = 1; i < n->n_inputs; i++) {
            vsr_shape b = shapes[n->inputs[i]];
            if (a.c != b.c || a.h != b.h || a.w != b.w)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "layer %s: input %d is %dx%dx%d, input 0 is %dx%dx%d", n->name,
                                     i, b.c, b.h, b.w, a.c, a.h, a.w);
        }
        *o = a;
        break;
    case VSR_OP_CONCAT:
        *o = a;
        for (int i = 1; i < n->n_inputs; i++) {
            vsr_shape b = shapes[n->inputs[i]];
            if (a.h != b.h || a.w != b.w)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "layer %s: input %d is %dx%d, input 0 is %dx%d", n->name, i,
                                     b.h, b.w, a.h, a.w);
            o->c += b.c;
        }
        break;
    }
    if (o->c <= 0 || o->h <= 0 || o->w <= 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "layer %s: input %dx%d gives an empty output",
                             n->name, shapes[g->input_blob].w, shapes[g->input_blob].h);
    /* Bounds every size so that the next op's arithmetic cannot overflow
     * (a chain of upscaling layers in a hostile model file). */
    if (o->c > VSR_MAX_DIM || o->h > VSR_MAX_DIM || o->w > VSR_MAX_DIM)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "layer %s: input %dx%d gives an output of %dx%dx%d, over the limit "
                             "of %d",
                             n->name, shapes[g->input_blob].w, shapes[g->input_blob].h, o->c, o->h,
                             o->w, VSR_MAX_DIM);
    return VSR_OK;
}

int vsr_graph_infer_shapes(const vsr_graph *g, int h, int w, vsr_shape *shapes, vsr_error *err)
{
    if (out_of(h, 1, VSR_MAX_DIM) || out_of(w, 1, VSR_MAX_DIM))
        return vsr_error_set(err, VSR_ERR_INVALID, "input %dx%d: sides must be 1..%d", w, h,
                             VSR_MAX_DIM);
    for (int i = 0; i < g->n_blobs; i++)
        shapes[i] = (vsr_shape){0, 0, 0};
    shapes[g->input_blob] = (vsr_shape){g->in_channels, h, w};
    for (int i = 0; i < g->n_nodes; i++) {
        int rc = infer_node(g, &g->nodes[i], shapes, err);
        if (rc)
            return rc;
    }
    return VSR_OK;
}

/* Checks the structural invariants every backend relies on. */
static int validate(vsr_graph *g, vsr_error *err)
{
    if (g->n_nodes <= 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "graph has no layers");
    if (g->input_blob < 0 || g->input_blob >= g->n_blobs)
        return vsr_error_set(err, VSR_ERR_FORMAT, "graph has no input");
    char *produced = calloc((size_t)g->n_blobs, 1);
    if (!produced)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    produced[g->input_blob] = 1;
    int rc = VSR_OK;
    for (int i = 0; i < g->n_nodes && !rc; i++) {
        const vsr_node *n = &g->nodes[i];
        int want = n->type == VSR_OP_BINARY && n->p.binary.with_scalar     ? 1
                   : n->type == VSR_OP_BINARY                              ? 2
                   : n->type == VSR_OP_ELTWISE || n->type == VSR_OP_CONCAT ? -1
                                                                           : 1;
        if ((want > 0 && n->n_inputs != want) || n->n_inputs < 1 ||
            n->n_inputs > VSR_MAX_NODE_INPUTS)
            rc = vsr_error_set(err, VSR_ERR_FORMAT, "layer %s: %s takes %d inputs, has %d", n->name,
                               vsr_op_name(n->type), want, n->n_inputs);
        for (int k = 0; k < n->n_inputs && !rc; k++) {
            int b = n->inputs[k];
            if (b < 0 || b >= g->n_blobs || !produced[b])
                rc = vsr_error_set(err, VSR_ERR_FORMAT,
                                   "layer %s: input %d is not produced by an earlier layer",
                                   n->name, k);
        }
        if (!rc)
            rc = check_sizes(n, err);
        if (!rc && n->type == VSR_OP_CONV && n->p.conv.groups > 1)
            rc = vsr_error_set(err, VSR_ERR_FORMAT,
                               "layer %s: a Convolution of %d groups must be a GroupConvolution",
                               n->name, n->p.conv.groups);
        if (!rc && (n->output < 0 || n->output >= g->n_blobs || produced[n->output]))
            rc = vsr_error_set(err, VSR_ERR_FORMAT, "layer %s: output blob is produced twice",
                               n->name);
        if (!rc)
            produced[n->output] = 1;
    }
    free(produced);
    if (rc)
        return rc;
    if (g->output_blob < 0 || g->output_blob >= g->n_blobs)
        return vsr_error_set(err, VSR_ERR_FORMAT, "graph has no output");
    return VSR_OK;
}

/* Halo: how far (in input pixels) an output pixel's value reaches back.
 * Tracked per blob together with the blob's scale relative to the input. */
static void compute_receptive_radius(vsr_graph *g, double *radius, double *scale)
{
    for (int i = 0; i < g->n_blobs; i++)
        radius[i] = 0, scale[i] = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *n = &g->nodes[i];
        double r = 0, s = scale[n->inputs[0]];
        for (int k = 0; k < n->n_inputs; k++)
            if (radius[n->inputs[k]] > r)
                r = radius[n->inputs[k]];
        switch (n->type) {
        case VSR_OP_CONV:
        case VSR_OP_GROUP_CONV: {
            const vsr_conv_params *c = &n->p.conv;
            /* The farthest tap from the output position, on any side. */
            int extent_h = c->dilation_h * (c->kernel_h - 1);
            int extent_w = c->dilation_w * (c->kernel_w - 1);
            int reach = c->pad_top;
            int sides[3] = {c->pad_left, extent_h - c->pad_top, extent_w - c->pad_left};
            for (int k = 0; k < 3; k++)
                reach = sides[k] > reach ? sides[k] : reach;
            r += reach / s;
            s /= c->stride_h;
            break;
        }
        case VSR_OP_DECONV: {
            /* Output o reads inputs (o + pad - k x dilation) / stride: up to
             * max(pad, extent - pad) / stride + 1 input pixels away. */
            const vsr_conv_params *c = &n->p.conv;
            int extent = c->dilation_h * (c->kernel_h - 1);
            int ew = c->dilation_w * (c->kernel_w - 1);
            int reach = c->pad_top;
            int sides[5] = {c->pad_left, c->pad_bottom, c->pad_right, extent - c->pad_top,
                            ew - c->pad_left};
            for (int k = 0; k < 5; k++)
                reach = sides[k] > reach ? sides[k] : reach;
            r += (reach / (double)c->stride_h + 1) / s;
            s *= c->stride_h;
            break;
        }
        case VSR_OP_PAD: {
            /* Padding shifts coordinates: count the shift as reach. */
            const vsr_pad_params *p = &n->p.pad;
            int m = p->top > p->left ? p->top : p->left;
            m = p->bottom > m ? p->bottom : m;
            m = p->right > m ? p->right : m;
            r += m / s;
            break;
        }
        case VSR_OP_SLICE: {
            /* So does cropping; an end counted from the far side shifts by
             * its distance to it. */
            int m = 0;
            for (int k = 1; k < 3; k++) {
                int a = n->p.slice.start[k] < 0 ? 0 : n->p.slice.start[k];
                int b = n->p.slice.end[k] < 0 ? -n->p.slice.end[k] : 0;
                m = a > m ? a : m;
                m = b > m ? b : m;
            }
            r += m / s;
            break;
        }
        case VSR_OP_PIXEL_SHUFFLE: s *= n->p.shuffle_factor; break;
        case VSR_OP_INTERP: {
            /* Taps reach 2 (bicubic), 1 (bilinear) or 1 (nearest) source
             * pixels from the mapped coordinate. */
            int taps = n->p.interp.mode == VSR_INTERP_BICUBIC ? 2 : 1;
            r += taps / s;
            s *= n->p.interp.scale_w;
            break;
        }
        default: break;
        }
        radius[n->output] = r;
        scale[n->output] = s;
    }
}

/* Simulates buffer lifetimes at one size: the largest sum of live blobs. */
static size_t peak_live_floats(const vsr_graph *g, const vsr_shape *shapes)
{
    size_t live =
        (size_t)shapes[g->input_blob].c * shapes[g->input_blob].h * shapes[g->input_blob].w;
    size_t peak = live;
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *n = &g->nodes[i];
        const vsr_shape *o = &shapes[n->output];
        live += (size_t)o->c * o->h * o->w;
        if (live > peak)
            peak = live;
        for (int k = 0; k < n->n_inputs; k++) {
            int b = n->inputs[k];
            int dup = 0;
            for (int j = 0; j < k; j++)
                dup |= n->inputs[j] == b;
            if (!dup && g->blob_last_use[b] == i) {
                const vsr_shape *s = &shapes[b];
                live -= (size_t)s->c * s->h * s->w;
            }
        }
    }
    return peak;
}

int vsr_graph_finalize(vsr_graph *g, vsr_error *err)
{
    int rc = validate(g, err);
    if (rc)
        return rc;
    if (g->in_channels <= 0)
        g->in_channels = 3;

    free(g->blob_last_use);
    g->blob_last_use = malloc(sizeof(int) * (size_t)g->n_blobs);
    vsr_shape *shapes = malloc(sizeof(vsr_shape) * (size_t)g->n_blobs);
    double *radius = malloc(sizeof(double) * (size_t)g->n_blobs);
    double *scale = malloc(sizeof(double) * (size_t)g->n_blobs);
    if (!g->blob_last_use || !shapes || !radius || !scale) {
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int b = 0; b < g->n_blobs; b++)
        g->blob_last_use[b] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            g->blob_last_use[g->nodes[i].inputs[k]] = i;
    g->blob_last_use[g->output_blob] = g->n_nodes;

    /* Probe two sizes: the output must scale by the same integer in both
     * dimensions at both, or tiling (and the product) makes no sense. */
    static const int probes[2][2] = {{64, 48}, {96, 80}};
    for (int p = 0; p < 2; p++) {
        int h = probes[p][0], w = probes[p][1];
        rc = vsr_graph_infer_shapes(g, h, w, shapes, err);
        if (rc)
            goto done;
        vsr_shape o = shapes[g->output_blob];
        int s = o.h / h;
        if (s < 1 || o.h != s * h || o.w != s * w || (p && s != g->scale)) {
            rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                               "output %dx%d for input %dx%d is not a fixed integer scale", o.w,
                               o.h, w, h);
            goto done;
        }
        g->scale = s;
        g->out_channels = o.c;
        if (p == 0) {
            double flops = 0;
            for (int i = 0; i < g->n_nodes; i++) {
                const vsr_node *n = &g->nodes[i];
                const vsr_conv_params *c = &n->p.conv;
                if (n->type == VSR_OP_CONV || n->type == VSR_OP_GROUP_CONV) {
                    const vsr_shape *y = &shapes[n->output];
                    flops += 2.0 * c->in_c * c->kernel_h * c->kernel_w * (double)y->c * y->h * y->w;
                } else if (n->type == VSR_OP_DECONV) {
                    const vsr_shape *x = &shapes[n->inputs[0]];
                    flops += 2.0 * c->out_c / groups_of(c) * c->kernel_h * c->kernel_w *
                             (double)x->c * x->h * x->w;
                }
            }
            g->flops_per_pixel = flops / ((double)h * w);
            size_t floats = peak_live_floats(g, shapes);
            g->peak_bytes_per_pixel =
                (floats * sizeof(float) + (size_t)h * w - 1) / ((size_t)h * w);
        }
    }
    compute_receptive_radius(g, radius, scale);
    g->receptive_radius = (int)ceil(radius[g->output_blob] - 1e-9);
done:
    free(shapes);
    free(radius);
    free(scale);
    return rc;
}

int vsr_graph_append_node(vsr_graph *g, int *cap_nodes, vsr_weight_refs **refs, int *cap_refs,
                          vsr_node **node, vsr_weight_refs **ref, vsr_error *err)
{
    int rc = vsr_array_grow((void **)&g->nodes, cap_nodes, g->n_nodes + 1, sizeof(vsr_node), err);
    if (!rc)
        rc = vsr_array_grow((void **)refs, cap_refs, g->n_nodes + 1, sizeof(vsr_weight_refs), err);
    if (rc)
        return rc;
    *node = &g->nodes[g->n_nodes];
    memset(*node, 0, sizeof **node);
    (*node)->output = -1;
    *ref = &(*refs)[g->n_nodes];
    **ref = (vsr_weight_refs){-1, -1, -1};
    return VSR_OK;
}

void vsr_graph_resolve_weights(vsr_graph *g, const vsr_weight_refs *refs)
{
    for (int i = 0; i < g->n_nodes; i++) {
        vsr_node *n = &g->nodes[i];
        const vsr_weight_refs *r = &refs[i];
        if (n->type == VSR_OP_CONV || n->type == VSR_OP_GROUP_CONV || n->type == VSR_OP_DECONV) {
            n->p.conv.weight = g->weights + r->weight;
            n->p.conv.bias = r->bias >= 0 ? g->weights + r->bias : NULL;
        } else if (n->type == VSR_OP_ACTIVATION && n->p.act.type == VSR_ACT_PRELU) {
            n->p.act.slopes = g->weights + r->slopes;
        }
    }
}

void vsr_graph_free(vsr_graph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->blob_names);
    free(g->blob_last_use);
    free(g->weights);
    memset(g, 0, sizeof *g);
}
