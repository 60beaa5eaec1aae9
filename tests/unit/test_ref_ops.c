/* The reference kernels against values computed by hand. */
#include <string.h>

#include "engine/ref/ref_ops.h"
#include "test_util.h"

static void test_conv(void)
{
    /* 1 -> 1 channel, 3x3 kernel, pad 1, on a 3x3 input 1..9. */
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float w[9] = {0, 1, 0, 1, -4, 1, 0, 1, 0}; /* Laplacian */
    const float bias[1] = {0.5f};
    vsr_conv_params p = {.out_c = 1,
                         .in_c = 1,
                         .kernel_h = 3,
                         .kernel_w = 3,
                         .stride_h = 1,
                         .stride_w = 1,
                         .dilation_h = 1,
                         .dilation_w = 1,
                         .pad_top = 1,
                         .pad_left = 1,
                         .pad_bottom = 1,
                         .pad_right = 1,
                         .weight = w,
                         .bias = bias};
    float out[9];
    vsr_ref_conv(&p, in, (vsr_shape){1, 3, 3}, out, (vsr_shape){1, 3, 3});
    /* centre: 2+4+6+8-20 = 0; corner (0,0): 2+4-4 = 2; edge (0,1): 1+3+5-8 = 1 */
    CHECK_NEAR(out[4], 0.5, 1e-6);
    CHECK_NEAR(out[0], 2.5, 1e-6);
    CHECK_NEAR(out[1], 1.5, 1e-6);
    CHECK_NEAR(out[8], (6 + 8 - 36) + 0.5, 1e-6);

    /* With a fused LeakyReLU(0.1): corner value of -21.5 becomes -2.15. */
    p.act = (vsr_activation){.type = VSR_ACT_LEAKY, .alpha = 0.1f};
    vsr_ref_conv(&p, in, (vsr_shape){1, 3, 3}, out, (vsr_shape){1, 3, 3});
    CHECK_NEAR(out[8], -2.15, 1e-5);
    CHECK_NEAR(out[0], 2.5, 1e-6);

    /* 2 input channels, 2 outputs, 1x1 kernel: a channel mix. */
    const float in2[2 * 2] = {1, 2, /* ch 1 */ 10, 20};
    const float w2[4] = {1, 1, /* oc 1 */ 2, -1};
    vsr_conv_params q = {.out_c = 2,
                         .in_c = 2,
                         .kernel_h = 1,
                         .kernel_w = 1,
                         .stride_h = 1,
                         .stride_w = 1,
                         .dilation_h = 1,
                         .dilation_w = 1,
                         .weight = w2};
    float out2[4];
    vsr_ref_conv(&q, in2, (vsr_shape){2, 1, 2}, out2, (vsr_shape){2, 1, 2});
    CHECK(out2[0] == 11 && out2[1] == 22 && out2[2] == -8 && out2[3] == -16);

    /* stride 2, no padding, 2x2 kernel of ones over a 4x4 ramp: 2x2 sums. */
    float ramp[16];
    for (int i = 0; i < 16; i++)
        ramp[i] = (float)i;
    const float ones[4] = {1, 1, 1, 1};
    vsr_conv_params s = {.out_c = 1,
                         .in_c = 1,
                         .kernel_h = 2,
                         .kernel_w = 2,
                         .stride_h = 2,
                         .stride_w = 2,
                         .dilation_h = 1,
                         .dilation_w = 1,
                         .weight = ones};
    float out3[4];
    vsr_ref_conv(&s, ramp, (vsr_shape){1, 4, 4}, out3, (vsr_shape){1, 2, 2});
    CHECK(out3[0] == 0 + 1 + 4 + 5 && out3[1] == 2 + 3 + 6 + 7 && out3[3] == 10 + 11 + 14 + 15);
}

static void test_activations(void)
{
    const float slopes[2] = {0.5f, 0.25f};
    float d[4] = {-2, 3, -4, 5};
    vsr_activation prelu = {.type = VSR_ACT_PRELU, .n_slopes = 2, .slopes = slopes};
    vsr_ref_activation(&prelu, d, (vsr_shape){2, 1, 2});
    CHECK(d[0] == -1 && d[1] == 3 && d[2] == -1 && d[3] == 5);
    float e[3] = {-1, 0.5f, 7};
    vsr_activation clip = {.type = VSR_ACT_CLIP, .alpha = 0, .beta = 6};
    vsr_ref_activation(&clip, e, (vsr_shape){1, 1, 3});
    CHECK(e[0] == 0 && e[1] == 0.5f && e[2] == 6);
    float f[2] = {0, -1};
    vsr_activation sig = {.type = VSR_ACT_SIGMOID};
    vsr_ref_activation(&sig, f, (vsr_shape){1, 1, 2});
    CHECK_NEAR(f[0], 0.5, 1e-7);
    CHECK_NEAR(f[1], 0.26894142, 1e-6);
}

static void test_pixel_shuffle(void)
{
    /* 4 channels of 1x1 -> 1 channel of 2x2, PyTorch order: channel i*2+j
     * goes to row i, column j. */
    const float in[4] = {10, 11, 12, 13};
    float out[4];
    vsr_ref_pixel_shuffle(2, in, (vsr_shape){4, 1, 1}, out);
    CHECK(out[0] == 10 && out[1] == 11 && out[2] == 12 && out[3] == 13);
    /* 4 channels of 1x2: out row 0 = c0[0] c1[0] c0[1] c1[1] */
    const float in2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float out2[8];
    vsr_ref_pixel_shuffle(2, in2, (vsr_shape){4, 1, 2}, out2);
    const float want[8] = {1, 3, 2, 4, 5, 7, 6, 8};
    CHECK(memcmp(out2, want, sizeof want) == 0);
}

