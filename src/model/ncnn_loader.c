/* ncnn .param/.bin -> graph IR. The .param is read line by line so that
 * every message can name the line; weights are read from the .bin in layer
 * order as each layer is parsed, exactly as ncnn does. */
#include "model/ncnn_loader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ncnn_bin.h"
#include "model/ncnn_param.h"
#include "util/array.h"
#include "util/file_read.h"

#define NCNN_MAGIC 7767517
#define MAX_LAYERS 100000
#define MAX_PARAM_BYTES (16u << 20)
#define MAX_BIN_BYTES ((size_t)2 << 30)
#define MAX_TOKENS (4 + 2 * VSR_MAX_NODE_INPUTS + 64 + NCNN_MAX_PARAM)

typedef struct blob_alias {
    char name[VSR_NAME_MAX];
    int id;
} blob_alias;

typedef struct loader {
    const char *param_name;
    vsr_graph *g;
    int cap_nodes, cap_refs, cap_blobs;
    blob_alias *aliases;
    int n_aliases, cap_aliases;
    vsr_weight_refs *refs;
    size_t cap_weights;
    ncnn_bin_reader bin;
    int n_inputs_seen;
    char where[512]; /* "file:line (layer name)" for messages */
} loader;

static int find_blob(const loader *l, const char *name)
{
    for (int i = l->n_aliases - 1; i >= 0; i--)
        if (strcmp(l->aliases[i].name, name) == 0)
            return l->aliases[i].id;
    return -1;
}

static int add_alias(loader *l, const char *name, int id, vsr_error *err)
{
    if (strlen(name) >= VSR_NAME_MAX)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: blob name '%s' is too long (max %d)",
                             l->where, name, VSR_NAME_MAX - 1);
    if (find_blob(l, name) >= 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: blob '%s' is produced twice", l->where,
                             name);
    int rc = vsr_array_grow((void **)&l->aliases, &l->cap_aliases, l->n_aliases + 1,
                            sizeof(blob_alias), err);
    if (rc)
        return rc;
    snprintf(l->aliases[l->n_aliases].name, VSR_NAME_MAX, "%s", name);
    l->aliases[l->n_aliases].id = id;
    l->n_aliases++;
    return VSR_OK;
}

static int new_blob(loader *l, const char *name, int *id, vsr_error *err)
{
    vsr_graph *g = l->g;
    int rc =
        vsr_array_grow((void **)&g->blob_names, &l->cap_blobs, g->n_blobs + 1, VSR_NAME_MAX, err);
    if (rc)
        return rc;
    rc = add_alias(l, name, g->n_blobs, err);
    if (rc)
        return rc;
    snprintf(g->blob_names[g->n_blobs], VSR_NAME_MAX, "%s", name);
    *id = g->n_blobs++;
    return VSR_OK;
}

/* Reserves count floats in the weight array and reads them from the .bin. */
static int read_weights(loader *l, size_t count, int tagged, long *offset, const char *what,
                        vsr_error *err)
{
    vsr_graph *g = l->g;
    /* fp16 is the densest encoding we accept: refuse counts the file cannot
     * hold before allocating for them. */
    if (count > (l->bin.len - l->bin.pos) / 2 + 2)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: truncated: %s of %s needs %zu values at offset %zu, only %zu "
                             "bytes left",
                             l->bin.name, what, l->where, count, l->bin.pos,
                             l->bin.len - l->bin.pos);
    if (g->n_weights + count > l->cap_weights) {
        size_t cap = l->cap_weights ? l->cap_weights : 4096;
        while (cap < g->n_weights + count)
            cap *= 2;
        float *w = realloc(g->weights, cap * sizeof(float));
        if (!w)
            return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for weights");
        g->weights = w;
        l->cap_weights = cap;
    }
    char label[600];
    snprintf(label, sizeof label, "%s of %s", what, l->where);
    float *dst = g->weights + g->n_weights;
    int rc = tagged ? ncnn_bin_read_tagged(&l->bin, count, dst, label, err)
                    : ncnn_bin_read_raw(&l->bin, count, dst, label, err);
    if (rc)
        return rc;
    *offset = (long)g->n_weights;
    g->n_weights += count;
    return VSR_OK;
}

