/* The ncnn loader: every refusal of the foundation issue, fp16 decoding,
 * the real models' derived facts, and robustness against mutated files. */
#include <stdint.h>
#include <string.h>

#include "engine/graph.h"
#include "model/model_registry.h"
#include "model/ncnn_bin.h"
#include "model/ncnn_loader.h"
#include "test_util.h"

/* A tiny valid model: 3->4 conv 3x3 (fp32 raw weights) + PReLU + 4->12 conv
 * 3x3 + PixelShuffle 2, plus a nearest-upsampled input added: SRVGG in
 * miniature. */
static const char *tiny_param = "7767517\n"
                                "8 9\n"
                                "Input            in0      0 1 data\n"
                                "Split            split0   1 2 data d0 d1\n"
                                "Convolution      conv0    1 1 d0 c0 0=4 1=3 4=1 5=1 6=108\n"
                                "PReLU            prelu0   1 1 c0 p0 0=4\n"
                                "Convolution      conv1    1 1 p0 c1 0=12 1=3 4=1 5=1 6=432\n"
                                "PixelShuffle     ps       1 1 c1 s0 0=2\n"
                                "Interp           up       1 1 d1 u0 0=1 1=2.0 2=2.0\n";
/* The last line is appended by tiny_param_with() so tests can vary it. */

static size_t tiny_bin(unsigned char *buf, uint32_t tag0)
{
    size_t n = 0;
    float v;
    memcpy(buf + n, &tag0, 4), n += 4;
    for (int i = 0; i < 108; i++)
        v = (float)(i % 7) * 0.01f, memcpy(buf + n, &v, 4), n += 4;
    for (int i = 0; i < 4; i++) /* bias */
        v = 0.1f, memcpy(buf + n, &v, 4), n += 4;
    for (int i = 0; i < 4; i++) /* slopes */
        v = 0.25f, memcpy(buf + n, &v, 4), n += 4;
    uint32_t zero = 0;
    memcpy(buf + n, &zero, 4), n += 4;
    for (int i = 0; i < 432; i++)
        v = (float)(i % 5) * -0.01f, memcpy(buf + n, &v, 4), n += 4;
    for (int i = 0; i < 12; i++)
        v = 0.f, memcpy(buf + n, &v, 4), n += 4;
    return n;
}

static char param_buf[4096];
static const char *tiny_param_with(const char *last_line)
{
    snprintf(param_buf, sizeof param_buf, "%sBinaryOp add 2 1 s0 u0 output 0=0\n%s", tiny_param,
             last_line);
    /* fix the layer count when a line is added */
    if (*last_line)
        param_buf[8] = '9';
    return param_buf;
}

static int load(const char *param, const unsigned char *bin, size_t bin_len, vsr_graph *g,
                vsr_error *err)
{
    return vsr_ncnn_load_memory(param, strlen(param), "tiny.param", bin, bin_len, "tiny.bin", g,
                                err);
}

static void expect_refusal(const char *param, const unsigned char *bin, size_t len, vsr_status code,
                           const char *needle1, const char *needle2)
{
    vsr_graph g;
    vsr_error err = {0};
    int rc = load(param, bin, len, &g, &err);
    CHECK_MSG(rc == (int)code, "expected %s, got %d (%s)", vsr_status_name(code), rc, err.msg);
    CHECK_MSG(strstr(err.msg, needle1) != NULL, "message '%s' lacks '%s'", err.msg, needle1);
    if (needle2)
        CHECK_MSG(strstr(err.msg, needle2) != NULL, "message '%s' lacks '%s'", err.msg, needle2);
    if (rc == 0)
        vsr_graph_free(&g);
}

