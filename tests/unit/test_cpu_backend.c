/* The oneDNN `cpu` backend against the `ref` backend:
 * - hand-built graphs covering every op and activation (PReLU fused into a
 *   convolution or standalone, post-op fusion, blobs read twice, concat,
 *   eltwise, every interp mode), batches, odd sizes, 1 and 2 threads, both
 *   PReLU implementations: fp32 within 1e-4, 8-bit output within 1;
 * - the real models (animevideov3 x4 and x2, general-x4v3), with Winograd
 *   (the fp32 default) and direct convolutions: fp32 8-bit
 *   output within 1 of ref, bf16 PSNR >= 40 dB against ref;
 * - no convolution of animevideov3 runs on a oneDNN `ref` implementation;
 * - contexts sharing one weights object run at once from two threads and
 *   agree with a lone run; the per-size plan cache evicts and rebuilds. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend_run.h"
#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "graph_builder.h"
#include "model/model_registry.h"
#include "test_util.h"

extern const vsr_backend_ops vsr_backend_ref;

/* SRVGG in miniature: conv + standalone PReLU nodes (as the ncnn loader
 * makes them), the last conv, pixel shuffle, nearest upsample of the input,
 * add; optionally a bicubic 0.5 resize (the x2 models). */
static int graph_srvgg(gb *b, int feat, int body, int r, int downscale)
{
    gb_init(b, 64, 64, 1 << 20);
    int x = conv(b, 0, 3, feat, 3, 1, NONE);
    x = act(b, x, prelu(b, feat));
    for (int i = 0; i < body; i++) {
        x = conv(b, x, feat, feat, 3, 1, NONE);
        x = act(b, x, prelu(b, i == 1 ? 1 : feat));
    }
    x = conv(b, x, feat, 3 * r * r, 3, 1, NONE);
    x = shuffle(b, x, r);
    int up = interp(b, 0, VSR_INTERP_NEAREST, (float)r);
    x = binary(b, x, up, VSR_BIN_ADD);
    if (downscale)
        x = interp(b, x, VSR_INTERP_BICUBIC, 0.5f);
    return gb_finish(b, x);
}

/* Every other op and activation, with blobs read by several nodes. */
static int graph_mixed(gb *b)
{
    gb_init(b, 64, 64, 1 << 20);
    vsr_activation clip = {VSR_ACT_CLIP, -0.3f, 0.4f, 0, NULL};
    vsr_activation leaky = {VSR_ACT_LEAKY, 0.2f, 0, 0, NULL};
    vsr_activation relu = {VSR_ACT_RELU, 0, 0, 0, NULL};
    vsr_activation sigm = {VSR_ACT_SIGMOID, 0, 0, 0, NULL};
    int a = conv(b, 0, 3, 8, 3, 1, clip);               /* post-op clip; read 3 times */
    int s = act(b, conv(b, a, 8, 8, 3, 0, NONE), sigm); /* fused standalone sigmoid */
    int l = act(b, a, leaky);                           /* standalone, input read again: copy */
    int in2[2] = {s, l};
    vsr_node *cat = gb_node(b, VSR_OP_CONCAT, 2, in2);
    int d = cat->output;
    int e = conv(b, d, 16, 4, 1, 1, prelu(b, 1)); /* 1x1, PReLU with one slope */
    e = act(b, e, relu);                          /* standalone after a PReLU conv */
    int f = conv(b, e, 4, 8, 3, 1, leaky);
    int g2 = conv(b, a, 8, 8, 5, 1, NONE); /* 5x5 on a again */
    int in3[2] = {f, g2};
    vsr_node *el = gb_node(b, VSR_OP_ELTWISE, 2, in3);
    el->p.eltwise.op = VSR_ELT_SUM;
    el->p.eltwise.n_coeffs = 2;
    el->p.eltwise.coeffs[0] = 0.7f;
    el->p.eltwise.coeffs[1] = -0.4f;
    int h = act(b, el->output, prelu(b, 8)); /* PReLU on a plain blob */
    int m = binary(b, h, a, VSR_BIN_MAX);
    int y = conv(b, m, 8, 12, 3, 1, NONE);
    y = shuffle(b, y, 2);
    int up = interp(b, 0, VSR_INTERP_BILINEAR, 2.0f);
    int in4[2] = {y, up};
    vsr_node *pr = gb_node(b, VSR_OP_ELTWISE, 2, in4);
    pr->p.eltwise.op = VSR_ELT_PROD;
    int o = pr->output;
    vsr_node *sc = gb_node(b, VSR_OP_BINARY, 1, &o);
    sc->p.binary.op = VSR_BIN_ADD;
    sc->p.binary.with_scalar = 1;
    sc->p.binary.scalar = 0.25f;
    return gb_finish(b, sc->output);
}

