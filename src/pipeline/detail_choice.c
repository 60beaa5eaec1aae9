#include "pipeline/detail_choice.h"

#include <math.h>
#include <string.h>

int vsr_detail_search_init(vsr_detail_search *s, const float *details, int n,
                           const vsr_detail_rule *rule)
{
    memset(s, 0, sizeof *s);
    if (n < 1 || n > VSR_DETAIL_MAX_CANDIDATES || !(rule->rise >= 0) || !(rule->vmaf_drop >= 0))
        return -1;
    for (int i = 0; i < n; i++) {
        const float d = details[i];
        if (!(d > 0.f && d <= 1.f))
            return -1;
        /* insertion, highest first */
        int k = i;
        while (k > 0 && s->cand[k - 1].detail < d) {
            s->cand[k] = s->cand[k - 1];
            k--;
        }
        if (k > 0 && s->cand[k - 1].detail == d)
            return -1;
        s->cand[k] = (vsr_detail_candidate){.detail = d};
    }
    s->n = n;
    s->rule = *rule;
    s->lo = 0;
    s->hi = n;
    s->best = -1;
    return 0;
}

int vsr_detail_search_next(const vsr_detail_search *s)
{
    if (s->lo >= s->hi)
        return -1;
    /* the middle of what is left; of two, the higher detail, so that a
     * list of one or two is measured from the top */
    return s->lo + (s->hi - s->lo - 1) / 2;
}

void vsr_detail_search_record(vsr_detail_search *s, int i, double vmaf, double neg)
{
    if (i < 0 || i >= s->n)
        return;
    vsr_detail_candidate *c = &s->cand[i];
    c->measured = 1;
    c->vmaf = vmaf;
    c->neg = neg;
    c->delta = fabs(vmaf - neg);
    const vsr_detail_candidate *b = &s->baseline;
    c->pass = b->measured && c->delta <= b->delta + s->rule.rise &&
              c->vmaf >= b->vmaf - s->rule.vmaf_drop;
    if (c->pass) {
        /* Lower details are not needed; a higher one may pass too. */
        if (s->best < 0 || i < s->best)
            s->best = i;
        if (i < s->hi)
            s->hi = i;
    } else if (i + 1 > s->lo) {
        s->lo = i + 1; /* higher details would fail too (the delta grows with the detail) */
    }
}

void vsr_detail_search_record_baseline(vsr_detail_search *s, double vmaf, double neg)
{
    s->baseline =
        (vsr_detail_candidate){.measured = 1, .vmaf = vmaf, .neg = neg, .delta = fabs(vmaf - neg)};
}

float vsr_detail_search_chosen(const vsr_detail_search *s)
{
    return s->best >= 0 ? s->cand[s->best].detail : 0.f;
}
