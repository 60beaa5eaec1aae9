#include "engine/ref/ref_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float activate(const vsr_activation *a, float x, int c)
{
    switch (a->type) {
    case VSR_ACT_NONE: return x;
    case VSR_ACT_RELU: return x > 0.f ? x : 0.f;
    case VSR_ACT_LEAKY: return x > 0.f ? x : x * a->alpha;
    case VSR_ACT_PRELU: return x > 0.f ? x : x * a->slopes[a->n_slopes == 1 ? 0 : c];
    case VSR_ACT_CLIP: return x < a->alpha ? a->alpha : x > a->beta ? a->beta : x;
    case VSR_ACT_SIGMOID: return 1.f / (1.f + expf(-x));
    }
    return x;
}

void vsr_ref_activation(const vsr_activation *act, float *data, vsr_shape s)
{
    size_t plane = (size_t)s.h * s.w;
    for (int c = 0; c < s.c; c++)
        for (size_t i = 0; i < plane; i++)
            data[c * plane + i] = activate(act, data[c * plane + i], c);
}

/* Direct convolution. For each (output channel, input channel, tap) the
 * innermost loop runs over the output row, restricted to the columns whose
 * tap lands inside the input, so the padding needs no branches. Every output
 * value sums its taps in the same order wherever it sits in the image, so
 * tiles reproduce whole-frame results bit for bit. */
void vsr_ref_conv(const vsr_conv_params *p, const float *in, vsr_shape is, float *out, vsr_shape os)
{
    const size_t in_plane = (size_t)is.h * is.w, out_plane = (size_t)os.h * os.w;
    const int kh = p->kernel_h, kw = p->kernel_w;
    /* Groups (GROUP_CONV): output channel oc reads the in_c input channels
     * of its group; with one group that is all of them. */
    const int groups = p->groups > 1 ? p->groups : 1, out_per_group = os.c / groups;
    for (int oc = 0; oc < os.c; oc++) {
        float *o = out + oc * out_plane;
        float b = p->bias ? p->bias[oc] : 0.f;
        const float *group_in = in + (size_t)(oc / out_per_group) * p->in_c * in_plane;
        for (size_t i = 0; i < out_plane; i++)
            o[i] = 0.f;
        for (int ic = 0; ic < p->in_c; ic++) {
            const float *src = group_in + ic * in_plane;
            const float *w = p->weight + ((size_t)oc * p->in_c + ic) * kh * kw;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    float wv = w[ky * kw + kx];
                    int dx = kx * p->dilation_w - p->pad_left;
                    /* ox range with 0 <= ox*stride + dx < is.w */
                    int x0 = dx >= 0 ? 0 : (-dx + p->stride_w - 1) / p->stride_w;
                    int x1 = is.w - dx <= 0 ? 0 : (is.w - dx - 1) / p->stride_w + 1;
                    if (x1 > os.w)
                        x1 = os.w;
                    for (int oy = 0; oy < os.h; oy++) {
                        int iy = oy * p->stride_h + ky * p->dilation_h - p->pad_top;
                        if (iy < 0 || iy >= is.h)
                            continue;
                        const float *row = src + (size_t)iy * is.w + dx;
                        float *orow = o + (size_t)oy * os.w;
                        if (p->stride_w == 1)
                            for (int ox = x0; ox < x1; ox++)
                                orow[ox] += wv * row[ox];
                        else
                            for (int ox = x0; ox < x1; ox++)
                                orow[ox] += wv * row[ox * p->stride_w];
                    }
                }
            }
        }
        for (size_t i = 0; i < out_plane; i++)
            o[i] = activate(&p->act, o[i] + b, oc);
    }
}

