/* Backend conformance, in the manner of ggml's test-backend-ops: every op
 * of the IR, in small graphs with random weights, run on every backend
 * compiled into this build that is available here, against the ref
 * backend (the fp32 oracle), at every precision the backend computes in,
 * on random inputs of odd and even sizes and a batch of two. Tolerances
 * are per precision (the largest absolute difference of an output value;
 * values are of order 1).
 *
 * What it also holds a backend to: supports() must say yes or no without a
 * device, and a graph it says yes to must then prepare and run (no late
 * refusal of an op); one it says no to names the layer. A backend that is
 * not available here (cuda on a machine without a GPU, as in CI) is not
 * run: the test says which backends it covered and why others were not,
 * and bench/device/gpu_run.sh runs it on a GPU (mode `ops`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_run.h"
#include "engine/backend.h"
#include "graph_builder.h"
#include "test_util.h"

extern const vsr_backend_ops vsr_backend_ref;

/* Largest absolute difference from ref allowed per precision. fp32: float
 * rounding of a different summation order (Winograd included); bf16: 8
 * bits of mantissa in the operands; fp16: 11 bits, fp32 accumulation. */
static double tolerance(vsr_precision p)
{
    switch (p) {
    case VSR_PRECISION_FP32: return 1e-4;
    case VSR_PRECISION_BF16: return 6e-2;
    case VSR_PRECISION_FP16: return 2e-2;
    case VSR_PRECISION_AUTO: break;
    }
    return 0;
}

static const char *precision_name(vsr_precision p)
{
    return p == VSR_PRECISION_FP32   ? "fp32"
           : p == VSR_PRECISION_BF16 ? "bf16"
           : p == VSR_PRECISION_FP16 ? "fp16"
                                     : "auto";
}

/* ---- one small graph per op (or family of op parameters) ---- */

typedef struct op_case {
    const char *name;
    int (*build)(gb *b, int variant);
    int variants;
    const int (*sizes)[3]; /* n, h, w, ending in n 0; NULL: the default sizes */
} op_case;

/* conv 3x3 with each fused activation, then a 1x1 back to 3 channels */
static int build_conv(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    vsr_activation a[] = {
        NONE,        {VSR_ACT_RELU, 0, 0, 0, NULL},        {VSR_ACT_LEAKY, 0.1f, 0, 0, NULL},
        prelu(b, 8), {VSR_ACT_CLIP, -0.2f, 0.3f, 0, NULL}, {VSR_ACT_SIGMOID, 0, 0, 0, NULL}};
    int x = conv(b, 0, 3, 8, 3, 1, a[v]);
    return gb_finish(b, conv(b, x, 8, 3, 1, v % 2, NONE));
}

/* a standalone activation of each kind after a conv */
static int build_activation(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    vsr_activation a[] = {{VSR_ACT_RELU, 0, 0, 0, NULL},
                          {VSR_ACT_LEAKY, 0.2f, 0, 0, NULL},
                          prelu(b, 8),
                          prelu(b, 1),
                          {VSR_ACT_CLIP, 0.f, 0.5f, 0, NULL},
                          {VSR_ACT_SIGMOID, 0, 0, 0, NULL}};
    int x = act(b, conv(b, 0, 3, 8, 3, 1, NONE), a[v]);
    return gb_finish(b, conv(b, x, 8, 3, 3, 1, NONE));
}

static int build_pixel_shuffle(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int r = v + 2;
    return gb_finish(b, shuffle(b, conv(b, 0, 3, 3 * r * r, 3, 1, NONE), r));
}

/* every interp mode up by 2, and bicubic down by 0.5 after a x4 (the x2
 * models' tail) */
static int build_interp(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    if (v == 3)
        return gb_finish(
            b, interp(b, interp(b, 0, VSR_INTERP_NEAREST, 4.f), VSR_INTERP_BICUBIC, 0.5f));
    vsr_interp_mode m[] = {VSR_INTERP_NEAREST, VSR_INTERP_BILINEAR, VSR_INTERP_BICUBIC};
    return gb_finish(b, interp(b, conv(b, 0, 3, 3, 3, 1, NONE), m[v], 2.f));
}

