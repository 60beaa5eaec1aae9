/* ONNX nodes -> IR nodes, one translator per op type. Translators read
 * constants (weights, shapes, scales) at load time and refuse, naming the
 * node, whatever the IR cannot run exactly: other attribute values,
 * tensors where constants are needed, broadcasting beyond per-channel
 * constants. Constant folding is limited to what exports of SR networks
 * need (Constant, Identity and Reshape of constants). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/onnx_internal.h"

typedef struct op_ctx {
    onnx_loader *l;
    const Onnx__NodeProto *n;
    int index;
    const char *name; /* the node's name, or "Op_index" when it has none */
    char name_buf[VSR_NAME_MAX];
} op_ctx;

static int refuse(op_ctx *o, vsr_error *err, const char *fmt, const char *arg)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, arg);
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: %s", o->l->where, msg);
}

/* ---- attributes ---- */

static const Onnx__AttributeProto *attr(const op_ctx *o, const char *name)
{
    for (size_t k = 0; k < o->n->n_attribute; k++) {
        const Onnx__AttributeProto *a = o->n->attribute[k];
        if (a && a->name && strcmp(a->name, name) == 0)
            return a;
    }
    return NULL;
}

static int attr_int(const op_ctx *o, const char *name, long def, long *v, vsr_error *err)
{
    const Onnx__AttributeProto *a = attr(o, name);
    *v = def;
    if (!a)
        return VSR_OK;
    if (!a->has_i && a->n_ints)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: attribute %s must be one integer",
                             o->l->where, name);
    if (a->i < -(1L << 30) || a->i > (1L << 30))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: attribute %s = %lld is out of range",
                             o->l->where, name, (long long)a->i);
    *v = (long)a->i;
    return VSR_OK;
}

static float attr_float(const op_ctx *o, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(o, name);
    return a && a->has_f ? a->f : def;
}

/* A string attribute into buf ("" = absent: def). */
static void attr_string(const op_ctx *o, const char *name, const char *def, char *buf, size_t len)
{
    const Onnx__AttributeProto *a = attr(o, name);
    if (a && a->has_s && a->s.len > 0 && a->s.data)
        snprintf(buf, len, "%.*s", (int)(a->s.len < 63 ? a->s.len : 63), (const char *)a->s.data);
    else
        snprintf(buf, len, "%s", def);
}

/* Up to max integers of an ints attribute; *n = 0 when absent. */
static int attr_ints(const op_ctx *o, const char *name, int max, long *v, int *n, vsr_error *err)
{
    const Onnx__AttributeProto *a = attr(o, name);
    *n = 0;
    if (!a)
        return VSR_OK;
    if ((int)a->n_ints > max)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: attribute %s has %zu values (at most %d)", o->l->where, name,
                             a->n_ints, max);
    for (size_t k = 0; k < a->n_ints; k++) {
        if (a->ints[k] < -(1L << 30) || a->ints[k] > (1L << 30))
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: attribute %s has out-of-range value %lld", o->l->where, name,
                                 (long long)a->ints[k]);
        v[k] = (long)a->ints[k];
    }
    *n = (int)a->n_ints;
    return VSR_OK;
}

/* ---- inputs ---- */

static const char *input_name(const op_ctx *o, int k)
{
    return k < (int)o->n->n_input && o->n->input[k] ? o->n->input[k] : "";
}

static int has_input(const op_ctx *o, int k)
{
    return *input_name(o, k) != '\0';
}

static int lookup_input(op_ctx *o, int k, const onnx_value **v, vsr_error *err)
{
    const char *name = input_name(o, k);
    if (!*name)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: input %d is missing", o->l->where, k);
    *v = onnx_lookup(o->l, name);
    if (!*v)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: input %d '%.200s' is not the graph input, an initializer or "
                             "the output of an earlier node (a missing initializer?)",
                             o->l->where, k, name);
    return VSR_OK;
}

static int input_blob(op_ctx *o, int k, int *blob, vsr_error *err)
{
    const onnx_value *v;
    int rc = lookup_input(o, k, &v, err);
    if (rc)
        return rc;
    if (v->kind != ONNX_BLOB)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: input %d '%.200s' is a constant where the image tensor is "
                             "expected (constant subgraphs are not folded)",
                             o->l->where, k, v->name);
    *blob = v->id;
    return VSR_OK;
}

static int input_const(op_ctx *o, int k, const onnx_const **c, vsr_error *err)
{
    const onnx_value *v;
    int rc = lookup_input(o, k, &v, err);
    if (rc)
        return rc;
    if (v->kind != ONNX_CONST)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: input %d '%.200s' must be an initializer or a Constant (it is "
                             "computed at run time)",
                             o->l->where, k, v->name);
    *c = &o->l->consts[v->id];
    return VSR_OK;
}

static const char *output_name(const op_ctx *o)
{
    return o->n->n_output >= 1 && o->n->output[0] ? o->n->output[0] : "";
}

static int check_arity(op_ctx *o, int min_in, int max_in, vsr_error *err)
{
    int n = (int)o->n->n_input;
    while (n > 0 && !has_input(o, n - 1))
        n--; /* trailing optional inputs given as "" */
    if (n < min_in || n > max_in)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: takes %d to %d inputs, has %d", o->l->where,
                             min_in, max_in, n);
    if (o->n->n_output < 1 || !*output_name(o))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: has no output", o->l->where);
    for (size_t k = 1; k < o->n->n_output; k++)
        if (o->n->output[k] && *o->n->output[k])
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "%s: its extra output '%.200s' is not supported", o->l->where,
                                 o->n->output[k]);
    return VSR_OK;
}

static vsr_shape shape_of(const op_ctx *o, int blob)
{
    return o->l->shapes[blob];
}

/* Emits a one-input node and finishes it. */
static int emit1(op_ctx *o, vsr_op_type type, int in, vsr_node **node, vsr_weight_refs **refs,
                 vsr_error *err)
{
    int rc = onnx_new_node(o->l, type, o->name, node, refs, err);
    if (rc)
        return rc;
    (*node)->n_inputs = 1;
    (*node)->inputs[0] = in;
    return VSR_OK;
}

