/* The HTTP transport of `vsr serve` on libmicrohttpd: binds, enforces the
 * limits (connections, body size, time to send the body), checks the
 * bearer token, collects the body, hands each complete request to one
 * handler and sends back what it answers. What the routes mean is the
 * handler's (api.c); rejections decided here (401, 413) still go through
 * the handler, so that every endpoint's error body keeps its own fields.
 *
 * Each connection gets a thread of its own (libmicrohttpd's thread per
 * connection mode, bounded by max_connections and, per client address, by
 * max_connections_per_ip; a connection that takes too long to send its
 * headers or body is closed, server/conn_guard.h): an upscaling request
 * blocks its thread until its job ends, which a shared pool of polling
 * threads would turn into stalls for every other connection on it. */
#ifndef VSR_SERVER_HTTP_SERVER_H
#define VSR_SERVER_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vsr_http_options {
    const char *host; /* numeric IPv4 or IPv6 address */
    int port;         /* 0 = any free port */
    int max_connections;
    int max_connections_per_ip; /* one client address's share; 0 = no limit */
    int64_t max_body_bytes;
    int timeout_s;         /* idle connections, and the time to send a whole body */
    int header_timeout_s;  /* the time to send a request's headers (server/conn_guard.h) */
    const char *token;     /* bearer token; NULL = none */
    const char *open_path; /* a path served without the token (/health); NULL = none */
} vsr_http_options;

typedef struct vsr_http_call {
    const char *method, *path;
    const char *body; /* NUL-terminated; body_len bytes */
    size_t body_len;
    int reject_status; /* 0, or 401/413 decided by the transport */
    const char *reject_reason;
    /* Whether the client is still connected (it may have hung up while
     * its job ran). */
    int (*client_connected)(void *conn);
    void *conn;
} vsr_http_call;

typedef struct vsr_http_reply {
    int status;
    char *body;               /* malloc'd; the transport frees it */
    const char *content_type; /* a literal */
} vsr_http_reply;

typedef void (*vsr_http_handler)(void *opaque, const vsr_http_call *call, vsr_http_reply *reply);

typedef struct vsr_http vsr_http;

int vsr_http_start(const vsr_http_options *opt, vsr_http_handler handler, void *opaque,
                   vsr_http **out, vsr_error *err);

/* The port bound (useful with port 0). */
int vsr_http_port(const vsr_http *h);

/* Stops accepting connections; requests in progress go on. */
void vsr_http_quiesce(vsr_http *h);

/* Closes every connection, joining their threads; requests in progress
 * must be able to end (their jobs cancelled) first. */
void vsr_http_stop(vsr_http *h);

#endif
