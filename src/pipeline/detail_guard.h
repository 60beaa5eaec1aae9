/* The self-similar guard of `--detail auto` (issue 18, item 5): which
 * clips must not get the model's detail, or even the Lanczos-3 floor,
 * because their output's NEG delta against the original would pass 2.5.
 *
 * The probe cannot see the original, but it can play the validators'
 * game on the input: degrade it as they degrade an original (x2 down,
 * bicubic, libx264 ultrafast CRF 23), bring it back with the floor and
 * encode it as the run encodes (self_similar.h); s, that output's
 * |VMAF - NEG| against the input, predicted the delta against the
 * original at SD2HD with r = 0.97 on the study's 7 clips
 * (bench/quality/results/2026-12-06-soft-floor-2core.md, section 4).
 * This is the rule on s, apart so that it can be tested on made-up s:
 *
 *   s <= t1:      the detail search as before (detail_choice.h);
 *   t1 < s <= t2: detail 0 over the run's floor (the model's detail
 *                 would take the delta over; the floor alone stays under);
 *   s > t2:       detail 0 over a softer floor: bicubic (Catmull-Rom) in
 *                 place of Lanczos-3, whose ringing NEG discounts.
 *
 * The guard only ever softens: the floor it measures s on is the run's
 * (--input-filter, Lanczos-3 by default), and its soft branch keeps a
 * floor the caller gave that is already softer than bicubic (Mitchell,
 * bilinear).
 *
 * Only x2 tasks (the output twice the input on both sides): at x4 the
 * self-similar picture (a 120x68 one brought to 480x270 on the study's
 * clips) runs 0.2 to 1.2 under the truth, clip by clip, so no threshold
 * separates the passes from the failures there (study, section 4); x4
 * and other sizes keep the search alone.
 *
 * Thresholds: calibrated on the probe's own s (3 windows x 6 frames, a
 * fresh encoder per window; bench/quality/results/
 * 2026-12-06-selfsim-guard-2core.md), which came within -0.27..+0.13 of
 * the study's clip-wide s on its 10 SD2HD clips. The study's T1 = 2.5,
 * T2 = 2.8 would have decided the same, by 0.04 (16-frame twowings, s
 * 2.456, whose search output is 2.39 against the original) and 0.08
 * (16-frame aqua, 2.876); set instead halfway between the nearest clips
 * that need different actions: T1 = 2.55 between twowings (2.456:
 * search) and the 10 s aqua (2.635: its search output is 2.66 against
 * the original, its Lanczos floor 2.47), T2 = 2.75 between that aqua
 * and the 16-frame aqua (2.876: its Lanczos floor is itself 2.59, its
 * bicubic floor 2.35). 10 clips: thresholds to check on new ones. */
#ifndef VSR_PIPELINE_DETAIL_GUARD_H
#define VSR_PIPELINE_DETAIL_GUARD_H

#include "frame/resample.h"

#define VSR_DETAIL_GUARD_T1 2.55
#define VSR_DETAIL_GUARD_T2 2.75

typedef struct vsr_detail_guard {
    int off;       /* 1: the guard never runs (the search alone) */
    double t1, t2; /* a term < 0: VSR_DETAIL_GUARD_T1, _T2 */
} vsr_detail_guard;

typedef enum vsr_detail_guard_action {
    VSR_DETAIL_GUARD_NOT_RUN,    /* off, or not an x2 task */
    VSR_DETAIL_GUARD_SEARCH,     /* s <= t1: the detail search */
    VSR_DETAIL_GUARD_FLOOR,      /* t1 < s <= t2: detail 0, the run's floor */
    VSR_DETAIL_GUARD_SOFT_FLOOR, /* s > t2: detail 0, a floor at least as soft as bicubic */
} vsr_detail_guard_action;

/* "not_run", "search", "floor", "soft_floor" */
const char *vsr_detail_guard_action_name(vsr_detail_guard_action a);

/* g with its defaults filled in. */
vsr_detail_guard vsr_detail_guard_resolved(const vsr_detail_guard *g);

/* 1 when the guard runs for an input of in_w x in_h made out_w x out_h:
 * not off, the output exactly twice the input on both sides, and the
 * input's sides even (4:2:0 at the input's size). */
int vsr_detail_guard_applies(const vsr_detail_guard *g, int in_w, int in_h, int out_w, int out_h);

/* The action for self-similar delta s under g's (resolved) thresholds. An
 * s that is not a finite number >= 0 is no measurement: the search. */
vsr_detail_guard_action vsr_detail_guard_decide(const vsr_detail_guard *g, double s);

/* The floor filter the action leaves the run with, given the run's. */
vsr_resample_filter vsr_detail_guard_floor(vsr_detail_guard_action a, vsr_resample_filter run);

/* Parses "off" or "T1,T2" (0 <= T1 <= T2 <= 100) into *g; 0, or -1 for
 * anything else (*g unchanged). */
int vsr_detail_guard_parse(const char *text, vsr_detail_guard *g);

#endif