/* each binary op on two conv branches; v 6: with a scalar */
static int build_binary(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int x = conv(b, 0, 3, 3, 3, 1, NONE);
    if (v == 6) {
        vsr_node *n = gb_node(b, VSR_OP_BINARY, 1, &x);
        n->p.binary.op = VSR_BIN_MUL;
        n->p.binary.with_scalar = 1;
        n->p.binary.scalar = -0.75f;
        return gb_finish(b, n->output);
    }
    /* DIV: a divisor kept away from zero (sigmoid in (0, 1), plus 0.5) */
    int y = conv(b, 0, 3, 3, 1, 1, (vsr_activation){VSR_ACT_SIGMOID, 0, 0, 0, NULL});
    if (v == VSR_BIN_DIV) {
        vsr_node *n = gb_node(b, VSR_OP_BINARY, 1, &y);
        n->p.binary.op = VSR_BIN_ADD;
        n->p.binary.with_scalar = 1;
        n->p.binary.scalar = 0.5f;
        y = n->output;
    }
    return gb_finish(b, binary(b, x, y, (vsr_binary_op)v));
}

/* sum with coefficients, product and max of three inputs */
static int build_eltwise(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int in[3] = {conv(b, 0, 3, 3, 3, 1, NONE), conv(b, 0, 3, 3, 1, 1, NONE),
                 conv(b, 0, 3, 3, 3, 0, NONE)};
    vsr_node *n = gb_node(b, VSR_OP_ELTWISE, 3, in);
    vsr_eltwise_op ops[] = {VSR_ELT_SUM, VSR_ELT_SUM, VSR_ELT_PROD, VSR_ELT_MAX};
    n->p.eltwise.op = ops[v];
    if (v == 1) {
        n->p.eltwise.n_coeffs = 3;
        n->p.eltwise.coeffs[0] = 0.5f;
        n->p.eltwise.coeffs[1] = -1.25f;
        n->p.eltwise.coeffs[2] = 2.f;
    }
    return gb_finish(b, n->output);
}

/* channels of unequal counts, then a conv over all of them */
static int build_concat(gb *b, int v)
{
    (void)v;
    gb_init(b, 16, 16, 1 << 16);
    int in[3] = {conv(b, 0, 3, 4, 3, 1, NONE), 0, conv(b, 0, 3, 5, 1, 1, NONE)};
    vsr_node *n = gb_node(b, VSR_OP_CONCAT, 3, in);
    return gb_finish(b, conv(b, n->output, 12, 3, 3, 1, NONE));
}

/* depthwise (groups = channels) and two groups of three */
static int build_group_conv(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int x = conv(b, 0, 3, 6, 3, 1, NONE);
    int groups = v ? 2 : 6;
    x = gb_conv_like(b, VSR_OP_GROUP_CONV, x, 6 / groups, 6, 3, 1, groups);
    return gb_finish(b, conv(b, x, 6, 3, 1, 1, NONE));
}

/* stride 2, kernel 2 (scale 2) in one group and in three */
static int build_deconv(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int groups = v ? 3 : 1;
    return gb_finish(b, gb_conv_like(b, VSR_OP_DECONV, 0, 3, 3, 2, 2, groups));
}

/* each pad mode, then a slice that takes the frame back to its size */
static int build_pad_slice(gb *b, int v)
{
    gb_init(b, 16, 16, 1 << 16);
    int x = conv(b, 0, 3, 4, 3, 1, NONE);
    vsr_node *p = gb_node(b, VSR_OP_PAD, 1, &x);
    p->p.pad.mode = (vsr_pad_mode)v;
    p->p.pad.top = 1;
    p->p.pad.bottom = 2;
    p->p.pad.left = 2;
    p->p.pad.right = 1;
    p->p.pad.value = 0.25f;
    x = p->output;
    /* channels 1..3, rows 1..h, columns 2..w+1 (negative ends count from
     * the end): the frame's size again */
    vsr_node *s = gb_node(b, VSR_OP_SLICE, 1, &x);
    s->p.slice = (vsr_slice_params){{1, 1, 2}, {4, -2, -1}};
    return gb_finish(b, s->output);
}