static int refuse(loader *l, vsr_error *err, const char *what)
{
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: %s", l->where, what);
}

static int parse_activation(loader *l, const ncnn_params *p, vsr_activation *act, vsr_error *err)
{
    int type = ncnn_param_int(p, 9, 0);
    const ncnn_param_value *ap = &p->v[10];
    memset(act, 0, sizeof *act);
    switch (type) {
    case 0: act->type = VSR_ACT_NONE; return VSR_OK;
    case 1: act->type = VSR_ACT_RELU; return VSR_OK;
    case 2:
        act->type = VSR_ACT_LEAKY;
        act->alpha = ap->is_array && ap->n >= 1 ? ap->array[0] : 0.f;
        return VSR_OK;
    case 3:
        if (!ap->is_array || ap->n < 2)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: clip activation needs 2 parameters",
                                 l->where);
        act->type = VSR_ACT_CLIP;
        act->alpha = ap->array[0];
        act->beta = ap->array[1];
        return VSR_OK;
    case 4: act->type = VSR_ACT_SIGMOID; return VSR_OK;
    }
    char msg[96];
    snprintf(msg, sizeof msg,
             "fused activation type %d is not supported (have none, ReLU, "
             "LeakyReLU, Clip, Sigmoid)",
             type);
    return refuse(l, err, msg);
}

static int parse_convolution(loader *l, const ncnn_params *p, vsr_node *n, vsr_weight_refs *refs,
                             vsr_error *err)
{
    vsr_conv_params *c = &n->p.conv;
    c->out_c = ncnn_param_int(p, 0, 0);
    c->kernel_w = ncnn_param_int(p, 1, 0);
    c->kernel_h = ncnn_param_int(p, 11, c->kernel_w);
    c->dilation_w = ncnn_param_int(p, 2, 1);
    c->dilation_h = ncnn_param_int(p, 12, c->dilation_w);
    c->stride_w = ncnn_param_int(p, 3, 1);
    c->stride_h = ncnn_param_int(p, 13, c->stride_w);
    int pad_left = ncnn_param_int(p, 4, 0);
    int pad_right = ncnn_param_int(p, 15, pad_left);
    int pad_top = ncnn_param_int(p, 14, pad_left);
    int pad_bottom = ncnn_param_int(p, 16, pad_top);
    int bias_term = ncnn_param_int(p, 5, 0);
    long weight_size = ncnn_param_int(p, 6, 0);
    /* Every size is range-checked here, before the SAME padding below or
     * the graph computes with it (a huge pad or dilation overflowed). */
    if (c->out_c <= 0 || c->out_c > 65536 || c->kernel_w <= 0 || c->kernel_h <= 0 ||
        c->kernel_w > 31 || c->kernel_h > 31 || c->dilation_w <= 0 || c->dilation_h <= 0 ||
        c->dilation_w > VSR_MAX_DILATION || c->dilation_h > VSR_MAX_DILATION || c->stride_w <= 0 ||
        c->stride_h <= 0 || c->stride_w > VSR_MAX_STRIDE || c->stride_h > VSR_MAX_STRIDE ||
        weight_size <= 0)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: bad convolution parameters (num_output %d of 1..65536, kernel "
                             "%dx%d of 1..31, dilation %dx%d of 1..%d, stride %dx%d of 1..%d, "
                             "weight_data_size %ld)",
                             l->where, c->out_c, c->kernel_w, c->kernel_h, c->dilation_w,
                             c->dilation_h, VSR_MAX_DILATION, c->stride_w, c->stride_h,
                             VSR_MAX_STRIDE, weight_size);
    const int pads[4] = {pad_left, pad_right, pad_top, pad_bottom};
    for (int k = 0; k < 4; k++)
        if (pads[k] > VSR_MAX_PAD)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: bad convolution padding %d,%d,%d,%d (left, right, top, "
                                 "bottom: 0..%d, or -233/-234 for SAME)",
                                 l->where, pad_left, pad_right, pad_top, pad_bottom, VSR_MAX_PAD);
    if (ncnn_param_int(p, 8, 0))
        return refuse(l, err, "int8 convolution (8=int8_scale_term) is not supported");
    if (ncnn_param_int(p, 19, 0))
        return refuse(l, err, "dynamic convolution weights (19=1) are not supported");
    if (ncnn_param_float(p, 18, 0.f) != 0.f)
        return refuse(l, err, "convolution padding with a nonzero value is not supported");
    if (pad_left < 0 || pad_right < 0 || pad_top < 0 || pad_bottom < 0) {
        /* -233/-234: SAME padding, size dependent unless stride is 1. */
        if ((pad_left != -233 && pad_left != -234) || c->stride_w != 1 || c->stride_h != 1)
            return refuse(l, err, "this negative (automatic) padding mode is not supported");
        int ew = c->dilation_w * (c->kernel_w - 1), eh = c->dilation_h * (c->kernel_h - 1);
        int lower = pad_left == -234;
        pad_left = lower ? ew - ew / 2 : ew / 2;
        pad_right = ew - pad_left;
        pad_top = lower ? eh - eh / 2 : eh / 2;
        pad_bottom = eh - pad_top;
    }
    c->pad_left = pad_left, c->pad_right = pad_right;
    c->pad_top = pad_top, c->pad_bottom = pad_bottom;
    long per_in = (long)c->out_c * c->kernel_w * c->kernel_h;
    if (weight_size % per_in)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: weight_data_size %ld is not a multiple of num_output x kernel "
                             "(%ld)",
                             l->where, weight_size, per_in);
    c->in_c = (int)(weight_size / per_in);
    int rc = parse_activation(l, p, &c->act, err);
    if (rc)
        return rc;
    rc = read_weights(l, (size_t)weight_size, 1, &refs->weight, "weights", err);
    if (!rc && bias_term)
        rc = read_weights(l, (size_t)c->out_c, 0, &refs->bias, "bias", err);
    return rc;
}