/* ---- constants: Constant, Identity, Reshape of constants ---- */

static int op_constant(op_ctx *o, vsr_error *err)
{
    if (o->n->n_input)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: a Constant takes no inputs", o->l->where);
    int rc = check_arity(o, 0, 0, err);
    if (rc)
        return rc;
    onnx_const c;
    int id;
    rc = onnx_constant_attr(o->n, o->l->where, &c, err);
    if (!rc)
        rc = onnx_add_const(o->l, &c, &id, err);
    return rc ? rc : onnx_bind(o->l, output_name(o), ONNX_CONST, id, err);
}

static int op_identity(op_ctx *o, vsr_error *err)
{
    const onnx_value *v;
    int rc = check_arity(o, 1, 1, err);
    if (!rc)
        rc = lookup_input(o, 0, &v, err);
    return rc ? rc : onnx_bind(o->l, output_name(o), v->kind, v->id, err);
}

/* ---- activations ---- */

static int emit_act(op_ctx *o, int in, vsr_activation act, vsr_error *err)
{
    vsr_node *n;
    int rc = emit1(o, VSR_OP_ACTIVATION, in, &n, NULL, err);
    if (rc)
        return rc;
    n->p.act = act;
    return onnx_finish_node(o->l, output_name(o), err);
}

static int op_relu(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 1, err);
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    return rc ? rc : emit_act(o, in, (vsr_activation){.type = VSR_ACT_RELU}, err);
}

static int op_sigmoid(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 1, err);
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    return rc ? rc : emit_act(o, in, (vsr_activation){.type = VSR_ACT_SIGMOID}, err);
}

static int op_leaky_relu(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 1, err);
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    vsr_activation a = {.type = VSR_ACT_LEAKY, .alpha = attr_float(o, "alpha", 0.01f)};
    return rc ? rc : emit_act(o, in, a, err);
}

/* One float of an optional scalar constant input, or def. */
static int scalar_input(op_ctx *o, int k, float def, float *v, vsr_error *err)
{
    *v = def;
    if (!has_input(o, k))
        return VSR_OK;
    const onnx_const *c;
    int rc = input_const(o, k, &c, err);
    if (rc)
        return rc;
    if (c->count != 1)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: input %d must be a scalar, has %zu values",
                             o->l->where, k, c->count);
    *v = c->f[0];
    return VSR_OK;
}

static int op_clip(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 3, err);
    vsr_activation a = {.type = VSR_ACT_CLIP};
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = scalar_input(o, 1, -FLT_MAX, &a.alpha, err);
    if (!rc)
        rc = scalar_input(o, 2, FLT_MAX, &a.beta, err);
    return rc ? rc : emit_act(o, in, a, err);
}

/* The channel count a constant broadcasts over, if it varies only along
 * the channel axis of N x C x H x W: 1 for a scalar, C for shapes
 * [C,1,1] and [1,C,1,1]; 0 if it varies along anything else. */
static int per_channel_count(const onnx_const *c)
{
    if (c->count == 1)
        return 1;
    if (c->ndims < 3 || c->ndims > 4)
        return 0;
    for (int k = 0; k < c->ndims; k++)
        if (k != c->ndims - 3 && c->dims[k] != 1)
            return 0;
    return (int)c->dims[c->ndims - 3];
}

static int op_prelu(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 2, 2, err);
    const onnx_const *slope;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = input_const(o, 1, &slope, err);
    if (rc)
        return rc;
    int n = per_channel_count(slope), channels = shape_of(o, in).c;
    if (n != 1 && n != channels)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: PRelu slope of %zu values (%d-D) does not broadcast per channel "
                             "over %d channels",
                             o->l->where, slope->count, slope->ndims, channels);
    vsr_node *node;
    vsr_weight_refs *refs;
    rc = emit1(o, VSR_OP_ACTIVATION, in, &node, &refs, err);
    if (!rc)
        rc = onnx_add_weights(o->l, slope->f, (size_t)n, &refs->slopes, err);
    if (rc)
        return rc;
    node->p.act.type = VSR_ACT_PRELU;
    node->p.act.n_slopes = n;
    return onnx_finish_node(o->l, output_name(o), err);
}

/* ---- convolutions ---- */

typedef struct conv_attrs {
    long kernel[2], stride[2], dilation[2], pads[4], out_pad[2], group;
} conv_attrs;

