/* Plain-C fp32 kernels for every op of the IR, on one image in planar
 * C x H x W layout. Written to be obviously right, not fast: they are the
 * oracle the other backends are tested against, and other backends may call
 * them for ops that are not worth a fast path. */
#ifndef VSR_ENGINE_REF_REF_OPS_H
#define VSR_ENGINE_REF_REF_OPS_H

#include "engine/graph.h"
#include "util/error.h"

/* One node of any op: its inputs in[k] of shapes ins[k] (n->n_inputs of
 * them) into out of shape os. The one dispatch from the IR's ops to the
 * kernels below, shared by the ref backend and by any backend that runs
 * an op through them (cpu: the ops it has no fast path for). Returns 0, or
 * VSR_ERR_NOMEM with the layer named. */
int vsr_ref_node(const vsr_node *n, const float *const *in, const vsr_shape *ins, float *out,
                 vsr_shape os, vsr_error *err);

/* out (shape os) = conv(in (shape is)) + bias, then the fused activation;
 * grouped when p->groups > 1 (VSR_OP_GROUP_CONV). */
void vsr_ref_conv(const vsr_conv_params *p, const float *in, vsr_shape is, float *out,
                  vsr_shape os);

/* Transposed convolution (VSR_OP_DECONV), weight in_c x out_c/groups x kh x
 * kw, then bias and the fused activation. */
void vsr_ref_deconv(const vsr_conv_params *p, const float *in, vsr_shape is, float *out,
                    vsr_shape os);

void vsr_ref_pad(const vsr_pad_params *p, const float *in, vsr_shape is, float *out, vsr_shape os);

void vsr_ref_slice(const vsr_slice_params *p, const float *in, vsr_shape is, float *out,
                   vsr_shape os);

/* In place. */
void vsr_ref_activation(const vsr_activation *act, float *data, vsr_shape s);

void vsr_ref_pixel_shuffle(int factor, const float *in, vsr_shape is, float *out);

/* ncnn's Interp: nearest, bilinear and bicubic (A = -0.75, ncnn's border
 * weights), half-pixel centres unless align_corners. Returns 0, or
 * VSR_ERR_NOMEM when its small coefficient tables cannot be allocated. */
int vsr_ref_interp(const vsr_interp_params *p, const float *in, vsr_shape is, float *out,
                   vsr_shape os);

/* b is NULL when p->with_scalar. */
void vsr_ref_binary(const vsr_binary_params *p, const float *a, const float *b, vsr_shape s,
                    float *out);

void vsr_ref_eltwise(const vsr_eltwise_params *p, int n, const float *const *in, vsr_shape s,
                     float *out);

/* Channel concatenation of n inputs of equal height and width. */
void vsr_ref_concat(int n, const float *const *in, const vsr_shape *shapes, float *out);

#endif
