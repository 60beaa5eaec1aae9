#include "server/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vsr_metrics_init(vsr_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
}

void vsr_metrics_destroy(vsr_metrics *m)
{
    pthread_mutex_destroy(&m->lock);
}

void vsr_metrics_request(vsr_metrics *m, const char *route, int http_status)
{
    pthread_mutex_lock(&m->lock);
    int i = 0;
    while (i < m->request_rows &&
           (strcmp(m->requests[i].route, route) || m->requests[i].status != http_status))
        i++;
    if (i == m->request_rows && i < (int)(sizeof m->requests / sizeof m->requests[0])) {
        m->requests[i].route = route;
        m->requests[i].status = http_status;
        m->request_rows++;
    }
    if (i < m->request_rows)
        m->requests[i].count++;
    pthread_mutex_unlock(&m->lock);
}

void vsr_metrics_job(vsr_metrics *m, vsr_job_outcome outcome)
{
    pthread_mutex_lock(&m->lock);
    m->jobs[outcome]++;
    pthread_mutex_unlock(&m->lock);
}

void vsr_metrics_error(vsr_metrics *m, vsr_status code)
{
    int k = -(int)code - 1;
    if (k < 0 || k >= VSR_METRICS_ERROR_KINDS)
        k = -(int)VSR_ERR_INTERNAL - 1;
    pthread_mutex_lock(&m->lock);
    m->errors[k]++;
    pthread_mutex_unlock(&m->lock);
}

void vsr_metrics_clip(vsr_metrics *m, int64_t frames, double wall_s,
                      const double stage_seconds[VSR_STAGE_COUNT])
{
    pthread_mutex_lock(&m->lock);
    m->clips_done++;
    m->frames += frames;
    m->clip_seconds += wall_s;
    m->last_fps = wall_s > 0 ? (double)frames / wall_s : 0;
    for (int s = 0; s < VSR_STAGE_COUNT; s++)
        m->stage_seconds[s] += stage_seconds[s];
    pthread_mutex_unlock(&m->lock);
}

/* Prometheus label values: the error names are ours, but escape anyway. */
static void put_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f);
        fputc(*v == '\n' ? ' ' : *v, f);
    }
}

char *vsr_metrics_render(vsr_metrics *m, int running, int waiting, long pending_deletions)
{
    static const char *const outcomes[VSR_OUTCOME_COUNT] = {"succeeded", "failed", "cancelled",
                                                            "rejected"};
    static const char *const stages[VSR_STAGE_COUNT] = {"download", "decode", "convert",
                                                        "infer",    "encode", "upload"};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    fprintf(f, "# HELP vsr_jobs_total Jobs by how they ended.\n# TYPE vsr_jobs_total counter\n");
    for (int o = 0; o < VSR_OUTCOME_COUNT; o++)
        fprintf(f, "vsr_jobs_total{outcome=\"%s\"} %lld\n", outcomes[o], (long long)m->jobs[o]);
    fprintf(f,
            "# HELP vsr_jobs Jobs now running or waiting.\n# TYPE vsr_jobs gauge\n"
            "vsr_jobs{state=\"running\"} %d\nvsr_jobs{state=\"queued\"} %d\n",
            running, waiting);
    fprintf(f,
            "# HELP vsr_queue_depth Jobs waiting for a runner.\n# TYPE vsr_queue_depth gauge\n"
            "vsr_queue_depth %d\n",
            waiting);
    fprintf(f,
            "# HELP vsr_clips_total Clips upscaled.\n# TYPE vsr_clips_total counter\n"
            "vsr_clips_total %lld\n",
            (long long)m->clips_done);
    fprintf(f,
            "# HELP vsr_frames_total Frames upscaled.\n# TYPE vsr_frames_total counter\n"
            "vsr_frames_total %lld\n",
            (long long)m->frames);
    fprintf(f,
            "# HELP vsr_clip_seconds_total Wall time of upscaled clips.\n"
            "# TYPE vsr_clip_seconds_total counter\nvsr_clip_seconds_total %.3f\n",
            m->clip_seconds);
    fprintf(f,
            "# HELP vsr_frames_per_second Frames per second of the last clip.\n"
            "# TYPE vsr_frames_per_second gauge\nvsr_frames_per_second %.3f\n",
            m->last_fps);
    fprintf(f, "# HELP vsr_stage_seconds_total Busy time by stage, summed over threads.\n"
               "# TYPE vsr_stage_seconds_total counter\n");
    for (int s = 0; s < VSR_STAGE_COUNT; s++)
        fprintf(f, "vsr_stage_seconds_total{stage=\"%s\"} %.3f\n", stages[s], m->stage_seconds[s]);
    fprintf(f, "# HELP vsr_errors_total Errors by kind.\n# TYPE vsr_errors_total counter\n");
    for (int k = 0; k < VSR_METRICS_ERROR_KINDS; k++) {
        fprintf(f, "vsr_errors_total{kind=\"");
        put_label(f, vsr_status_name((vsr_status)(-(k + 1))));
        fprintf(f, "\"} %lld\n", (long long)m->errors[k]);
    }
    fprintf(f, "# HELP vsr_http_requests_total Requests by route and status.\n"
               "# TYPE vsr_http_requests_total counter\n");
    for (int i = 0; i < m->request_rows; i++) {
        fprintf(f, "vsr_http_requests_total{route=\"");
        put_label(f, m->requests[i].route);
        fprintf(f, "\",status=\"%d\"} %lld\n", m->requests[i].status,
                (long long)m->requests[i].count);
    }
    fprintf(f,
            "# HELP vsr_pending_deletions Uploaded objects waiting for deletion.\n"
            "# TYPE vsr_pending_deletions gauge\nvsr_pending_deletions %ld\n",
            pending_deletions);
    pthread_mutex_unlock(&m->lock);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