/* The attributes Conv and ConvTranspose share; kernel from the weight. */
static int read_conv_attrs(op_ctx *o, const onnx_const *w, int transposed, conv_attrs *a,
                           vsr_error *err)
{
    long v[4];
    int n, rc;
    a->kernel[0] = (long)w->dims[2];
    a->kernel[1] = (long)w->dims[3];
    rc = attr_ints(o, "kernel_shape", 2, v, &n, err);
    if (!rc && n && (n != 2 || v[0] != a->kernel[0] || v[1] != a->kernel[1]))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: kernel_shape does not match the %lldx%lld weight", o->l->where,
                             (long long)w->dims[2], (long long)w->dims[3]);
    const char *names[3] = {"strides", "dilations", "output_padding"};
    long *dst[3] = {a->stride, a->dilation, a->out_pad};
    long defs[3] = {1, 1, 0};
    for (int k = 0; !rc && k < 3; k++) {
        rc = attr_ints(o, names[k], 2, v, &n, err);
        if (!rc && n && n != 2)
            rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: %s must have 2 values (2-D)",
                               o->l->where, names[k]);
        dst[k][0] = n ? v[0] : defs[k];
        dst[k][1] = n ? v[1] : defs[k];
    }
    if (!rc)
        rc = attr_ints(o, "pads", 4, v, &n, err);
    if (!rc && n && n != 4)
        rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: pads must have 4 values (2-D)",
                           o->l->where);
    for (int k = 0; k < 4; k++)
        a->pads[k] = n == 4 ? v[k] : 0;
    if (!rc)
        rc = attr_int(o, "group", 1, &a->group, err);
    if (rc)
        return rc;
    if (!transposed && (a->out_pad[0] || a->out_pad[1]))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: output_padding on a Conv", o->l->where);
    if (a->kernel[0] < 1 || a->kernel[1] < 1 || a->kernel[0] > 63 || a->kernel[1] > 63 ||
        a->stride[0] < 1 || a->stride[1] < 1 || a->stride[0] > 64 || a->stride[1] > 64 ||
        a->dilation[0] < 1 || a->dilation[1] < 1 || a->dilation[0] > 64 || a->dilation[1] > 64 ||
        a->group < 1 || a->group > 65536 || a->out_pad[0] < 0 || a->out_pad[1] < 0 ||
        a->out_pad[0] >= a->stride[0] || a->out_pad[1] >= a->stride[1])
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: bad kernel %ldx%ld, strides %ldx%ld, dilations %ldx%ld, "
                             "output_padding %ldx%ld or group %ld",
                             o->l->where, a->kernel[0], a->kernel[1], a->stride[0], a->stride[1],
                             a->dilation[0], a->dilation[1], a->out_pad[0], a->out_pad[1],
                             a->group);
    for (int k = 0; k < 4; k++)
        if (a->pads[k] < 0 || a->pads[k] > 1024)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: pads value %ld is not supported",
                                 o->l->where, a->pads[k]);

    char autopad[64];
    attr_string(o, "auto_pad", "NOTSET", autopad, sizeof autopad);
    if (strcmp(autopad, "NOTSET") == 0)
        return VSR_OK;
    if (strcmp(autopad, "VALID") == 0) {
        memset(a->pads, 0, sizeof a->pads);
        return VSR_OK;
    }
    if (transposed || (strcmp(autopad, "SAME_UPPER") != 0 && strcmp(autopad, "SAME_LOWER") != 0))
        return refuse(o, err, "auto_pad %s is not supported here (use explicit pads)", autopad);
    if (a->stride[0] != 1 || a->stride[1] != 1)
        return refuse(o, err, "auto_pad %s with a stride other than 1 depends on the input size",
                      autopad);
    /* Stride 1: the total padding is the kernel's extent; SAME_UPPER puts
     * the odd pixel at the end, SAME_LOWER at the start. */
    int lower = strcmp(autopad, "SAME_LOWER") == 0;
    for (int k = 0; k < 2; k++) {
        long total = a->dilation[k] * (a->kernel[k] - 1);
        long begin = lower ? total - total / 2 : total / 2;
        a->pads[k] = begin;
        a->pads[k + 2] = total - begin;
    }
    return VSR_OK;
}

static int op_conv_common(op_ctx *o, int transposed, vsr_error *err)
{
    int in, rc = check_arity(o, 2, 3, err);
    const onnx_const *w, *b = NULL;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = input_const(o, 1, &w, err);
    if (!rc && has_input(o, 2))
        rc = input_const(o, 2, &b, err);
    if (rc)
        return rc;
    if (w->ndims != 4 || w->dims[0] <= 0 || w->dims[1] <= 0 || w->dims[0] > 65536 ||
        w->dims[1] > 65536)
        return refuse(o, err, "%s: only 2-D convolutions (a 4-D weight) are supported",
                      transposed ? "ConvTranspose" : "Conv");
    conv_attrs a;
    rc = read_conv_attrs(o, w, transposed, &a, err);
    if (rc)
        return rc;
    int channels = shape_of(o, in).c;
    int out_c = transposed ? (int)(w->dims[1] * a.group) : (int)w->dims[0];
    if (transposed ? w->dims[0] != channels || channels % a.group
                   : w->dims[1] * a.group != channels || w->dims[0] % a.group)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: weight %lldx%lldx%lldx%lld with group %ld does not fit an "
                             "input of %d channels",
                             o->l->where, (long long)w->dims[0], (long long)w->dims[1],
                             (long long)w->dims[2], (long long)w->dims[3], a.group, channels);
    if (b && (int)b->count != out_c)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bias has %zu values for %d output channels",
                             o->l->where, b->count, out_c);
    vsr_op_type type = transposed ? VSR_OP_DECONV : a.group > 1 ? VSR_OP_GROUP_CONV : VSR_OP_CONV;
    vsr_node *n;
    vsr_weight_refs *refs;
    rc = emit1(o, type, in, &n, &refs, err);
    if (!rc)
        rc = onnx_add_weights(o->l, w->f, w->count, &refs->weight, err);
    if (!rc && b)
        rc = onnx_add_weights(o->l, b->f, b->count, &refs->bias, err);
    if (rc)
        return rc;
    vsr_conv_params *c = &n->p.conv;
    c->out_c = out_c;
    c->in_c = transposed ? channels : (int)w->dims[1];
    c->kernel_h = (int)a.kernel[0], c->kernel_w = (int)a.kernel[1];
    c->stride_h = (int)a.stride[0], c->stride_w = (int)a.stride[1];
    c->dilation_h = (int)a.dilation[0], c->dilation_w = (int)a.dilation[1];
    c->pad_top = (int)a.pads[0], c->pad_left = (int)a.pads[1];
    c->pad_bottom = (int)a.pads[2], c->pad_right = (int)a.pads[3];
    c->groups = (int)a.group;
    c->out_pad_h = (int)a.out_pad[0], c->out_pad_w = (int)a.out_pad[1];
    return onnx_finish_node(o->l, output_name(o), err);
}

static int op_conv(op_ctx *o, vsr_error *err)
{
    return op_conv_common(o, 0, err);
}

static int op_conv_transpose(op_ctx *o, vsr_error *err)
{
    if (attr(o, "output_shape"))
        return refuse(o, err,
                      "%s: output_shape fixes the output size; use pads and "
                      "output_padding",
                      "ConvTranspose");
    return op_conv_common(o, 1, err);
}

