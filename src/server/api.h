/* The endpoints of `vsr serve` (DESIGN.md §5):
 *   POST /upscale-video  legacy: {payload_url, task_type} -> {uploaded_video_url}
 *   POST /upscale        current: {video_path or video_paths, output_paths?, scale,
 *                        task_id?, model?, codec?, cq?} -> {task_id, output_path,
 *                        output_url, output_paths, output_urls, errors, success, error,
 *                        queue_position, active_tasks, queued_tasks}
 *   POST /compress       vidaio-subnet's compression service (compress_api.h)
 *   GET /health, GET /queue, GET /metrics
 *   POST /process, GET /healthz: the remote GPU transform worker (gpu_worker.h)
 * Requests are checked field by field (400 naming the field), refused
 * while another request writes one of their output_paths (409), queued (429
 * when full), and answered when their job has ended; every error body
 * keeps the endpoint's own fields and adds "error". */
#ifndef VSR_SERVER_API_H
#define VSR_SERVER_API_H

#include "server/gpu_worker.h"
#include "server/http_server.h"
#include "server/job_queue.h"
#include "server/output_claims.h"
#include "server/upscale_job.h"

typedef struct vsr_api {
    vsr_job_services services;
    vsr_job_queue *queue;
    vsr_output_claims *claims; /* the output_paths of the jobs in progress */
    const char *backend_name;  /* for /health */
    vsr_gpu_worker *gpu;       /* answers its own paths (gpu_worker.h) */
} vsr_api;

/* The vsr_http_handler of the server; opaque is a vsr_api. */
void vsr_api_handle(void *opaque, const vsr_http_call *call, vsr_http_reply *reply);

#endif
