/* The reference backend: interprets the graph node by node with the
 * plain-C kernels of ref_ops.c, one image at a time, single-threaded. It is
 * the oracle every other backend is tested against. */
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/ref/ref_ops.h"
#include "engine/ref/ref_round.h"

typedef struct ref_context {
    const vsr_graph *g;
    vsr_shape *shapes; /* per blob, for the current input size */
    float **blobs;     /* per blob, live buffers during a run */
    /* Test only (VSR_REF_FAIL_ABOVE_PIXELS): tiles larger than this fail
     * as out of memory, as a GPU's do, so that the engine's fallback to
     * smaller tiles runs in CI. 0 = no limit. */
    long fail_above_pixels;
    /* Study only (VSR_REF_STORE): every layer's output but the model's
     * (of store_channels channels, if not 0) rounded to this format
     * (vsr_ref_format) */
    int store, store_channels;
} ref_context;

static int ref_available(vsr_error *err)
{
    (void)err;
    return 1;
}

/* Every op of the IR, in fp32. */
static int ref_supports(const vsr_graph *g, const vsr_backend_config *cfg, vsr_error *err)
{
    (void)g;
    if (cfg && cfg->precision != VSR_PRECISION_FP32) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED, "the ref backend computes in fp32 only");
        return 0;
    }
    return 1;
}

/* The graph's own fp32 weights are what this backend runs on. */
static int ref_weights_create(const vsr_graph *g, const vsr_backend_config *cfg, void **weights,
                              vsr_error *err)
{
    if (!ref_supports(g, cfg, err))
        return err ? err->code : VSR_ERR_UNSUPPORTED;
    *weights = (void *)g;
    return VSR_OK;
}

static void ref_weights_destroy(void *weights)
{
    (void)weights;
}

static int ref_context_create(const vsr_graph *g, const void *weights,
                              const vsr_backend_config *cfg, void **ctx, vsr_error *err)
{
    (void)weights;
    ref_context *c = calloc(1, sizeof *c);
    if (c) {
        c->g = g;
        vsr_backend_settings knobs;
        vsr_backend_settings_of(cfg ? &cfg->settings : NULL, &knobs);
        c->fail_above_pixels = knobs.ref_fail_above_pixels;
        c->store = knobs.ref_store;
        c->store_channels = knobs.ref_store_channels;
        c->shapes = calloc((size_t)g->n_blobs, sizeof *c->shapes);
        c->blobs = calloc((size_t)g->n_blobs, sizeof *c->blobs);
    }
    if (!c || !c->shapes || !c->blobs) {
        if (c) {
            free(c->shapes);
            free(c->blobs);
        }
        free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for a ref context");
    }
    *ctx = c;
    return VSR_OK;
}

static void ref_context_destroy(void *ctx)
{
    ref_context *c = ctx;
    if (!c)
        return;
    free(c->shapes);
    free(c->blobs);
    free(c);
}

static size_t elems(vsr_shape s)
{
    return (size_t)s.c * s.h * s.w;
}

static int run_node(ref_context *c, const vsr_node *n, vsr_error *err)
{
    vsr_shape os = c->shapes[n->output];
    float *out = malloc(elems(os) * sizeof(float));
    if (!out)
        return vsr_error_set(err, VSR_ERR_NOMEM, "layer %s: out of memory for %dx%dx%d", n->name,
                             os.c, os.h, os.w);
    c->blobs[n->output] = out;
    const float *ins[VSR_MAX_NODE_INPUTS];
    vsr_shape shapes[VSR_MAX_NODE_INPUTS];
    for (int k = 0; k < n->n_inputs; k++) {
        ins[k] = c->blobs[n->inputs[k]];
        shapes[k] = c->shapes[n->inputs[k]];
    }
    int rc = vsr_ref_node(n, ins, shapes, out, os, err);
    if (rc == 0 && c->store != VSR_REF_FP32 && n->output != c->g->output_blob &&
        (!c->store_channels || os.c == c->store_channels))
        vsr_ref_round(out, elems(os), (vsr_ref_format)c->store);
    return rc;
}

static void release_inputs(ref_context *c, int node_index)
{
    const vsr_node *n = &c->g->nodes[node_index];
    for (int k = 0; k < n->n_inputs; k++) {
        int b = n->inputs[k];
        if (b != c->g->input_blob && c->g->blob_last_use[b] == node_index) {
            free(c->blobs[b]);
            c->blobs[b] = NULL;
        }
    }
}