/* ---- binary ops ---- */

/* A x + b per channel as a depthwise 1x1 convolution: how constants that
 * vary along channels (and c - x) run on every backend. */
static int emit_affine(op_ctx *o, int in, const float *scale, const float *shift, int n,
                       vsr_error *err)
{
    int channels = shape_of(o, in).c;
    float *w = malloc(sizeof(float) * (size_t)channels);
    float *b = malloc(sizeof(float) * (size_t)channels);
    int rc = !w || !b ? vsr_error_set(err, VSR_ERR_NOMEM, "out of memory") : VSR_OK;
    for (int k = 0; !rc && k < channels; k++) {
        w[k] = scale[n == 1 ? 0 : k];
        b[k] = shift[n == 1 ? 0 : k];
    }
    vsr_node *node;
    vsr_weight_refs *refs;
    if (!rc)
        rc = emit1(o, VSR_OP_GROUP_CONV, in, &node, &refs, err);
    if (!rc)
        rc = onnx_add_weights(o->l, w, (size_t)channels, &refs->weight, err);
    if (!rc)
        rc = onnx_add_weights(o->l, b, (size_t)channels, &refs->bias, err);
    free(w);
    free(b);
    if (rc)
        return rc;
    vsr_conv_params *c = &node->p.conv;
    c->out_c = channels;
    c->in_c = 1;
    c->groups = channels;
    c->kernel_h = c->kernel_w = c->stride_h = c->stride_w = c->dilation_h = c->dilation_w = 1;
    return onnx_finish_node(o->l, output_name(o), err);
}

static int op_binary(op_ctx *o, vsr_binary_op op, vsr_error *err)
{
    static const char *names[] = {"Add", "Sub", "Mul", "Div"};
    int rc = check_arity(o, 2, 2, err);
    const onnx_value *a, *b;
    if (!rc)
        rc = lookup_input(o, 0, &a, err);
    if (!rc)
        rc = lookup_input(o, 1, &b, err);
    if (rc)
        return rc;
    if (a->kind == ONNX_CONST && b->kind == ONNX_CONST)
        return refuse(o, err, "%s of two constants (constant subgraphs are not folded)", names[op]);
    if (a->kind == ONNX_BLOB && b->kind == ONNX_BLOB) {
        vsr_node *n;
        rc = onnx_new_node(o->l, VSR_OP_BINARY, o->name, &n, NULL, err);
        if (rc)
            return rc;
        n->n_inputs = 2;
        n->inputs[0] = a->id;
        n->inputs[1] = b->id;
        n->p.binary.op = op;
        return onnx_finish_node(o->l, output_name(o), err);
    }
    int const_first = a->kind == ONNX_CONST;
    int in = const_first ? b->id : a->id;
    const onnx_const *c = &o->l->consts[const_first ? a->id : b->id];
    int n = per_channel_count(c), channels = shape_of(o, in).c;
    if (n != 1 && n != channels)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: %s with a constant of %zu values (%d-D): only scalars and "
                             "per-channel constants ([C,1,1] or [1,C,1,1]) broadcast over a "
                             "%d-channel image",
                             o->l->where, names[op], c->count, c->ndims, channels);
    if (n == 1 && (!const_first || op == VSR_BIN_ADD || op == VSR_BIN_MUL)) {
        vsr_node *node;
        rc = emit1(o, VSR_OP_BINARY, in, &node, NULL, err);
        if (rc)
            return rc;
        node->p.binary = (vsr_binary_params){op, 1, c->f[0]};
        return onnx_finish_node(o->l, output_name(o), err);
    }
    if (const_first && op == VSR_BIN_DIV)
        return refuse(o, err, "%s of a constant by the image is not supported", "Div");
    /* Per channel: x * scale + shift. */
    float *scale = malloc(sizeof(float) * (size_t)n), *shift = malloc(sizeof(float) * (size_t)n);
    if (!scale || !shift) {
        free(scale);
        free(shift);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        float v = c->f[k];
        switch (op) {
        case VSR_BIN_ADD: scale[k] = 1.f, shift[k] = v; break;
        case VSR_BIN_SUB:
            scale[k] = const_first ? -1.f : 1.f;
            shift[k] = const_first ? v : -v;
            break;
        case VSR_BIN_MUL: scale[k] = v, shift[k] = 0.f; break;
        default: scale[k] = 1.f / v, shift[k] = 0.f; break; /* x / c */
        }
    }
    rc = emit_affine(o, in, scale, shift, n, err);
    free(scale);
    free(shift);
    return rc;
}

static int op_add(op_ctx *o, vsr_error *err)
{
    return op_binary(o, VSR_BIN_ADD, err);
}

static int op_sub(op_ctx *o, vsr_error *err)
{
    return op_binary(o, VSR_BIN_SUB, err);
}

static int op_mul(op_ctx *o, vsr_error *err)
{
    return op_binary(o, VSR_BIN_MUL, err);
}

static int op_div(op_ctx *o, vsr_error *err)
{
    return op_binary(o, VSR_BIN_DIV, err);
}

/* ---- Concat ---- */

static int op_concat(op_ctx *o, vsr_error *err)
{
    long axis;
    int rc = check_arity(o, 1, VSR_MAX_NODE_INPUTS, err);
    if (!rc)
        rc = attr_int(o, "axis", 1, &axis, err);
    if (rc)
        return rc;
    if (axis != 1 && axis != -3)
        return refuse(o, err, "Concat along axis %s: only channels (axis 1) are supported",
                      axis == 0                 ? "0"
                      : axis == 2 || axis == -2 ? "2"
                                                : "3");
    vsr_node *n;
    int in[VSR_MAX_NODE_INPUTS], count = (int)o->n->n_input;
    for (int k = 0; !rc && k < count; k++)
        rc = input_blob(o, k, &in[k], err);
    if (!rc)
        rc = onnx_new_node(o->l, VSR_OP_CONCAT, o->name, &n, NULL, err);
    if (rc)
        return rc;
    n->n_inputs = count;
    memcpy(n->inputs, in, sizeof(int) * (size_t)count);
    return onnx_finish_node(o->l, output_name(o), err);
}

