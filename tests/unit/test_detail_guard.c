/* The self-similar guard's rule (pipeline/detail_guard.h) on made-up s:
 * each branch at and around its thresholds, the defaults, s that is no
 * measurement, the x2 and x4 thresholds and gate, the floor it leaves (only ever softer),
 * and the option's text, refused where malformed. */
#include <math.h>
#include <string.h>

#include "pipeline/detail_guard.h"
#include "test_util.h"

int main(void)
{
    /* the defaults */
    const vsr_detail_guard def = {.off = 0, .t1 = -1, .t2 = -1, .t3 = -1};
    const vsr_detail_guard r = vsr_detail_guard_resolved(&def, 2);
    CHECK_NEAR(r.t1, VSR_DETAIL_GUARD_T1, 1e-12);
    CHECK_NEAR(r.t2, VSR_DETAIL_GUARD_T2, 1e-12);
    CHECK_NEAR(r.t3, VSR_DETAIL_GUARD_T3, 1e-12);
    CHECK(vsr_detail_guard_decide(&def, 2, 0.0) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T1) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T1 + 1e-9) == VSR_DETAIL_GUARD_FLOOR);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T2) == VSR_DETAIL_GUARD_FLOOR);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T2 + 1e-9) ==
          VSR_DETAIL_GUARD_SOFT_FLOOR);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T3) == VSR_DETAIL_GUARD_SOFT_FLOOR);
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_T3 + 1e-9) ==
          VSR_DETAIL_GUARD_SOFTER_FLOOR);
    CHECK(vsr_detail_guard_decide(&def, 2, 40.0) == VSR_DETAIL_GUARD_SOFTER_FLOOR);

    /* given thresholds; t1 == t2 leaves no floor branch, t2 == t3 no soft one */
    const vsr_detail_guard g = {.off = 0, .t1 = 1.0, .t2 = 2.0, .t3 = 3.0};
    CHECK(vsr_detail_guard_decide(&g, 2, 0.99) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&g, 2, 1.5) == VSR_DETAIL_GUARD_FLOOR);
    CHECK(vsr_detail_guard_decide(&g, 2, 2.01) == VSR_DETAIL_GUARD_SOFT_FLOOR);
    CHECK(vsr_detail_guard_decide(&g, 2, 3.01) == VSR_DETAIL_GUARD_SOFTER_FLOOR);
    const vsr_detail_guard same = {.off = 0, .t1 = 1.0, .t2 = 1.0, .t3 = 1.0};
    CHECK(vsr_detail_guard_decide(&same, 2, 1.0) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&same, 2, 1.01) == VSR_DETAIL_GUARD_SOFTER_FLOOR);
    /* t3 left to its default: raised to a t2 above it */
    const vsr_detail_guard high = {.off = 0, .t1 = 4.0, .t2 = 5.0, .t3 = -1};
    CHECK_NEAR(vsr_detail_guard_resolved(&high, 2).t3, 5.0, 1e-12);
    CHECK(vsr_detail_guard_decide(&high, 2, 4.5) == VSR_DETAIL_GUARD_FLOOR);
    CHECK(vsr_detail_guard_decide(&high, 2, 5.5) == VSR_DETAIL_GUARD_SOFTER_FLOOR);
    const vsr_detail_guard low = {.off = 0, .t1 = 0, .t2 = 0, .t3 = -1};
    CHECK(vsr_detail_guard_decide(&low, 2, 1.0) == VSR_DETAIL_GUARD_SOFT_FLOOR);
    CHECK(vsr_detail_guard_decide(&low, 4, 1.0) == VSR_DETAIL_GUARD_SOFT_FLOOR);
    CHECK(vsr_detail_guard_decide(&low, 4, VSR_DETAIL_GUARD_X4_T3 + 0.01) ==
          VSR_DETAIL_GUARD_SOFTER_FLOOR);
    /* 0,0,0: every measured s > 0 takes the softer floor; 100,100,100: none */
    const vsr_detail_guard zero = {.off = 0, .t1 = 0, .t2 = 0, .t3 = 0},
                           hundred = {.off = 0, .t1 = 100, .t2 = 100, .t3 = 100};
    CHECK(vsr_detail_guard_decide(&zero, 2, 0.01) == VSR_DETAIL_GUARD_SOFTER_FLOOR);
    CHECK(vsr_detail_guard_decide(&hundred, 2, 99.0) == VSR_DETAIL_GUARD_SEARCH);

    /* no measurement: the search, never a floor */
    CHECK(vsr_detail_guard_decide(&zero, 2, NAN) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&zero, 2, INFINITY) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&zero, 2, -1.0) == VSR_DETAIL_GUARD_SEARCH);
    /* off: not run, whatever s */
    const vsr_detail_guard off = {.off = 1, .t1 = 0, .t2 = 0, .t3 = 0};
    CHECK(vsr_detail_guard_decide(&off, 2, 10.0) == VSR_DETAIL_GUARD_NOT_RUN);

    /* x4: its own defaults; a given threshold is taken at either factor */
    const vsr_detail_guard r4 = vsr_detail_guard_resolved(&def, 4);
    CHECK_NEAR(r4.t1, VSR_DETAIL_GUARD_X4_T1, 1e-12);
    CHECK_NEAR(r4.t2, VSR_DETAIL_GUARD_X4_T2, 1e-12);
    CHECK_NEAR(r4.t3, VSR_DETAIL_GUARD_X4_T3, 1e-12);
    CHECK(VSR_DETAIL_GUARD_X4_T2 < VSR_DETAIL_GUARD_T1);
    CHECK(VSR_DETAIL_GUARD_T2 < VSR_DETAIL_GUARD_T3 &&
          VSR_DETAIL_GUARD_X4_T2 < VSR_DETAIL_GUARD_X4_T3);
    CHECK(vsr_detail_guard_decide(&def, 4, VSR_DETAIL_GUARD_X4_T1) == VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&def, 4, VSR_DETAIL_GUARD_X4_T2 + 1e-9) ==
          VSR_DETAIL_GUARD_SOFT_FLOOR);
    /* an s that takes x4's soft floor is the search at x2 */
    CHECK(vsr_detail_guard_decide(&def, 2, VSR_DETAIL_GUARD_X4_T2 + 0.05) ==
          VSR_DETAIL_GUARD_SEARCH);
    CHECK(vsr_detail_guard_decide(&g, 4, 1.5) == VSR_DETAIL_GUARD_FLOOR);
    CHECK(vsr_detail_guard_decide(&off, 4, 10.0) == VSR_DETAIL_GUARD_NOT_RUN);

    /* the factor, as the pipeline computes the output: both sides twice
     * or four times, even input sides; x3, 2x on one side only, --size
     * elsewhere: none */
    CHECK(vsr_detail_guard_factor(960, 540, 1920, 1080) == 2);
    CHECK(vsr_detail_guard_factor(96, 54, 192, 108) == 2);
    CHECK(vsr_detail_guard_factor(480, 270, 1920, 1080) == 4);
    CHECK(vsr_detail_guard_factor(960, 540, 3840, 2160) == 4);
    CHECK(vsr_detail_guard_factor(640, 360, 1920, 1080) == 0);
    CHECK(vsr_detail_guard_factor(960, 540, 1920, 1088) == 0);
    CHECK(vsr_detail_guard_factor(960, 540, 3840, 1080) == 0);
    CHECK(vsr_detail_guard_factor(97, 54, 194, 108) == 0);
    CHECK(vsr_detail_guard_factor(97, 54, 388, 216) == 0);
    CHECK(vsr_detail_guard_factor(0, 0, 0, 0) == 0);

    /* the floor: the run's, except the soft branch over a filter sharper
     * than bicubic; a softer one the caller gave is kept */
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SEARCH, VSR_RESAMPLE_LANCZOS3) ==
          VSR_RESAMPLE_LANCZOS3);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_FLOOR, VSR_RESAMPLE_LANCZOS3) ==
          VSR_RESAMPLE_LANCZOS3);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_NOT_RUN, VSR_RESAMPLE_LANCZOS3) ==
          VSR_RESAMPLE_LANCZOS3);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFT_FLOOR, VSR_RESAMPLE_LANCZOS3) ==
          VSR_RESAMPLE_BICUBIC);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFT_FLOOR, VSR_RESAMPLE_BICUBIC) ==
          VSR_RESAMPLE_BICUBIC);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFT_FLOOR, VSR_RESAMPLE_MITCHELL) ==
          VSR_RESAMPLE_MITCHELL);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFT_FLOOR, VSR_RESAMPLE_BILINEAR) ==
          VSR_RESAMPLE_BILINEAR);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFTER_FLOOR, VSR_RESAMPLE_LANCZOS3) ==
          VSR_RESAMPLE_MITCHELL);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFTER_FLOOR, VSR_RESAMPLE_BICUBIC) ==
          VSR_RESAMPLE_MITCHELL);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFTER_FLOOR, VSR_RESAMPLE_MITCHELL) ==
          VSR_RESAMPLE_MITCHELL);
    CHECK(vsr_detail_guard_floor(VSR_DETAIL_GUARD_SOFTER_FLOOR, VSR_RESAMPLE_BILINEAR) ==
          VSR_RESAMPLE_BILINEAR);

    /* the option's text */
    vsr_detail_guard p = def;
    CHECK(vsr_detail_guard_parse("off", &p) == 0 && p.off == 1);
    CHECK(vsr_detail_guard_parse("2.6,3", &p) == 0 && !p.off);
    CHECK_NEAR(p.t1, 2.6, 1e-12);
    CHECK_NEAR(p.t2, 3.0, 1e-12);
    CHECK(p.t3 < 0); /* the default */
    CHECK(vsr_detail_guard_parse("0,100", &p) == 0 && p.t1 == 0 && p.t2 == 100);
    CHECK(vsr_detail_guard_parse("1,2,3.5", &p) == 0 && p.t1 == 1 && p.t2 == 2 && p.t3 == 3.5);
    CHECK(vsr_detail_guard_parse("2,2,2", &p) == 0 && p.t3 == 2);
    const char *bad[] = {"",      "on",    "2.5",     "2.5,",  ",2.8",   "3,2",  "-1,2",
                         "1,101", "nan,1", "inf,inf", "1,3,2", " 1,2",   "1, 2", "0x1,2",
                         "1e0,2", "OFF",   "1,2,3,4", "1,2,",  "1,2,101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vsr_detail_guard q = g;
        CHECK_MSG(vsr_detail_guard_parse(bad[i], &q) < 0, "'%s' accepted", bad[i]);
        CHECK_MSG(q.t1 == 1.0 && q.t2 == 2.0 && q.t3 == 3.0 && !q.off, "'%s' changed the guard",
                  bad[i]);
    }
    CHECK(vsr_detail_guard_parse(NULL, &p) < 0);

    CHECK(!strcmp(vsr_detail_guard_action_name(VSR_DETAIL_GUARD_SOFT_FLOOR), "soft_floor"));
    CHECK(!strcmp(vsr_detail_guard_action_name(VSR_DETAIL_GUARD_SOFTER_FLOOR), "softer_floor"));
    CHECK(!strcmp(vsr_detail_guard_action_name(VSR_DETAIL_GUARD_NOT_RUN), "not_run"));
    return test_report("test_detail_guard");
}
