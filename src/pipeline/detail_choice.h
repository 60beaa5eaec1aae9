/* The choice of a clip's detail strength from measurements (issue 18,
 * item 5): of a list of candidate details, the highest that passes the
 * rule below against detail 0 (the input alone, measured the same way),
 * found with as few measurements as the list allows. The measurements are
 * VMAF and VMAF NEG against the input Lanczos-scaled.
 *
 * The study (bench/quality/results/2026-12-06-h100.md) found the delta to
 * grow about linearly with the detail, so the candidates, highest first,
 * are searched by bisection: a candidate that passes sends the search up,
 * one that fails sends it down. Only a measured candidate that passed is
 * ever chosen, whatever the curve's shape; where none passes, detail 0
 * (the input Lanczos-scaled, whose delta against itself is nil). The
 * measurement is the caller's (detail_probe.h); this is the bookkeeping,
 * separate so that it can be tested on made-up scores. */
#ifndef VSR_PIPELINE_DETAIL_CHOICE_H
#define VSR_PIPELINE_DETAIL_CHOICE_H

#define VSR_DETAIL_MAX_CANDIDATES 16

/* A candidate passes when, against detail 0's measurement,
 *   delta <= delta(0) + rise   and   VMAF >= VMAF(0) - vmaf_drop
 * (delta = |VMAF - NEG|): the model's detail may raise the NEG delta the
 * encode already has by `rise` at most, and may not take the picture
 * further from the input than the encode alone by `vmaf_drop` (where the
 * model redraws texture, e.g. film grain, rather than sharpening it). */
typedef struct vsr_detail_rule {
    double rise, vmaf_drop;
} vsr_detail_rule;

typedef struct vsr_detail_candidate {
    float detail;
    int measured;            /* 1: vmaf and neg below are set */
    double vmaf, neg, delta; /* pooled means; delta = |vmaf - neg| */
    int pass;                /* the rule holds (detail_choice.h) */
} vsr_detail_candidate;

typedef struct vsr_detail_search {
    vsr_detail_candidate cand[VSR_DETAIL_MAX_CANDIDATES]; /* highest detail first */
    int n;
    vsr_detail_rule rule;
    int lo, hi;                    /* the candidates [lo, hi) not yet ruled in or out */
    int best;                      /* the highest measured candidate that passed; -1: none */
    vsr_detail_candidate baseline; /* detail 0, the input alone, measured the same way */
} vsr_detail_search;

/* details: n (1..VSR_DETAIL_MAX_CANDIDATES) distinct values in (0, 1], in
 * any order (kept highest first); the rule's terms >= 0. Returns 0, or -1
 * for a list or rule that breaks these rules. */
int vsr_detail_search_init(vsr_detail_search *s, const float *details, int n,
                           const vsr_detail_rule *rule);

/* The index of the next candidate to measure, or -1 when the choice is
 * made. */
int vsr_detail_search_next(const vsr_detail_search *s);

/* Records candidate i's pooled VMAF and NEG and narrows the search; a
 * candidate recorded before the baseline fails. */
void vsr_detail_search_record(vsr_detail_search *s, int i, double vmaf, double neg);

/* Records detail 0's pooled VMAF and NEG: what the encode alone does to
 * the input, which the candidates are compared with (first). */
void vsr_detail_search_record_baseline(vsr_detail_search *s, double vmaf, double neg);

/* The chosen detail: the highest measured candidate that passed, else 0. */
float vsr_detail_search_chosen(const vsr_detail_search *s);

#endif
