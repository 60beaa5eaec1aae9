/* The ref backend's storage rounding (VSR_REF_STORE) against values worked
 * out by hand, and fp16 against the compiler's own _Float16 conversion. */
#include <math.h>
#include <stdlib.h>

#include "engine/backend_settings.h"
#include "engine/ref/ref_round.h"
#include "test_util.h"

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

int main(void)
{
    test_e4m3();
    test_e5m2();
    test_fp16();
    test_setting();
    return test_report("test_ref_round");
}
