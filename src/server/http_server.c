#include "server/http_server.h"
#include "server/conn_guard.h"
#include "server/tls_creds.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct vsr_http {
    struct MHD_Daemon *daemon;
    vsr_http_options opt;
    char *token; /* copies: the options' strings may not outlive start */
    char *open_path;
    vsr_http_handler handler;
    void *opaque;
    int port;
    vsr_tls_creds *tls;    /* NULL: plain HTTP */
    vsr_conn_guard *guard; /* whole-request time limits */
};

/* A connection's socket context: its server, so that the certificate
 * callback, which libmicrohttpd calls with the TLS session alone (whose
 * pointer is the connection), finds the credentials; and the guard's record
 * of it. Set before the connection's thread starts its handshake. */
typedef struct connection_ctx {
    vsr_http *h;
    vsr_conn_track *track; /* NULL: unguarded (out of memory) */
} connection_ctx;

static connection_ctx *ctx_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    return ci ? ci->socket_context : NULL;
}

static vsr_conn_track *track_of(struct MHD_Connection *conn)
{
    connection_ctx *ctx = ctx_of(conn);
    return ctx ? ctx->track : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    vsr_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        connection_ctx *ctx = *socket_context;
        /* Before libmicrohttpd closes the socket: see conn_guard.h. */
        if (ctx)
            vsr_conn_guard_closed(h->guard, ctx->track);
        free(ctx);
        *socket_context = NULL;
        return;
    }
    connection_ctx *ctx = calloc(1, sizeof *ctx);
    *socket_context = ctx;
    if (!ctx)
        return; /* unguarded, and a TLS handshake fails */
    ctx->h = h;
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[64] = "?";
    if (ad && ad->client_addr) {
        const struct sockaddr *sa = ad->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
    }
    ctx->track = fd ? vsr_conn_guard_opened(h->guard, fd->connect_fd, peer) : NULL;
}

/* One request's state, from its headers to its completion. */
typedef struct request {
    char *body;
    size_t len, cap;
    int reject_status;
    const char *reject_reason;
    double started; /* vsr_now_s() */
    void *stream;   /* a streamed route's state (vsr_http_stream) */
} request;

/* A hung-up client shows as end-of-file on its socket; a client that
 * pipelines a next request shows as data, and one that only waits shows
 * as nothing to read. */