static void test_tiny_model(void)
{
    static unsigned char bin[8192];
    size_t len = tiny_bin(bin, 0);
    vsr_graph g;
    vsr_error err = {0};
    int rc = load(tiny_param_with(""), bin, len, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return;
    CHECK(g.n_nodes == 6); /* Input and Split are not nodes */
    CHECK(g.scale == 2);
    CHECK(g.in_channels == 3 && g.out_channels == 3);
    CHECK(g.nodes[0].type == VSR_OP_CONV && g.nodes[0].p.conv.in_c == 3);
    CHECK_NEAR(g.nodes[0].p.conv.weight[8], 0.01f, 1e-7);
    CHECK_NEAR(g.nodes[0].p.conv.bias[3], 0.1f, 1e-7);
    CHECK(g.nodes[1].p.act.type == VSR_ACT_PRELU && g.nodes[1].p.act.n_slopes == 4);
    CHECK_NEAR(g.nodes[1].p.act.slopes[2], 0.25f, 1e-7);
    /* radius: two 3x3 convs at input resolution */
    CHECK(g.receptive_radius == 2);
    CHECK_NEAR(g.flops_per_pixel, 2.0 * (3 * 4 * 9 + 4 * 12 * 9), 1e-6);
    CHECK(strcmp(g.blob_names[g.output_blob], "output") == 0);
    vsr_graph_free(&g);
}

static void test_refusals(void)
{
    static unsigned char bin[8192];
    size_t len = tiny_bin(bin, 0);

    expect_refusal(tiny_param_with("Deconvolution dc 1 1 output o2 0=3 1=3 6=81\n"), bin, len,
                   VSR_ERR_UNSUPPORTED, "Deconvolution", "tiny.param:11");
    expect_refusal(tiny_param_with("Mish m 1 1 output o2\n"), bin, len, VSR_ERR_UNSUPPORTED,
                   "'Mish' is not supported", "layer Mish m");
    /* truncated .bin: cut inside the second convolution's weights */
    expect_refusal(tiny_param_with(""), bin, len - 100, VSR_ERR_FORMAT, "truncated", "conv1");
    /* a .bin longer than the .param needs: size mismatch */
    expect_refusal(tiny_param_with(""), bin, len + 8, VSR_ERR_FORMAT, "left over", "tiny.bin");

    /* unknown weight tag */
    static unsigned char bad[8192];
    size_t blen = tiny_bin(bad, 0x12345678u);
    expect_refusal(tiny_param_with(""), bad, blen, VSR_ERR_FORMAT, "unknown weight tag", "conv0");
    /* int8 weights */
    blen = tiny_bin(bad, 0x000D4B38u);
    expect_refusal(tiny_param_with(""), bad, blen, VSR_ERR_UNSUPPORTED, "int8", "conv0");

    /* malformed lines */
    char p[4096];
    snprintf(p, sizeof p, "%s", tiny_param_with(""));
    char *at = strstr(p, "5=1 6=108");
    memcpy(at, "5=x 6=108", 9);
    expect_refusal(p, bin, len, VSR_ERR_FORMAT, "tiny.param:5", "bad number");
    snprintf(p, sizeof p, "%s", tiny_param_with(""));
    at = strstr(p, "6=432");
    memcpy(at, "6=431", 5);
    expect_refusal(p, bin, len, VSR_ERR_FORMAT, "not a multiple", "conv1");
    expect_refusal("7767518\n1 1\nInput in 0 1 data\n", bin, 0, VSR_ERR_FORMAT, "not an ncnn",
                   NULL);
    expect_refusal("7767517\n2 2\nInput in 0 1 data\nReLU r 1 1 nothere out\n", bin, 0,
                   VSR_ERR_FORMAT, "'nothere' is not produced", "tiny.param:4");
    expect_refusal("7767517\n3 2\nInput in 0 1 data\nReLU r 1 1 data out\n", bin, 0, VSR_ERR_FORMAT,
                   "3 layers declared, 2 found", NULL);
    expect_refusal("7767517\n2 2\nInput in 0 1 data\nReLU r 1\n", bin, 0, VSR_ERR_FORMAT,
                   "tiny.param:4", "needs 'type name inputs outputs'");
    expect_refusal("7767517\n2 2\nInput in 0 1 data\nReLU r 1 1 data out -23310=3,1.0\n", bin, 0,
                   VSR_ERR_FORMAT, "array value 1 missing", "tiny.param:4");
    expect_refusal("", bin, 0, VSR_ERR_FORMAT, "empty or missing header", NULL);
    expect_refusal("7767517\n2 2\nInput in 0 1 data\nInterp i 1 1 data out 0=3 3=100 4=100\n", bin,
                   0, VSR_ERR_UNSUPPORTED, "fixed or dynamic output size", NULL);
    expect_refusal("7767517\n2 2\nInput in 0 1 data\nConvolution c 1 1 data out 0=4 1=3 6=108 "
                   "9=5\n",
                   bin, len, VSR_ERR_UNSUPPORTED, "activation type 5", "layer Convolution c");
}

static void test_fp16(void)
{
    CHECK(ncnn_half_to_float(0x3c00) == 1.0f);
    CHECK(ncnn_half_to_float(0xc000) == -2.0f);
    CHECK(ncnn_half_to_float(0x3555) == 0.333251953125f);
    CHECK(ncnn_half_to_float(0x0001) == 5.9604644775390625e-8f); /* smallest subnormal */
    CHECK(ncnn_half_to_float(0x7bff) == 65504.0f);
    CHECK(ncnn_half_to_float(0x8000) == 0.0f);
}

typedef struct model_facts {
    const char *name;
    int scale, radius;
    double mflops; /* per input pixel, from the layer list */
} model_facts;

static void test_real_models(void)
{
    /* radius: 18 = 18 convs 3x3 at input size; x2/x3 add the bicubic taps;
     * general-x4v3 has 34 convs. */
    static const model_facts facts[] = {
        {"realesr-animevideov3-x2", 2, 19, 1.2384}, {"realesr-animevideov3-x3", 3, 19, 1.2384},
        {"realesr-animevideov3-x4", 4, 18, 1.2384}, {"realesr-general-x4v3", 4, 34, 2.4180},
        {"realesrgan-x4plus-anime", 4, 0, 11.4129},
    };
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        vsr_graph g;
        vsr_error err = {0};
        int rc = vsr_model_load(facts[i].name, 0, NULL, &g, &err);
        CHECK_MSG(rc == 0, "%s: %s", facts[i].name, err.msg);
        if (rc)
            continue;
        CHECK_MSG(g.scale == facts[i].scale, "%s scale %d", facts[i].name, g.scale);
        if (facts[i].radius)
            CHECK_MSG(g.receptive_radius == facts[i].radius, "%s radius %d", facts[i].name,
                      g.receptive_radius);
        CHECK_NEAR(g.flops_per_pixel / 1e6, facts[i].mflops, 1e-4);
        vsr_graph_free(&g);
    }
    /* family name + scale */
    vsr_graph g;
    vsr_error err = {0};
    CHECK(vsr_model_load("realesr-animevideov3", 3, NULL, &g, &err) == 0 && g.scale == 3);
    vsr_graph_free(&g);
    CHECK(vsr_model_load("realesr-general-x4v3", 2, NULL, &g, &err) == VSR_ERR_INVALID);
    CHECK(strstr(err.msg, "x4, not x2") != NULL);
    CHECK(vsr_model_load("no-such-model", 0, NULL, &g, &err) == VSR_ERR_IO);
    CHECK(strstr(err.msg, "not found") != NULL);
}

