/* Time limits on whole requests, not only on silence (issue 20).
 * libmicrohttpd's connection timeout counts idle time: a client that sends
 * one header line every 2 s, on each of max_connections connections, held
 * every slot for as long as it liked, and /health went unanswered. The
 * guard follows each connection through its phases and shuts down the
 * socket of one that overstays its phase:
 *   - VSR_CONN_HEADERS: waiting for a request's headers (the first, or the
 *     next one on a kept-alive connection): header_timeout_s;
 *   - VSR_CONN_BODY: receiving the body, from the end of the headers:
 *     body_timeout_s;
 *   - VSR_CONN_HANDLING: being answered: no limit here (a job has its own
 *     deadline, and a waiting request holds its connection by design).
 * Shutting the socket down wakes the connection's thread, which closes
 * the connection. The transport calls opened/phase/closed from its
 * connection callbacks; closed must come before the socket is closed
 * (libmicrohttpd's MHD_CONNECTION_NOTIFY_CLOSED does), so that the guard
 * never shuts down a descriptor that has been reused. Thread-safe. */
#ifndef VSR_SERVER_CONN_GUARD_H
#define VSR_SERVER_CONN_GUARD_H

#include "util/error.h"

typedef enum vsr_conn_phase {
    VSR_CONN_HEADERS,
    VSR_CONN_BODY,
    VSR_CONN_HANDLING,
} vsr_conn_phase;

typedef struct vsr_conn_guard vsr_conn_guard;
typedef struct vsr_conn_track vsr_conn_track; /* one connection */

/* Starts the thread that enforces the limits (checked 4 times a second). */
int vsr_conn_guard_start(double header_timeout_s, double body_timeout_s, vsr_conn_guard **out,
                         vsr_error *err);

/* Joins the thread; every connection must have been closed. NULL is allowed. */
void vsr_conn_guard_stop(vsr_conn_guard *g);

/* A new connection on socket fd from peer (text for the log), in phase
 * HEADERS. NULL when out of memory: the connection then goes unguarded. */
vsr_conn_track *vsr_conn_guard_opened(vsr_conn_guard *g, int fd, const char *peer);

/* The connection enters phase; its clock restarts. t may be NULL. */
void vsr_conn_guard_phase(vsr_conn_guard *g, vsr_conn_track *t, vsr_conn_phase phase);

/* Connections in the middle of a request: its body, or its answer until
 * the last byte is sent (the transport's completion moves it back to
 * HEADERS). What a draining server waits for, so that it does not stop
 * between a job's end and its reply. */
int vsr_conn_guard_busy(vsr_conn_guard *g);

/* The connection is closing; t is freed. t may be NULL. */
void vsr_conn_guard_closed(vsr_conn_guard *g, vsr_conn_track *t);

#endif
