/* The ONNX loader (src/model/onnx_*.c), on files written by
 * tests/tools/make_onnx_models.py (run here with Debian's python3-onnx):
 * - the Real-ESRGAN models converted from their ncnn files (three exporter
 *   styles: DepthToSpace, Reshape+Transpose, fp16 weights, Resize modes)
 *   give the ncnn model's 8-bit output within 1 on the ref and cpu
 *   backends;
 * - small graphs covering every supported op match the numpy oracle of the
 *   script (fp32, within 1e-4 relative) on both backends;
 * - every refusal (unknown op, opsets 9 and 21, foreign domain, missing
 *   initializer, shape mismatches, external data, Resize to fixed sizes)
 *   fails with a message naming what it must; malformed, truncated and
 *   empty files fail cleanly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend_run.h"
#include "engine/backend.h"
#include "engine/engine.h"
#include "model/model_registry.h"
#include "model/onnx_loader.h"
#include "test_util.h"
#include "util/file_read.h"

static char dir[4096];

static const char *const backends[] = {"ref", "cpu"};
#define N_BACKENDS 2

static int generate(void)
{
    const char *tmp = getenv("VSR_TEST_TMP"), *src = getenv("VSR_SOURCE_DIR");
    const char *models = getenv("VSR_MODELS_DIR");
    if (!tmp || !src || !models) {
        fprintf(stderr, "FAIL: VSR_TEST_TMP, VSR_SOURCE_DIR and VSR_MODELS_DIR must be set\n");
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/test_onnx_loader", tmp);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && /usr/bin/python3 '%s/tests/tools/make_onnx_models.py' '%s' '%s'", dir,
             src, models, dir);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "FAIL: %s exited with %d\n", cmd, rc);
    return rc == 0 ? 0 : -1;
}

/* The whole file (NULL if it cannot be read). */
static unsigned char *read_all(const char *path, size_t *len)
{
    unsigned char *data = NULL;
    vsr_error err = {0};
    return vsr_read_file(path, (size_t)1 << 30, NULL, &data, len, &err) == 0 ? data : NULL;
}

/* NAME.in / NAME.out: int32 c, h, w, then floats. */
static float *read_tensor(const char *name, const char *ext, int *c, int *h, int *w)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    size_t len;
    unsigned char *buf = read_all(path, &len);
    if (!buf || len < 12) {
        free(buf);
        return NULL;
    }
    int dims[3];
    memcpy(dims, buf, sizeof dims);
    size_t count = (size_t)dims[0] * dims[1] * dims[2];
    if (len != 12 + 4 * count) {
        free(buf);
        return NULL;
    }
    float *v = malloc(4 * count);
    memcpy(v, buf + 12, 4 * count);
    free(buf);
    *c = dims[0], *h = dims[1], *w = dims[2];
    return v;
}

/* Runs g on one image with a backend (fp32, 2 threads). */
static int run_backend(const char *backend, const vsr_graph *g, const vsr_tensor *in,
                       vsr_tensor *out, vsr_error *err)
{
    const vsr_backend_ops *ops = vsr_backend_find(backend, err);
    if (!ops)
        return -1;
    vsr_backend_config cfg = {.threads = 2, .precision = VSR_PRECISION_FP32};
    return backend_run(ops, g, &cfg, in, out, err);
}

static void test_op_graph(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_onnx_load_file(path, &g, &err);
    CHECK_MSG(rc == 0, "%s: %s", name, err.msg);
    if (rc)
        return;
    int c, h, w, oc, oh, ow;
    float *x = read_tensor(name, ".in", &c, &h, &w);
    float *want = read_tensor(name, ".out", &oc, &oh, &ow);
    CHECK_MSG(x && want, "%s: cannot read .in/.out", name);
    if (x && want) {
        CHECK_MSG(g.in_channels == c && g.out_channels == oc && oh == h * g.scale &&
                      ow == w * g.scale,
                  "%s: graph %d->%d channels x%d, oracle %dx%dx%d -> %dx%dx%d", name, g.in_channels,
                  g.out_channels, g.scale, c, h, w, oc, oh, ow);
        size_t count = (size_t)oc * oh * ow;
        float *got = malloc(sizeof(float) * count);
        for (int b = 0; b < N_BACKENDS && g.out_channels == oc; b++) {
            vsr_tensor in = {1, c, h, w, x}, out = {1, oc, oh, ow, got};
            rc = run_backend(backends[b], &g, &in, &out, &err);
            CHECK_MSG(rc == 0, "%s on %s: %s", name, backends[b], err.msg);
            if (rc)
                continue;
            double max_diff = 0;
            size_t bad = 0;
            for (size_t i = 0; i < count; i++) {
                double d = fabs((double)got[i] - want[i]);
                max_diff = d > max_diff ? d : max_diff;
                bad += !(d <= 1e-4 + 1e-4 * fabs(want[i]));
            }
            printf("%-20s %-4s max abs diff %.3g over %zu values\n", name, backends[b], max_diff,
                   count);
            CHECK_MSG(bad == 0, "%s on %s: %zu of %zu values off the numpy oracle (max diff %g)",
                      name, backends[b], bad, count, max_diff);
        }
        free(got);
    }
    free(x);
    free(want);
    vsr_graph_free(&g);
}

