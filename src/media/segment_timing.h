/* The decode timestamps of segments joined into one track (the arithmetic
 * of media/segment_join.h, apart from packets and muxers so that it can be
 * tested and fuzzed on plain numbers).
 *
 * An encoder that reorders frames starts each instance with `delay`
 * packets whose DTS lies before the segment's first PTS. The first
 * segment's DTS stay; every later segment gets what one encoder over the
 * whole clip would have written: packet K's DTS = the (K - delay)-th
 * smallest PTS of the clip, the first `delay` of them taken from the
 * previous segments' largest PTS. */
#ifndef VSR_MEDIA_SEGMENT_TIMING_H
#define VSR_MEDIA_SEGMENT_TIMING_H

#include <stdint.h>

#include "util/error.h"

/* The most frames of reordering delay a join can repair; x265 and x264
 * use 1 or 2 (B-pyramid). */
#define VSR_SEGMENT_MAX_DELAY 16

typedef struct vsr_segment_timing {
    int64_t segments;  /* segments planned */
    int64_t rewritten; /* DTS values changed */
    int delay;         /* the encoder's reordering delay in frames, from the first segment */
    int64_t last_dts;
    int have_last;
    int64_t tail_pts[VSR_SEGMENT_MAX_DELAY]; /* the largest PTS so far, ascending */
    int n_tail;
} vsr_segment_timing;

void vsr_segment_timing_init(vsr_segment_timing *t);

/* Plans the next segment: pts and dts are its n packets' timestamps in
 * decode order; dts is rewritten in place. Fails, changing nothing, when
 * the segment does not start after the previous one, its delay is more
 * than can be repaired, or the result would not be a valid track (DTS
 * strictly increasing, never after PTS); on success the state moves on. */
int vsr_segment_timing_plan(vsr_segment_timing *t, const int64_t *pts, int64_t *dts, int n,
                            vsr_error *err);

#endif