static int client_connected(void *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    char b;
    ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return 1;
    if (n == 0)
        return 0;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

int vsr_http_call_still_wanted(void *call)
{
    const vsr_http_call *c = call;
    return c->client_connected(c->conn);
}

static const char *header_value(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

void vsr_http_reply_header(vsr_http_reply *reply, const char *name, const char *value)
{
    if (reply->n_headers >= VSR_HTTP_MAX_REPLY_HEADERS)
        return;
    vsr_http_header *hd = &reply->headers[reply->n_headers++];
    hd->name = name;
    snprintf(hd->value, sizeof hd->value, "%s", value);
}

/* The token a path needs: the alternative one on its paths, else the main. */
static const char *token_for(const vsr_http *h, const char *path)
{
    for (const char *const *p = h->opt.alt_token_paths; p && *p; p++)
        if (!strcmp(*p, path))
            return h->opt.alt_token;
    return h->token;
}

static int token_ok(const char *token, struct MHD_Connection *conn)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    const char *given = auth + 7;
    size_t n = strlen(token);
    /* Constant time over the expected length: the comparison must not
     * tell how many leading characters were right. */
    return strlen(given) == n && CRYPTO_memcmp(given, token, n) == 0;
}

static int is_stream(const vsr_http *h, const char *method, const char *path)
{
    const vsr_http_stream *st = h->opt.stream;
    return st && !strcmp(st->method, method) && !strcmp(st->path, path);
}

static vsr_http_call make_call(struct MHD_Connection *conn, const char *method, const char *path,
                               const request *r)
{
    return (vsr_http_call){
        .method = method,
        .path = path,
        .body = r->body ? r->body : "",
        .body_len = r->len,
        .reject_status = r->reject_status,
        .reject_reason = r->reject_reason,
        .client_connected = client_connected,
        .header = header_value,
        .conn = conn,
    };
}

/* Sends what a handler answered (a buffer or a file, and its headers). */
static enum MHD_Result send_reply(struct MHD_Connection *conn, const char *method, const char *path,
                                  const request *r, vsr_http_reply *reply)
{
    struct MHD_Response *resp = NULL;
    if (reply->has_body_fd && reply->status) {
        resp = MHD_create_response_from_fd64(reply->body_fd_size, reply->body_fd);
        if (!resp)
            close(reply->body_fd);
        free(reply->body);
    } else if (reply->body && reply->status) {
        resp = MHD_create_response_from_buffer(strlen(reply->body), reply->body,
                                               MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(reply->body);
    } else {
        free(reply->body); /* the handler could not even build an answer */
        if (reply->has_body_fd)
            close(reply->body_fd);
    }
    if (!resp)
        return MHD_NO; /* drop */
    MHD_add_response_header(resp, "Content-Type",
                            reply->content_type ? reply->content_type : "application/json");
    if (reply->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    for (int i = 0; i < reply->n_headers; i++)
        MHD_add_response_header(resp, reply->headers[i].name, reply->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)reply->status, resp);
    MHD_destroy_response(resp);
    /* The access log: one line a request. */
    vsr_logf(NULL, VSR_LOG_INFO, "serve", "%s %s %d %.3f s", method, path, reply->status,
             vsr_now_s() - r->started);
    return ret;
}

static enum MHD_Result respond(vsr_http *h, struct MHD_Connection *conn, const char *method,
                               const char *path, request *r)
{
    vsr_conn_guard_phase(h->guard, track_of(conn), VSR_CONN_HANDLING);
    vsr_http_call call = make_call(conn, method, path, r);
    vsr_http_reply reply = {0};
    h->handler(h->opaque, &call, &reply);
    return send_reply(conn, method, path, r, &reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    vsr_http *h = cls;
    (void)version;
    request *r = *con_cls;
    if (!r) {
        /* The headers are in: decide what can be decided before the body. */
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->started = vsr_now_s();
        *con_cls = r;
        vsr_conn_guard_phase(h->guard, track_of(conn), VSR_CONN_BODY);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *token = token_for(h, url);
        int stream = is_stream(h, method, url);
        if (token && !(h->open_path && !strcmp(url, h->open_path)) && !token_ok(token, conn)) {
            r->reject_status = 401;
            r->reject_reason = "missing or wrong bearer token (Authorization: Bearer ...)";
        } else if (!stream && cl && strtoll(cl, NULL, 10) > h->opt.max_body_bytes) {
            r->reject_status = 413;
            r->reject_reason = "request body over the limit";
        }
        if (r->reject_status) /* answered before the body: nobody reads it */
            return respond(h, conn, method, url, r);
        if (stream) {
            /* The route bounds a streamed body's time, not the guard. */
            vsr_conn_guard_phase(h->guard, track_of(conn), VSR_CONN_HANDLING);
            vsr_http_call call = make_call(conn, method, url, r);
            vsr_http_reply reply = {0};
            if (!(r->stream = h->opt.stream->begin(h->opt.stream->opaque, &call, &reply)))
                return send_reply(conn, method, url, r, &reply);
        }
        return MHD_YES;
    }
    if (r->stream) {
        /* A streamed body: the route bounds its size and its time. */
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            return h->opt.stream->data(r->stream, upload_data, n) ? MHD_NO : MHD_YES;
        }
        vsr_http_call call = make_call(conn, method, url, r);
        vsr_http_reply reply = {0};
        h->opt.stream->end(r->stream, &call, &reply);
        return send_reply(conn, method, url, r, &reply);
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (vsr_now_s() - r->started > h->opt.timeout_s)
            return MHD_NO; /* a body trickling in for ever holds a thread: drop it */
        if (r->reject_status)
            return MHD_YES; /* over the limit (chunked): read and discard */
        if (r->len + n > (size_t)h->opt.max_body_bytes) {
            r->reject_status = 413;
            r->reject_reason = "request body over the limit";
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    return respond(h, conn, method, url, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    vsr_http *h = cls;
    (void)toe;
    /* A kept-alive connection waits for its next request's headers. */
    vsr_conn_guard_phase(h->guard, track_of(conn), VSR_CONN_HEADERS);
    request *r = *con_cls;
    if (r) {
        if (r->stream)
            h->opt.stream->done(r->stream);
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

/* gnutls_certificate_retrieve_function2: the server's current certificate
 * (tls_creds.h says why a callback). */
static int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                        gnutls_pcert_st **pcert, unsigned int *pcert_length,
                        gnutls_privkey_t *privkey)
{
    (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    connection_ctx *ctx = ctx_of(gnutls_session_get_ptr(session));
    vsr_http *h = ctx ? ctx->h : NULL;
    if (!h || !h->tls)
        return -1;
    vsr_tls_creds_current(h->tls, pcert, pcert_length, privkey);
    return 0;
}

int vsr_http_reload_tls(vsr_http *h, vsr_error *err)
{
    if (!h->tls)
        return vsr_error_set(err, VSR_ERR_INVALID, "the server is not serving HTTPS");
    int st = vsr_tls_creds_reload(h->tls, err);
    if (st == VSR_OK) {
        char about[256];
        vsr_tls_creds_describe(h->tls, about, sizeof about);
        vsr_logf(NULL, VSR_LOG_INFO, "serve", "TLS certificate reloaded: %s", about);
    }
    return st;
}

int vsr_http_start(const vsr_http_options *opt, vsr_http_handler handler, void *opaque,
                   vsr_http **out, vsr_error *err)
{
    *out = NULL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC; /* MHD_quiesce_daemon needs it */
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, opt->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)opt->port);
    } else if (inet_pton(AF_INET6, opt->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)opt->port);
        flags |= MHD_USE_IPv6;
    } else {
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "listen address '%s' is not a numeric IPv4 or IPv6 address",
                             opt->host);
    }
    vsr_http *h = calloc(1, sizeof *h);
    if (!h)
        return vsr_error_set(err, VSR_ERR_NOMEM, "http: out of memory");
    h->opt = *opt;
    h->handler = handler;
    h->opaque = opaque;
    if ((opt->token && !(h->token = strdup(opt->token))) ||
        (opt->open_path && !(h->open_path = strdup(opt->open_path)))) {
        vsr_http_stop(h);
        return vsr_error_set(err, VSR_ERR_NOMEM, "http: out of memory");
    }
    if (!!opt->tls_cert != !!opt->tls_key) {
        vsr_http_stop(h);
        return vsr_error_set(err, VSR_ERR_INVALID, "HTTPS needs both a certificate and a key");
    }
    if (opt->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES) {
            vsr_http_stop(h);
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "this libmicrohttpd was built without TLS (GnuTLS)");
        }
        int st = vsr_tls_creds_create(opt->tls_cert, opt->tls_key, &h->tls, err);
        if (st < 0) {
            vsr_http_stop(h);
            return st;
        }
        flags |= MHD_USE_TLS;
    }
    int st = vsr_conn_guard_start(opt->header_timeout_s, opt->timeout_s, &h->guard, err);
    if (st < 0) {
        vsr_http_stop(h);
        return st;
    }
    /* The GPU worker's metadata header alone may be 21,848 bytes: room for
     * it and the other headers (libmicrohttpd's default is 32 KiB). */
    const size_t memory_limit = 96 * 1024;
    struct MHD_OptionItem tls_options[] = {
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_retrieve},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem no_options[] = {{MHD_OPTION_END, 0, NULL}};
    h->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)opt->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opt->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit, MHD_OPTION_ARRAY,
        h->tls ? tls_options : no_options, MHD_OPTION_END);
    if (!h->daemon) {
        int e = errno;
        vsr_http_stop(h);
        return vsr_error_set(err, VSR_ERR_IO, "http: cannot listen on %s port %d: %s", opt->host,
                             opt->port, e ? strerror(e) : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (!di || getsockname(di->listen_fd, (struct sockaddr *)&bound, &blen) != 0) {
        vsr_http_stop(h);
        return vsr_error_set(err, VSR_ERR_IO, "http: cannot read the bound port");
    }
    h->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    *out = h;
    return VSR_OK;
}

int vsr_http_port(const vsr_http *h)
{
    return h->port;
}

int vsr_http_requests_in_flight(vsr_http *h)
{
    return vsr_conn_guard_busy(h->guard);
}

void vsr_http_quiesce(vsr_http *h)
{
    if (h && h->daemon) {
        MHD_socket fd = MHD_quiesce_daemon(h->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
}

void vsr_http_stop(vsr_http *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    vsr_tls_creds_destroy(h->tls);
    vsr_conn_guard_stop(h->guard); /* after every connection has closed */
    free(h->token);
    free(h->open_path);
    free(h);
}