/* A synthetic photo-like RGB24 frame: gradients, edges and noise. */
static void fill_image(vsr_image *img, unsigned seed)
{
    unsigned char *p = img->data;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            for (int k = 0; k < 3; k++) {
                seed = seed * 1664525u + 1013904223u;
                int v = (x * 7 + y * 3 * (k + 1)) % 200 + ((x / 6 + y / 5) % 2) * 40 +
                        (int)(seed >> 28);
                p[(size_t)y * img->stride + 3 * x + k] = (unsigned char)(v > 255 ? 255 : v);
            }
}

static int upscale(const vsr_graph *g, const char *backend, const vsr_image *in, vsr_image *out,
                   vsr_error *err)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = backend;
    opt.config.threads = 2;
    vsr_engine *e = NULL;
    vsr_engine_ctx *c = NULL;
    int rc = vsr_engine_create(g, &opt, &e, err);
    if (!rc)
        rc = vsr_engine_ctx_create(e, &c, err);
    if (!rc)
        rc = vsr_image_alloc(out, in->width * g->scale, in->height * g->scale, VSR_PIX_RGB24, err);
    if (!rc)
        rc = vsr_engine_upscale(c, in, out, err);
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
    return rc;
}

static void test_real_model(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    vsr_graph onnx, ncnn;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_onnx_load_file(path, &onnx, &err);
    CHECK_MSG(rc == 0, "%s: %s", path, err.msg);
    if (rc)
        return;
    rc = vsr_model_load(name, 0, NULL, &ncnn, &err);
    CHECK_MSG(rc == 0, "ncnn %s: %s", name, err.msg);
    if (rc) {
        vsr_graph_free(&onnx);
        return;
    }
    CHECK(onnx.scale == ncnn.scale && onnx.in_channels == 3 && onnx.out_channels == 3);
    CHECK_MSG(onnx.receptive_radius >= ncnn.receptive_radius, "%s: radius %d < ncnn's %d", name,
              onnx.receptive_radius, ncnn.receptive_radius);
    CHECK_NEAR(onnx.flops_per_pixel, ncnn.flops_per_pixel, ncnn.flops_per_pixel * 1e-9);

    vsr_image in;
    rc = vsr_image_alloc(&in, 29, 22, VSR_PIX_RGB24, &err);
    CHECK(rc == 0);
    fill_image(&in, 7);
    for (int b = 0; b < N_BACKENDS && !rc; b++) {
        vsr_image a = {0}, o = {0};
        int ra = upscale(&ncnn, backends[b], &in, &a, &err);
        CHECK_MSG(ra == 0, "ncnn %s on %s: %s", name, backends[b], err.msg);
        int ro = upscale(&onnx, backends[b], &in, &o, &err);
        CHECK_MSG(ro == 0, "onnx %s on %s: %s", name, backends[b], err.msg);
        if (!ra && !ro) {
            int max_diff = 0;
            for (int y = 0; y < a.height; y++)
                for (int x = 0; x < 3 * a.width; x++) {
                    int d = abs((int)((unsigned char *)a.data)[(size_t)y * a.stride + x] -
                                (int)((unsigned char *)o.data)[(size_t)y * o.stride + x]);
                    max_diff = d > max_diff ? d : max_diff;
                }
            printf("%-26s %-4s 8-bit max abs diff onnx vs ncnn: %d (%dx%d)\n", name, backends[b],
                   max_diff, a.width, a.height);
            CHECK_MSG(max_diff <= 1, "%s on %s: max diff %d", name, backends[b], max_diff);
        }
        vsr_image_free(&a);
        vsr_image_free(&o);
    }
    vsr_image_free(&in);
    vsr_graph_free(&onnx);
    vsr_graph_free(&ncnn);
}