static int parse_interp(loader *l, const ncnn_params *p, vsr_node *n, vsr_error *err)
{
    vsr_interp_params *ip = &n->p.interp;
    int mode = ncnn_param_int(p, 0, 0);
    if (mode < 1 || mode > 3) {
        char msg[80];
        snprintf(msg, sizeof msg, "Interp resize_type %d is not supported (1, 2, 3)", mode);
        return refuse(l, err, msg);
    }
    ip->mode = (vsr_interp_mode)mode;
    ip->scale_h = ncnn_param_float(p, 1, 1.f);
    ip->scale_w = ncnn_param_float(p, 2, 1.f);
    ip->align_corners = ncnn_param_int(p, 6, 0);
    if (ncnn_param_int(p, 3, 0) || ncnn_param_int(p, 4, 0) || ncnn_param_int(p, 5, 0))
        return refuse(l, err, "Interp to a fixed or dynamic output size is not supported");
    if (!(ip->scale_h > 0.f && ip->scale_h <= 64.f && ip->scale_w > 0.f && ip->scale_w <= 64.f))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad Interp scale %gx%g", l->where,
                             (double)ip->scale_w, (double)ip->scale_h);
    return VSR_OK;
}

static int parse_binary(loader *l, const ncnn_params *p, vsr_node *n, vsr_error *err)
{
    int op = ncnn_param_int(p, 0, 0);
    if (op < 0 || op > 5) {
        char msg[96];
        snprintf(msg, sizeof msg,
                 "BinaryOp op_type %d is not supported (add, sub, mul, div, max, min)", op);
        return refuse(l, err, msg);
    }
    n->p.binary.op = (vsr_binary_op)op;
    n->p.binary.with_scalar = ncnn_param_int(p, 1, 0);
    n->p.binary.scalar = ncnn_param_float(p, 2, 0.f);
    return VSR_OK;
}

