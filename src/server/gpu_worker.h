/* validator-vidaio's remote GPU transform worker in `vsr serve`
 * (protocol vidaio-next-gpu-transform/v1; gpu_transform.h holds the
 * contract, docs/gpu-worker.md describes it):
 *
 *   POST /process  x-vidaio-gpu-metadata (base64url JSON) + the raw input
 *                  -> 200 video/mp4 with the binding headers, or a short
 *                  text/plain error
 *   GET /healthz   -> {"gpu_available", "protocol", ...}
 *
 * Both need the bearer token (gpu_token, else token). The body of
 * /process is streamed to a scratch file of its own under tmp_dir while
 * it is hashed, bounded by the metadata's input_size (Content-Length must
 * equal it) and gpu_max_input_bytes; the work runs as a job of the
 * server's queue (429 when full), within deadline_seconds, and every
 * scratch file is gone before the reply's first byte. */
#ifndef VSR_SERVER_GPU_WORKER_H
#define VSR_SERVER_GPU_WORKER_H

#include "server/http_server.h"
#include "server/job_queue.h"
#include "server/upscale_job.h"

typedef struct vsr_gpu_worker vsr_gpu_worker;

/* services and queue are the server's and outlive the worker. */
int vsr_gpu_worker_create(const vsr_job_services *services, vsr_job_queue *queue,
                          vsr_gpu_worker **out, vsr_error *err);
void vsr_gpu_worker_destroy(vsr_gpu_worker *w);

/* The paths the worker answers (NULL-terminated): the transport checks
 * them against the worker's token. */
extern const char *const vsr_gpu_worker_paths[];

/* Whether path is one of them. */
int vsr_gpu_worker_owns(const char *path);

/* Requests admitted whose input is still arriving (not yet jobs): a
 * draining server waits for them too. */
int vsr_gpu_worker_uploading(vsr_gpu_worker *w);

/* POST /process as a streamed route of the transport. */
const vsr_http_stream *vsr_gpu_worker_stream(vsr_gpu_worker *w);

/* Everything else on the worker's paths: GET /healthz, a wrong method, a
 * request the transport refused (401). */
void vsr_gpu_worker_handle(vsr_gpu_worker *w, const vsr_http_call *call, vsr_http_reply *reply);

#endif