/* file must fail with code and a message containing every needle. */
static void expect_refusal(const char *file, vsr_status code, const char *const *needles)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_onnx_load_file(path, &g, &err);
    CHECK_MSG(rc == (int)code, "%s: status %d, expected %d (%s)", file, rc, code, err.msg);
    if (rc == 0) {
        vsr_graph_free(&g);
        return;
    }
    for (int k = 0; needles[k]; k++)
        CHECK_MSG(strstr(err.msg, needles[k]) != NULL, "%s: message lacks '%s': %s", file,
                  needles[k], err.msg);
    printf("refused %-34s %s\n", file, err.msg);
}

static void test_refusals(void)
{
    expect_refusal(
        "refuse_unknown_op.onnx", VSR_ERR_UNSUPPORTED,
        (const char *[]){"'Tanh'", "the_tanh", "opset 13", "refuse_unknown_op.onnx", NULL});
    expect_refusal("refuse_opset9.onnx", VSR_ERR_UNSUPPORTED,
                   (const char *[]){"opset 9", "11 to 20", NULL});
    expect_refusal("refuse_opset21.onnx", VSR_ERR_UNSUPPORTED, (const char *[]){"opset 21", NULL});
    expect_refusal("refuse_domain.onnx", VSR_ERR_UNSUPPORTED,
                   (const char *[]){"custom_relu", "com.example", "Relu", NULL});
    expect_refusal("refuse_missing_initializer.onnx", VSR_ERR_FORMAT,
                   (const char *[]){"conv_nw", "w_missing", "missing initializer", NULL});
    expect_refusal("refuse_shape_mismatch.onnx", VSR_ERR_FORMAT,
                   (const char *[]){"conv_4ch", "3x4x3x3", "3 channels", NULL});
    expect_refusal("refuse_add_mismatch.onnx", VSR_ERR_UNSUPPORTED,
                   (const char *[]){"add_3_to_8", "8x64x48", "3x64x48", NULL});
    expect_refusal("refuse_resize_sizes.onnx", VSR_ERR_UNSUPPORTED,
                   (const char *[]){"resize_sizes", "fixed output sizes", NULL});
    expect_refusal(
        "refuse_external.onnx", VSR_ERR_UNSUPPORTED,
        (const char *[]){"initializer 'w'", "external", "refuse_external.onnx.data", NULL});
}

static void expect_bad_bytes(const unsigned char *data, size_t len, const char *what)
{
    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_onnx_load_memory(data, len, what, &g, &err);
    CHECK_MSG(rc < 0, "%s: loaded", what);
    CHECK_MSG(rc == 0 || strstr(err.msg, what) != NULL, "%s: message does not name it: %s", what,
              err.msg);
    if (rc == 0)
        vsr_graph_free(&g);
}