/* ---- running ---- */

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f;
    }
}

/* An image-like input: smooth gradients plus a little noise. */
static void fill_image(float *x, int n, int h, int w, unsigned seed)
{
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) {
                    seed = seed * 1664525u + 1013904223u;
                    float v = 0.5f +
                              0.35f * sinf(0.21f * xx + 0.9f * c + i) * cosf(0.17f * y - 0.3f * c) +
                              0.08f * ((float)(seed >> 8) / 16777216.0f - 0.5f);
                    x[(((size_t)i * 3 + c) * h + y) * w + xx] = v;
                }
}

typedef struct result {
    vsr_tensor t;
} result;

static int run_backend(const vsr_backend_ops *be, const vsr_graph *g, vsr_precision prec,
                       int threads, const vsr_tensor *in, vsr_tensor *out)
{
    vsr_backend_config cfg = {.threads = threads, .precision = prec, .device = 0};
    vsr_error err = {0};
    out->n = in->n;
    out->c = g->out_channels;
    out->h = in->h * g->scale;
    out->w = in->w * g->scale;
    out->data = malloc(sizeof(float) * (size_t)out->n * out->c * out->h * out->w);
    int rc = backend_run(be, g, &cfg, in, out, &err);
    CHECK_MSG(rc == 0, "%s run: %s", be->name, err.msg);
    return rc;
}

static size_t numel(const vsr_tensor *t)
{
    return (size_t)t->n * t->c * t->h * t->w;
}

static int to8(float v)
{
    float x = roundf(v * 255.0f);
    return x < 0 ? 0 : x > 255 ? 255 : (int)x;
}

typedef struct diff {
    double max_abs, max8, psnr;
} diff;

static diff compare(const vsr_tensor *a, const vsr_tensor *b)
{
    diff d = {0, 0, 0};
    double se = 0;
    size_t n = numel(a);
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a->data[i] - b->data[i]);
        if (!(e <= d.max_abs))
            d.max_abs = isnan(e) ? INFINITY : e;
        int e8 = abs(to8(a->data[i]) - to8(b->data[i]));
        if (e8 > d.max8)
            d.max8 = e8;
        se += (double)e8 * e8;
    }
    d.psnr = se > 0 ? 10 * log10(255.0 * 255.0 / (se / (double)n)) : 99;
    return d;
}

static void check_graph(const char *what, const vsr_graph *g, int n, int h, int w, int threads,
                        double tol)
{
    vsr_tensor in = {n, 3, h, w, malloc(sizeof(float) * (size_t)n * 3 * h * w)};
    fill(in.data, numel(&in), (unsigned)(h * 31 + w));
    vsr_tensor r = {0}, c = {0};
    if (run_backend(&vsr_backend_ref, g, VSR_PRECISION_FP32, 1, &in, &r) == 0 &&
        run_backend(&vsr_backend_cpu, g, VSR_PRECISION_FP32, threads, &in, &c) == 0) {
        diff d = compare(&r, &c);
        CHECK_MSG(d.max_abs <= tol && d.max8 <= 1,
                  "%s %dx%dx%d threads %d: max abs diff %g, 8-bit %g", what, n, h, w, threads,
                  d.max_abs, d.max8);
    }
    free(c.data);
    c.data = NULL;
    if (vsr_cpu_bf16_supported(NULL) && r.data &&
        run_backend(&vsr_backend_cpu, g, VSR_PRECISION_BF16, threads, &in, &c) == 0) {
        diff d = compare(&r, &c);
        CHECK_MSG(d.max_abs <= 0.1, "%s bf16 %dx%dx%d: max abs diff %g", what, n, h, w, d.max_abs);
    }
    free(in.data);
    free(r.data);
    free(c.data);
}

