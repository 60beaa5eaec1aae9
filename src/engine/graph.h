/* The graph IR every loader produces and every backend runs.
 *
 * A graph is a list of nodes in topological order over numbered blobs (the
 * tensors between nodes). Tensors are one image at a time conceptually,
 * C x H x W; backends may batch N images. Split layers of the source format
 * are resolved at load time into blob aliases, so a blob may have many
 * consumers. Weights are fp32, converted at load, and immutable once the
 * graph is finalized: any number of execution contexts may read them. */
#ifndef VSR_ENGINE_GRAPH_H
#define VSR_ENGINE_GRAPH_H

#include <stddef.h>

#include "util/error.h"

#define VSR_NAME_MAX 64
#define VSR_MAX_NODE_INPUTS 8
#define VSR_MAX_DIM (1 << 20) /* largest channel count, height or width of a blob */
/* The largest size parameters a layer may have (the ONNX loader's limits;
 * no super-resolution model comes near them). vsr_graph_finalize refuses
 * a node beyond them before any arithmetic on them, so that every size it
 * derives fits an int (31 x 64 + 2 x 1024 + VSR_MAX_DIM x 64 does). */
#define VSR_MAX_KERNEL 63
#define VSR_MAX_STRIDE 64
#define VSR_MAX_DILATION 64
#define VSR_MAX_PAD 1024

typedef enum vsr_op_type {
    VSR_OP_CONV,          /* 2-D convolution, groups = 1, optional fused activation */
    VSR_OP_ACTIVATION,    /* standalone activation (incl. PReLU) */
    VSR_OP_PIXEL_SHUFFLE, /* depth to space, PyTorch channel order */
    VSR_OP_INTERP,        /* resize: nearest, bilinear, bicubic (ncnn conventions) */
    VSR_OP_BINARY,        /* a op b, same shape, or a op scalar */
    VSR_OP_ELTWISE,       /* sum (with coefficients), product or max of N inputs */
    VSR_OP_CONCAT,        /* along channels */
    /* Ops of the ONNX loader that the SRVGG models do not use. They have
     * their own kinds (not flags on the ones above) so that a backend that
     * does not know them refuses them by kind instead of misrunning them. */
    VSR_OP_GROUP_CONV, /* grouped (incl. depthwise) convolution: p.conv, groups > 1 */
    VSR_OP_DECONV,     /* transposed convolution: p.conv, weight IOHW (see below) */
    VSR_OP_PAD,        /* spatial padding: constant, reflect or edge */
    VSR_OP_SLICE,      /* a window along channels, rows and columns, step 1 */
} vsr_op_type;

typedef enum vsr_act_type {
    VSR_ACT_NONE,
    VSR_ACT_RELU,    /* max(x, 0) */
    VSR_ACT_LEAKY,   /* x > 0 ? x : alpha * x */
    VSR_ACT_PRELU,   /* x > 0 ? x : slope[c] * x (one slope: all channels) */
    VSR_ACT_CLIP,    /* min(max(x, alpha), beta) */
    VSR_ACT_SIGMOID, /* 1 / (1 + exp(-x)) */
} vsr_act_type;

typedef struct vsr_activation {
    vsr_act_type type;
    float alpha, beta;   /* leaky slope; clip min and max */
    int n_slopes;        /* PReLU: 1 or the channel count */
    const float *slopes; /* PReLU: points into the graph's weight storage */
} vsr_activation;

/* VSR_OP_CONV: in_c is the input channel count, weight is OIHW.
 * VSR_OP_GROUP_CONV: in_c is the input channels of one group (the input has
 * in_c x groups), weight is out_c x in_c x kh x kw, output channel o reads
 * group o / (out_c / groups).
 * VSR_OP_DECONV: in_c and out_c are the whole input and output channel
 * counts; weight is in_c x (out_c / groups) x kh x kw (ONNX and PyTorch
 * order); the output size is (in - 1) x stride - pads + dilation x (kernel
 * - 1) + output_pad + 1; pads crop the full transposed output. */
typedef struct vsr_conv_params {
    int out_c, in_c;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_left, pad_bottom, pad_right; /* zero padding */
    const float *weight;                          /* out_c x in_c x kernel_h x kernel_w (OIHW) */
    const float *bias;                            /* out_c values, or NULL */
    vsr_activation act;                           /* applied after bias */
    /* GROUP_CONV and DECONV: the group count (0 or 1: one group); DECONV:
     * the extra output rows and columns at the bottom and right. */
    int groups;
    int out_pad_h, out_pad_w;
} vsr_conv_params;

typedef enum vsr_interp_mode {
    VSR_INTERP_NEAREST = 1,
    VSR_INTERP_BILINEAR = 2,
    VSR_INTERP_BICUBIC = 3,
} vsr_interp_mode;

typedef struct vsr_interp_params {
    vsr_interp_mode mode;
    float scale_h, scale_w; /* output size = (int)(input size * scale) */
    int align_corners;
} vsr_interp_params;

