#include "pipeline/schedule.h"

#include <string.h>

int vsr_schedule_parse(const char *name, vsr_schedule_kind *kind, vsr_error *err)
{
    if (!strcmp(name, "dynamic"))
        *kind = VSR_SCHEDULE_DYNAMIC;
    else if (!strcmp(name, "chunked"))
        *kind = VSR_SCHEDULE_CHUNKED;
    else
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "unknown schedule '%s' (expected dynamic or chunked)", name);
    return VSR_OK;
}

const char *vsr_schedule_name(vsr_schedule_kind kind)
{
    return kind == VSR_SCHEDULE_CHUNKED ? "chunked" : "dynamic";
}

int vsr_schedule_init(vsr_schedule *s, vsr_schedule_kind kind, int workers, int64_t chunk_frames,
                      int max_in_flight, int64_t frames_estimate, vsr_error *err)
{
    if (workers < 1 || workers > 256)
        return vsr_error_set(err, VSR_ERR_INVALID, "workers must be 1 to 256, not %d", workers);
    if (chunk_frames < 0 || max_in_flight < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "chunk size and queue depth must be >= 0");
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->workers = workers;
    if (kind == VSR_SCHEDULE_DYNAMIC) {
        s->queues = 1;
        s->chunk = 1;
        /* One frame being worked on and one waiting per worker, plus the
         * one being decoded and the one being encoded. */
        s->max_in_flight = max_in_flight ? max_in_flight : 2 * workers + 2;
    } else {
        s->queues = workers;
        if (chunk_frames > 0)
            s->chunk = chunk_frames;
        else if (frames_estimate > 0)
            s->chunk = (frames_estimate + workers - 1) / workers;
        else
            s->chunk = VSR_DEFAULT_CHUNK_FRAMES;
        /* A worker can only start its run once the runs before it are
         * decoded, so keeping all N busy takes N runs in flight, plus one
         * more per worker to cover the next run while the encoder drains. */
        int64_t need = s->chunk * workers + workers + 2;
        s->max_in_flight = max_in_flight ? max_in_flight : (int)(need > 1 << 20 ? 1 << 20 : need);
    }
    return VSR_OK;
}

int vsr_schedule_queue(const vsr_schedule *s, int64_t i)
{
    if (s->kind == VSR_SCHEDULE_DYNAMIC)
        return 0;
    return (int)((i / s->chunk) % s->workers);
}
