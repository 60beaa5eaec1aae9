/* ONNX ModelProto -> graph IR: checks the opsets, decodes the initializers,
 * finds the one image input and the one output, hands each node to
 * onnx_ops.c in file order (ONNX requires topological order), then resolves
 * weight pointers and finalizes the graph. Load-time shape inference runs
 * after every node, so a shape mismatch is reported at the node that
 * causes it. */
#include "model/onnx_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/onnx_internal.h"
#include "util/array.h"
#include "util/file_read.h"

#define ONNX_MAX_FILE_BYTES ((size_t)2 << 30) /* protobuf's own limit */
/* Load-time shape inference is quadratic in the node count: this bounds it
 * (an SR network has hundreds). */
#define ONNX_MAX_NODES 20000

const onnx_value *onnx_lookup(const onnx_loader *l, const char *name)
{
    if (!name || !*name)
        return NULL;
    for (int i = l->n_values - 1; i >= 0; i--)
        if (strcmp(l->values[i].name, name) == 0)
            return &l->values[i];
    return NULL;
}

int onnx_bind(onnx_loader *l, const char *name, onnx_value_kind kind, int id, vsr_error *err)
{
    if (!name || !*name)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: an output has no name", l->where);
    if (onnx_lookup(l, name))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: tensor '%.200s' is produced twice", l->where,
                             name);
    int rc = vsr_array_grow((void **)&l->values, &l->cap_values, l->n_values + 1,
                            sizeof(onnx_value), err);
    if (rc)
        return rc;
    l->values[l->n_values++] = (onnx_value){name, kind, id};
    return VSR_OK;
}

int onnx_add_const(onnx_loader *l, onnx_const *c, int *id, vsr_error *err)
{
    int rc = vsr_array_grow((void **)&l->consts, &l->cap_consts, l->n_consts + 1,
                            sizeof(onnx_const), err);
    if (rc) {
        onnx_const_free(c);
        return rc;
    }
    l->consts[l->n_consts] = *c;
    *id = l->n_consts++;
    return VSR_OK;
}

int onnx_add_weights(onnx_loader *l, const float *src, size_t count, long *offset, vsr_error *err)
{
    vsr_graph *g = l->g;
    if (g->n_weights + count > l->cap_weights) {
        size_t cap = l->cap_weights ? l->cap_weights : 4096;
        while (cap < g->n_weights + count)
            cap *= 2;
        float *w = realloc(g->weights, cap * sizeof(float));
        if (!w)
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for weights", l->where);
        g->weights = w;
        l->cap_weights = cap;
    }
    memcpy(g->weights + g->n_weights, src, count * sizeof(float));
    *offset = (long)g->n_weights;
    g->n_weights += count;
    return VSR_OK;
}

/* A new blob bound to name; NULL: an internal blob of the loader's own
 * (between two IR nodes made from one ONNX node), named in the IR only. */
static int new_blob(onnx_loader *l, const char *name, int *id, vsr_error *err)
{
    vsr_graph *g = l->g;
    int rc =
        vsr_array_grow((void **)&g->blob_names, &l->cap_blobs, g->n_blobs + 1, VSR_NAME_MAX, err);
    if (!rc && name)
        rc = onnx_bind(l, name, ONNX_BLOB, g->n_blobs, err);
    if (rc)
        return rc;
    /* IR names are for messages only: long ONNX names are cut. */
    if (name)
        snprintf(g->blob_names[g->n_blobs], VSR_NAME_MAX, "%.*s", VSR_NAME_MAX - 1, name);
    else
        snprintf(g->blob_names[g->n_blobs], VSR_NAME_MAX, "%.50s#%d", g->nodes[g->n_nodes].name,
                 g->n_blobs);
    *id = g->n_blobs++;
    return VSR_OK;
}

int onnx_new_node(onnx_loader *l, vsr_op_type type, const char *name, vsr_node **node,
                  vsr_weight_refs **refs, vsr_error *err)
{
    vsr_node *n;
    vsr_weight_refs *r;
    int rc = vsr_graph_append_node(l->g, &l->cap_nodes, &l->refs, &l->cap_refs, &n, &r, err);
    if (rc)
        return rc;
    n->type = type;
    snprintf(n->name, sizeof n->name, "%.*s", VSR_NAME_MAX - 1, name);
    *node = n;
    if (refs)
        *refs = r;
    return VSR_OK;
}