/* ---- depth to space: DepthToSpace and the Reshape+Transpose pattern ---- */

/* A 1x1 convolution that reorders channels: out[k] = in[perm[k]]. Exact
 * (one weight of 1, the rest 0); how DCR order reaches the IR's CRD pixel
 * shuffle. */
static int emit_permute(op_ctx *o, int in, const int *perm, int channels, int *out, vsr_error *err)
{
    float *w = calloc((size_t)channels * channels, sizeof(float));
    if (!w)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    for (int k = 0; k < channels; k++)
        w[(size_t)k * channels + perm[k]] = 1.f;
    vsr_node *n;
    vsr_weight_refs *refs;
    int rc = emit1(o, VSR_OP_CONV, in, &n, &refs, err);
    if (!rc)
        rc = onnx_add_weights(o->l, w, (size_t)channels * channels, &refs->weight, err);
    free(w);
    if (rc)
        return rc;
    vsr_conv_params *c = &n->p.conv;
    c->out_c = c->in_c = channels;
    c->kernel_h = c->kernel_w = c->stride_h = c->stride_w = c->dilation_h = c->dilation_w = 1;
    rc = onnx_finish_node(o->l, NULL, err); /* an internal blob before the shuffle */
    if (!rc)
        *out = o->l->g->n_blobs - 1;
    return rc;
}

/* Emits depth-to-space by r of blob in into output_name. */
static int emit_depth_to_space(op_ctx *o, int in, int r, int dcr, const char *out_name,
                               vsr_error *err)
{
    int channels = shape_of(o, in).c;
    if (r < 1 || r > 16 || channels % (r * r))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: block size %d does not divide %d channels into r x r groups",
                             o->l->where, r, channels);
    int rc;
    if (dcr && r > 1) {
        /* DCR reads channel (i*r + j) * C + c where CRD reads
         * c * r*r + i*r + j: permute into CRD order first. */
        int oc = channels / (r * r);
        int *perm = malloc(sizeof(int) * (size_t)channels);
        if (!perm)
            return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
        for (int c = 0; c < oc; c++)
            for (int ij = 0; ij < r * r; ij++)
                perm[c * r * r + ij] = ij * oc + c;
        rc = emit_permute(o, in, perm, channels, &in, err);
        free(perm);
        if (rc)
            return rc;
    }
    vsr_node *n;
    rc = emit1(o, VSR_OP_PIXEL_SHUFFLE, in, &n, NULL, err);
    if (rc)
        return rc;
    n->p.shuffle_factor = r;
    return onnx_finish_node(o->l, out_name, err);
}

static int op_depth_to_space(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 1, err);
    long r;
    char mode[64];
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = attr_int(o, "blocksize", 0, &r, err);
    if (rc)
        return rc;
    attr_string(o, "mode", "DCR", mode, sizeof mode);
    if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
        return refuse(o, err, "DepthToSpace mode '%s' is not supported (DCR, CRD)", mode);
    return emit_depth_to_space(o, in, (int)r, mode[0] == 'D', output_name(o), err);
}

/* The nodes reading tensor name (and whether the graph outputs it). */
static int consumers(const onnx_loader *l, const char *name, int *first)
{
    int count = 0;
    *first = -1;
    for (size_t k = 0; k < l->graph->n_node; k++) {
        const Onnx__NodeProto *n = l->graph->node[k];
        for (size_t j = 0; n && j < n->n_input; j++)
            if (n->input[j] && strcmp(n->input[j], name) == 0) {
                if (*first < 0)
                    *first = (int)k;
                count++;
                break;
            }
    }
    for (size_t k = 0; k < l->graph->n_output; k++)
        if (l->graph->output[k] && l->graph->output[k]->name &&
            strcmp(l->graph->output[k]->name, name) == 0)
            count++;
    return count;
}

static int is_op(const Onnx__NodeProto *n, const char *type)
{
    return n && n->op_type && strcmp(n->op_type, type) == 0 &&
           (!n->domain || !*n->domain || strcmp(n->domain, "ai.onnx") == 0);
}

/* Reshape of an image: only the 6-D step of a pixel shuffle written as
 *   Reshape [N, C, r, r, H, W] -> Transpose [0,1,4,2,5,3] -> Reshape [N, C, H*r, W*r]  (CRD)
 *   Reshape [N, r, r, C, H, W] -> Transpose [0,3,4,1,5,2] -> Reshape [N, C, H*r, W*r]  (DCR)
 * (PyTorch's pixel_shuffle written out, or an older export). H and W in
 * the shapes are the export size and are ignored: the pattern is the same
 * at every size. */