static int parse_eltwise(loader *l, const ncnn_params *p, vsr_node *n, vsr_error *err)
{
    int op = ncnn_param_int(p, 0, 0);
    if (op < 0 || op > 2) {
        char msg[80];
        snprintf(msg, sizeof msg, "Eltwise op_type %d is not supported (prod, sum, max)", op);
        return refuse(l, err, msg);
    }
    vsr_eltwise_params *e = &n->p.eltwise;
    e->op = (vsr_eltwise_op)op;
    const ncnn_param_value *cv = &p->v[1];
    if (cv->is_array && cv->n > 0) {
        if (cv->n != n->n_inputs)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %d Eltwise coefficients for %d inputs",
                                 l->where, cv->n, n->n_inputs);
        if (e->op != VSR_ELT_SUM)
            return refuse(l, err, "Eltwise coefficients are only supported with sum");
        e->n_coeffs = cv->n;
        memcpy(e->coeffs, cv->array, sizeof(float) * (size_t)cv->n);
    }
    return VSR_OK;
}

/* Parses one layer line (already split into tokens). */
static int parse_layer(loader *l, char **tok, int ntok, vsr_error *err)
{
    vsr_graph *g = l->g;
    const char *type = tok[0], *name = tok[1];
    char *end;
    long n_in = strtol(tok[2], &end, 10);
    int bad = *end != '\0';
    long n_out = strtol(tok[3], &end, 10);
    bad |= *end != '\0';
    if (bad || n_in < 0 || n_out < 0 || n_in > VSR_MAX_NODE_INPUTS || n_out > 64 ||
        4 + n_in + n_out > ntok)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: bad input/output counts '%s %s' (at most %d inputs)", l->where,
                             tok[2], tok[3], VSR_MAX_NODE_INPUTS);
    char **bottoms = tok + 4, **tops = tok + 4 + n_in;
    ncnn_params params;
    memset(&params, 0, sizeof params);
    for (int i = 4 + (int)(n_in + n_out); i < ntok; i++) {
        int rc = ncnn_params_parse_token(&params, tok[i], l->where, err);
        if (rc)
            return rc;
    }
    int inputs[VSR_MAX_NODE_INPUTS];
    for (int i = 0; i < n_in; i++) {
        inputs[i] = find_blob(l, bottoms[i]);
        if (inputs[i] < 0)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: input blob '%s' is not produced by an earlier layer",
                                 l->where, bottoms[i]);
    }

    if (strcmp(type, "Input") == 0) {
        if (n_in != 0 || n_out != 1)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: Input takes 0 inputs and 1 output",
                                 l->where);
        if (l->n_inputs_seen++)
            return refuse(l, err, "more than one Input layer");
        g->in_channels = ncnn_param_int(&params, 2, 3);
        if (g->in_channels <= 0)
            g->in_channels = 3;
        return new_blob(l, tops[0], &g->input_blob, err);
    }
    if (strcmp(type, "Split") == 0) {
        if (n_in != 1)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: Split takes 1 input", l->where);
        for (int i = 0; i < n_out; i++) {
            int rc = add_alias(l, tops[i], inputs[0], err);
            if (rc)
                return rc;
        }
        return VSR_OK;
    }
    if (strcmp(type, "Noop") == 0 && n_in == 1 && n_out == 1)
        return add_alias(l, tops[0], inputs[0], err);
    if (n_out != 1)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s must have exactly 1 output, has %ld",
                             l->where, type, n_out);

    vsr_node *n;
    vsr_weight_refs *refs;
    int rc = vsr_graph_append_node(g, &l->cap_nodes, &l->refs, &l->cap_refs, &n, &refs, err);
    if (rc)
        return rc;
    if (strlen(name) >= VSR_NAME_MAX)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: layer name too long (max %d)", l->where,
                             VSR_NAME_MAX - 1);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->n_inputs = (int)n_in;
    memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_in);

    if (strcmp(type, "Convolution") == 0) {
        n->type = VSR_OP_CONV;
        rc = parse_convolution(l, &params, n, refs, err);
    } else if (strcmp(type, "PReLU") == 0) {
        n->type = VSR_OP_ACTIVATION;
        n->p.act.type = VSR_ACT_PRELU;
        n->p.act.n_slopes = ncnn_param_int(&params, 0, 0);
        if (n->p.act.n_slopes <= 0 || n->p.act.n_slopes > 65536)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad PReLU num_slope %d", l->where,
                                 n->p.act.n_slopes);
        rc = read_weights(l, (size_t)n->p.act.n_slopes, 0, &refs->slopes, "slopes", err);
    } else if (strcmp(type, "ReLU") == 0) {
        n->type = VSR_OP_ACTIVATION;
        n->p.act.alpha = ncnn_param_float(&params, 0, 0.f);
        n->p.act.type = n->p.act.alpha != 0.f ? VSR_ACT_LEAKY : VSR_ACT_RELU;
    } else if (strcmp(type, "Sigmoid") == 0) {
        n->type = VSR_OP_ACTIVATION;
        n->p.act.type = VSR_ACT_SIGMOID;
    } else if (strcmp(type, "Clip") == 0) {
        n->type = VSR_OP_ACTIVATION;
        n->p.act.type = VSR_ACT_CLIP;
        n->p.act.alpha = ncnn_param_float(&params, 0, -3.402823466e+38f);
        n->p.act.beta = ncnn_param_float(&params, 1, 3.402823466e+38f);
    } else if (strcmp(type, "PixelShuffle") == 0) {
        n->type = VSR_OP_PIXEL_SHUFFLE;
        n->p.shuffle_factor = ncnn_param_int(&params, 0, 1);
        if (n->p.shuffle_factor < 1 || n->p.shuffle_factor > 16)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad PixelShuffle factor %d", l->where,
                                 n->p.shuffle_factor);
        if (ncnn_param_int(&params, 1, 0) != 0)
            return refuse(l, err, "PixelShuffle mode 1 is not supported (only PyTorch order)");
    } else if (strcmp(type, "Interp") == 0) {
        n->type = VSR_OP_INTERP;
        rc = parse_interp(l, &params, n, err);
    } else if (strcmp(type, "BinaryOp") == 0) {
        n->type = VSR_OP_BINARY;
        rc = parse_binary(l, &params, n, err);
    } else if (strcmp(type, "Eltwise") == 0) {
        n->type = VSR_OP_ELTWISE;
        rc = parse_eltwise(l, &params, n, err);
    } else if (strcmp(type, "Concat") == 0) {
        n->type = VSR_OP_CONCAT;
        int axis = ncnn_param_int(&params, 0, 0);
        if (axis != 0 && axis != -3)
            return refuse(l, err, "Concat along an axis other than channels is not supported");
    } else {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "layer type '%.64s' is not supported (have Input, Split, Convolution, PReLU, "
                 "ReLU, Sigmoid, Clip, PixelShuffle, Interp, BinaryOp, Eltwise, Concat)",
                 type);
        return refuse(l, err, msg);
    }
    if (rc)
        return rc;
    rc = new_blob(l, tops[0], &n->output, err);
    if (rc)
        return rc;
    g->n_nodes++;
    return VSR_OK;
}