/* The RRDB (ESRGAN) structure: residual dense blocks (5 convs on the
 * growing concatenation 64 -> 96 -> ... -> 192, LeakyReLU 0.2, x5 * 0.2 +
 * x), v 0: an RRDB of three of them (+ its own x * 0.2 + x0), the trunk
 * conv + the first conv's output, nearest x2 and a conv at that size; v 1:
 * one block, plain sums (coefficients 1) and ReLU. The CUDA backend plans
 * the concatenations away on Hopper (channel slices of one buffer) and fuses
 * the sums into the convs; this checks those against ref. */
static int build_rrdb(gb *b, int v)
{
    gb_init(b, 48, 49, 1 << 21);
    const vsr_activation lr = v ? (vsr_activation){VSR_ACT_RELU, 0, 0, 0, NULL}
                                : (vsr_activation){VSR_ACT_LEAKY, 0.2f, 0, 0, NULL};
    const int x0 = conv(b, 0, 3, 64, 3, 1, NONE);
    int x = x0;
    for (int r = 0; r < (v ? 1 : 3); r++) {
        int feats[5] = {x};
        for (int k = 1; k <= 4; k++) {
            int in = feats[0];
            if (k > 1) {
                vsr_node *cat = gb_node(b, VSR_OP_CONCAT, k, feats);
                in = cat->output;
            }
            feats[k] = conv(b, in, 64 + 32 * (k - 1), 32, 3, 1, lr);
        }
        vsr_node *cat = gb_node(b, VSR_OP_CONCAT, 5, feats);
        int in[2] = {conv(b, cat->output, 192, 64, 3, 1, NONE), x};
        vsr_node *add = gb_node(b, VSR_OP_ELTWISE, 2, in);
        add->p.eltwise.op = VSR_ELT_SUM;
        if (!v) {
            add->p.eltwise.n_coeffs = 2;
            add->p.eltwise.coeffs[0] = 0.2f;
            add->p.eltwise.coeffs[1] = 1.f;
        }
        x = add->output;
    }
    if (!v) {
        int in[2] = {x, x0};
        vsr_node *add = gb_node(b, VSR_OP_ELTWISE, 2, in);
        add->p.eltwise.op = VSR_ELT_SUM;
        add->p.eltwise.n_coeffs = 2;
        add->p.eltwise.coeffs[0] = 0.2f;
        add->p.eltwise.coeffs[1] = 1.f;
        x = add->output;
    }
    x = binary(b, x0, conv(b, x, 64, 64, 3, 1, NONE), VSR_BIN_ADD);
    x = conv(b, interp(b, x, VSR_INTERP_NEAREST, 2.f), 64, 64, 3, 1, lr);
    return gb_finish(b, conv(b, x, 64, 3, 3, 1, NONE));
}

/* 3x3 convs to a few channels from 16..64 (the RRDB models' last conv, 64 ->
 * 3 at the output size, which the CUDA backend runs on its own kernel):
 * v 0: 64 -> 3 with bias (x4plus's), v 1: without; v 2: 32 -> 4 and a
 * following LeakyReLU node; v 3: 48 -> 1, ReLU; v 4: 16 -> 2, no bias,
 * PReLU per channel. Run at sizes that cross that kernel's strips (126
 * columns) and row segments (32 rows). */
static int build_conv_narrow(gb *b, int v)
{
    static const int cin[] = {64, 64, 32, 48, 16}, cout[] = {3, 3, 4, 1, 2};
    gb_init(b, 4, 5, 1 << 16);
    const int x = conv(b, 0, 3, cin[v], 3, 1, (vsr_activation){VSR_ACT_LEAKY, 0.2f, 0, 0, NULL});
    vsr_activation a = NONE;
    if (v == 3)
        a = (vsr_activation){VSR_ACT_RELU, 0, 0, 0, NULL};
    if (v == 4)
        a = prelu(b, cout[v]);
    int y = conv(b, x, cin[v], cout[v], 3, v != 1 && v != 4, a);
    if (v == 2)
        y = act(b, y, (vsr_activation){VSR_ACT_LEAKY, 0.2f, 0, 0, NULL});
    return gb_finish(b, y);
}

static const int narrow_sizes[][3] = {{2, 7, 5}, {2, 33, 17}, {1, 40, 260}, {0, 0, 0}};
/* 10 x 200: 3 x 3 tiles of the CUDA RRDB kernel (96 pixels x 4 rows, the
 * last ones partial): every kind of edge. (Its convs overlap only where a
 * launch fills the GPU, 132 tiles on an H100: too large for the fp32
 * oracle here; the overlap is checked against one conv at a time by the
 * device's cuda_psnr overlap.) */
