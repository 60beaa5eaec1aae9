/* Measures a distorted clip against a reference clip: both decoded by
 * vsr's decoder (media/decoder.h), the reference scaled to the distorted
 * size where they differ (the validators' NEG gate compares an upscaled
 * output with its input Lanczos-scaled to the output size), then scored by
 * a quality session (quality/quality.h). Used by `vsr quality`, `vsr check
 * --reference` and the compression search. */
#ifndef VSR_PIPELINE_CLIP_QUALITY_H
#define VSR_PIPELINE_CLIP_QUALITY_H

#include <stdint.h>

#include <libavutil/frame.h>

#include "quality/quality.h"
#include "util/error.h"

typedef enum vsr_reference_scale {
    VSR_REFERENCE_SCALE_LANCZOS,
    VSR_REFERENCE_SCALE_BICUBIC,
} vsr_reference_scale;

typedef struct vsr_clip_quality_options {
    vsr_quality_options quality;
    vsr_reference_scale reference_scale;
    int64_t max_pixels; /* refuse larger pictures; 0: 8192 x 8192 */
} vsr_clip_quality_options;

typedef struct vsr_clip_quality {
    vsr_quality *session; /* per-frame scores: vsr_quality_frames(session) */
    vsr_quality_summary summary;
    int width, height; /* the distorted clip's (the scoring size) */
    int reference_width, reference_height;
    int reference_scaled; /* the reference was resized */
    double seconds;       /* wall time of decoding and scoring */
} vsr_clip_quality;

/* Decodes and scores every frame. The clips must have the same number of
 * frames, 8-bit 4:2:0 pictures (yuv420p or yuvj420p) and even sizes;
 * otherwise a clear error names the file and what differs. */
int vsr_clip_quality_measure(const char *distorted, const char *reference,
                             const vsr_clip_quality_options *opt, vsr_clip_quality *out,
                             vsr_error *err);
void vsr_clip_quality_free(vsr_clip_quality *cq);

/* A decoded 8-bit 4:2:0 frame as a quality session takes it (no copy). */
vsr_quality_picture vsr_clip_quality_picture(const AVFrame *f);

/* Adds finished session q's per-frame VMAF and NEG to *vmaf and *neg and
 * their count to *n, leaving out its first frame (whose motion libvmaf
 * sets to 0, as for a clip's first) unless it is the only one: how a probe
 * that scores short windows, each a session of its own, pools them. */
void vsr_clip_quality_pool_window(const vsr_quality *q, double *vmaf, double *neg, int64_t *n);

#endif