/* Picks the graph output: the one produced blob nobody reads ("output" if
 * several). */
static int pick_output(loader *l, vsr_error *err)
{
    vsr_graph *g = l->g;
    char *read = calloc((size_t)g->n_blobs + 1, 1);
    if (!read)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            read[g->nodes[i].inputs[k]] = 1;
    int found = -1, count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int b = g->nodes[i].output;
        if (read[b])
            continue;
        count++;
        if (found < 0 || strcmp(g->blob_names[b], "output") == 0)
            found = b;
    }
    free(read);
    if (count == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the graph has no output", l->param_name);
    if (count > 1 && strcmp(g->blob_names[found], "output") != 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the graph has %d unused outputs and none is named 'output'",
                             l->param_name, count);
    g->output_blob = found;
    return VSR_OK;
}

/* Splits line into whitespace-separated tokens in place. */
static int tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (n == max)
            return -1;
        tok[n++] = t;
    }
    return n;
}

static int load(loader *l, char *text, vsr_error *err)
{
    vsr_graph *g = l->g;
    g->input_blob = g->output_blob = -1;
    int lineno = 0, layer_count = -1, layers_seen = 0, magic_seen = 0;
    char *tok[MAX_TOKENS];
    char *next = text;
    while (next) {
        char *line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        snprintf(l->where, sizeof l->where, "%s:%d", l->param_name, lineno);
        int n = tokenize(line, tok, MAX_TOKENS);
        if (n < 0)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: too many fields", l->where);
        if (n == 0)
            continue;
        if (!magic_seen) {
            magic_seen = 1;
            if (n != 1 || strtol(tok[0], NULL, 10) != NCNN_MAGIC)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "%s: not an ncnn .param file (first line must be %d)",
                                     l->where, NCNN_MAGIC);
            continue;
        }
        if (layer_count < 0) {
            char *e1 = NULL, *e2 = NULL;
            long lc = n == 2 ? strtol(tok[0], &e1, 10) : -1;
            long bc = n == 2 ? strtol(tok[1], &e2, 10) : -1;
            if (n != 2 || *e1 || *e2 || lc <= 0 || lc > MAX_LAYERS || bc <= 0 || bc > MAX_LAYERS)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "%s: expected 'layer_count blob_count', got %d fields",
                                     l->where, n);
            layer_count = (int)lc;
            continue;
        }
        if (n < 4)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: a layer line needs 'type name inputs outputs', got %d fields",
                                 l->where, n);
        if (++layers_seen > layer_count)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: more layers than the %d declared",
                                 l->where, layer_count);
        snprintf(l->where, sizeof l->where, "%s:%d (layer %.64s %.64s)", l->param_name, lineno,
                 tok[0], tok[1]);
        int rc = parse_layer(l, tok, n, err);
        if (rc)
            return rc;
    }
    if (layer_count < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: empty or missing header", l->param_name);
    if (layers_seen != layer_count)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %d layers declared, %d found", l->param_name,
                             layer_count, layers_seen);
    if (g->input_blob < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no Input layer", l->param_name);
    if (l->bin.pos != l->bin.len)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: %zu bytes left over after the last layer's weights (the .bin "
                             "does not match %s)",
                             l->bin.name, l->bin.len - l->bin.pos, l->param_name);
    int rc = pick_output(l, err);
    if (rc)
        return rc;
    vsr_graph_resolve_weights(l->g, l->refs);
    rc = vsr_graph_finalize(g, err);
    if (rc)
        vsr_error_prefix(err, "%s", l->param_name);
    return rc;
}