static int reshape_pattern(op_ctx *o, int in, const onnx_const *shape, vsr_error *err)
{
    onnx_loader *l = o->l;
    const char *why = "it is not the first step of a Reshape+Transpose+Reshape pixel shuffle";
    int t_index, r2_index;
    if (shape->count != 6 || consumers(l, output_name(o), &t_index) != 1 || t_index < 0 ||
        !is_op(l->graph->node[t_index], "Transpose") || l->graph->node[t_index]->n_input != 1)
        return refuse(o, err, "Reshape of the image is not supported: %s", why);
    const Onnx__NodeProto *t = l->graph->node[t_index];
    const Onnx__AttributeProto *pa = NULL;
    for (size_t k = 0; k < t->n_attribute; k++)
        if (t->attribute[k] && t->attribute[k]->name && strcmp(t->attribute[k]->name, "perm") == 0)
            pa = t->attribute[k];
    static const int64_t crd[6] = {0, 1, 4, 2, 5, 3}, dcr[6] = {0, 3, 4, 1, 5, 2};
    int is_crd = pa && pa->n_ints == 6 && memcmp(pa->ints, crd, sizeof crd) == 0;
    int is_dcr = pa && pa->n_ints == 6 && memcmp(pa->ints, dcr, sizeof dcr) == 0;
    if (!is_crd && !is_dcr)
        return refuse(o, err,
                      "Reshape of the image is not supported: %s (the Transpose's perm "
                      "is not [0,1,4,2,5,3] or [0,3,4,1,5,2])",
                      why);
    if (t->n_output < 1 || !t->output[0] || consumers(l, t->output[0], &r2_index) != 1 ||
        r2_index < 0 || !is_op(l->graph->node[r2_index], "Reshape"))
        return refuse(o, err, "Reshape of the image is not supported: %s", why);
    const Onnx__NodeProto *r2 = l->graph->node[r2_index];
    const onnx_value *s2 = r2->n_input >= 2 ? onnx_lookup(l, r2->input[1]) : NULL;
    if (!r2->input[0] || strcmp(r2->input[0], t->output[0]) != 0 || !s2 || s2->kind != ONNX_CONST ||
        l->consts[s2->id].count != 4 || r2->n_output < 1 || !r2->output[0])
        return refuse(o, err,
                      "Reshape of the image is not supported: %s (the last Reshape needs "
                      "a constant 4-D shape)",
                      why);
    const int64_t *s = shape->i;
    int64_t r = is_crd ? s[2] : s[1], r_other = is_crd ? s[3] : s[2];
    int64_t c = is_crd ? s[1] : s[3];
    int channels = shape_of(o, in).c;
    if (r < 1 || r > 16 || r != r_other || (s[0] != 1 && s[0] != 0 && s[0] != -1) ||
        channels % (r * r) || (c != -1 && c != channels / (r * r)))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: pixel shuffle shape [%lld,%lld,%lld,%lld,...] does not fit an "
                             "input of %d channels",
                             l->where, (long long)s[0], (long long)s[1], (long long)s[2],
                             (long long)s[3], channels);
    const int64_t *s4 = l->consts[s2->id].i;
    if ((s4[0] != 1 && s4[0] != 0 && s4[0] != -1) || (s4[1] != -1 && s4[1] != channels / (r * r)))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: the pixel shuffle's last Reshape [%lld,%lld,...] does not give "
                             "%lld channels",
                             l->where, (long long)s4[0], (long long)s4[1],
                             (long long)(channels / (r * r)));
    /* The three nodes become one; the later two are skipped. */
    l->done[t_index] = l->done[r2_index] = 1;
    return emit_depth_to_space(o, in, (int)r, is_dcr, r2->output[0], err);
}

static int op_reshape(op_ctx *o, vsr_error *err)
{
    int rc = check_arity(o, 2, 2, err);
    const onnx_value *data;
    const onnx_const *shape;
    long allowzero;
    if (!rc)
        rc = lookup_input(o, 0, &data, err);
    if (!rc)
        rc = input_const(o, 1, &shape, err);
    if (!rc)
        rc = attr_int(o, "allowzero", 0, &allowzero, err);
    if (rc)
        return rc;
    if (data->kind == ONNX_BLOB)
        return reshape_pattern(o, data->id, shape, err);
    /* A constant (e.g. PRelu slopes [C] -> [C,1,1]): new dims, same values. */
    const onnx_const *src = &o->l->consts[data->id];
    if (shape->count > ONNX_MAX_DIMS)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: shape of %zu dimensions", o->l->where,
                             shape->count);
    onnx_const c = *src;
    c.ndims = (int)shape->count;
    size_t known = 1;
    int infer = -1;
    for (int k = 0; k < c.ndims; k++) {
        int64_t d = shape->i[k];
        if (d == 0 && !allowzero)
            d = k < src->ndims ? src->dims[k] : -2;
        if (d == -1 && infer < 0) {
            infer = k;
            continue;
        }
        if (d < 0 || (d > 0 && known > src->count / (size_t)d + 1))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad shape value %lld", o->l->where,
                                 (long long)shape->i[k]);
        c.dims[k] = d;
        known *= (size_t)d;
    }
    if (infer >= 0)
        c.dims[infer] = known ? (int64_t)(src->count / known) : 0;
    if ((infer >= 0 ? known * (size_t)c.dims[infer] : known) != src->count)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: cannot reshape %zu values to that shape",
                             o->l->where, src->count);
    c.f = malloc(sizeof(float) * (src->count ? src->count : 1));
    c.i = src->i ? malloc(sizeof(int64_t) * (src->count ? src->count : 1)) : NULL;
    if (!c.f || (src->i && !c.i)) {
        onnx_const_free(&c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    memcpy(c.f, src->f, sizeof(float) * src->count);
    if (src->i)
        memcpy(c.i, src->i, sizeof(int64_t) * src->count);
    int id;
    rc = onnx_add_const(o->l, &c, &id, err);
    return rc ? rc : onnx_bind(o->l, output_name(o), ONNX_CONST, id, err);
}

static int op_transpose(op_ctx *o, vsr_error *err)
{
    return refuse(o, err,
                  "%s of the image is only supported inside a Reshape+Transpose+Reshape "
                  "pixel shuffle",
                  "Transpose");
}

/* ---- Resize / Upsample ---- */

/* Maps ONNX resize semantics onto the IR's ncnn-convention interp, where
 * they agree exactly (see README.md "ONNX models"). */
static int emit_resize(op_ctx *o, int in, const float *scales, const char *mode, const char *coord,
                       const char *nearest, float cubic_a, long exclude, vsr_error *err)
{
    char what[400]; /* two attribute strings of up to 63 characters and the text */
    if (scales[0] != 1.f || scales[1] != 1.f)
        return refuse(o, err, "%s: resizing the batch or channel axis is not supported", "Resize");
    float sh = scales[2], sw = scales[3];
    if (!(sh > 0.f && sh <= 64.f && sw > 0.f && sw <= 64.f))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad scales %g x %g", o->l->where, (double)sh,
                             (double)sw);
    vsr_interp_params p = {.scale_h = sh, .scale_w = sw};
    int half = strcmp(coord, "half_pixel") == 0 || strcmp(coord, "pytorch_half_pixel") == 0;
    int align = strcmp(coord, "align_corners") == 0;
    if (strcmp(mode, "nearest") == 0) {
        p.mode = VSR_INTERP_NEAREST;
        int integer = sh == floorf(sh) && sw == floorf(sw) && sh >= 1.f && sw >= 1.f;
        int floor_mode = strcmp(nearest, "floor") == 0;
        int round_mode =
            strcmp(nearest, "round_prefer_floor") == 0 || strcmp(nearest, "round_prefer_ceil") == 0;
        /* asymmetric + floor is the IR's nearest; at integer scales the
         * half-pixel centres rounded land on the same source pixels. */
        if (!((strcmp(coord, "asymmetric") == 0 && floor_mode) ||
              (half && round_mode && integer))) {
            snprintf(what, sizeof what,
                     "nearest resize with coordinate_transformation_mode '%s' and nearest_mode "
                     "'%s' is not supported (asymmetric + floor, or half_pixel + round at integer "
                     "scales)",
                     coord, nearest);
            return refuse(o, err, "%s", what);
        }
    } else if (strcmp(mode, "linear") == 0 || strcmp(mode, "cubic") == 0) {
        p.mode = mode[0] == 'l' ? VSR_INTERP_BILINEAR : VSR_INTERP_BICUBIC;
        if (!half && !align) {
            snprintf(what, sizeof what,
                     "%s resize with coordinate_transformation_mode '%s' is not supported "
                     "(half_pixel, pytorch_half_pixel, align_corners)",
                     mode, coord);
            return refuse(o, err, "%s", what);
        }
        p.align_corners = align;
        if (p.mode == VSR_INTERP_BICUBIC && (cubic_a != -0.75f || exclude))
            return refuse(o, err,
                          "%s: cubic resize is supported with cubic_coeff_a -0.75 and "
                          "exclude_outside 0 only (PyTorch's)",
                          "Resize");
    } else {
        return refuse(o, err, "resize mode '%s' is not supported (nearest, linear, cubic)", mode);
    }
    vsr_node *n;
    int rc = emit1(o, VSR_OP_INTERP, in, &n, NULL, err);
    if (rc)
        return rc;
    n->p.interp = p;
    return onnx_finish_node(o->l, output_name(o), err);
}

