/* How frames are handed to workers (DESIGN.md §1).
 *
 * dynamic: one queue; the next free worker takes the next frame. Workers
 *   never idle while frames wait, and the reorder window stays about one
 *   frame per worker.
 * chunked: worker w gets contiguous runs of chunk frames: frames
 *   [k*chunk, (k+1)*chunk) go to worker k mod N. With chunk = ceil(frames /
 *   N) this is exactly the seed's prescription (one contiguous range per
 *   worker); it then needs the whole clip in flight to keep every worker
 *   busy, which is why the default chunk is small. */
#ifndef VSR_PIPELINE_SCHEDULE_H
#define VSR_PIPELINE_SCHEDULE_H

#include <stdint.h>

#include "util/error.h"

typedef enum vsr_schedule_kind {
    VSR_SCHEDULE_DYNAMIC,
    VSR_SCHEDULE_CHUNKED,
} vsr_schedule_kind;

#define VSR_DEFAULT_CHUNK_FRAMES 8

typedef struct vsr_schedule {
    vsr_schedule_kind kind;
    int workers;
    int64_t chunk;     /* chunked: frames per run */
    int queues;        /* 1 (dynamic) or workers (chunked) */
    int max_in_flight; /* frames decoded and not yet encoded */
} vsr_schedule;

int vsr_schedule_parse(const char *name, vsr_schedule_kind *kind, vsr_error *err);
const char *vsr_schedule_name(vsr_schedule_kind kind);

/* Fills s. chunk_frames: 0 = the seed's one range per worker, from
 * frames_estimate (VSR_DEFAULT_CHUNK_FRAMES when that is unknown);
 * max_in_flight 0 = enough to keep every worker busy. */
int vsr_schedule_init(vsr_schedule *s, vsr_schedule_kind kind, int workers, int64_t chunk_frames,
                      int max_in_flight, int64_t frames_estimate, vsr_error *err);

/* The queue frame i goes to. */
int vsr_schedule_queue(const vsr_schedule *s, int64_t i);

#endif