int vsr_ncnn_load_memory(const char *param_text, size_t param_len, const char *param_name,
                         const unsigned char *bin, size_t bin_len, const char *bin_name,
                         vsr_graph *g, vsr_error *err)
{
    memset(g, 0, sizeof *g);
    if (param_len > MAX_PARAM_BYTES)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: too large for a .param file (%zu bytes)",
                             param_name, param_len);
    if (memchr(param_text, '\0', param_len))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: contains NUL bytes (not a text .param)",
                             param_name);
    char *text = malloc(param_len + 1);
    if (!text)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    memcpy(text, param_text, param_len);
    text[param_len] = '\0';

    loader l;
    memset(&l, 0, sizeof l);
    l.param_name = param_name;
    l.g = g;
    l.bin = (ncnn_bin_reader){bin, bin_len, 0, bin_name};
    int rc = load(&l, text, err);
    free(text);
    free(l.aliases);
    free(l.refs);
    if (rc) {
        vsr_graph_free(g);
        return rc;
    }
    /* Name the model after the file: dir/realesr-animevideov3-x4.param. */
    const char *base = strrchr(param_name, '/');
    base = base ? base + 1 : param_name;
    snprintf(g->name, sizeof g->name, "%.*s", (int)strcspn(base, "."), base);
    return VSR_OK;
}

int vsr_ncnn_load_files(const char *param_path, const char *bin_path, vsr_graph *g, vsr_error *err)
{
    unsigned char *param = NULL, *bin = NULL;
    size_t param_len = 0, bin_len = 0;
    memset(g, 0, sizeof *g);
    int rc = vsr_read_file(param_path, MAX_PARAM_BYTES, NULL, &param, &param_len, err);
    if (!rc)
        rc = vsr_read_file(bin_path, MAX_BIN_BYTES, NULL, &bin, &bin_len, err);
    if (!rc)
        rc = vsr_ncnn_load_memory((const char *)param, param_len, param_path, bin, bin_len,
                                  bin_path, g, err);
    free(param);
    free(bin);
    return rc;
}
