/* Graphs built by hand in the IR, with random weights, for tests that
 * compare backends op by op (test_cpu_backend, test_backend_ops): a few
 * nodes are enough, and no model file is needed. */
#ifndef VSR_TESTS_GRAPH_BUILDER_H
#define VSR_TESTS_GRAPH_BUILDER_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "test_util.h"

typedef struct gb {
    vsr_graph g;
    size_t used, cap;
    unsigned seed;
} gb;

static inline float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static inline void gb_init(gb *b, int max_nodes, int max_blobs, size_t max_weights)
{
    memset(b, 0, sizeof *b);
    b->g.nodes = calloc((size_t)max_nodes, sizeof(vsr_node));
    b->g.blob_names = calloc((size_t)max_blobs, VSR_NAME_MAX);
    b->g.weights = calloc(max_weights, sizeof(float));
    b->cap = max_weights;
    b->g.n_blobs = 1; /* blob 0: the input */
    b->g.input_blob = 0;
    b->seed = 12345;
    strcpy(b->g.name, "hand");
}

static inline float *gb_weights(gb *b, size_t n, float scale)
{
    float *w = b->g.weights + b->used;
    b->used += n;
    if (b->used > b->cap)
        abort();
    for (size_t i = 0; i < n; i++)
        w[i] = frand(&b->seed) * scale;
    return w;
}

static inline vsr_node *gb_node(gb *b, vsr_op_type t, int n_in, const int *in)
{
    vsr_node *n = &b->g.nodes[b->g.n_nodes];
    snprintf(n->name, sizeof n->name, "n%d", b->g.n_nodes);
    b->g.n_nodes++;
    n->type = t;
    n->n_inputs = n_in;
    for (int i = 0; i < n_in; i++)
        n->inputs[i] = in[i];
    n->output = b->g.n_blobs++;
    snprintf(b->g.blob_names[n->output], VSR_NAME_MAX, "b%d", n->output);
    return n;
}

static inline vsr_activation prelu(gb *b, int n_slopes)
{
    vsr_activation a = {0};
    a.type = VSR_ACT_PRELU;
    a.n_slopes = n_slopes;
    a.slopes = gb_weights(b, (size_t)n_slopes, 0.5f);
    return a;
}

static inline int conv(gb *b, int in, int in_c, int out_c, int k, int bias, vsr_activation act)
{
    vsr_node *n = gb_node(b, VSR_OP_CONV, 1, &in);
    vsr_conv_params *c = &n->p.conv;
    c->in_c = in_c;
    c->out_c = out_c;
    c->kernel_h = c->kernel_w = k;
    c->stride_h = c->stride_w = 1;
    c->dilation_h = c->dilation_w = 1;
    c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = k / 2;
    c->weight = gb_weights(b, (size_t)out_c * in_c * k * k, 1.0f / sqrtf((float)in_c * k * k));
    c->bias = bias ? gb_weights(b, (size_t)out_c, 0.1f) : NULL;
    c->act = act;
    return n->output;
}

static inline int act(gb *b, int in, vsr_activation a)
{
    vsr_node *n = gb_node(b, VSR_OP_ACTIVATION, 1, &in);
    n->p.act = a;
    return n->output;
}

static inline int shuffle(gb *b, int in, int r)
{
    vsr_node *n = gb_node(b, VSR_OP_PIXEL_SHUFFLE, 1, &in);
    n->p.shuffle_factor = r;
    return n->output;
}

static inline int interp(gb *b, int in, vsr_interp_mode m, float s)
{
    vsr_node *n = gb_node(b, VSR_OP_INTERP, 1, &in);
    n->p.interp.mode = m;
    n->p.interp.scale_h = n->p.interp.scale_w = s;
    return n->output;
}

static inline int binary(gb *b, int x, int y, vsr_binary_op op)
{
    int in[2] = {x, y};
    vsr_node *n = gb_node(b, VSR_OP_BINARY, 2, in);
    n->p.binary.op = op;
    return n->output;
}

static inline int gb_finish(gb *b, int out)
{
    b->g.output_blob = out;
    b->g.in_channels = 3;
    strcpy(b->g.blob_names[0], "input");
    vsr_error err = {0};
    int rc = vsr_graph_finalize(&b->g, &err);
    CHECK_MSG(rc == 0, "finalize: %s", err.msg);
    return rc;
}

static const vsr_activation NONE = {0};

static inline int gb_conv_like(gb *b, vsr_op_type t, int in, int in_c, int out_c, int k, int stride,
                               int groups)
{
    vsr_node *n = gb_node(b, t, 1, &in);
    vsr_conv_params *c = &n->p.conv;
    c->in_c = in_c;
    c->out_c = out_c;
    c->kernel_h = c->kernel_w = k;
    c->stride_h = c->stride_w = stride;
    c->dilation_h = c->dilation_w = 1;
    c->groups = groups;
    /* GROUP_CONV weights: out_c x in_c (of one group) x k x k; DECONV:
     * in_c x out_c / groups x k x k */
    size_t nw =
        t == VSR_OP_DECONV ? (size_t)in_c * (out_c / groups) * k * k : (size_t)out_c * in_c * k * k;
    c->weight = gb_weights(b, nw, 1.0f / sqrtf((float)in_c * k * k));
    c->bias = gb_weights(b, (size_t)out_c, 0.1f);
    if (t != VSR_OP_DECONV)
        c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = k / 2;
    return n->output;
}

#endif
