/* The ref backend's storage rounding (VSR_REF_STORE) against values worked
 * out by hand, fp16 against the compiler's own _Float16 conversion, and the
 * backend's use of it against the layers run and rounded by hand. */
#include <math.h>
#include <stdlib.h>

#include "backend_run.h"
#include "engine/backend_settings.h"
#include "engine/ref/ref_ops.h"
#include "engine/ref/ref_round.h"
#include "graph_builder.h"
#include "test_util.h"

extern const vsr_backend_ops vsr_backend_ref;

static void test_e4m3(void)
{
    const vsr_ref_format f = VSR_REF_E4M3;
    CHECK(vsr_ref_round_one(1.f, f) == 1.f);
    CHECK(vsr_ref_round_one(1.0625f, f) == 1.f);   /* a tie: to the even 1.000 */
    CHECK(vsr_ref_round_one(1.1875f, f) == 1.25f); /* a tie: to the even 1.010 */
    CHECK(vsr_ref_round_one(-1.1875f, f) == -1.25f);
    CHECK(vsr_ref_round_one(0.3f, f) == 0.3125f); /* steps of 2^-5 in [0.25, 0.5) */
    CHECK(vsr_ref_round_one(460.f, f) == 448.f);  /* steps of 32 in [256, 512) */
    CHECK(vsr_ref_round_one(470.f, f) == 448.f);  /* 480 is past the largest: saturates */
    CHECK(vsr_ref_round_one(1e6f, f) == 448.f);
    CHECK(vsr_ref_round_one(-INFINITY, f) == -448.f);
    CHECK(vsr_ref_round_one(0.003f, f) == 0.00390625f); /* subnormal: steps of 2^-9 */
    CHECK(vsr_ref_round_one(0.0009f, f) == 0.f);
    CHECK(signbit(vsr_ref_round_one(-0.0009f, f)));
}

static void test_e5m2(void)
{
    const vsr_ref_format f = VSR_REF_E5M2;
    CHECK(vsr_ref_round_one(1.1f, f) == 1.f);    /* steps of 0.25 in [1, 2) */
    CHECK(vsr_ref_round_one(1.125f, f) == 1.f);  /* a tie: to the even 1.00 */
    CHECK(vsr_ref_round_one(1.375f, f) == 1.5f); /* a tie: to the even 1.10 */
    CHECK(vsr_ref_round_one(60000.f, f) == 57344.f);
    CHECK(vsr_ref_round_one(ldexpf(1.f, -16), f) == ldexpf(1.f, -16)); /* the smallest subnormal */
    CHECK(vsr_ref_round_one(ldexpf(1.f, -17), f) == 0.f);              /* a tie: to 0 */
}

static void test_fp16(void)
{
    const vsr_ref_format f = VSR_REF_FP16;
    CHECK(vsr_ref_round_one(1.f + ldexpf(1.f, -11), f) == 1.f);
    CHECK(vsr_ref_round_one(1.f + 3.f * ldexpf(1.f, -11), f) == 1.f + ldexpf(1.f, -9));
    CHECK(vsr_ref_round_one(65519.f, f) == 65504.f);
    CHECK(vsr_ref_round_one(ldexpf(3.f, -25), f) == ldexpf(1.f, -23));
    CHECK(vsr_ref_round_one(ldexpf(1.f, -25), f) == 0.f);
    CHECK(isnan(vsr_ref_round_one(NAN, f)));
    CHECK(vsr_ref_round_one(0.1f, VSR_REF_FP32) == 0.1f);
#ifdef __FLT16_MAX__
    /* every finite value the conversion does not overflow, on a sweep of
     * the fp32 range: the compiler's round to nearest even */
    int bad = 0;
    for (int e = -30; e <= 15; e++)
        for (int k = 0; k < 4096; k++) {
            const float x = ldexpf(1.f + k / 4096.f, e) * (k & 1 ? -1.f : 1.f);
            if (fabsf(x) >= 65520.f)
                continue;
            bad += vsr_ref_round_one(x, f) != (float)(_Float16)x;
        }
    CHECK_MSG(bad == 0, "%d values differ from _Float16's rounding", bad);
#endif
}