void vsr_ref_pixel_shuffle(int r, const float *in, vsr_shape is, float *out)
{
    const int oc_n = is.c / (r * r), ow = is.w * r;
    for (int oc = 0; oc < oc_n; oc++)
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                const float *src = in + ((size_t)(oc * r * r + i * r + j)) * is.h * is.w;
                for (int y = 0; y < is.h; y++)
                    for (int x = 0; x < is.w; x++)
                        out[((size_t)oc * is.h * r + y * r + i) * ow + x * r + j] =
                            src[(size_t)y * is.w + x];
            }
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ncnn's linear_coeffs(): source index and two weights per output index. */
static void linear_coeffs(int in, int out, int align, int *ofs, float *alpha)
{
    double scale = align && out > 1 ? (double)(in - 1) / (out - 1) : (double)in / out;
    for (int d = 0; d < out; d++) {
        float f = align ? (float)(d * scale) : (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (s < 0) {
            s = 0;
            f = 0.f;
        }
        if (s >= in - 1) {
            s = in > 1 ? in - 2 : 0;
            f = in > 1 ? 1.f : 0.f;
        }
        ofs[d] = s;
        alpha[2 * d] = 1.f - f;
        alpha[2 * d + 1] = f;
    }
}

/* ncnn's cubic_coeffs(): A = -0.75, with ncnn's folding of the taps that
 * fall outside the source at the borders. */
static void cubic_coeffs(int in, int out, int align, int *ofs, float *c)
{
    double scale = align && out > 1 ? (double)(in - 1) / (out - 1) : (double)in / out;
    const float A = -0.75f;
    for (int d = 0; d < out; d++) {
        float f = align ? (float)(d * scale) : (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        float *a = c + 4 * d;
        float f0 = f + 1, f1 = f, f2 = 1 - f;
        a[0] = A * f0 * f0 * f0 - 5 * A * f0 * f0 + 8 * A * f0 - 4 * A;
        a[1] = (A + 2) * f1 * f1 * f1 - (A + 3) * f1 * f1 + 1;
        a[2] = (A + 2) * f2 * f2 * f2 - (A + 3) * f2 * f2 + 1;
        a[3] = 1.f - a[0] - a[1] - a[2];
        if (s <= -1) {
            s = 1;
            a[0] = 1.f - a[3];
            a[1] = a[3];
            a[2] = a[3] = 0.f;
        }
        if (s == 0) {
            s = 1;
            a[0] = a[0] + a[1];
            a[1] = a[2];
            a[2] = a[3];
            a[3] = 0.f;
        }
        if (s == in - 2) {
            s = in - 3;
            a[3] = a[2] + a[3];
            a[2] = a[1];
            a[1] = a[0];
            a[0] = 0.f;
        }
        if (s >= in - 1) {
            s = in - 3;
            a[3] = 1.f - a[0];
            a[2] = a[0];
            a[1] = a[0] = 0.f;
        }
        ofs[d] = s;
    }
}

static void interp_plane(const vsr_interp_params *p, const float *src, int ih, int iw, float *dst,
                         int oh, int ow, const int *xofs, const float *xa, const int *yofs,
                         const float *ya, float *rows)
{
    if (p->mode == VSR_INTERP_NEAREST) {
        /* ncnn uses 1/scale, not the size ratio, when no size is fixed. */
        const float hs = 1.f / p->scale_h, ws = 1.f / p->scale_w;
        for (int y = 0; y < oh; y++) {
            int sy = clampi((int)(y * hs), 0, ih - 1);
            for (int x = 0; x < ow; x++)
                dst[(size_t)y * ow + x] = src[(size_t)sy * iw + clampi((int)(x * ws), 0, iw - 1)];
        }
        return;
    }
    const int taps = p->mode == VSR_INTERP_BILINEAR ? 2 : 4;
    const int first = p->mode == VSR_INTERP_BILINEAR ? 0 : -1;
    for (int y = 0; y < oh; y++) {
        /* Horizontal pass for the source rows this output row needs, then
         * the vertical blend, in ncnn's order. */
        for (int t = 0; t < taps; t++) {
            int sy = clampi(yofs[y] + first + t, 0, ih - 1);
            const float *s = src + (size_t)sy * iw;
            float *r = rows + (size_t)t * ow;
            for (int x = 0; x < ow; x++) {
                float acc = 0.f;
                for (int k = 0; k < taps; k++)
                    acc += s[clampi(xofs[x] + first + k, 0, iw - 1)] * xa[taps * x + k];
                r[x] = acc;
            }
        }
        float *d = dst + (size_t)y * ow;
        for (int x = 0; x < ow; x++) {
            float acc = 0.f;
            for (int t = 0; t < taps; t++)
                acc += rows[(size_t)t * ow + x] * ya[taps * y + t];
            d[x] = acc;
        }
    }
}

int vsr_ref_interp(const vsr_interp_params *p, const float *in, vsr_shape is, float *out,
                   vsr_shape os)
{
    int *xofs = malloc(sizeof(int) * (size_t)os.w);
    int *yofs = malloc(sizeof(int) * (size_t)os.h);
    float *xa = malloc(sizeof(float) * 4 * (size_t)os.w);
    float *ya = malloc(sizeof(float) * 4 * (size_t)os.h);
    float *rows = malloc(sizeof(float) * 4 * (size_t)os.w);
    int rc = !xofs || !yofs || !xa || !ya || !rows ? VSR_ERR_NOMEM : VSR_OK;
    if (rc)
        goto done;
    if (p->mode == VSR_INTERP_BILINEAR) {
        linear_coeffs(is.w, os.w, p->align_corners, xofs, xa);
        linear_coeffs(is.h, os.h, p->align_corners, yofs, ya);
    } else if (p->mode == VSR_INTERP_BICUBIC) {
        cubic_coeffs(is.w, os.w, p->align_corners, xofs, xa);
        cubic_coeffs(is.h, os.h, p->align_corners, yofs, ya);
    }
    for (int c = 0; c < is.c; c++)
        interp_plane(p, in + (size_t)c * is.h * is.w, is.h, is.w, out + (size_t)c * os.h * os.w,
                     os.h, os.w, xofs, xa, yofs, ya, rows);
done:
    free(xofs);
    free(yofs);
    free(xa);
    free(ya);
    free(rows);
    return rc;
}

static float binary(vsr_binary_op op, float a, float b)
{
    switch (op) {
    case VSR_BIN_ADD: return a + b;
    case VSR_BIN_SUB: return a - b;
    case VSR_BIN_MUL: return a * b;
    case VSR_BIN_DIV: return a / b;
    case VSR_BIN_MAX: return a > b ? a : b;
    case VSR_BIN_MIN: return a < b ? a : b;
    }
    return a;
}

void vsr_ref_binary(const vsr_binary_params *p, const float *a, const float *b, vsr_shape s,
                    float *out)
{
    size_t n = (size_t)s.c * s.h * s.w;
    for (size_t i = 0; i < n; i++)
        out[i] = binary(p->op, a[i], p->with_scalar ? p->scalar : b[i]);
}

void vsr_ref_eltwise(const vsr_eltwise_params *p, int n, const float *const *in, vsr_shape s,
                     float *out)
{
    size_t count = (size_t)s.c * s.h * s.w;
    for (size_t i = 0; i < count; i++) {
        float acc = p->op == VSR_ELT_SUM && p->n_coeffs ? in[0][i] * p->coeffs[0] : in[0][i];
        for (int k = 1; k < n; k++) {
            float v = in[k][i];
            switch (p->op) {
            case VSR_ELT_PROD: acc *= v; break;
            case VSR_ELT_SUM: acc += p->n_coeffs ? v * p->coeffs[k] : v; break;
            case VSR_ELT_MAX: acc = v > acc ? v : acc; break;
            }
        }
        out[i] = acc;
    }
}

void vsr_ref_concat(int n, const float *const *in, const vsr_shape *shapes, float *out)
{
    for (int k = 0; k < n; k++) {
        size_t count = (size_t)shapes[k].c * shapes[k].h * shapes[k].w;
        memcpy(out, in[k], count * sizeof(float));
        out += count;
    }
}

/* Scatter form: every input pixel adds its weighted kernel into the output
 * (the transpose of the convolution's gather), then bias and activation. */
void vsr_ref_deconv(const vsr_conv_params *p, const float *in, vsr_shape is, float *out,
                    vsr_shape os)
{
    const size_t in_plane = (size_t)is.h * is.w, out_plane = (size_t)os.h * os.w;
    const int kh = p->kernel_h, kw = p->kernel_w;
    const int groups = p->groups > 1 ? p->groups : 1;
    const int in_per_group = p->in_c / groups, out_per_group = p->out_c / groups;
    for (size_t i = 0; i < (size_t)os.c * out_plane; i++)
        out[i] = 0.f;
    for (int ic = 0; ic < is.c; ic++) {
        const float *src = in + ic * in_plane;
        int g = ic / in_per_group;
        for (int j = 0; j < out_per_group; j++) {
            int oc = g * out_per_group + j;
            float *o = out + (size_t)oc * out_plane;
            const float *w = p->weight + ((size_t)ic * out_per_group + j) * kh * kw;
            for (int iy = 0; iy < is.h; iy++)
                for (int ky = 0; ky < kh; ky++) {
                    int oy = iy * p->stride_h + ky * p->dilation_h - p->pad_top;
                    if (oy < 0 || oy >= os.h)
                        continue;
                    for (int ix = 0; ix < is.w; ix++) {
                        float v = src[(size_t)iy * is.w + ix];
                        for (int kx = 0; kx < kw; kx++) {
                            int ox = ix * p->stride_w + kx * p->dilation_w - p->pad_left;
                            if (ox >= 0 && ox < os.w)
                                o[(size_t)oy * os.w + ox] += v * w[ky * kw + kx];
                        }
                    }
                }
        }
    }
    for (int oc = 0; oc < os.c; oc++) {
        float b = p->bias ? p->bias[oc] : 0.f;
        float *o = out + (size_t)oc * out_plane;
        for (size_t i = 0; i < out_plane; i++)
            o[i] = activate(&p->act, o[i] + b, oc);
    }
}

/* Source index of padded coordinate i (may be outside [0, n)), or -1 for
 * the constant. Reflect needs pad < n, which shape inference checks. */
static int pad_source(vsr_pad_mode mode, int i, int n)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case VSR_PAD_CONSTANT: return -1;
    case VSR_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case VSR_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    }
    return -1;
}