static int op_resize(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 1, 4, err);
    const onnx_const *sc = NULL;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (rc)
        return rc;
    if (has_input(o, 3)) {
        const onnx_const *sizes;
        rc = input_const(o, 3, &sizes, err);
        if (rc)
            return rc;
        if (sizes->count)
            return refuse(o, err,
                          "%s with fixed output sizes is not supported (the network runs "
                          "at any size: export with scales)",
                          "Resize");
    }
    if (has_input(o, 2)) {
        rc = input_const(o, 2, &sc, err);
        if (rc)
            return rc;
    }
    char mode[64], coord[64], nearest[64];
    attr_string(o, "mode", "nearest", mode, sizeof mode);
    attr_string(o, "coordinate_transformation_mode", "half_pixel", coord, sizeof coord);
    attr_string(o, "nearest_mode", "round_prefer_floor", nearest, sizeof nearest);
    long exclude, antialias;
    rc = attr_int(o, "exclude_outside", 0, &exclude, err);
    if (!rc)
        rc = attr_int(o, "antialias", 0, &antialias, err);
    if (rc)
        return rc;
    if (antialias)
        return refuse(o, err, "%s with antialias is not supported", "Resize");
    if (strcmp(coord, "tf_crop_and_resize") == 0)
        return refuse(o, err, "%s with tf_crop_and_resize is not supported", "Resize");
    long axes[4];
    int n_axes;
    rc = attr_ints(o, "axes", 4, axes, &n_axes, err);
    if (rc)
        return rc;
    /* scales per axis: all four, or those of the axes attribute */
    float s[4] = {1, 1, 1, 1};
    size_t want = n_axes ? (size_t)n_axes : 4;
    if (!sc || sc->count != want)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: Resize needs %zu constant scales, has %zu",
                             o->l->where, want, sc ? sc->count : 0);
    for (int k = 0; k < (int)want; k++) {
        long axis = n_axes ? axes[k] : k;
        if (axis < 0)
            axis += 4;
        if (axis < 0 || axis > 3)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad axis %ld", o->l->where, axes[k]);
        s[axis] = sc->f[k];
    }
    return emit_resize(o, in, s, mode, coord, nearest, attr_float(o, "cubic_coeff_a", -0.75f),
                       exclude, err);
}

static int op_upsample(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 2, 2, err);
    const onnx_const *sc;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = input_const(o, 1, &sc, err);
    if (rc)
        return rc;
    if (sc->count != 4)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: Upsample needs 4 scales, has %zu",
                             o->l->where, sc->count);
    char mode[64];
    attr_string(o, "mode", "nearest", mode, sizeof mode);
    /* Upsample's coordinates are asymmetric; its nearest floors. */
    return emit_resize(o, in, sc->f, mode, "asymmetric", "floor", -0.75f, 0, err);
}

/* ---- Pad, Slice ---- */

