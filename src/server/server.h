/* `vsr serve` as a library: starts the pieces in order (storage, pending
 * deletions, models, job queue, HTTP), stops them in reverse. Tests start
 * it on port 0 in their own process. */
#ifndef VSR_SERVER_SERVER_H
#define VSR_SERVER_SERVER_H

#include "server/server_config.h"
#include "util/error.h"

typedef struct vsr_server vsr_server;

/* cfg must be validated and outlive the server. */
int vsr_server_start(const vsr_server_config *cfg, vsr_server **out, vsr_error *err);

/* The port the server listens on. */
int vsr_server_port(const vsr_server *s);

/* HTTPS: reads the certificate and key files again (SIGHUP); the old
 * ones stay in use when that fails. */
int vsr_server_reload_tls(vsr_server *s, vsr_error *err);

/* Draining, for a rolling restart behind a load balancer (SIGTERM):
 * /health and /healthz answer 503 "draining", new jobs are refused with
 * 503, and the jobs already queued or running go on. Returns at once;
 * vsr_server_jobs() tells when they have ended. */
void vsr_server_drain(vsr_server *s);

/* Jobs queued or running now. */
int vsr_server_jobs(vsr_server *s);

/* Requests being received or answered now: a drain waits for these too,
 * or a job that has just ended would lose its reply to the stop. */
int vsr_server_requests(vsr_server *s);

/* Stops taking connections, cancels the jobs, waits for them and closes
 * everything. Pending deletions stay on disk for the next start. */
void vsr_server_stop(vsr_server *s);

#endif
