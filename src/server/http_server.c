#include "server/http_server.h"
#include "server/conn_guard.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
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
    vsr_conn_guard *guard; /* whole-request time limits */
};

/* The guard's record of a connection (its socket context). */
static vsr_conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    vsr_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* Before libmicrohttpd closes the socket: see conn_guard.h. */
        vsr_conn_guard_closed(h->guard, *socket_context);
        *socket_context = NULL;
        return;
    }
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
    *socket_context = fd ? vsr_conn_guard_opened(h->guard, fd->connect_fd, peer) : NULL;
}

/* One request's state, from its headers to its completion. */
typedef struct request {
    char *body;
    size_t len, cap;
    int reject_status;
    const char *reject_reason;
    double started; /* vsr_now_s() */
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

static int token_ok(const vsr_http *h, struct MHD_Connection *conn)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    const char *given = auth + 7;
    size_t n = strlen(h->token);
    /* Constant time over the expected length: the comparison must not
     * tell how many leading characters were right. */
    return strlen(given) == n && CRYPTO_memcmp(given, h->token, n) == 0;
}

static enum MHD_Result respond(vsr_http *h, struct MHD_Connection *conn, const char *method,
                               const char *path, request *r)
{
    vsr_conn_guard_phase(h->guard, track_of(conn), VSR_CONN_HANDLING);
    vsr_http_call call = {
        .method = method,
        .path = path,
        .body = r->body ? r->body : "",
        .body_len = r->len,
        .reject_status = r->reject_status,
        .reject_reason = r->reject_reason,
        .client_connected = client_connected,
        .conn = conn,
    };
    vsr_http_reply reply = {0};
    h->handler(h->opaque, &call, &reply);
    if (!reply.body || !reply.status) {
        free(reply.body);
        return MHD_NO; /* the handler could not even build an answer: drop */
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(reply.body), reply.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(reply.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            reply.content_type ? reply.content_type : "application/json");
    if (reply.status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)reply.status, resp);
    MHD_destroy_response(resp);
    /* The access log: one line a request. */
    vsr_logf(NULL, VSR_LOG_INFO, "serve", "%s %s %d %.3f s", method, path, reply.status,
             vsr_now_s() - r->started);
    return ret;
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
        if (h->token && !(h->open_path && !strcmp(url, h->open_path)) && !token_ok(h, conn)) {
            r->reject_status = 401;
            r->reject_reason = "missing or wrong bearer token (Authorization: Bearer ...)";
        } else if (cl && strtoll(cl, NULL, 10) > h->opt.max_body_bytes) {
            r->reject_status = 413;
            r->reject_reason = "request body over the limit";
        }
        if (r->reject_status) /* answered before the body: nobody reads it */
            return respond(h, conn, method, url, r);
        return MHD_YES;
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
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
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
    int st = vsr_conn_guard_start(opt->header_timeout_s, opt->timeout_s, &h->guard, err);
    if (st < 0) {
        vsr_http_stop(h);
        return st;
    }
    h->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)opt->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opt->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
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
    vsr_conn_guard_stop(h->guard); /* after every connection has closed */
    free(h->token);
    free(h->open_path);
    free(h);
}