static int run_one(ref_context *c, float *in, float *out, vsr_error *err)
{
    const vsr_graph *g = c->g;
    memset(c->blobs, 0, sizeof(float *) * (size_t)g->n_blobs);
    c->blobs[g->input_blob] = in; /* borrowed, never freed here */
    int rc = VSR_OK;
    for (int i = 0; i < g->n_nodes && !rc; i++) {
        rc = run_node(c, &g->nodes[i], err);
        release_inputs(c, i);
    }
    if (!rc)
        memcpy(out, c->blobs[g->output_blob], elems(c->shapes[g->output_blob]) * sizeof(float));
    for (int b = 0; b < g->n_blobs; b++)
        if (b != g->input_blob)
            free(c->blobs[b]);
    return rc;
}

static int ref_run(void *ctx, const vsr_tensor *in, vsr_tensor *out, vsr_error *err)
{
    ref_context *c = ctx;
    const vsr_graph *g = c->g;
    if (c->fail_above_pixels > 0 && (long)in->h * in->w > c->fail_above_pixels)
        return vsr_error_set(err, VSR_ERR_NOMEM,
                             "ref: a %dx%d tile is over VSR_REF_FAIL_ABOVE_PIXELS=%ld (test)",
                             in->w, in->h, c->fail_above_pixels);
    int rc = vsr_graph_infer_shapes(g, in->h, in->w, c->shapes, err);
    if (rc)
        return rc;
    vsr_shape os = c->shapes[g->output_blob];
    if (in->c != g->in_channels || out->n != in->n || out->c != os.c || out->h != os.h ||
        out->w != os.w)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "ref: tensor shapes do not match the model (in %dx%dx%d, out "
                             "%dx%dx%d, expected out %dx%dx%d)",
                             in->c, in->h, in->w, out->c, out->h, out->w, os.c, os.h, os.w);
    size_t in_size = (size_t)in->c * in->h * in->w, out_size = elems(os);
    for (int i = 0; i < in->n && !rc; i++)
        rc = run_one(c, in->data + i * in_size, out->data + i * out_size, err);
    return rc;
}

/* The 8-bit path, on the host: the same conversions as the engine's own,
 * so that the engine's tiling and cropping of that path are tested in CI
 * against its float path (a GPU backend is where the path pays). n inputs
 * of w x h go through the graph as one n-image tensor, as a batching
 * backend's do. */
static int rgb24_batch(ref_context *c, int n, const unsigned char *const *in, int w, int h, int ox,
                       int oy, int ow, int oh, unsigned char *const *out, vsr_error *err)
{
    const vsr_graph *g = c->g;
    const int s = g->scale;
    if (g->in_channels != 3 || g->out_channels != 3 || ox < 0 || oy < 0 || ox + ow > w * s ||
        oy + oh > h * s)
        return vsr_error_set(err, VSR_ERR_INVALID, "ref: 8-bit region %dx%d at %d,%d of %dx%d", ow,
                             oh, ox, oy, w * s, h * s);
    const size_t plane = (size_t)w * h, oplane = plane * s * s;
    vsr_tensor ti = {n, 3, h, w, malloc(plane * 3 * n * sizeof(float))};
    vsr_tensor to = {n, 3, h * s, w * s, malloc(oplane * 3 * n * sizeof(float))};
    int rc = ti.data && to.data ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "ref: out of memory");
    for (int f = 0; !rc && f < n; f++)
        for (size_t i = 0; i < plane; i++)
            for (int ch = 0; ch < 3; ch++)
                ti.data[(f * 3 + ch) * plane + i] = in[f][i * 3 + ch] * (1.f / 255.f);
    if (!rc)
        rc = ref_run(c, &ti, &to, err);
    for (int f = 0; !rc && f < n; f++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int ch = 0; ch < 3; ch++) {
                    float v = to.data[(f * 3 + ch) * oplane + (size_t)(oy + y) * w * s + ox + x];
                    v = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
                    out[f][((size_t)y * ow + x) * 3 + ch] = (unsigned char)(v * 255.f + 0.5f);
                }
    free(ti.data);
    free(to.data);
    return rc;
}