static void test_malformed(void)
{
    expect_bad_bytes((const unsigned char *)"", 0, "empty.onnx");
    const unsigned char junk[] = "7767517\n3 3\nInput data 0 1 data\n\xff\xff\xff\xff\x0f";
    expect_bad_bytes(junk, sizeof junk - 1, "junk.onnx");
    unsigned char noise[4096];
    unsigned s = 99;
    for (size_t i = 0; i < sizeof noise; i++) {
        s = s * 1103515245u + 12345u;
        noise[i] = (unsigned char)(s >> 16);
    }
    expect_bad_bytes(noise, sizeof noise, "noise.onnx");

    /* Truncations of a real model: every cut fails, none crashes. */
    char path[4200];
    snprintf(path, sizeof path, "%s/op_conv_act.onnx", dir);
    size_t len;
    unsigned char *m = read_all(path, &len);
    CHECK(m != NULL);
    int cuts = 0;
    for (size_t cut = 1; m && cut < len; cut += cut < 64 ? 1 : 37) {
        vsr_graph g;
        vsr_error err;
        vsr_error_clear(&err);
        int rc = vsr_onnx_load_memory(m, cut, "cut.onnx", &g, &err);
        CHECK_MSG(rc < 0, "op_conv_act.onnx cut at %zu of %zu bytes loads", cut, len);
        if (rc == 0)
            vsr_graph_free(&g);
        cuts++;
    }
    printf("malformed: %d truncations refused\n", cuts);
    free(m);

    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    CHECK(vsr_onnx_load_file("/nonexistent/model.onnx", &g, &err) == VSR_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/model.onnx") != NULL);
}

/* The engine's halo covers Pad, Slice, ConvTranspose and grouped
 * convolutions: tiled output equals whole-frame output (float32 frames). */
static void test_tiling(const char *backend)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/op_tiling.onnx", dir);
    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_onnx_load_file(path, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return;
    vsr_image in, out[2] = {{0}, {0}};
    rc = vsr_image_alloc(&in, 45, 37, VSR_PIX_RGBF32, &err);
    CHECK(rc == 0);
    float *p = in.data;
    for (int i = 0; !rc && i < 45 * 37 * 3; i++)
        p[i] = (float)((i * 7919) % 1000) / 1000.f;
    for (int t = 0; t < 2 && !rc; t++) {
        vsr_engine_options opt;
        vsr_engine_options_default(&opt);
        opt.backend = backend;
        opt.tile = t ? 8 : 0;
        vsr_engine *e = NULL;
        vsr_engine_ctx *c = NULL;
        rc = vsr_engine_create(&g, &opt, &e, &err);
        if (!rc)
            rc = vsr_engine_ctx_create(e, &c, &err);
        if (!rc)
            rc = vsr_image_alloc(&out[t], 45 * g.scale, 37 * g.scale, VSR_PIX_RGBF32, &err);
        if (!rc)
            rc = vsr_engine_upscale(c, &in, &out[t], &err);
        CHECK_MSG(rc == 0, "tiling on %s, tile %d: %s", backend, opt.tile, err.msg);
        if (!rc && t)
            CHECK_MSG(vsr_engine_tile_size(c, 45, 37) == 8, "tile %d",
                      vsr_engine_tile_size(c, 45, 37));
        vsr_engine_ctx_destroy(c);
        vsr_engine_destroy(e);
    }
    if (!rc) {
        double max_diff = 0;
        const float *a = out[0].data, *b = out[1].data;
        size_t n = (size_t)out[0].width * out[0].height * 3, inside = 0;
        for (size_t i = 0; i < n; i++) {
            max_diff = fmax(max_diff, fabs((double)a[i] - b[i]));
            inside += a[i] > 0.f && a[i] < 1.f;
        }
        /* mostly unclamped values, or the comparison would prove little */
        CHECK_MSG(inside > n / 3, "only %zu of %zu output values inside (0, 1)", inside, n);
        printf("op_tiling %-4s tiled (8) vs whole frame: max abs diff %.3g (radius %d)\n", backend,
               max_diff, g.receptive_radius);
        CHECK_MSG(max_diff <= 1e-5, "tiled output differs by %g on %s", max_diff, backend);
    }
    vsr_image_free(&in);
    vsr_image_free(&out[0]);
    vsr_image_free(&out[1]);
    vsr_graph_free(&g);
}

/* vsr_model_load dispatches .onnx paths to this loader. */
static void test_registry(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/realesr-animevideov3-x4.onnx", dir);
    vsr_graph g;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_model_load(path, 4, NULL, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (!rc) {
        CHECK(strcmp(g.name, "realesr-animevideov3-x4") == 0);
        vsr_graph_free(&g);
    }
    rc = vsr_model_load(path, 2, NULL, &g, &err);
    CHECK(rc == VSR_ERR_INVALID && strstr(err.msg, "x4") != NULL);
}

int main(void)
{
    if (generate() != 0)
        return 1;
    static const char *const ops[] = {"op_conv_act", "op_binary",   "op_depth_to_space",
                                      "op_resize",   "op_resize18", "op_pad_slice",
                                      "op_pad18",    "op_fp16",     "op_tiling"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        test_op_graph(ops[k]);
    test_tiling("ref");
    test_tiling("cpu");
    test_refusals();
    test_malformed();
    test_registry();
    test_real_model("realesr-animevideov3-x4");
    test_real_model("realesr-animevideov3-x2");
    test_real_model("realesr-general-x4v3");
    return test_report("test_onnx_loader");
}
