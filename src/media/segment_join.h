/* Joins segments encoded in parallel (media/segment_encoder.h) into the
 * one video track of the output, in order, without re-encoding.
 *
 * Each segment starts with an IDR frame and shares the output's parameter
 * sets (checked byte for byte). Presentation timestamps are the input's and
 * pass unchanged. Decode timestamps need repair (media/segment_timing.h):
 * an encoder that reorders frames (B-frames) starts each instance with
 * `delay` packets whose DTS lies before the segment's first PTS, and ends
 * it `delay` frames behind; at a join those collide with the previous
 * segment's DTS or leave a gap (variable frame rate, a short last segment).
 * Every segment after the first therefore gets the DTS one encoder over the
 * whole clip would have written, so the track's timing, durations and
 * average frame rate equal a single encoder's. The joiner checks that DTS
 * strictly increases and never exceeds PTS, and fails instead of writing a
 * stream a player would choke on. */
#ifndef VSR_MEDIA_SEGMENT_JOIN_H
#define VSR_MEDIA_SEGMENT_JOIN_H

#include <stdint.h>

#include "media/encoder.h"
#include "media/segment_encoder.h"
#include "media/segment_timing.h"
#include "util/error.h"

typedef struct vsr_segment_join {
    vsr_encoder *enc; /* segmented; owned by the caller */
    vsr_segment_timing timing;
    int64_t packets;
} vsr_segment_join;

void vsr_segment_join_init(vsr_segment_join *j, vsr_encoder *enc);

/* Muxes the next segment's packets (the segment must be finished and
 * come in order). The packets are consumed; the segment can be freed. */
int vsr_segment_join_add(vsr_segment_join *j, vsr_segment_encoder *se, vsr_error *err);

#endif