typedef enum vsr_binary_op {
    VSR_BIN_ADD,
    VSR_BIN_SUB,
    VSR_BIN_MUL,
    VSR_BIN_DIV,
    VSR_BIN_MAX,
    VSR_BIN_MIN,
} vsr_binary_op;

typedef struct vsr_binary_params {
    vsr_binary_op op;
    int with_scalar; /* 1: out = a op scalar (one input) */
    float scalar;
} vsr_binary_params;

typedef enum vsr_eltwise_op {
    VSR_ELT_PROD,
    VSR_ELT_SUM,
    VSR_ELT_MAX,
} vsr_eltwise_op;

typedef struct vsr_eltwise_params {
    vsr_eltwise_op op;
    int n_coeffs; /* 0: all 1; else one per input (SUM only) */
    float coeffs[VSR_MAX_NODE_INPUTS];
} vsr_eltwise_params;

typedef enum vsr_pad_mode {
    VSR_PAD_CONSTANT, /* value */
    VSR_PAD_REFLECT,  /* mirror without repeating the edge (needs pad < size) */
    VSR_PAD_EDGE,     /* repeat the edge pixel */
} vsr_pad_mode;

typedef struct vsr_pad_params {
    vsr_pad_mode mode;
    int top, bottom, left, right; /* >= 0 */
    float value;
} vsr_pad_params;

/* Per axis (0 channels, 1 rows, 2 columns) the half-open range [start,
 * end) with ONNX's rules: negative values count from the end, then both
 * are clamped to [0, size]. */
typedef struct vsr_slice_params {
    int start[3], end[3];
} vsr_slice_params;

typedef struct vsr_node {
    vsr_op_type type;
    char name[VSR_NAME_MAX];
    int n_inputs;
    int inputs[VSR_MAX_NODE_INPUTS]; /* blob ids */
    int output;                      /* blob id, produced only by this node */
    union {
        vsr_conv_params conv;
        vsr_activation act;
        int shuffle_factor;
        vsr_interp_params interp;
        vsr_binary_params binary;
        vsr_eltwise_params eltwise;
        vsr_pad_params pad;
        vsr_slice_params slice;
    } p;
} vsr_node;

typedef struct vsr_shape {
    int c, h, w;
} vsr_shape;

typedef struct vsr_graph {
    char name[VSR_NAME_MAX]; /* model name, e.g. realesr-animevideov3-x4 */
    int n_nodes;
    vsr_node *nodes;
    int n_blobs;
    char (*blob_names)[VSR_NAME_MAX];
    int input_blob;  /* the single graph input, C x H x W */
    int output_blob; /* the single graph output */

    /* Filled by vsr_graph_finalize(): */
    int *blob_last_use; /* index of the last node reading each blob (n_nodes for the output) */
    int in_channels;    /* 3 for RGB models */
    int out_channels;
    int scale;                   /* output size = input size x scale */
    int receptive_radius;        /* input pixels a tile needs around it (halo) for exact output */
    double flops_per_pixel;      /* multiply-adds x 2 per input pixel */
    size_t peak_bytes_per_pixel; /* fp32 activations alive at once, per input pixel */

    /* Owned storage of all weights (fp32). */
    float *weights;
    size_t n_weights;
} vsr_graph;

/* Validates the graph (topological order, one producer per blob, shapes of
 * weights) and fills the derived fields. Ops that change the spatial size
 * must give an integer overall scale. Returns 0 or a negative vsr_status. */
int vsr_graph_finalize(vsr_graph *g, vsr_error *err);

/* Shape of every blob for an input of c x h x w. shapes has g->n_blobs
 * entries. Fails (with the layer name) when an op cannot take its inputs. */
int vsr_graph_infer_shapes(const vsr_graph *g, int h, int w, vsr_shape *shapes, vsr_error *err);

/* The [start, end) range a slice takes from an axis of length size. */
void vsr_slice_range(int start, int end, int size, int *lo, int *hi);

/* Output size of an interp layer for an input size, as ncnn computes it. */
int vsr_interp_output_size(int in, float scale);

/* Where a node's weights are in g->weights, kept by a loader while the
 * array still grows (and moves); -1 = none. */
typedef struct vsr_weight_refs {
    long weight, bias, slopes;
} vsr_weight_refs;

/* Appends a zeroed node (output -1) to g and its weight references (all
 * -1) to refs, which grows beside g->nodes; the capacities are the
 * loader's. The node counts once the loader increments g->n_nodes. */
int vsr_graph_append_node(vsr_graph *g, int *cap_nodes, vsr_weight_refs **refs, int *cap_refs,
                          vsr_node **node, vsr_weight_refs **ref, vsr_error *err);

/* Points every node's weight, bias and PReLU slopes into g->weights, from
 * refs (one per node), once the array has stopped growing. */
void vsr_graph_resolve_weights(vsr_graph *g, const vsr_weight_refs *refs);

void vsr_graph_free(vsr_graph *g);

const char *vsr_op_name(vsr_op_type t);

#endif