static const int rrdb_sizes[][3] = {{1, 7, 5}, {2, 12, 16}, {1, 10, 200}, {0, 0, 0}};

static const op_case cases[] = {
    {"conv", build_conv, 6, NULL},
    {"activation", build_activation, 6, NULL},
    {"pixel_shuffle", build_pixel_shuffle, 2, NULL},
    {"interp", build_interp, 4, NULL},
    {"binary", build_binary, 7, NULL},
    {"eltwise", build_eltwise, 4, NULL},
    {"concat", build_concat, 1, NULL},
    {"group_conv", build_group_conv, 2, NULL},
    {"deconv", build_deconv, 2, NULL},
    {"pad_slice", build_pad_slice, 3, NULL},
    {"rrdb", build_rrdb, 2, rrdb_sizes},
    {"conv_narrow", build_conv_narrow, 5, narrow_sizes},
};

/* ---- running ---- */

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        x[i] = frand(&seed) * 0.5f + 0.5f; /* [0, 1], as a model's input */
}

/* Runs g on in; out allocated here. 0, or the status with why in err. */
static int run(const vsr_backend_ops *be, const vsr_graph *g, vsr_precision prec,
               const vsr_tensor *in, vsr_tensor *out, vsr_error *err)
{
    vsr_backend_config cfg = {.threads = 0, .precision = prec, .device = 0};
    *out = (vsr_tensor){in->n, g->out_channels, in->h * g->scale, in->w * g->scale, NULL};
    out->data = malloc(sizeof(float) * (size_t)out->n * out->c * out->h * out->w);
    if (!out->data)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    return backend_run(be, g, &cfg, in, out, err);
}

static double max_abs_diff(const vsr_tensor *a, const vsr_tensor *b)
{
    double m = 0;
    size_t n = (size_t)a->n * a->c * a->h * a->w;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a->data[i] - b->data[i]);
        if (!(e <= m))
            m = isnan(e) ? INFINITY : e;
    }
    return m;
}

/* What one backend did: cases run per precision, cases it refused. */
typedef struct coverage {
    int ran[VSR_PRECISION_AUTO];
    int refused;
} coverage;

static const int default_sizes[][3] = {{1, 7, 5}, {2, 12, 16}, {0, 0, 0}}; /* n, h, w */

static void check_case(const vsr_backend_ops *be, const op_case *oc, int v, coverage *cov)
{
    gb b;
    if (oc->build(&b, v) != 0)
        return;
    for (vsr_precision p = VSR_PRECISION_FP32; p < VSR_PRECISION_AUTO; p++) {
        if (!(be->precisions & VSR_PRECISION_BIT(p)))
            continue;
        vsr_backend_config cfg = {.threads = 0, .precision = p, .device = 0};
        vsr_error why = {0};
        if (!vsr_backend_supports(be, &b.g, &cfg, &why)) {
            /* a refusal says what it lacks: the layer, or the precision */
            CHECK_MSG(why.code != VSR_OK && why.msg[0], "%s: %s/%d %s refused without a reason",
                      be->name, oc->name, v, precision_name(p));
            if (p == VSR_PRECISION_FP32 || be->native_precision == p) {
                printf("  %s %s/%d %s: not supported (%s)\n", be->name, oc->name, v,
                       precision_name(p), why.msg);
                cov->refused++;
            }
            continue;
        }
        const int(*sizes)[3] = oc->sizes ? oc->sizes : default_sizes;
        for (size_t s = 0; sizes[s][0]; s++) {
            int n = sizes[s][0], h = sizes[s][1], w = sizes[s][2];
            vsr_tensor in = {n, 3, h, w, malloc(sizeof(float) * (size_t)n * 3 * h * w)};
            fill(in.data, (size_t)n * 3 * h * w, (unsigned)(v * 7919 + h * 31 + w));
            vsr_tensor want = {0}, got = {0};
            vsr_error err = {0};
            int rc = run(&vsr_backend_ref, &b.g, VSR_PRECISION_FP32, &in, &want, &err);
            CHECK_MSG(rc == 0, "ref %s/%d: %s", oc->name, v, err.msg);
            if (rc == 0) {
                rc = run(be, &b.g, p, &in, &got, &err);
                /* supports() said yes: a late refusal is a bug in it */
                CHECK_MSG(rc == 0, "%s %s/%d %s %dx%dx%d: supported, then: %s", be->name, oc->name,
                          v, precision_name(p), n, h, w, err.msg);
            }
            if (rc == 0) {
                double d = max_abs_diff(&want, &got);
                CHECK_MSG(d <= tolerance(p), "%s %s/%d %s %dx%dx%d: max abs diff %g > %g", be->name,
                          oc->name, v, precision_name(p), n, h, w, d, tolerance(p));
                cov->ran[p]++;
            }
            free(in.data);
            free(want.data);
            free(got.data);
        }
    }
    vsr_graph_free(&b.g);
}