static void test_setting(void)
{
    vsr_backend_settings s;
    setenv("VSR_REF_STORE", "e4m3", 1);
    vsr_backend_settings_from_env(&s);
    CHECK(s.ref_store == VSR_REF_E4M3);
    CHECK(s.ref_store_channels == 0);
    setenv("VSR_REF_STORE", "fp16:32", 1);
    vsr_backend_settings_from_env(&s);
    CHECK(s.ref_store == VSR_REF_FP16);
    CHECK(s.ref_store_channels == 32);
    unsetenv("VSR_REF_STORE");
    vsr_backend_settings_from_env(&s);
    CHECK(s.ref_store == VSR_REF_FP32);
    CHECK(vsr_ref_format_named("bf16") == VSR_REF_FP32);
    CHECK(vsr_ref_format_named("e4m") == VSR_REF_FP32);
    CHECK(vsr_ref_format_named("e4m3:64") == VSR_REF_E4M3);
}

/* g (conv 3 -> 4, conv 4 -> 3) on the ref backend with these settings */
static int run_ref(const vsr_graph *g, const vsr_backend_settings *s, const vsr_tensor *in,
                   float *out)
{
    vsr_backend_config cfg = {.precision = VSR_PRECISION_FP32, .settings = *s};
    vsr_tensor o = {1, 3, in->h, in->w, out};
    vsr_error err = {0};
    int rc = backend_run(&vsr_backend_ref, g, &cfg, in, &o, &err);
    CHECK_MSG(rc == 0, "ref run: %s", err.msg);
    return rc;
}

static void test_backend(void)
{
    enum { H = 6, W = 7, N3 = 3 * H * W, N4 = 4 * H * W };
    gb b;
    gb_init(&b, 4, 4, 1024);
    const int mid = conv(&b, 0, 3, 4, 3, 1, NONE);
    if (gb_finish(&b, conv(&b, mid, 4, 3, 3, 1, NONE)))
        return;
    float in[N3], hidden[N4], want[N3], got[N3], plain[N3];
    unsigned seed = 7;
    for (int i = 0; i < N3; i++)
        in[i] = frand(&seed) * 40.f; /* past E4M3's steps of 1 and more */
    const vsr_tensor t = {1, 3, H, W, in};
    const vsr_shape s3 = {3, H, W}, s4 = {4, H, W};
    /* by hand: the first layer's output rounded, the model's not */
    vsr_ref_conv(&b.g.nodes[0].p.conv, in, s3, hidden, s4);
    vsr_ref_round(hidden, N4, VSR_REF_E4M3);
    vsr_ref_conv(&b.g.nodes[1].p.conv, hidden, s4, want, s3);

    vsr_backend_settings st;
    vsr_backend_settings_default(&st);
    if (run_ref(&b.g, &st, &t, plain))
        return;
    st.ref_store = VSR_REF_E4M3;
    if (run_ref(&b.g, &st, &t, got))
        return;
    int same = 0, differ = 0;
    for (int i = 0; i < N3; i++) {
        same += got[i] == want[i];
        differ += got[i] != plain[i];
    }
    CHECK_MSG(same == N3, "%d of %d values as run by hand", same, N3);
    CHECK_MSG(differ > N3 / 2, "only %d of %d values changed by the rounding", differ, N3);
    /* only outputs of 5 channels: none here, so nothing is rounded */
    st.ref_store_channels = 5;
    if (run_ref(&b.g, &st, &t, got))
        return;
    same = 0;
    for (int i = 0; i < N3; i++)
        same += got[i] == plain[i];
    CHECK_MSG(same == N3, "%d of %d values unrounded with :5", same, N3);
    vsr_graph_free(&b.g);
}

int main(void)
{
    test_e4m3();
    test_e5m2();
    test_fp16();
    test_setting();
    test_backend();
    return test_report("test_ref_round");
}