static int ref_run_rgb24(void *ctx, const unsigned char *in, int w, int h, int ox, int oy, int ow,
                         int oh, unsigned char *out, vsr_error *err)
{
    return rgb24_batch(ctx, 1, &in, w, h, ox, oy, ow, oh, &out, err);
}

/* The YUV output and input on the host (the ref backend's "device"
 * memory), with the same inline arithmetic a GPU backend uses: the
 * engine's handling of a backend's compact I420 tiles, its tiling and
 * mirroring of YUV frames and its batches are tested in CI. */
static int ref_run_batch_yuv420(void *ctx, int n, const unsigned char *const *rgb,
                                const vsr_yuv_in *yuv, const vsr_rgb_coeffs *kin, int x0, int y0,
                                int w, int h, int ox, int oy, int ow, int oh,
                                const vsr_yuv_coeffs *k, unsigned char *const *out, vsr_error *err)
{
    if (n < 1 || n > VSR_MAX_BATCH)
        return vsr_error_set(err, VSR_ERR_INVALID, "ref: a batch of %d frames (1..%d)", n,
                             VSR_MAX_BATCH);
    if (ow % 2 || oh % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "ref: YUV 4:2:0 region %dx%d is odd", ow, oh);
    const size_t in_bytes = (size_t)w * h * 3, out_bytes = (size_t)ow * oh * 3;
    unsigned char *converted = yuv ? malloc(in_bytes * n) : NULL, *rgb_out = malloc(out_bytes * n);
    const unsigned char *ins[VSR_MAX_BATCH];
    unsigned char *outs[VSR_MAX_BATCH];
    int rc = (!yuv || converted) && rgb_out
                 ? VSR_OK
                 : vsr_error_set(err, VSR_ERR_NOMEM, "ref: out of memory");
    for (int f = 0; !rc && f < n; f++) {
        outs[f] = rgb_out + out_bytes * f;
        ins[f] = yuv ? converted + in_bytes * f : rgb[f];
        if (yuv)
            vsr_yuv_in_to_rgb24(&yuv[f], kin, x0, y0, w, h, converted + in_bytes * f);
    }
    if (!rc)
        rc = rgb24_batch(ctx, n, ins, w, h, ox, oy, ow, oh, outs, err);
    const size_t luma = (size_t)ow * oh;
    for (int f = 0; !rc && f < n; f++) {
        vsr_yuv420 i420 = {ow,
                           oh,
                           {out[f], out[f] + luma, out[f] + luma + luma / 4},
                           {(size_t)ow, (size_t)ow / 2, (size_t)ow / 2}};
        vsr_rgb24_to_yuv420(outs[f], (size_t)ow * 3, ow, oh, k, &i420, 0, 0);
    }
    free(converted);
    free(rgb_out);
    return rc;
}

static int ref_run_yuv420(void *ctx, const unsigned char *in, int w, int h, int ox, int oy, int ow,
                          int oh, const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err)
{
    return ref_run_batch_yuv420(ctx, 1, &in, NULL, NULL, 0, 0, w, h, ox, oy, ow, oh, k, &out, err);
}

static int ref_run_from_yuv(void *ctx, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0,
                            int y0, int w, int h, int ox, int oy, int ow, int oh,
                            const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err)
{
    return ref_run_batch_yuv420(ctx, 1, NULL, in, kin, x0, y0, w, h, ox, oy, ow, oh, k, &out, err);
}

const vsr_backend_ops vsr_backend_ref = {
    .name = "ref",
    .description = "plain C fp32 reference (single thread; the test oracle)",
    .available = ref_available,
    .supports = ref_supports,
    .weights_create = ref_weights_create,
    .weights_destroy = ref_weights_destroy,
    .context_create = ref_context_create,
    .context_destroy = ref_context_destroy,
    .run = ref_run,
    .extra_bytes_per_pixel = NULL,
    .run_rgb24 = ref_run_rgb24,
    .run_yuv420 = ref_run_yuv420,
    .run_from_yuv = ref_run_from_yuv,
    .run_batch_yuv420 = ref_run_batch_yuv420,
    .native_precision = VSR_PRECISION_FP32,
    .device_type = VSR_DEVICE_CPU,
    .caps = 0,
    .precisions = VSR_PRECISION_BIT(VSR_PRECISION_FP32),
};
