/* `--detail auto` (issue 18, item 5): the detail strength of one clip,
 * chosen by measuring it on a sample of the clip before the run.
 *
 * A few windows of consecutive frames (VMAF's motion feature compares
 * each frame with its neighbours), spread over the clip, are decoded and
 * run through the model; for each candidate detail the sample's blend
 * (detail x model + (1 - detail) x input, both brought to the output size
 * as the CPU pipeline brings them: swscale Lanczos, blended in YUV),
 * encoded as the run encodes (in memory, one encoder per window), is
 * scored with VMAF v0.6.1 and v0.6.1neg against the input Lanczos-scaled
 * to the output size (what `vsr check --reference` and `vsr quality`
 * compare an output with), and detail_choice.h picks the highest detail
 * that passes detail_choice.h's rule against detail 0's blend (the input
 * alone), measured the same way first.
 *
 * Cost: the model on windows x window_frames frames (3 x 6 = 18 by
 * default: 6% of a 10 s clip at 30 fps, all of a clip shorter than that)
 * and, for detail 0 and about log2(candidates) + 1 candidates (3 of the
 * 6 default ones), their encode and VMAF + NEG. Memory: three output-size YUV
 * frames per sampled frame (the model's, the input's, the reference).
 *
 * At x2 and x4, before the model runs, the self-similar guard (detail_guard.h,
 * self_similar.h) measures s on the sampled frames and may settle the
 * choice at detail 0 (over the run's floor or a softer one) without the
 * model or the search. */
#ifndef VSR_PIPELINE_DETAIL_PROBE_H
#define VSR_PIPELINE_DETAIL_PROBE_H

#include <signal.h>
#include <stdint.h>

#include "frame/resample.h"
#include "media/encoder.h"
#include "pipeline/detail_choice.h"
#include "pipeline/detail_guard.h"
#include "pipeline/self_similar.h"
#include "pipeline/upscaler.h"
#include "util/error.h"

/* The rule's terms (detail_choice.h). The gate is |VMAF - NEG| <= 3
 * against the original (DESIGN.md §5; issue 18 asks 2.5), which a miner
 * cannot measure; the probe measures against the input Lanczos-scaled,
 * unclipped (a blend sharper than that reference scores over VMAF 100,
 * where the clipped scores of both models read 100 and hide the delta:
 * SD2HD yellowflower's clipped delta rose 0.16 at detail 0.15 while the
 * delta against the original rose 1.45). On the study's 7 clips at SD2HD
 * and X4HD (bench/quality/results/2026-12-06-detail-rule-2core.md), what
 * a detail adds to the delta against the original was 0.1 to 0.8 times
 * what it adds to the unclipped delta against the input, never more; the
 * Lanczos output's own delta against the original (up to 2.77) is an
 * offset no detail removes. A rise of 0.5 therefore adds at most ~0.4
 * against the original on the corpus; it kept every clip at or under
 * Lanczos's own delta or 2.5, where 0.75 let SD2HD twowings reach 2.67
 * and left SD2HD aqua 0.09 from a detail that scores 3.14. The VMAF term
 * keeps the model from redrawing film grain (wood: VMAF against the
 * original falls with the detail while the delta does not rise). */
#define VSR_DETAIL_AUTO_RISE 0.5
#define VSR_DETAIL_AUTO_VMAF_DROP 0.5

/* The default candidates (detail 0, the input alone, is measured first as
 * the baseline and is what remains when none passes). Under the rule the
 * corpus chose 0.05 to 0.1; 0.25 and above never passed. */
#define VSR_DETAIL_AUTO_CANDIDATES                \
    {                                             \
        0.25f, 0.15f, 0.1f, 0.075f, 0.05f, 0.025f \
    }
#define VSR_DETAIL_AUTO_WINDOWS 3
#define VSR_DETAIL_AUTO_WINDOW_FRAMES 6
/* The sampled frames the probe holds at most: each keeps three frames at
 * the output size (the model's, the input's, the reference) and two at
 * the input's, all 8-bit 4:2:0. 1 GiB holds the default 18 up to 4K
 * output (~44 MB each); at 8K (4K28K, ~174 MB each) 6, where 18 would
 * take 3.1 GB. */
#define VSR_DETAIL_AUTO_MAX_BYTES ((int64_t)1 << 30)

typedef struct vsr_detail_probe_options {
    const char *input;
    const vsr_upscaler *upscaler;
    /* the output size as vsr_pipeline_config gives it */
    int out_width, out_height, out_scale;
    int64_t max_pixels;               /* input frame limit; 0 = none */
    vsr_encoder_options enc;          /* the run's: the sample is encoded as the output will be */
    vsr_resample_filter input_filter; /* the run's: the input's filter in the blend */
    int windows;                      /* 0: VSR_DETAIL_AUTO_WINDOWS */
    int window_frames;                /* 0: VSR_DETAIL_AUTO_WINDOW_FRAMES (>= 2) */
    int64_t max_bytes;                /* 0: VSR_DETAIL_AUTO_MAX_BYTES */
    const float *details;             /* NULL: VSR_DETAIL_AUTO_CANDIDATES */
    int n_details;
    vsr_detail_rule rule;      /* a term < 0: VSR_DETAIL_AUTO_RISE, _VMAF_DROP */
    int measure_all;           /* 1: score every candidate (for studies), not only the search's */
    vsr_detail_guard guard;    /* the self-similar guard's at x2; a term < 0: the default */
    vsr_detail_guard guard_x4; /* at x4 */
    int threads;               /* quality threads; 0: the machine's cores */
    volatile sig_atomic_t *cancel; /* may be NULL */
} vsr_detail_probe_options;

void vsr_detail_probe_options_default(vsr_detail_probe_options *o);

typedef struct vsr_detail_probe_result {
    float detail;             /* chosen */
    vsr_detail_rule rule;     /* applied */
    vsr_detail_search search; /* every candidate, measured or not */
    int windows;              /* sampled */
    int64_t frames_sampled;   /* decoded; run through the model unless the guard settled */
    int64_t frames_scored;    /* of them, scored (each window's first has no motion) */
    int64_t clip_frames;      /* the clip's, as estimated; -1 unknown */
    double seconds;           /* wall time of the whole probe */
    double model_s, score_s;  /* of which the model, the scoring */
    /* The self-similar guard: its action (NOT_RUN: off, or neither x2 nor
     * x4), the factor it measured at (0: none), its thresholds, what it
     * measured (where it ran), and the floor filter the run is left with
     * (the run's, or softer under SOFT_FLOOR). */
    vsr_detail_guard_action guard;
    int guard_factor;
    int guard_unmeasured; /* NOT_RUN because the check could not take the input (logged) */
    vsr_detail_guard guard_rule;
    vsr_self_similar_result self_similar;
    vsr_resample_filter input_filter;
} vsr_detail_probe_result;

int vsr_detail_probe_run(const vsr_detail_probe_options *opt, vsr_detail_probe_result *res,
                         vsr_error *err);

/* The bytes a sampled frame holds (see VSR_DETAIL_AUTO_MAX_BYTES) for an
 * input of in_w x in_h upscaled to out_w x out_h. */
int64_t vsr_detail_probe_frame_bytes(int in_w, int in_h, int out_w, int out_h);
/* Fits *windows x *k sampled frames of frame_bytes each into max_bytes:
 * fewer windows first (their frames stay consecutive, for VMAF's motion),
 * then fewer frames in the one window left, never under one window of
 * two. Returns 1 if it cut, 0 if they fitted. */
int vsr_detail_probe_fit(int64_t max_bytes, int64_t frame_bytes, int *windows, int *k);

#endif