int onnx_finish_node(onnx_loader *l, const char *output_name, vsr_error *err)
{
    vsr_graph *g = l->g;
    int id;
    int rc = new_blob(l, output_name, &id, err);
    if (rc)
        return rc;
    g->nodes[g->n_nodes].output = id;
    g->n_nodes++;
    vsr_shape *s = realloc(l->shapes, sizeof(vsr_shape) * (size_t)g->n_blobs);
    if (!s)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    l->shapes = s;
    /* The whole graph so far: quadratic, but cheap next to the weights for
     * any SR network, and every message then comes from the IR's own
     * checks. */
    rc = vsr_graph_infer_shapes(g, ONNX_PROBE_H, ONNX_PROBE_W, l->shapes, err);
    if (rc)
        vsr_error_prefix(err, "%s", l->where);
    return rc;
}

/* Opset of the default domain; refuses other domains' opsets only when a
 * node uses them (onnx_ops.c refuses those nodes by domain). */
static int check_opset(onnx_loader *l, const Onnx__ModelProto *m, vsr_error *err)
{
    l->opset = -1;
    for (size_t k = 0; k < m->n_opset_import; k++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[k];
        if (!o)
            continue;
        const char *d = o->domain ? o->domain : "";
        if (*d && strcmp(d, "ai.onnx") != 0)
            continue;
        int64_t v = o->has_version ? o->version : 1;
        l->opset = (int)(v > 1000000 ? 1000000 : v < 0 ? 0 : v);
    }
    if (l->opset < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: the model imports no opset of the default "
                             "ONNX domain",
                             l->source);
    if (l->opset < VSR_ONNX_MIN_OPSET || l->opset > VSR_ONNX_MAX_OPSET)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: opset %d of the default ONNX domain is not supported (%d to %d); "
                             "re-export the model with opset_version in that range",
                             l->source, l->opset, VSR_ONNX_MIN_OPSET, VSR_ONNX_MAX_OPSET);
    return VSR_OK;
}

static int add_initializers(onnx_loader *l, vsr_error *err)
{
    const Onnx__GraphProto *gp = l->graph;
    if (gp->n_sparse_initializer)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: sparse initializers are not supported",
                             l->source);
    for (size_t k = 0; k < gp->n_initializer; k++) {
        const Onnx__TensorProto *t = gp->initializer[k];
        if (!t || !t->name || !*t->name)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: initializer %zu has no name", l->source,
                                 k);
        snprintf(l->where, sizeof l->where, "%s: initializer '%.200s'", l->source, t->name);
        onnx_const c;
        int id, rc = onnx_tensor_decode(t, l->where, &c, err);
        if (!rc)
            rc = onnx_add_const(l, &c, &id, err);
        if (!rc)
            rc = onnx_bind(l, t->name, ONNX_CONST, id, err);
        if (rc)
            return rc;
    }
    return VSR_OK;
}

static const Onnx__TypeProto__Tensor *tensor_type(const Onnx__ValueInfoProto *v)
{
    if (!v || !v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return NULL;
    return v->type->tensor_type;
}

/* The image input: the one graph input without an initializer (before IR
 * version 4, initializers were listed as inputs too). */
static int add_input(onnx_loader *l, vsr_error *err)
{
    const Onnx__GraphProto *gp = l->graph;
    const Onnx__ValueInfoProto *in = NULL;
    int count = 0;
    for (size_t k = 0; k < gp->n_input; k++) {
        const Onnx__ValueInfoProto *v = gp->input[k];
        if (!v || !v->name || !*v->name)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: graph input %zu has no name", l->source,
                                 k);
        if (onnx_lookup(l, v->name))
            continue;
        in = v;
        count++;
    }
    if (count != 1)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the graph has %d inputs besides its initializers; an image "
                             "model has exactly one",
                             l->source, count);
    const Onnx__TypeProto__Tensor *t = tensor_type(in);
    if (!t)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: graph input '%.200s' is not a tensor",
                             l->source, in->name);
    if (t->has_elem_type && t->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
        t->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: graph input '%.200s' has element type %d; float or float16 "
                             "images are supported",
                             l->source, in->name, (int)t->elem_type);
    if (!t->shape || t->shape->n_dim != 4)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: graph input '%.200s' must be 4-D (N x C x H x W), has %d "
                             "dimensions",
                             l->source, in->name, t->shape ? (int)t->shape->n_dim : 0);
    const Onnx__TensorShapeProto__Dimension *c = t->shape->dim[1];
    if (!c || c->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
        c->dim_value <= 0 || c->dim_value > 4096)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: graph input '%.200s' must have a fixed channel count "
                             "(dimension 1)",
                             l->source, in->name);
    const Onnx__TensorShapeProto__Dimension *nd = t->shape->dim[0];
    if (nd && nd->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
        nd->dim_value != 1)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: graph input '%.200s' has a fixed batch of %lld; the batch must "
                             "be 1 or symbolic",
                             l->source, in->name, (long long)nd->dim_value);
    vsr_graph *g = l->g;
    g->in_channels = (int)c->dim_value;
    snprintf(l->where, sizeof l->where, "%s: graph input '%.200s'", l->source, in->name);
    int rc = new_blob(l, in->name, &g->input_blob, err);
    if (rc)
        return rc;
    l->shapes = calloc(1, sizeof(vsr_shape));
    if (!l->shapes)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    l->shapes[0] = (vsr_shape){g->in_channels, ONNX_PROBE_H, ONNX_PROBE_W};
    return VSR_OK;
}