void vsr_ref_pad(const vsr_pad_params *p, const float *in, vsr_shape is, float *out, vsr_shape os)
{
    for (int c = 0; c < os.c; c++) {
        const float *src = in + (size_t)c * is.h * is.w;
        float *dst = out + (size_t)c * os.h * os.w;
        for (int y = 0; y < os.h; y++) {
            int sy = pad_source(p->mode, y - p->top, is.h);
            for (int x = 0; x < os.w; x++) {
                int sx = pad_source(p->mode, x - p->left, is.w);
                dst[(size_t)y * os.w + x] =
                    sy < 0 || sx < 0 ? p->value : src[(size_t)sy * is.w + sx];
            }
        }
    }
}

void vsr_ref_slice(const vsr_slice_params *p, const float *in, vsr_shape is, float *out,
                   vsr_shape os)
{
    int c0, c1, y0, y1, x0, x1;
    vsr_slice_range(p->start[0], p->end[0], is.c, &c0, &c1);
    vsr_slice_range(p->start[1], p->end[1], is.h, &y0, &y1);
    vsr_slice_range(p->start[2], p->end[2], is.w, &x0, &x1);
    (void)c1, (void)y1, (void)x1;
    for (int c = 0; c < os.c; c++)
        for (int y = 0; y < os.h; y++)
            memcpy(out + ((size_t)c * os.h + y) * os.w,
                   in + ((size_t)(c + c0) * is.h + y + y0) * is.w + x0, sizeof(float) * os.w);
}