static int op_pad(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 2, 4, err);
    const onnx_const *pads, *axes_c = NULL;
    float value = 0.f;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = input_const(o, 1, &pads, err);
    if (!rc)
        rc = scalar_input(o, 2, 0.f, &value, err);
    if (!rc && has_input(o, 3))
        rc = input_const(o, 3, &axes_c, err);
    if (rc)
        return rc;
    char mode[64];
    attr_string(o, "mode", "constant", mode, sizeof mode);
    vsr_pad_params p = {.value = value};
    if (strcmp(mode, "constant") == 0)
        p.mode = VSR_PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        p.mode = VSR_PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        p.mode = VSR_PAD_EDGE;
    else
        return refuse(o, err, "Pad mode '%s' is not supported (constant, reflect, edge)", mode);
    /* begin and end per axis of N x C x H x W */
    int64_t begin[4] = {0}, end[4] = {0};
    size_t n_axes = axes_c ? axes_c->count : 4;
    if (n_axes > 4 || pads->count != 2 * n_axes)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %zu pads for %zu axes", o->l->where,
                             pads->count, n_axes);
    for (size_t k = 0; k < n_axes; k++) {
        int64_t axis = axes_c ? axes_c->i[k] : (int64_t)k;
        if (axis < 0)
            axis += 4;
        if (axis < 0 || axis > 3)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad axis %lld", o->l->where,
                                 (long long)(axes_c ? axes_c->i[k] : 0));
        begin[axis] = pads->i[k];
        end[axis] = pads->i[k + n_axes];
    }
    if (begin[0] || end[0] || begin[1] || end[1])
        return refuse(o, err, "%s of the batch or channel axis is not supported", "Pad");
    for (int k = 2; k < 4; k++)
        if (begin[k] < 0 || end[k] < 0 || begin[k] > 1024 || end[k] > 1024)
            return refuse(o, err, "%s: negative (cropping) or huge pads are not supported", "Pad");
    p.top = (int)begin[2], p.bottom = (int)end[2];
    p.left = (int)begin[3], p.right = (int)end[3];
    vsr_node *n;
    rc = emit1(o, VSR_OP_PAD, in, &n, NULL, err);
    if (rc)
        return rc;
    n->p.pad = p;
    return onnx_finish_node(o->l, output_name(o), err);
}

static int clamp_int(int64_t v)
{
    return v > INT_MAX ? INT_MAX : v < -INT_MAX ? -INT_MAX : (int)v;
}

static int op_slice(op_ctx *o, vsr_error *err)
{
    int in, rc = check_arity(o, 3, 5, err);
    const onnx_const *starts, *ends, *axes = NULL, *steps = NULL;
    if (!rc)
        rc = input_blob(o, 0, &in, err);
    if (!rc)
        rc = input_const(o, 1, &starts, err);
    if (!rc)
        rc = input_const(o, 2, &ends, err);
    if (!rc && has_input(o, 3))
        rc = input_const(o, 3, &axes, err);
    if (!rc && has_input(o, 4))
        rc = input_const(o, 4, &steps, err);
    if (rc)
        return rc;
    size_t n = starts->count;
    if (n > 4 || ends->count != n || (axes && axes->count != n) || (steps && steps->count != n))
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: starts, ends, axes and steps must have the same length (at "
                             "most 4)",
                             o->l->where);
    vsr_slice_params p = {{0, 0, 0}, {INT_MAX, INT_MAX, INT_MAX}};
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
        int64_t axis = axes ? axes->i[k] : (int64_t)k;
        if (axis < 0)
            axis += 4;
        if (axis < 0 || axis > 3 || (seen & (1 << axis)))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad or repeated axis", o->l->where);
        seen |= 1 << axis;
        if (steps && steps->i[k] != 1)
            return refuse(o, err, "%s with a step other than 1 is not supported", "Slice");
        if (axis == 0) {
            /* the batch: only the whole of it (the IR's tensors are one
             * image each, so [0, 1) or wider) */
            if (starts->i[k] > 0 || ends->i[k] < 1)
                return refuse(o, err, "%s of the batch axis is not supported", "Slice");
            continue;
        }
        p.start[axis - 1] = clamp_int(starts->i[k]);
        p.end[axis - 1] = clamp_int(ends->i[k]);
    }
    vsr_node *node;
    rc = emit1(o, VSR_OP_SLICE, in, &node, NULL, err);
    if (rc)
        return rc;
    node->p.slice = p;
    return onnx_finish_node(o->l, output_name(o), err);
}

/* ---- dispatch ---- */

typedef struct op_entry {
    const char *type;
    int (*fn)(op_ctx *o, vsr_error *err);
} op_entry;

static const op_entry ops[] = {
    {"Add", op_add},
    {"Clip", op_clip},
    {"Concat", op_concat},
    {"Constant", op_constant},
    {"Conv", op_conv},
    {"ConvTranspose", op_conv_transpose},
    {"DepthToSpace", op_depth_to_space},
    {"Div", op_div},
    {"Identity", op_identity},
    {"LeakyRelu", op_leaky_relu},
    {"Mul", op_mul},
    {"PRelu", op_prelu},
    {"Pad", op_pad},
    {"Relu", op_relu},
    {"Reshape", op_reshape},
    {"Resize", op_resize},
    {"Sigmoid", op_sigmoid},
    {"Slice", op_slice},
    {"Sub", op_sub},
    {"Transpose", op_transpose},
    {"Upsample", op_upsample},
};

const char *onnx_supported_ops(void)
{
    return "Add, Clip, Concat, Constant, Conv, ConvTranspose, DepthToSpace, Div, Identity, "
           "LeakyRelu, Mul, PRelu, Pad, Relu, Reshape (pixel shuffle), Resize, Sigmoid, Slice, "
           "Sub, Transpose (pixel shuffle), Upsample";
}

int onnx_translate_node(onnx_loader *l, int index, vsr_error *err)
{
    const Onnx__NodeProto *n = l->graph->node[index];
    op_ctx o = {.l = l, .n = n, .index = index};
    const char *type = n->op_type ? n->op_type : "";
    if (n->name && *n->name) {
        o.name = n->name;
    } else {
        snprintf(o.name_buf, sizeof o.name_buf, "%.40s_%d", type, index);
        o.name = o.name_buf;
    }
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: op %.64s of domain '%.64s' is not supported (only the default "
                             "ONNX domain)",
                             l->where, type, n->domain);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strcmp(ops[k].type, type) == 0)
            return ops[k].fn(&o, err);
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: op '%.64s' is not supported (have %s)",
                         l->where, type, onnx_supported_ops());
}
