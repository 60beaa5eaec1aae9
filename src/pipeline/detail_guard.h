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
 *   t2 < s <= t3: detail 0 over a softer floor: bicubic (Catmull-Rom) in
 *                 place of Lanczos-3, whose ringing NEG discounts;
 *   s > t3:       detail 0 over Mitchell-Netravali, softer still (a clip
 *                 whose bicubic floor is itself over 2.5).
 *
 * The guard only ever softens: the floor it measures s on is the run's
 * (--input-filter, Lanczos-3 by default), and its soft branches keep a
 * floor the caller gave that is already softer than theirs (Mitchell or
 * bilinear against bicubic, bilinear against Mitchell).
 *
 * x2 and x4 tasks (the output twice or four times the input on both
 * sides), each with its own thresholds: the x4 self-similar picture (a
 * 120x68 one brought to 480x270 on the study's X4HD clips) reads 0.2 to
 * 1.2 under the truth, clip by clip, so the x2 thresholds do not carry
 * over; other sizes keep the search alone.
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
 * bicubic floor 2.35). 10 clips: thresholds to check on new ones.
 *
 * x4, on the study's 10 X4HD clips (480x270 -> 1920x1080, standing in
 * for SD24K; bench/quality/results/2026-12-07-x4-guard-2core.md): the
 * probe's s ranks them as the truth does at the top, with an offset (s
 * 1.07-2.21 where the Lanczos floor's delta against the original is
 * 1.04-2.77). Only two clips need anything, and both need the soft floor
 * (their Lanczos floors are themselves over 2.5): the 16-frame ladybird
 * (s 1.951, floor 2.69, bicubic 2.40) and aqua (2.208: 2.77, 2.33). The
 * highest s below them is the 10 s aqua (1.898), whose Lanczos floor
 * (2.49) is what the search gives it; no clip needs the floor band, so
 * T1 = T2 = 1.92, halfway between that aqua and the 16-frame ladybird: a
 * margin of 0.03 either side, thinner than x2's.
 *
 * T3, from the first clip whose bicubic floor stays over 2.5: the 720p
 * storm of bench/quality/results/2026-12-07-x4-guard-2core.md (grain over
 * a cloudy sky; s 3.543 at x2, 3.169 at x4; Lanczos floor 2.83 and 3.76,
 * the latter over the validators' 3; bicubic 2.57 and 2.94; Mitchell 1.91
 * and 1.95). x2: T3 = 3.21, halfway between the 16-frame aqua (2.876,
 * whose bicubic floor passes) and storm; x4: 2.69, between the 16-frame
 * aqua (2.208) and storm. One clip above each: fitted, not yet checked on
 * another. */
#ifndef VSR_PIPELINE_DETAIL_GUARD_H
#define VSR_PIPELINE_DETAIL_GUARD_H

#include "frame/resample.h"

#define VSR_DETAIL_GUARD_T1 2.55
#define VSR_DETAIL_GUARD_T2 2.75
#define VSR_DETAIL_GUARD_T3 3.21
/* x4 (calibrated above, after x2) */
#define VSR_DETAIL_GUARD_X4_T1 1.92
#define VSR_DETAIL_GUARD_X4_T2 1.92
#define VSR_DETAIL_GUARD_X4_T3 2.69

typedef struct vsr_detail_guard {
    int off; /* 1: the guard never runs (the search alone) */
    /* a term < 0: the factor's default (VSR_DETAIL_GUARD_T1.., _X4_T1..);
     * t3's default is raised to t2 where t2 is above it */
    double t1, t2, t3;
} vsr_detail_guard;

typedef enum vsr_detail_guard_action {
    VSR_DETAIL_GUARD_NOT_RUN,      /* off, or neither an x2 nor an x4 task */
    VSR_DETAIL_GUARD_SEARCH,       /* s <= t1: the detail search */
    VSR_DETAIL_GUARD_FLOOR,        /* t1 < s <= t2: detail 0, the run's floor */
    VSR_DETAIL_GUARD_SOFT_FLOOR,   /* t2 < s <= t3: detail 0, a floor as soft as bicubic */
    VSR_DETAIL_GUARD_SOFTER_FLOOR, /* s > t3: detail 0, a floor as soft as Mitchell */
} vsr_detail_guard_action;

/* "not_run", "search", "floor", "soft_floor", "softer_floor" */
const char *vsr_detail_guard_action_name(vsr_detail_guard_action a);

/* g, the rule for factor (2 or 4), with that factor's defaults filled in. */
vsr_detail_guard vsr_detail_guard_resolved(const vsr_detail_guard *g, int factor);

/* The factor the guard measures an input of in_w x in_h made out_w x out_h
 * at: 2 or 4 when the output is exactly that many times the input on both
 * sides and the input's sides are even (4:2:0 at the input's size); 0
 * (the guard does not run) otherwise. */
int vsr_detail_guard_factor(int in_w, int in_h, int out_w, int out_h);

/* The action for self-similar delta s under g's thresholds for factor
 * (resolved as vsr_detail_guard_resolved). An s that is not a finite
 * number >= 0 is no measurement: the search. */
vsr_detail_guard_action vsr_detail_guard_decide(const vsr_detail_guard *g, int factor, double s);

/* The floor filter the action leaves the run with, given the run's. */
vsr_resample_filter vsr_detail_guard_floor(vsr_detail_guard_action a, vsr_resample_filter run);

/* Parses "off", "T1,T2" or "T1,T2,T3" (0 <= T1 <= T2 <= T3 <= 100; T3
 * left out: the factor's default) into *g; 0, or -1 for anything else
 * (*g unchanged). */
int vsr_detail_guard_parse(const char *text, vsr_detail_guard *g);

#endif
