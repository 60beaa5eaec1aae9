/* Internals of the ONNX loader shared by its files:
 *   onnx_loader.c  protobuf -> loader state: opsets, graph input and output,
 *                  names, weights, finishing the graph
 *   onnx_tensor.c  constants: TensorProto and Constant attributes -> floats
 *                  or integers (fp32, fp16, bf16, double, int32, int64)
 *   onnx_ops.c     one ONNX node (or a Reshape+Transpose+Reshape pattern)
 *                  -> IR nodes */
#ifndef VSR_MODEL_ONNX_INTERNAL_H
#define VSR_MODEL_ONNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph.h"
#include "onnx.pb-c.h"
#include "util/error.h"

#define ONNX_MAX_DIMS 8
#define ONNX_INT_VIEW_MAX 1024

/* A constant known at load time: an initializer, a Constant node's value,
 * or a folded Reshape/Identity of one. Values are held both ways so that
 * each op reads what it needs (weights as floats, shapes as integers). */
typedef struct onnx_const {
    int ndims;
    int64_t dims[ONNX_MAX_DIMS];
    size_t count;
    int is_float; /* 1: from a floating-point tensor */
    float *f;     /* count values (integers converted too) */
    int64_t *i;   /* count values (floats truncated too); NULL for a float tensor
                   * of more than ONNX_INT_VIEW_MAX values (weights, never a shape) */
} onnx_const;

typedef enum onnx_value_kind { ONNX_BLOB, ONNX_CONST } onnx_value_kind;

/* What an ONNX tensor name stands for. */
typedef struct onnx_value {
    const char *name; /* points into the decoded protobuf */
    onnx_value_kind kind;
    int id; /* blob id or index into consts */
} onnx_value;

typedef struct onnx_loader {
    const char *source; /* file name, for messages */
    const Onnx__GraphProto *graph;
    int opset;
    vsr_graph *g;
    int cap_nodes, cap_blobs;
    size_t cap_weights;
    vsr_weight_refs *refs; /* per IR node */
    int cap_refs;
    onnx_value *values;
    int n_values, cap_values;
    onnx_const *consts;
    int n_consts, cap_consts;
    vsr_shape *shapes; /* per blob, for a probe input size (channels are what matter) */
    char *done;        /* per ONNX node: translated as part of an earlier pattern */
    char where[512];   /* "file: node 3 'name' (Conv, opset 13)" */
} onnx_loader;

/* The probe input size of load-time shape inference. */
#define ONNX_PROBE_H 64
#define ONNX_PROBE_W 48

/* ---- onnx_loader.c ---- */

/* The value a name stands for, or NULL. */
const onnx_value *onnx_lookup(const onnx_loader *l, const char *name);
/* Binds a node output name to an existing blob or constant. */
int onnx_bind(onnx_loader *l, const char *name, onnx_value_kind kind, int id, vsr_error *err);
/* Appends a zeroed IR node named name (truncated to fit) with no inputs
 * yet; the node and its refs are valid until the next call. */
int onnx_new_node(onnx_loader *l, vsr_op_type type, const char *name, vsr_node **node,
                  vsr_weight_refs **refs, vsr_error *err);
/* Gives the last new node its output blob, bound to output_name (NULL: an
 * internal blob no ONNX name refers to, id g->n_blobs - 1 after), and
 * infers its shape (a mismatch fails here, naming the node). */
int onnx_finish_node(onnx_loader *l, const char *output_name, vsr_error *err);
/* Copies count floats into the graph's weight array. */
int onnx_add_weights(onnx_loader *l, const float *src, size_t count, long *offset, vsr_error *err);
/* Stores a new constant (takes ownership of c's arrays). */
int onnx_add_const(onnx_loader *l, onnx_const *c, int *id, vsr_error *err);

/* ---- onnx_tensor.c ---- */

/* Decodes a TensorProto; refuses external data and types that are not
 * numbers. what names it in messages. */
int onnx_tensor_decode(const Onnx__TensorProto *t, const char *what, onnx_const *c, vsr_error *err);
/* A Constant node's value (value, value_float(s), value_int(s)). */
int onnx_constant_attr(const Onnx__NodeProto *n, const char *what, onnx_const *c, vsr_error *err);
void onnx_const_free(onnx_const *c);
float onnx_half_to_float(uint16_t h);

/* ---- onnx_ops.c ---- */

/* Translates graph node index (which may also consume the nodes of a
 * pattern that starts with it). l->where names the node. */
int onnx_translate_node(onnx_loader *l, int index, vsr_error *err);
/* The supported op types, for messages: "Add, Clip, ...". */
const char *onnx_supported_ops(void);

#endif
