/* The detail search (pipeline/detail_choice.h) on made-up scores: the
 * highest candidate that passes the rule against detail 0 is found with
 * about log2(n) + 1 measurements where the delta grows with the detail;
 * only a measured candidate that passed is ever chosen, whatever the
 * curve; none passing, or no baseline, gives detail 0; the VMAF term
 * rules out details that take the picture away from the input; bad
 * candidate lists and rules are refused. */
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
    return d == 0.f ? 0.3 : 5.0 + d;
}
static double always_passes(float d)
{
    return 0.3 + 0.1 * d;
}
/* not monotonic: passes at 0.5 and at 0.05 only */
static double bumpy(float d)
{
    return d == 0.f || fabsf(d - 0.5f) < 1e-6f || fabsf(d - 0.05f) < 1e-6f ? 0.2 : 3.0;
}
/* VMAF against the input: flat, or falling fast (a model that redraws
 * film grain: wood, X4HD, ~94 - 26 x d) */
static double vmaf_flat(float d)
{
    return 98.0 + 0 * d;
}
static double vmaf_falls(float d)
{
    return 94.0 - 26.0 * d;
}

/* Runs the search with VMAF = v(d) and NEG = VMAF - delta(d), detail 0
 * recorded first unless no_baseline; returns the chosen detail and the
 * number of measurements. */
static float run_rule(const float *c, int n, double rise, double drop, curve delta, curve v,
                      int no_baseline, int *measured)
{
    vsr_detail_search s;
    const vsr_detail_rule rule = {.rise = rise, .vmaf_drop = drop};
    CHECK(vsr_detail_search_init(&s, c, n, &rule) == 0);
    if (!no_baseline)
        vsr_detail_search_record_baseline(&s, v(0.f), v(0.f) - delta(0.f));
    *measured = 0;
    int i;
    while ((i = vsr_detail_search_next(&s)) >= 0 && *measured <= n) {
        CHECK_MSG(!s.cand[i].measured, "candidate %d measured twice", i);
        const float d = s.cand[i].detail;
        vsr_detail_search_record(&s, i, v(d), v(d) - delta(d));
        (*measured)++;
    }
    const float chosen = vsr_detail_search_chosen(&s);
    /* the choice is measured and passed the rule, or 0 */
    int ok = chosen == 0.f;
    for (int k = 0; k < s.n; k++)
        if (s.cand[k].detail == chosen)
            ok = s.cand[k].measured && s.cand[k].pass &&
                 s.cand[k].delta <= delta(0.f) + rise + 1e-9 && s.cand[k].vmaf >= v(0.f) - drop;
    CHECK_MSG(ok, "chosen %.2f was not measured to pass", chosen);
    return chosen;
}

static float run(const float *c, int n, double rise, curve f, int *measured)
{
    return run_rule(c, n, rise, 100.0, f, vmaf_flat, 0, measured);
}

int main(void)
{
    const float c[] = {0.5f, 0.35f, 0.25f, 0.15f, 0.1f, 0.05f};
    const int n = 6;
    int m;

    /* linear: delta 0.3 + 6.6 d, detail 0's 0.3; rise 0.7 -> d <= 0.106: 0.1 */
    CHECK_NEAR(run(c, n, 0.7, linear, &m), 0.1f, 1e-6);
    CHECK_MSG(m <= 3, "%d measurements for 6 candidates", m);
    /* rise 1.7 -> d <= 0.257: 0.25 */
    CHECK_NEAR(run(c, n, 1.7, linear, &m), 0.25f, 1e-6);
    CHECK(m <= 3);
    /* rise 0.2 -> d <= 0.030: none of the candidates, detail 0 */
    CHECK_NEAR(run(c, n, 0.2, linear, &m), 0.f, 1e-9);
    CHECK(m <= 3);
    /* just over and just under 0.15's rise */
    CHECK_NEAR(run(c, n, 6.6 * 0.15 + 1e-6, linear, &m), 0.15f, 1e-6);
    CHECK_NEAR(run(c, n, 6.6 * 0.15 - 1e-3, linear, &m), 0.1f, 1e-6);

    CHECK_NEAR(run(c, n, 1.0, always_fails, &m), 0.f, 1e-9);
    CHECK_NEAR(run(c, n, 1.0, always_passes, &m), 0.5f, 1e-6);
    CHECK(m <= 3);
    /* not monotonic: whatever is chosen passed (run checks it) */
    run(c, n, 0.5, bumpy, &m);
    CHECK(m <= n);

    /* the VMAF term: falling 26 a unit of detail, at most 1.0 -> d <= 0.038:
     * detail 0, though the delta would allow all; 3.0 -> 0.1 */
    CHECK_NEAR(run_rule(c, n, 100.0, 1.0, always_passes, vmaf_falls, 0, &m), 0.f, 1e-9);
    CHECK_NEAR(run_rule(c, n, 100.0, 3.0, always_passes, vmaf_falls, 0, &m), 0.1f, 1e-6);
    /* both terms: the stricter one decides (the rise: d <= 0.106 against
     * <= 0.23; the VMAF: d <= 0.115 against <= 0.257) */
    CHECK_NEAR(run_rule(c, n, 0.7, 6.0, linear, vmaf_falls, 0, &m), 0.1f, 1e-6);
    CHECK_NEAR(run_rule(c, n, 1.7, 3.0, linear, vmaf_falls, 0, &m), 0.1f, 1e-6);
    /* no baseline: nothing passes */
    CHECK_NEAR(run_rule(c, n, 100.0, 100.0, always_passes, vmaf_flat, 1, &m), 0.f, 1e-9);

    /* order does not matter: the list is kept highest first */
    const float shuffled[] = {0.1f, 0.5f, 0.05f, 0.25f, 0.35f, 0.15f};
    CHECK_NEAR(run(shuffled, n, 0.7, linear, &m), 0.1f, 1e-6);
    /* one candidate */
    const float one[] = {0.2f};
    CHECK_NEAR(run(one, 1, 1.7, linear, &m), 0.2f, 1e-6);
    CHECK(m == 1);

    /* refused lists and rules */
    vsr_detail_search s;
    const vsr_detail_rule ok = {0.5, 1.0}, neg_rise = {-1.0, 1.0}, nan_drop = {0.5, NAN};
    const float dup[] = {0.5f, 0.5f}, zero[] = {0.5f, 0.f}, big[] = {1.5f};
    CHECK(vsr_detail_search_init(&s, dup, 2, &ok) < 0);
    CHECK(vsr_detail_search_init(&s, zero, 2, &ok) < 0);
    CHECK(vsr_detail_search_init(&s, big, 1, &ok) < 0);
    CHECK(vsr_detail_search_init(&s, c, 0, &ok) < 0);
    CHECK(vsr_detail_search_init(&s, c, VSR_DETAIL_MAX_CANDIDATES + 1, &ok) < 0);
    CHECK(vsr_detail_search_init(&s, c, n, &neg_rise) < 0);
    CHECK(vsr_detail_search_init(&s, c, n, &nan_drop) < 0);
    return test_report("test_detail_choice");
}