static void test_hand_graphs(void)
{
    gb b;
    if (graph_srvgg(&b, 16, 3, 4, 0) == 0) {
        check_graph("srvgg x4", &b.g, 1, 13, 17, 0, 1e-4);
        check_graph("srvgg x4", &b.g, 2, 8, 8, 1, 1e-4);
        check_graph("srvgg x4", &b.g, 1, 1, 5, 2, 1e-4);
        setenv("VSR_CPU_PRELU", "onednn", 1);
        check_graph("srvgg x4 (oneDNN prelu)", &b.g, 2, 9, 11, 2, 1e-4);
        unsetenv("VSR_CPU_PRELU");
        /* Direct convolutions only: channels-last layouts throughout (the
         * default runs 16k-channel 3x3 ones as Winograd, on nChw16c). */
        setenv("VSR_CPU_CONV", "direct", 1);
        check_graph("srvgg x4 (direct)", &b.g, 2, 13, 10, 2, 1e-4);
        unsetenv("VSR_CPU_CONV");
    }
    vsr_graph_free(&b.g);
    if (graph_srvgg(&b, 20, 2, 4, 1) == 0) /* 20 channels: a partial AVX-512 vector */
        check_graph("srvgg x2", &b.g, 1, 16, 12, 2, 1e-4);
    vsr_graph_free(&b.g);
    if (graph_mixed(&b) == 0) {
        check_graph("mixed", &b.g, 1, 10, 14, 2, 1e-4);
        check_graph("mixed", &b.g, 3, 7, 5, 1, 1e-4);
        setenv("VSR_CPU_PRELU", "onednn", 1);
        check_graph("mixed (oneDNN prelu)", &b.g, 2, 6, 9, 2, 1e-4);
        unsetenv("VSR_CPU_PRELU");
    }
    vsr_graph_free(&b.g);
}

/* ---- real models ---- */

static void check_model(const char *name, int h, int w)
{
    vsr_graph g;
    vsr_error err = {0};
    int rc = vsr_model_load(name, 0, NULL, &g, &err);
    CHECK_MSG(rc == 0, "load %s: %s", name, err.msg);
    if (rc)
        return;
    vsr_tensor in = {1, 3, h, w, malloc(sizeof(float) * 3 * (size_t)h * w)};
    fill_image(in.data, 1, h, w, 99);
    vsr_tensor r = {0}, c = {0};
    if (run_backend(&vsr_backend_ref, &g, VSR_PRECISION_FP32, 1, &in, &r) == 0) {
        if (run_backend(&vsr_backend_cpu, &g, VSR_PRECISION_FP32, 0, &in, &c) == 0) {
            diff d = compare(&r, &c);
            printf("%s fp32: max abs diff %.3g, 8-bit max diff %g\n", name, d.max_abs, d.max8);
            CHECK_MSG(d.max8 <= 1, "%s fp32: 8-bit max diff %g (max abs %g)", name, d.max8,
                      d.max_abs);
        }
        free(c.data);
        c.data = NULL;
        vsr_error e2 = {0};
        if (vsr_cpu_bf16_supported(&e2)) {
            if (run_backend(&vsr_backend_cpu, &g, VSR_PRECISION_BF16, 0, &in, &c) == 0) {
                diff d = compare(&r, &c);
                printf("%s bf16: PSNR %.2f dB, 8-bit max diff %g\n", name, d.psnr, d.max8);
                CHECK_MSG(d.psnr >= 40, "%s bf16: PSNR %.2f dB < 40", name, d.psnr);
            }
        } else {
            printf("%s bf16: not tested: %s\n", name, e2.msg);
        }
    }
    free(in.data);
    free(r.data);
    free(c.data);
    vsr_graph_free(&g);
}