static int set_output(onnx_loader *l, vsr_error *err)
{
    const Onnx__GraphProto *gp = l->graph;
    if (gp->n_output != 1 || !gp->output[0] || !gp->output[0]->name)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: the graph has %zu outputs; an image model has exactly one",
                             l->source, gp->n_output);
    const char *name = gp->output[0]->name;
    const onnx_value *v = onnx_lookup(l, name);
    if (!v)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: graph output '%.200s' is not produced by any node", l->source,
                             name);
    if (v->kind != ONNX_BLOB || v->id == l->g->input_blob)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: graph output '%.200s' does not depend on the input", l->source,
                             name);
    l->g->output_blob = v->id;
    return VSR_OK;
}

static int load(onnx_loader *l, const Onnx__ModelProto *m, vsr_error *err)
{
    vsr_graph *g = l->g;
    g->input_blob = g->output_blob = -1;
    int rc = check_opset(l, m, err);
    if (rc)
        return rc;
    if (!m->graph)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the model has no graph", l->source);
    l->graph = m->graph;
    if (l->graph->n_node == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the graph has no nodes", l->source);
    if (l->graph->n_node > ONNX_MAX_NODES)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the graph has %zu nodes (at most %d)",
                             l->source, l->graph->n_node, ONNX_MAX_NODES);
    l->done = calloc(l->graph->n_node, 1);
    if (!l->done)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    rc = add_initializers(l, err);
    if (!rc)
        rc = add_input(l, err);
    for (size_t k = 0; !rc && k < l->graph->n_node; k++) {
        const Onnx__NodeProto *n = l->graph->node[k];
        if (!n)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: node %zu is empty", l->source, k);
        snprintf(l->where, sizeof l->where, "%s: node %zu '%.100s' (%.64s, opset %d)", l->source, k,
                 n->name && *n->name ? n->name : "", n->op_type ? n->op_type : "", l->opset);
        if (!l->done[k])
            rc = onnx_translate_node(l, (int)k, err);
    }
    if (!rc)
        rc = set_output(l, err);
    if (rc)
        return rc;
    vsr_graph_resolve_weights(l->g, l->refs);
    rc = vsr_graph_finalize(g, err);
    if (rc)
        vsr_error_prefix(err, "%s", l->source);
    return rc;
}

int vsr_onnx_load_memory(const unsigned char *data, size_t len, const char *name, vsr_graph *g,
                         vsr_error *err)
{
    memset(g, 0, sizeof *g);
    if (len == 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: empty file, not an ONNX model", name);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: not an ONNX model (the protobuf does not decode as a "
                             "ModelProto: malformed or truncated)",
                             name);
    onnx_loader l;
    memset(&l, 0, sizeof l);
    l.source = name;
    l.g = g;
    int rc = load(&l, m, err);
    for (int i = 0; i < l.n_consts; i++)
        onnx_const_free(&l.consts[i]);
    free(l.consts);
    free(l.values);
    free(l.refs);
    free(l.shapes);
    free(l.done);
    onnx__model_proto__free_unpacked(m, NULL);
    if (rc) {
        vsr_graph_free(g);
        return rc;
    }
    /* Name the model after the file: dir/my-model.onnx -> my-model. */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".onnx") == 0)
        n -= 5;
    snprintf(g->name, sizeof g->name, "%.*s", (int)(n < VSR_NAME_MAX ? n : VSR_NAME_MAX - 1), base);
    return VSR_OK;
}

int vsr_onnx_load_file(const char *path, vsr_graph *g, vsr_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    memset(g, 0, sizeof *g);
    int rc = vsr_read_file(path, ONNX_MAX_FILE_BYTES, "not an ONNX model with its weights inside",
                           &data, &len, err);
    if (!rc)
        rc = vsr_onnx_load_memory(data, len, path, g, err);
    free(data);
    return rc;
}
