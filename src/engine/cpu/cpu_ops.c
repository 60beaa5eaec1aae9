/* Non-convolution ops of the cpu backend: plain NCHW fp32 through the ref
 * backend's kernels, run in parallel over (image, channel) where the op
 * works channel by channel; and the fused SRVGG tail. For the SRVGG models
 * these ops are the tail (pixel shuffle, nearest upsample of the input, add,
 * the x2/x3 bicubic resize): a small share of the time next to the
 * convolutions. */
#include "engine/cpu/cpu_internal.h"
#include "engine/ref/ref_ops.h"

#ifdef _OPENMP
#define CPU_OMP_FOR _Pragma("omp parallel for schedule(dynamic, 1)")
#else
#define CPU_OMP_FOR
#endif

int cpu_ops_supported(const vsr_node *node)
{
    switch (node->type) {
    case VSR_OP_PIXEL_SHUFFLE:
    case VSR_OP_INTERP:
    case VSR_OP_BINARY:
    case VSR_OP_ELTWISE:
    case VSR_OP_CONCAT:
    /* The ONNX loader's rarer ops: correct through the ref kernels, not
     * fast (none is in the SRVGG models). */
    case VSR_OP_GROUP_CONV:
    case VSR_OP_DECONV:
    case VSR_OP_PAD:
    case VSR_OP_SLICE: return 1;
    case VSR_OP_CONV:
    case VSR_OP_ACTIVATION: return 0;
    }
    return 0;
}

int cpu_ops_run(const vsr_node *node, const float *const *in, const vsr_shape *ins, float *out,
                const vsr_shape *outs, vsr_error *err)
{
    /* convolutions and activations are the planner's (oneDNN), never here */
    if (!cpu_ops_supported(node))
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "layer %s: op %s is not a plain op of the cpu backend", node->name,
                             vsr_op_name(node->type));
    return vsr_ref_node(node, in, ins, out, *outs, err);
}

/* Channel-wise ops split into one unit per (image, output channel). */
static int channelwise(const vsr_node *node)
{
    return node->type == VSR_OP_PIXEL_SHUFFLE || node->type == VSR_OP_INTERP ||
           node->type == VSR_OP_BINARY || node->type == VSR_OP_ELTWISE || node->type == VSR_OP_PAD;
}

int cpu_ops_run_batch(const vsr_node *node, int n, float *const *in, const vsr_shape *ins,
                      float *out, const vsr_shape *outs, vsr_error *err)
{
    size_t osz = (size_t)outs->c * outs->h * outs->w;
    if (!channelwise(node)) {
        const float *p[VSR_MAX_NODE_INPUTS];
        for (int img = 0; img < n; img++) {
            for (int k = 0; k < node->n_inputs; k++)
                p[k] = in[k] + (size_t)img * ins[k].c * ins[k].h * ins[k].w;
            int rc = cpu_ops_run(node, p, ins, out + (size_t)img * osz, outs, err);
            if (rc)
                return rc;
        }
        return VSR_OK;
    }
    /* A unit reads, from every input, the channels of its output channel:
     * r*r for a pixel shuffle, one otherwise. */
    int per =
        node->type == VSR_OP_PIXEL_SHUFFLE ? node->p.shuffle_factor * node->p.shuffle_factor : 1;
    long units = (long)n * outs->c;
    int failed = 0;
    CPU_OMP_FOR
    for (long u = 0; u < units; u++) {
        int img = (int)(u / outs->c), c = (int)(u % outs->c);
        const float *p[VSR_MAX_NODE_INPUTS];
        vsr_shape s[VSR_MAX_NODE_INPUTS];
        for (int k = 0; k < node->n_inputs; k++) {
            s[k] = (vsr_shape){per, ins[k].h, ins[k].w};
            p[k] = in[k] + ((size_t)img * ins[k].c + (size_t)c * per) * ins[k].h * ins[k].w;
        }
        vsr_shape os = {1, outs->h, outs->w};
        float *o = out + (size_t)img * osz + (size_t)c * outs->h * outs->w;
        if (cpu_ops_run(node, p, s, o, &os, NULL)) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
    }
    if (failed)
        return vsr_error_set(err, VSR_ERR_NOMEM, "layer %s: out of memory", node->name);
    return VSR_OK;
}

void cpu_shuffle_add(const float *x, const size_t *base, size_t pixel_stride, const float *in,
                     float *out, int n, int c, int h, int w, int r)
{
    const int cx = c * r * r, ow = w * r;
    const size_t image = (size_t)cx * h * w;
    long rows = (long)n * c * h;
    CPU_OMP_FOR
    for (long u = 0; u < rows; u++) {
        int y = (int)(u % h), ch = (int)(u / h % c), img = (int)(u / h / c);
        const float *ximg = x + (size_t)img * image + (size_t)y * w * pixel_stride;
        const float *irow = in + (((size_t)img * c + ch) * h + y) * (size_t)w;
        for (int i = 0; i < r; i++) {
            float *orow = out + (((size_t)img * c + ch) * h * r + (size_t)y * r + i) * ow;
            /* the r sub-pixels of a row are adjacent channels, adjacent in
             * memory in both layouts (r divides 16) */
            const float *src = ximg + base[ch * r * r + i * r];
            for (int xx = 0; xx < w; xx++) {
                const float *px = src + (size_t)xx * pixel_stride;
                float v = irow[xx];
                for (int j = 0; j < r; j++)
                    orow[xx * r + j] = px[j] + v;
            }
        }
    }
}
