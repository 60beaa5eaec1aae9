/* The server's counters, rendered in the Prometheus text format for
 * GET /metrics. Updated from connection and runner threads under one lock:
 * a few increments per request, never on a per-frame path. */
#ifndef VSR_SERVER_METRICS_H
#define VSR_SERVER_METRICS_H

#include <pthread.h>
#include <stdint.h>

#include "util/error.h"

/* How a job ended. */
typedef enum vsr_job_outcome {
    VSR_OUTCOME_SUCCEEDED,
    VSR_OUTCOME_FAILED,
    VSR_OUTCOME_CANCELLED,
    VSR_OUTCOME_REJECTED, /* never queued: queue full */
    VSR_OUTCOME_COUNT
} vsr_job_outcome;

/* The stages a clip's time is spent in. */
typedef enum vsr_stage {
    VSR_STAGE_DOWNLOAD,
    VSR_STAGE_DECODE,
    VSR_STAGE_CONVERT,
    VSR_STAGE_INFER,
    VSR_STAGE_ENCODE,
    VSR_STAGE_UPLOAD,
    VSR_STAGE_COUNT
} vsr_stage;

#define VSR_METRICS_ERROR_KINDS 11 /* -vsr_status: VSR_ERR_INVALID (-1)..VSR_ERR_REFUSED (-11) */
#define VSR_METRICS_MAX_ROUTES 16

typedef struct vsr_metrics {
    pthread_mutex_t lock;
    int64_t jobs[VSR_OUTCOME_COUNT];
    int64_t clips_done;
    int64_t frames;
    double clip_seconds;
    double last_fps; /* frames per second of wall time, the last clip */
    double stage_seconds[VSR_STAGE_COUNT];
    int64_t errors[VSR_METRICS_ERROR_KINDS];
    struct {
        const char *route; /* a static string */
        int status;
        int64_t count;
    } requests[VSR_METRICS_MAX_ROUTES * 8];
    int request_rows;
} vsr_metrics;

void vsr_metrics_init(vsr_metrics *m);
void vsr_metrics_destroy(vsr_metrics *m);

/* route must be a string that lives as long as m (a literal). */
void vsr_metrics_request(vsr_metrics *m, const char *route, int http_status);
void vsr_metrics_job(vsr_metrics *m, vsr_job_outcome outcome);
void vsr_metrics_error(vsr_metrics *m, vsr_status code);
void vsr_metrics_clip(vsr_metrics *m, int64_t frames, double wall_s,
                      const double stage_seconds[VSR_STAGE_COUNT]);

/* The text of GET /metrics (malloc'd), with the live gauges given. */
char *vsr_metrics_render(vsr_metrics *m, int running, int waiting, long pending_deletions);

#endif