/* Every op of the IR appears in some case (a new op without a case fails
 * here, so it cannot be left out of the conformance run). */
static void check_op_coverage(void)
{
    int seen[VSR_OP_SLICE + 1] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int v = 0; v < cases[i].variants; v++) {
            gb b;
            if (cases[i].build(&b, v) != 0)
                continue;
            for (int k = 0; k < b.g.n_nodes; k++)
                seen[b.g.nodes[k].type] = 1;
            vsr_graph_free(&b.g);
        }
    for (int t = 0; t <= VSR_OP_SLICE; t++)
        CHECK_MSG(seen[t], "op %s has no conformance case", vsr_op_name((vsr_op_type)t));
}

int main(int argc, char **argv)
{
    /* test_backend_ops [BACKEND]: only that one (the device script's cuda
     * run); it must then be available */
    const char *only = argc > 1 ? argv[1] : NULL;
    check_op_coverage();
    const vsr_backend_ops *const *list = vsr_backend_list();
    char covered[512] = "", skipped[2048] = "";
    for (int i = 0; list[i]; i++) {
        const vsr_backend_ops *be = list[i];
        if (be == &vsr_backend_ref || (only && strcmp(be->name, only) != 0))
            continue;
        /* supports() must answer without the device (auto asks it on
         * machines that lack one) */
        gb b;
        if (build_conv(&b, 0) == 0) {
            vsr_error why = {0};
            vsr_backend_config cfg = {.threads = 0, .precision = be->native_precision, .device = 0};
            CHECK_MSG(vsr_backend_supports(be, &b.g, &cfg, &why), "%s refuses a plain conv: %s",
                      be->name, why.msg);
            vsr_graph_free(&b.g);
        }
        vsr_error why = {0};
        if (be->available(&why) != 1) {
            size_t len = strlen(skipped);
            snprintf(skipped + len, sizeof skipped - len, "%s%s (%.200s)", len ? "; " : "",
                     be->name, why.msg);
            continue;
        }
        coverage cov = {{0}, 0};
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            for (int v = 0; v < cases[c].variants; v++)
                check_case(be, &cases[c], v, &cov);
        size_t len = strlen(covered);
        snprintf(covered + len, sizeof covered - len, "%s%s (", len ? ", " : "", be->name);
        for (vsr_precision p = VSR_PRECISION_FP32; p < VSR_PRECISION_AUTO; p++)
            if (cov.ran[p]) {
                len = strlen(covered);
                snprintf(covered + len, sizeof covered - len, "%s %d runs, ", precision_name(p),
                         cov.ran[p]);
            }
        len = strlen(covered);
        snprintf(covered + len, sizeof covered - len, "%d cases refused)", cov.refused);
        CHECK_MSG(cov.ran[VSR_PRECISION_FP32] + cov.ran[VSR_PRECISION_BF16] +
                          cov.ran[VSR_PRECISION_FP16] >
                      0,
                  "%s ran no case", be->name);
    }
    printf("backends covered against ref: %s\n", covered[0] ? covered : "none");
    printf("backends not available here: %s\n", skipped[0] ? skipped : "none");
    if (only)
        CHECK_MSG(covered[0], "backend %s was asked for and did not run: %s", only,
                  skipped[0] ? skipped : "not compiled into this build");
    return test_report("test_backend_ops");
}
