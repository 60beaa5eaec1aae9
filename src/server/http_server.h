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
 * threads would turn into stalls for every other connection on it.
 *
 * Also: HTTPS (GnuTLS, the certificate reloadable: tls_creds.h), one
 * streamed route whose body goes to its handler piece by piece (a video
 * upload), replies from a file with extra headers, and paths with a token
 * of their own (the GPU worker's). */
#ifndef VSR_SERVER_HTTP_SERVER_H
#define VSR_SERVER_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vsr_http_stream vsr_http_stream;

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
    /* Paths checked against alt_token instead of token (NULL-terminated;
     * NULL = none); with alt_token NULL their handler decides. */
    const char *const *alt_token_paths;
    const char *alt_token;
    /* A route whose body is streamed to it instead of collected (and not
     * bound by max_body_bytes: the route bounds it); NULL = none. */
    const vsr_http_stream *stream;
    /* HTTPS: the certificate (chain) and key PEM files; both NULL = plain
     * HTTP. vsr_http_reload_tls reads them again. */
    const char *tls_cert, *tls_key;
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
    /* A request header's value (case-insensitive name), or NULL. */
    const char *(*header)(void *conn, const char *name);
    void *conn;
} vsr_http_call;

/* The still_wanted callback of vsr_job_queue_wait for a job a request waits
 * on: whether the client of call (a const vsr_http_call *) is still
 * connected, so that a job nobody waits for any more is cancelled. */
int vsr_http_call_still_wanted(void *call);

#define VSR_HTTP_MAX_REPLY_HEADERS 12

typedef struct vsr_http_header {
    const char *name; /* a literal */
    char value[160];
} vsr_http_header;

typedef struct vsr_http_reply {
    int status;
    char *body;               /* malloc'd; the transport frees it */
    const char *content_type; /* a literal */
    /* Instead of body: the content of an open file, body_fd_size bytes
     * from its start; the transport closes it. */
    int has_body_fd;
    int body_fd;
    uint64_t body_fd_size;
    vsr_http_header headers[VSR_HTTP_MAX_REPLY_HEADERS]; /* extra headers */
    int n_headers;
} vsr_http_reply;

/* Adds a header to a reply (silently dropped past the maximum). */
void vsr_http_reply_header(vsr_http_reply *reply, const char *name, const char *value);

typedef void (*vsr_http_handler)(void *opaque, const vsr_http_call *call, vsr_http_reply *reply);

/* A streamed route (POST of a video): its body goes to data() as it
 * arrives, never into memory whole. */
struct vsr_http_stream {
    const char *method, *path;
    void *opaque;
    /* The headers are in (the token checked). Returns the request's state,
     * or NULL with *reply set: the answer, sent without reading the body. */
    void *(*begin)(void *opaque, const vsr_http_call *call, vsr_http_reply *reply);
    /* The next piece of the body; nonzero drops the connection. */
    int (*data)(void *state, const char *buf, size_t n);
    /* The whole body is in: the answer. */
    void (*end)(void *state, const vsr_http_call *call, vsr_http_reply *reply);
    /* The request is over, answered or not (the client may have hung up
     * mid-body): frees state. */
    void (*done)(void *state);
};

typedef struct vsr_http vsr_http;

int vsr_http_start(const vsr_http_options *opt, vsr_http_handler handler, void *opaque,
                   vsr_http **out, vsr_error *err);

/* The port bound (useful with port 0). */
int vsr_http_port(const vsr_http *h);

/* HTTPS: reads the certificate and key files again and uses them for the
 * next handshakes; on failure the old ones stay. VSR_ERR_INVALID when the
 * server is plain HTTP. */
int vsr_http_reload_tls(vsr_http *h, vsr_error *err);

/* Requests being received or answered (until the answer's last byte is
 * sent): vsr_conn_guard_busy. */
int vsr_http_requests_in_flight(vsr_http *h);

/* Stops accepting connections; requests in progress go on. */
void vsr_http_quiesce(vsr_http *h);

/* Closes every connection, joining their threads; requests in progress
 * must be able to end (their jobs cancelled) first. */
void vsr_http_stop(vsr_http *h);

#endif
