/* Named encoder profiles: preset and CRF per encoder and output size.
 *
 * Without NVENC the CPU encoder is the slowest stage (DESIGN.md §6), and its
 * cost grows with the output's pixels: a preset usable at 1080p is far too
 * slow at 8K. A profile therefore names an intent (fast, balanced,
 * quality) and the table picks, per encoder (libx265, libsvtav1, libx264)
 * and output size class, the preset and CRF that serve it. An explicit
 * --preset or --crf still wins over the profile's choice. */
#ifndef VSR_MEDIA_ENCODER_PROFILE_H
#define VSR_MEDIA_ENCODER_PROFILE_H

typedef enum vsr_encoder_profile {
    VSR_PROFILE_BALANCED = 0, /* the default (zero-initialised options get it) */
    VSR_PROFILE_FAST,
    VSR_PROFILE_QUALITY,
} vsr_encoder_profile;

/* "fast", "balanced", "quality". */
const char *vsr_encoder_profile_name(vsr_encoder_profile p);

/* Parses a profile name; returns 0 and sets *p, or -1 if unknown. */
int vsr_encoder_profile_parse(const char *name, vsr_encoder_profile *p);

typedef struct vsr_encoder_setting {
    const char *preset;
    int crf;
} vsr_encoder_setting;

/* The profile's preset and CRF for an encoder at an output size; returns 1
 * with *out filled, or 0 for an encoder the table does not know (NVENC and
 * others keep their own defaults). */
int vsr_encoder_profile_pick(vsr_encoder_profile p, const char *encoder, int width, int height,
                             vsr_encoder_setting *out);

#endif
