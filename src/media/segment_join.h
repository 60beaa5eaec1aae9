/* Joins segments encoded in parallel (media/segment_encoder.h) into the
 * one video track of the output, in order, without re-encoding.
 *
 * Each segment starts with an IDR frame and shares the output's parameter
 * sets (checked byte for byte). Presentation timestamps are the input's and
 * pass unchanged. Decode timestamps need repair: an encoder that reorders
 * frames (B-frames) starts each instance with `delay` packets whose DTS
 * lies before the segment's first PTS, extrapolated from the segment's own
 * frame durations, and ends it `delay` frames behind; at a join those
 * collide with the previous segment's DTS or leave a gap (variable frame
 * rate, a short last segment). Every segment after the first therefore
 * gets the DTS one encoder over the whole clip would have written: packet
 * K's DTS = the (K - delay)-th smallest PTS of the clip. So the track's
 * timing, durations and average frame rate equal a single encoder's. The
 * joiner checks that DTS strictly increases and never exceeds PTS, and
 * fails instead of writing a stream a player would choke on. */
#ifndef VSR_MEDIA_SEGMENT_JOIN_H
#define VSR_MEDIA_SEGMENT_JOIN_H

#include <stdint.h>

#include "media/encoder.h"
#include "media/segment_encoder.h"
#include "util/error.h"

/* The most frames of reordering delay a join can repair; x265 and x264
 * use 1 or 2 (B-pyramid). */
#define VSR_SEGMENT_MAX_DELAY 16

typedef struct vsr_segment_join {
    vsr_encoder *enc; /* segmented; owned by the caller */
    int64_t segments, packets;
    int64_t rewritten; /* DTS values repaired at joins */
    int delay;         /* the encoder's reordering delay in frames, from the first segment */
    int64_t last_dts;
    int have_last;
    int64_t tail_pts[VSR_SEGMENT_MAX_DELAY]; /* the largest PTS so far, ascending */
    int n_tail;
} vsr_segment_join;

void vsr_segment_join_init(vsr_segment_join *j, vsr_encoder *enc);

/* Muxes the next segment's packets (the segment must be finished and
 * come in order). The packets are consumed; the segment can be freed. */
int vsr_segment_join_add(vsr_segment_join *j, vsr_segment_encoder *se, vsr_error *err);

#endif
