/* The detail search (pipeline/detail_choice.h) on made-up scores: the
 * highest candidate within the margin is found with about log2(n) + 1
 * measurements where the delta grows with the detail; only a measured
 * candidate that passed is ever chosen, whatever the curve; none passing
 * gives detail 0; bad candidate lists are refused. */
#include <math.h>

#include "pipeline/detail_choice.h"
#include "test_util.h"

typedef double (*curve)(float d);

/* The study's shape: the delta grows about linearly from the Lanczos
 * output's own (ladybird SD2HD, against the input: ~0.3 + 6.6 x d). */
static double linear(float d)
{
    return 0.3 + 6.6 * d;
}
static double always_fails(float d)
{
    return 5.0 + d;
}
static double always_passes(float d)
{
    return 0.1 * d;
}
/* not monotonic: passes at 0.5 and at 0.05 only */
static double bumpy(float d)
{
    return fabsf(d - 0.5f) < 1e-6f || fabsf(d - 0.05f) < 1e-6f ? 0.2 : 3.0;
}

/* Runs the search with NEG = VMAF - delta; returns the chosen detail and
 * the number of measurements. */
static float run(const float *c, int n, double margin, curve f, int *measured)
{
    vsr_detail_search s;
    CHECK(vsr_detail_search_init(&s, c, n, margin) == 0);
    *measured = 0;
    int i;
    while ((i = vsr_detail_search_next(&s)) >= 0 && *measured <= n) {
        CHECK_MSG(!s.cand[i].measured, "candidate %d measured twice", i);
        vsr_detail_search_record(&s, i, 90.0, 90.0 - f(s.cand[i].detail));
        (*measured)++;
    }
    const float chosen = vsr_detail_search_chosen(&s);
    /* the choice is measured and passed, or 0 */
    int ok = chosen == 0.f;
    for (int k = 0; k < s.n; k++)
        if (s.cand[k].detail == chosen)
            ok = s.cand[k].measured && s.cand[k].pass && s.cand[k].delta <= margin;
    CHECK_MSG(ok, "chosen %.2f was not measured to pass", chosen);
    return chosen;
}

int main(void)
{
    const float c[] = {0.5f, 0.35f, 0.25f, 0.15f, 0.1f, 0.05f};
    const int n = 6;
    int m;

    /* linear: delta 0.3 + 6.6 d; margin 1.0 -> d <= 0.106: 0.1 */
    CHECK_NEAR(run(c, n, 1.0, linear, &m), 0.1f, 1e-6);
    CHECK_MSG(m <= 3, "%d measurements for 6 candidates", m);
    /* margin 2.0 -> d <= 0.257: 0.25 */
    CHECK_NEAR(run(c, n, 2.0, linear, &m), 0.25f, 1e-6);
    CHECK(m <= 3);
    /* margin 0.5 -> d <= 0.030: none of the candidates, detail 0 */
    CHECK_NEAR(run(c, n, 0.5, linear, &m), 0.f, 1e-9);
    CHECK(m <= 3);
    /* just over and just under 0.15's delta */
    CHECK_NEAR(run(c, n, 0.3 + 6.6 * 0.15 + 1e-6, linear, &m), 0.15f, 1e-6);
    CHECK_NEAR(run(c, n, 0.3 + 6.6 * 0.15 - 1e-3, linear, &m), 0.1f, 1e-6);

    CHECK_NEAR(run(c, n, 1.0, always_fails, &m), 0.f, 1e-9);
    CHECK_NEAR(run(c, n, 1.0, always_passes, &m), 0.5f, 1e-6);
    CHECK(m <= 3);
    /* not monotonic: whatever is chosen passed (run checks it) */
    run(c, n, 1.0, bumpy, &m);
    CHECK(m <= n);

    /* order does not matter: the list is kept highest first */
    const float shuffled[] = {0.1f, 0.5f, 0.05f, 0.25f, 0.35f, 0.15f};
    CHECK_NEAR(run(shuffled, n, 1.0, linear, &m), 0.1f, 1e-6);
    /* one candidate */
    const float one[] = {0.2f};
    CHECK_NEAR(run(one, 1, 2.0, linear, &m), 0.2f, 1e-6);
    CHECK(m == 1);

    /* refused lists */
    vsr_detail_search s;
    const float dup[] = {0.5f, 0.5f}, zero[] = {0.5f, 0.f}, big[] = {1.5f};
    CHECK(vsr_detail_search_init(&s, dup, 2, 1.0) < 0);
    CHECK(vsr_detail_search_init(&s, zero, 2, 1.0) < 0);
    CHECK(vsr_detail_search_init(&s, big, 1, 1.0) < 0);
    CHECK(vsr_detail_search_init(&s, c, 0, 1.0) < 0);
    CHECK(vsr_detail_search_init(&s, c, VSR_DETAIL_MAX_CANDIDATES + 1, 1.0) < 0);
    CHECK(vsr_detail_search_init(&s, c, n, -1.0) < 0);
    CHECK(vsr_detail_search_init(&s, c, n, NAN) < 0);
    return test_report("test_detail_choice");
}