static void test_interp(void)
{
    const float in[4] = {1, 2, 3, 4}; /* 2x2 */
    float out[16];
    vsr_interp_params nn = {.mode = VSR_INTERP_NEAREST, .scale_h = 2, .scale_w = 2};
    CHECK(vsr_ref_interp(&nn, in, (vsr_shape){1, 2, 2}, out, (vsr_shape){1, 4, 4}) == 0);
    const float want_nn[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    CHECK(memcmp(out, want_nn, sizeof want_nn) == 0);

    /* bilinear x2 on a row [0, 4]: half-pixel centres give 0, 1, 3, 4. */
    const float row[2] = {0, 4};
    float r4[4];
    vsr_interp_params bl = {.mode = VSR_INTERP_BILINEAR, .scale_h = 1, .scale_w = 2};
    vsr_ref_interp(&bl, row, (vsr_shape){1, 1, 2}, r4, (vsr_shape){1, 1, 4});
    CHECK_NEAR(r4[0], 0, 1e-6);
    CHECK_NEAR(r4[1], 1, 1e-6);
    CHECK_NEAR(r4[2], 3, 1e-6);
    CHECK_NEAR(r4[3], 4, 1e-6);

    /* bicubic x2 on an impulse: output 4 maps to source 1.75, so its taps
     * are sources 0..3 with weights for t = 0.75 (A = -0.75):
     * -0.03515625, 0.26171875, 0.87890625, -0.10546875. The impulse at
     * source 2 gives 0.87890625; at source 3 it would give -0.10546875. */
    float imp[8] = {0, 0, 1, 0, 0, 0, 0, 0}, o16[16];
    vsr_interp_params bc = {.mode = VSR_INTERP_BICUBIC, .scale_h = 1, .scale_w = 2};
    vsr_ref_interp(&bc, imp, (vsr_shape){1, 1, 8}, o16, (vsr_shape){1, 1, 16});
    CHECK_NEAR(o16[4], 0.87890625, 1e-6);
    imp[2] = 0, imp[3] = 1;
    vsr_ref_interp(&bc, imp, (vsr_shape){1, 1, 8}, o16, (vsr_shape){1, 1, 16});
    CHECK_NEAR(o16[4], -0.10546875, 1e-6);
    /* a constant stays constant everywhere, borders included */
    float cst[8] = {5, 5, 5, 5, 5, 5, 5, 5}, o4[4];
    vsr_ref_interp(&bc, cst, (vsr_shape){1, 1, 8}, o16, (vsr_shape){1, 1, 16});
    for (int i = 0; i < 16; i++)
        CHECK_NEAR(o16[i], 5, 1e-5);
    /* downscale by 0.5 (the x2 models' last layer): output 1 maps to
     * source 2.5, the mean of the two middle taps by symmetry. */
    float ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    vsr_interp_params half = {.mode = VSR_INTERP_BICUBIC, .scale_h = 1, .scale_w = 0.5f};
    vsr_ref_interp(&half, ramp, (vsr_shape){1, 1, 8}, o4, (vsr_shape){1, 1, 4});
    CHECK_NEAR(o4[1], 2.5, 1e-5);
    CHECK_NEAR(o4[2], 4.5, 1e-5);
}

static void test_binary_eltwise_concat(void)
{
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    float o[6];
    vsr_binary_params add = {.op = VSR_BIN_ADD};
    vsr_ref_binary(&add, a, b, (vsr_shape){1, 1, 3}, o);
    CHECK(o[0] == 5 && o[2] == 9);
    vsr_binary_params muls = {.op = VSR_BIN_MUL, .with_scalar = 1, .scalar = 0.5f};
    vsr_ref_binary(&muls, a, NULL, (vsr_shape){1, 1, 3}, o);
    CHECK(o[1] == 1);
    vsr_binary_params mx = {.op = VSR_BIN_MIN};
    vsr_ref_binary(&mx, b, a, (vsr_shape){1, 1, 3}, o);
    CHECK(o[0] == 1 && o[2] == 3);

    /* RRDB residual: Eltwise sum with coefficients 0.2 and 1. */
    const float *ins[2] = {a, b};
    vsr_eltwise_params sum = {.op = VSR_ELT_SUM, .n_coeffs = 2, .coeffs = {0.2f, 1.f}};
    vsr_ref_eltwise(&sum, 2, ins, (vsr_shape){1, 1, 3}, o);
    CHECK_NEAR(o[0], 4.2, 1e-6);
    CHECK_NEAR(o[2], 6.6, 1e-6);
    vsr_eltwise_params prod = {.op = VSR_ELT_PROD};
    vsr_ref_eltwise(&prod, 2, ins, (vsr_shape){1, 1, 3}, o);
    CHECK(o[1] == 10);

    vsr_shape shapes[2] = {{1, 1, 3}, {1, 1, 3}};
    vsr_ref_concat(2, ins, shapes, o);
    CHECK(o[0] == 1 && o[3] == 4 && o[5] == 6);
}

int main(void)
{
    test_conv();
    test_activations();
    test_pixel_shuffle();
    test_interp();
    test_binary_eltwise_concat();
    return test_report("test_ref_ops");
}