/* Flips bytes and truncates a real model many times: every load must end
 * in success or a clean error (the sanitizers catch the rest). */
static void test_mutations(void)
{
    char param[4096], bin[4096];
    vsr_error err = {0};
    if (vsr_model_resolve("realesr-animevideov3-x4", 0, NULL, param, bin, sizeof param, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    FILE *fp = fopen(param, "rb"), *fb = fopen(bin, "rb");
    CHECK(fp && fb);
    if (!fp || !fb)
        return;
    static char ptext[16384];
    static unsigned char bdata[1300000];
    size_t plen = fread(ptext, 1, sizeof ptext, fp), blen = fread(bdata, 1, sizeof bdata, fb);
    fclose(fp);
    fclose(fb);
    static char mutated[16384];
    unsigned seed = 12345;
    int ok = 0, refused = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(mutated, ptext, plen);
        size_t len = plen;
        for (int k = 0; k < 1 + i % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            static const char junk[] = "0123456789 -=.,\nxe";
            mutated[pos] = junk[(seed >> 20) % (sizeof junk - 1)];
        }
        if (i % 10 == 9)
            len = (seed >> 4) % len;
        vsr_graph g;
        size_t this_blen = i % 7 == 3 ? blen / 2 : blen;
        if (vsr_ncnn_load_memory(mutated, len, "m.param", bdata, this_blen, "m.bin", &g, &err) ==
            0) {
            ok++;
            vsr_graph_free(&g);
        } else {
            refused++;
            CHECK(err.msg[0] != '\0');
        }
    }
    printf("mutations: %d loaded, %d refused\n", ok, refused);
    CHECK(refused > 0);
}

/* Huge pads, dilations and strides (issue 20): refused by the loader before
 * any arithmetic on them; UBSan aborts on a signed overflow otherwise. */
static void test_huge_params(void)
{
    static unsigned char bin[8192];
    tiny_bin(bin, 0);
    const size_t len = 4 + 108 * 4; /* conv0's weights alone: no bias */
    static const char *const lines[] = {
        "4=2147483647",         /* pad_left (and the others default to it) */
        "4=1 14=1000000000",    /* pad_top */
        "4=1 16=2147483647",    /* pad_bottom */
        "4=1 15=-7",            /* a negative pad that is not SAME */
        "2=2000000000",         /* dilation_w */
        "12=1073741824 4=1",    /* dilation_h */
        "4=-233 2=1500000000",  /* SAME padding computed from a huge dilation */
        "4=-234 12=2147483647", /* the same, lower */
        "3=2147483647 4=1",     /* stride_w */
        "13=100000 4=1",        /* stride_h */
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char p[512];
        snprintf(p, sizeof p,
                 "7767517\n2 2\nInput in 0 1 data\nConvolution c 1 1 data out 0=4 1=3 6=108 %s\n",
                 lines[i]);
        vsr_graph g;
        vsr_error err = {0};
        int rc = load(p, bin, len, &g, &err);
        CHECK_MSG(rc == VSR_ERR_FORMAT || rc == VSR_ERR_UNSUPPORTED, "'%s': rc %d (%s)", lines[i],
                  rc, err.msg);
        CHECK_MSG(strstr(err.msg, "Convolution c") || strstr(err.msg, "tiny.param:4"),
                  "'%s': message '%s' does not name the layer", lines[i], err.msg);
        if (rc == 0)
            vsr_graph_free(&g);
    }
}

int main(void)
{
    test_tiny_model();
    test_refusals();
    test_huge_params();
    test_fp16();
    test_real_models();
    test_mutations();
    return test_report("test_ncnn_loader");
}