typedef struct impl_count {
    int conv, ref_conv, total;
    char bad[512];
} impl_count;

static void count_impl(void *user, const char *layer, const char *kind, const char *impl)
{
    impl_count *c = user;
    c->total++;
    if (strcmp(kind, "convolution") == 0) {
        c->conv++;
        if (strstr(impl, "ref")) {
            c->ref_conv++;
            size_t len = strlen(c->bad);
            snprintf(c->bad + len, sizeof c->bad - len, " %s=%s", layer, impl);
        }
    }
}

/* Every convolution of animevideov3 must run on an optimized oneDNN
 * implementation, in fp32 and (where the CPU has it) bf16. */
static void check_impls(void)
{
    vsr_graph g;
    vsr_error err = {0};
    int rc = vsr_model_load("realesr-animevideov3", 4, NULL, &g, &err);
    CHECK_MSG(rc == 0, "load: %s", err.msg);
    if (rc)
        return;
    for (int p = 0; p < 2; p++) {
        vsr_precision prec = p ? VSR_PRECISION_BF16 : VSR_PRECISION_FP32;
        if (p && !vsr_cpu_bf16_supported(NULL))
            break;
        vsr_backend_config cfg = {.threads = 0, .precision = prec, .device = 0};
        void *w = NULL, *ctx = NULL;
        rc = vsr_backend_cpu.weights_create(&g, &cfg, &w, &err);
        if (!rc)
            rc = vsr_backend_cpu.context_create(&g, w, &cfg, &ctx, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        static const int sizes[3][2] = {{64, 64}, {270, 480}, {37, 53}};
        for (int s = 0; !rc && s < 3; s++) {
            rc = vsr_cpu_context_prepare(ctx, 1, sizes[s][0], sizes[s][1], &err);
            CHECK_MSG(rc == 0, "%s", err.msg);
            impl_count c = {0};
            int n = vsr_cpu_context_impls(ctx, count_impl, &c);
            CHECK(n == c.total && n > 0);
            CHECK_MSG(c.conv == 18, "%d convolutions", c.conv);
            CHECK_MSG(c.ref_conv == 0, "%s %dx%d: convolutions on a reference implementation:%s",
                      p ? "bf16" : "fp32", sizes[s][0], sizes[s][1], c.bad);
        }
        if (ctx)
            vsr_backend_cpu.context_destroy(ctx);
        if (w)
            vsr_backend_cpu.weights_destroy(w);
    }
    vsr_graph_free(&g);
}

/* ---- sharing and caching ---- */

typedef struct job {
    const vsr_graph *g;
    const void *w;
    vsr_precision prec;
    vsr_tensor in, out;
    int rc;
} job;

static void *worker(void *p)
{
    job *j = p;
    vsr_backend_config cfg = {.threads = 1, .precision = j->prec, .device = 0};
    vsr_error err = {0};
    void *ctx = NULL;
    j->rc = vsr_backend_cpu.context_create(j->g, j->w, &cfg, &ctx, &err);
    for (int i = 0; !j->rc && i < 3; i++)
        j->rc = vsr_backend_cpu.run(ctx, &j->in, &j->out, &err);
    if (ctx)
        vsr_backend_cpu.context_destroy(ctx);
    return NULL;
}

static void check_sharing(void)
{
    gb b;
    if (graph_srvgg(&b, 16, 2, 2, 0))
        return;
    const vsr_graph *g = &b.g;
    vsr_backend_config cfg = {.threads = 1, .precision = VSR_PRECISION_FP32, .device = 0};
    vsr_error err = {0};
    void *w = NULL;
    int rc = vsr_backend_cpu.weights_create(g, &cfg, &w, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) {
        vsr_graph_free(&b.g);
        return;
    }
    job jobs[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        int h = 20 + i * 3, wd = 24 - i * 5;
        jobs[i] =
            (job){g, w, VSR_PRECISION_FP32, {1, 3, h, wd, NULL}, {1, 3, 2 * h, 2 * wd, NULL}, 0};
        jobs[i].in.data = malloc(sizeof(float) * 3 * (size_t)h * wd);
        jobs[i].out.data = malloc(sizeof(float) * 12 * (size_t)h * wd);
        fill(jobs[i].in.data, 3 * (size_t)h * wd, (unsigned)i + 5);
    }
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(jobs[i].rc == 0);
        vsr_tensor r = {0};
        if (run_backend(&vsr_backend_ref, g, VSR_PRECISION_FP32, 1, &jobs[i].in, &r) == 0) {
            diff d = compare(&r, &jobs[i].out);
            CHECK_MSG(d.max_abs <= 1e-4, "thread %d: max abs diff %g", i, d.max_abs);
        }
        free(r.data);
    }

    /* One context, more sizes than its plan cache holds, then the first
     * again: results must not depend on the cache's history. */
    void *ctx = NULL;
    rc = vsr_backend_cpu.context_create(g, w, &cfg, &ctx, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    vsr_tensor first = {0};
    for (int s = 0; !rc && s < 11; s++) {
        int h = s == 10 ? 20 : 4 + s, wd = s == 10 ? 24 : 9 + 2 * s;
        vsr_tensor in = {1, 3, h, wd, malloc(sizeof(float) * 3 * (size_t)h * wd)};
        vsr_tensor out = {1, 3, 2 * h, 2 * wd, malloc(sizeof(float) * 12 * (size_t)h * wd)};
        fill(in.data, numel(&in), 5);
        rc = vsr_backend_cpu.run(ctx, &in, &out, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (s == 10 && !rc) {
            diff d = compare(&jobs[0].out, &out);
            CHECK_MSG(d.max_abs == 0, "after cache eviction: max abs diff %g", d.max_abs);
        }
        free(in.data);
        free(out.data);
    }
    (void)first;
    /* A wrong output size is refused. */
    vsr_tensor in = {1, 3, 4, 4, calloc(48, sizeof(float))};
    vsr_tensor out = {1, 3, 4, 4, calloc(48, sizeof(float))};
    CHECK(vsr_backend_cpu.run(ctx, &in, &out, &err) == VSR_ERR_INVALID);
    free(in.data);
    free(out.data);
    if (ctx)
        vsr_backend_cpu.context_destroy(ctx);
    /* fp16 is not a cpu precision. */
    vsr_backend_config c16 = {.threads = 1, .precision = VSR_PRECISION_FP16, .device = 0};
    void *w16 = NULL;
    CHECK(vsr_backend_cpu.weights_create(g, &c16, &w16, &err) == VSR_ERR_UNSUPPORTED);
    vsr_backend_cpu.weights_destroy(w);
    for (int i = 0; i < 2; i++) {
        free(jobs[i].in.data);
        free(jobs[i].out.data);
    }
    vsr_graph_free(&b.g);
}

int main(void)
{
    vsr_error err = {0};
    CHECK_MSG(vsr_backend_cpu.available(&err), "%s", err.msg);
    test_hand_graphs();
    check_sharing();
    check_impls();
    check_model("realesr-animevideov3-x4", 24, 32);
    check_model("realesr-animevideov3-x2", 20, 28);
    check_model("realesr-general-x4v3", 16, 24);
    setenv("VSR_CPU_CONV", "direct", 1);
    check_model("realesr-animevideov3-x4", 24, 32);
    check_impls();
    unsetenv("VSR_CPU_CONV");
    return test_report("test_cpu_backend");
}
