/* The self-similar delta s of a clip (detail_guard.h): the input plays the
 * original. Each window of sampled input frames is degraded as the
 * validators degrade an original (scaled down by the task's factor with
 * swscale's bicubic, FFmpeg's default scale, to ((w / factor + 1) / 2 * 2)
 * x the same of h; libx264 ultrafast CRF 23), brought back to the input's
 * size as the CPU pipeline brings an input at detail 0 (yuv_to_rgb, then
 * rgb_to_yuv resampling with the floor's filter), encoded as the run
 * encodes, decoded, and scored against the input with VMAF v0.6.1 and
 * v0.6.1neg, clipped as `vsr quality` (and the validators) score:
 * bench/quality/selfsim_rows.sh's measurement, on the probe's windows.
 * Pooled as the detail probe pools: the mean over the frames, each
 * window its own quality session with its first frame (motion 0) left
 * out.
 *
 * Cost per sampled frame: two input-sized encodes (one at a quarter of the
 * pixels), two decodes, one VMAF + NEG at the input's size; no model. */
#ifndef VSR_PIPELINE_SELF_SIMILAR_H
#define VSR_PIPELINE_SELF_SIMILAR_H

#include <signal.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "frame/resample.h"
#include "media/colour.h"
#include "media/encoder.h"
#include "util/error.h"

typedef struct vsr_self_similar_options {
    const char *input;                /* for messages */
    int factor;                       /* the task's scale (>= 2) */
    vsr_resample_filter floor;        /* brings the degraded input back */
    const vsr_encoder_options *enc;   /* the run's, as the probe encodes it */
    AVRational time_base, frame_rate; /* the input's */
    vsr_colour colour;                /* the input's (decode guesses filled in) */
    vsr_colour out_colour;            /* what the run writes at the input's height */
    int threads;                      /* quality threads (>= 1) */
    volatile sig_atomic_t *cancel;    /* may be NULL */
} vsr_self_similar_options;

typedef struct vsr_self_similar_result {
    double vmaf, neg, delta; /* pooled means; delta = s = |vmaf - neg| */
    int64_t frames_scored;
    double seconds;
} vsr_self_similar_result;

/* frames: n input frames (yuv420p or yuvj420p, all of one even-sided
 * size), window[i] the window of frame i, a window's frames consecutive
 * and in order. */
int vsr_self_similar_measure(const vsr_self_similar_options *o, AVFrame *const *frames,
                             const int *window, int n, vsr_self_similar_result *r, vsr_error *err);

#endif