int vsr_ref_node(const vsr_node *n, const float *const *in, const vsr_shape *ins, float *out,
                 vsr_shape os, vsr_error *err)
{
    switch (n->type) {
    case VSR_OP_CONV:
    case VSR_OP_GROUP_CONV: vsr_ref_conv(&n->p.conv, in[0], ins[0], out, os); break;
    case VSR_OP_ACTIVATION:
        if (out != in[0])
            memcpy(out, in[0], (size_t)ins[0].c * ins[0].h * ins[0].w * sizeof(float));
        vsr_ref_activation(&n->p.act, out, os);
        break;
    case VSR_OP_PIXEL_SHUFFLE:
        vsr_ref_pixel_shuffle(n->p.shuffle_factor, in[0], ins[0], out);
        break;
    case VSR_OP_INTERP:
        if (vsr_ref_interp(&n->p.interp, in[0], ins[0], out, os))
            return vsr_error_set(err, VSR_ERR_NOMEM, "layer %s: out of memory", n->name);
        break;
    case VSR_OP_BINARY:
        vsr_ref_binary(&n->p.binary, in[0], n->p.binary.with_scalar ? NULL : in[1], ins[0], out);
        break;
    case VSR_OP_ELTWISE: vsr_ref_eltwise(&n->p.eltwise, n->n_inputs, in, ins[0], out); break;
    case VSR_OP_CONCAT: vsr_ref_concat(n->n_inputs, in, ins, out); break;
    case VSR_OP_DECONV: vsr_ref_deconv(&n->p.conv, in[0], ins[0], out, os); break;
    case VSR_OP_PAD: vsr_ref_pad(&n->p.pad, in[0], ins[0], out, os); break;
    case VSR_OP_SLICE: vsr_ref_slice(&n->p.slice, in[0], ins[0], out, os); break;
    }
    return VSR_OK;
}
