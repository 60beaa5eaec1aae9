/* S3 client: PUT a file, DELETE an object, presign a GET (server/s3_client.h).
 *
 * Why requests are signed here (server/sigv4.c) and not by libcurl's
 * CURLOPT_AWS_SIGV4: checked against a capturing server, Debian 12's
 * libcurl 7.88.1 sends a streamed PUT (CURLOPT_UPLOAD) without the
 * x-amz-content-sha256 header that S3 requires; given that header
 * (UNSIGNED-PAYLOAD), its signature of our PUT did verify. But its
 * canonicalisation has changed between releases (query sorting, curl issue
 * #9717; path re-encoding, #16927), so the bytes signed would depend on the
 * libcurl found at run time, while presigned URLs need our own SigV4 anyway.
 * One implementation, checked against AWS's published examples, signs both;
 * and signing here lets a PUT carry the file's real SHA-256, which the store
 * checks against the body it receives.
 *
 * Each call uses its own easy handle, so one vsr_s3 serves any number of
 * threads; it is never written after vsr_s3_create. */
#include "server/s3_client.h"

#include "server/sigv4.h"
#include "util/clock.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define S3_DEFAULT_REGION "us-east-1"
#define S3_MAX_KEY 1024                  /* S3's limit, in bytes */
#define S3_MAX_PUT ((curl_off_t)5 << 30) /* single PUT limit: 5 GiB */
#define S3_MAX_BACKOFF_MS 60000L         /* one wait is never longer */
#define S3_MAX_RETRIES 20
#define S3_BODY_KEEP 16384   /* error bodies are small XML; keep this much */
#define S3_STALL_MS 30000L   /* no byte moving for this long ends an attempt */
#define S3_CONNECT_MS 10000L /* one connection attempt */

struct vsr_s3 {
    char *scheme;   /* "http" or "https" */
    char *host;     /* Host header: "h" or "h:port" (no default port) */
    char *base_url; /* scheme://host */
    char *bucket;
    char *access_key;
    char *secret_key;
    char *region;
    int retries;
    long backoff_ms;
    long timeout_ms;
    long stall_ms;
};

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *dup_s(const char *s)
{
    return dup_n(s, strlen(s));
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void vsr_s3_destroy(vsr_s3 *s3)
{
    if (!s3)
        return;
    free(s3->scheme);
    free(s3->host);
    free(s3->base_url);
    free(s3->bucket);
    free(s3->access_key);
    free_secret(s3->secret_key);
    free(s3->region);
    free(s3);
}

/* endpoint: "http(s)://host[:port][/]" or "host[:port]" (https). Sets
 * scheme and host (lowercased, without the scheme's default port). */
static int parse_endpoint(const char *endpoint, char **scheme, char **host, vsr_error *err)
{
    const char *rest = endpoint;
    const char *sep = strstr(endpoint, "://");
    const char *sch = "https";
    if (sep) {
        size_t n = (size_t)(sep - endpoint);
        if (n == 4 && strncasecmp(endpoint, "http", 4) == 0)
            sch = "http";
        else if (!(n == 5 && strncasecmp(endpoint, "https", 5) == 0))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "S3 endpoint '%s': the scheme must be http or https", endpoint);
        rest = sep + 3;
    }
    size_t len = strlen(rest);
    while (len && rest[len - 1] == '/')
        len--;
    if (len == 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s' has no host", endpoint);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)rest[i];
        if (c == '/' || c == '?' || c == '#' || c == '@' || c <= ' ' || c >= 0x7f)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "S3 endpoint '%s': expected http(s)://host[:port] (no path, "
                                 "query or credentials)",
                                 endpoint);
    }
    /* Split host and port; an IPv6 literal is in brackets. */
    size_t host_len = len;
    const char *port = NULL;
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', len);
        if (!close)
            return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s': unclosed '['", endpoint);
        host_len = (size_t)(close - rest) + 1;
        if (host_len < len) {
            if (rest[host_len] != ':')
                return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s': bad port", endpoint);
            port = rest + host_len + 1;
        }
    } else {
        const char *colon = memchr(rest, ':', len);
        if (colon) {
            host_len = (size_t)(colon - rest);
            port = colon + 1;
        }
    }
    long port_num = 0;
    if (port) {
        size_t port_len = len - (size_t)(port - rest);
        port_num = 0;
        for (size_t i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i]) || port_num > 65535) {
                port_num = -1;
                break;
            }
            port_num = port_num * 10 + (port[i] - '0');
        }
        if (port_len == 0 || port_num < 1 || port_num > 65535)
            return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s': bad port", endpoint);
    }
    if (host_len == 0 || (host_len == 2 && rest[0] == '['))
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s' has no host", endpoint);
    /* The Host header a client sends omits the default port, and the
     * signature covers the Host header: so must we. */
    bool default_port = port_num == (strcmp(sch, "http") == 0 ? 80 : 443);
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%.*s", (int)host_len, rest);
    if (port && !default_port)
        n = snprintf(buf, sizeof buf, "%.*s:%ld", (int)host_len, rest, port_num);
    if (n < 0 || (size_t)n >= sizeof buf)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 endpoint '%s' is too long", endpoint);
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *scheme = dup_s(sch);
    *host = dup_s(buf);
    if (!*scheme || !*host) {
        free(*scheme);
        free(*host);
        *scheme = *host = NULL;
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3 endpoint: out of memory");
    }
    return VSR_OK;
}

static int check_bucket(const char *bucket, vsr_error *err)
{
    size_t n = bucket ? strlen(bucket) : 0;
    if (n == 0 || n > 255)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 bucket name must be 1..255 characters");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bucket[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_')
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "S3 bucket name '%s': only letters, digits, '.', '-' and '_'",
                                 bucket);
    }
    return VSR_OK;
}

int vsr_s3_create(const vsr_s3_config *cfg, vsr_s3 **out, vsr_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->endpoint || !*cfg->endpoint)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: no endpoint (BUCKET_COMPATIBLE_ENDPOINT)");
    int rc = check_bucket(cfg->bucket, err);
    if (rc < 0)
        return rc;
    if (!cfg->access_key || !*cfg->access_key)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "S3: no access key (BUCKET_COMPATIBLE_ACCESS_KEY)");
    if (!cfg->secret_key || !*cfg->secret_key)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "S3: no secret key (BUCKET_COMPATIBLE_SECRET_KEY)");
    const char *region = cfg->region && *cfg->region ? cfg->region : S3_DEFAULT_REGION;
    if (cfg->retries < 0 || cfg->retries > S3_MAX_RETRIES)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: retries %d is outside 0..%d", cfg->retries,
                             S3_MAX_RETRIES);
    if (cfg->backoff_ms < 0 || cfg->backoff_ms > S3_MAX_BACKOFF_MS)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: backoff %ld ms is outside 0..%ld ms",
                             cfg->backoff_ms, S3_MAX_BACKOFF_MS);
    if (cfg->timeout_ms < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: negative timeout %ld ms", cfg->timeout_ms);
    if (cfg->stall_timeout_ms < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: negative stall timeout %ld ms",
                             cfg->stall_timeout_ms);

    vsr_s3 *s3 = calloc(1, sizeof *s3);
    if (!s3)
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    rc = parse_endpoint(cfg->endpoint, &s3->scheme, &s3->host, err);
    if (rc < 0) {
        vsr_s3_destroy(s3);
        return rc;
    }
    size_t n = strlen(s3->scheme) + 3 + strlen(s3->host) + 1;
    s3->base_url = malloc(n);
    if (s3->base_url)
        snprintf(s3->base_url, n, "%s://%s", s3->scheme, s3->host);
    s3->bucket = dup_s(cfg->bucket);
    s3->access_key = dup_s(cfg->access_key);
    s3->secret_key = dup_s(cfg->secret_key);
    s3->region = dup_s(region);
    if (!s3->base_url || !s3->bucket || !s3->access_key || !s3->secret_key || !s3->region) {
        vsr_s3_destroy(s3);
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    }
    s3->retries = cfg->retries;
    s3->backoff_ms = cfg->backoff_ms;
    s3->timeout_ms = cfg->timeout_ms;
    s3->stall_ms = cfg->stall_timeout_ms ? cfg->stall_timeout_ms : S3_STALL_MS;
    if (s3->timeout_ms > 0 && s3->timeout_ms < s3->stall_ms)
        s3->stall_ms = s3->timeout_ms;
    *out = s3;
    return VSR_OK;
}

static int check_key(const char *key, vsr_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > S3_MAX_KEY)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 object key must be 1..%d bytes", S3_MAX_KEY);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        /* Control characters are legal in S3 keys but break logs and XML. */
        if (c < 0x20 || c == 0x7f)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "S3 object key has a control character at byte %zu", i);
    }
    return VSR_OK;
}

/* "/bucket/key", decoded (sigv4 encodes it). */
static char *object_path(const vsr_s3 *s3, const char *key)
{
    size_t n = 1 + strlen(s3->bucket) + 1 + strlen(key) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "/%s/%s", s3->bucket, key);
    return p;
}

int vsr_s3_presign_get(const vsr_s3 *s3, const char *key, long expires_s, time_t now, char *url,
                       size_t url_size, vsr_error *err)
{
    if (url && url_size)
        url[0] = '\0';
    int rc = check_key(key, err);
    if (rc < 0)
        return rc;
    if (!url || url_size == 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 presign: no output buffer");
    char *path = object_path(s3, key);
    if (!path)
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3 presign: out of memory");
    vsr_sigv4_creds creds = {s3->access_key, s3->secret_key, s3->region, "s3"};
    char *signed_url =
        vsr_sigv4_presign_url(&creds, now, expires_s, "GET", s3->scheme, s3->host, path, err);
    free(path);
    if (!signed_url) {
        vsr_error_prefix(err, "presign GET s3://%s/%s", s3->bucket, key);
        return err ? err->code : VSR_ERR_INVALID;
    }
    size_t n = strlen(signed_url);
    if (n >= url_size) {
        free(signed_url);
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "presign GET s3://%s/%s: the URL needs %zu bytes, buffer has %zu",
                             s3->bucket, key, n + 1, url_size);
    }
    memcpy(url, signed_url, n + 1);
    free(signed_url);
    return VSR_OK;
}

/* ---- requests ---- */

typedef struct body_buf {
    char data[S3_BODY_KEEP];
    size_t len;
} body_buf;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    body_buf *b = ud;
    size_t n = size * nmemb;
    size_t room = sizeof b->data - 1 - b->len;
    size_t take = n < room ? n : room;
    memcpy(b->data + b->len, p, take);
    b->len += take;
    b->data[b->len] = '\0';
    return n; /* the rest is dropped, not an error */
}

/* The text of <tag>...</tag> in an S3 error body, control characters
 * replaced, at most out_size - 1 bytes; "" when absent. */
static void xml_field(const char *xml, const char *tag, char *out, size_t out_size)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = '\0';
    const char *a = strstr(xml, open);
    if (!a)
        return;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b)
        return;
    size_t n = (size_t)(b - a);
    if (n >= out_size)
        n = out_size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)a[i] < 0x20 ? ' ' : a[i];
    out[n] = '\0';
}

typedef struct s3_call {
    const char *method; /* "PUT", "DELETE" */
    const char *key;
    FILE *file;               /* PUT body, or NULL */
    curl_off_t size;          /* of file */
    const char *payload_hash; /* hex SHA-256 of the body */
    const char *content_type; /* PUT only */
} s3_call;

typedef struct attempt_result {
    CURLcode curl;
    long status; /* 0 when no HTTP answer */
    char curl_msg[CURL_ERROR_SIZE];
    body_buf body;
    /* The progress callback's: the caller's flag, the stall limit, and
     * what it saw. */
    const volatile sig_atomic_t *cancel;
    long stall_ms;
    curl_off_t moved; /* bytes sent + received when last seen */
    double moved_at;  /* vsr_now_s() when that count last changed */
    int cancelled, stalled;
} attempt_result;

/* libcurl calls it often while bytes move and about once a second while
 * they do not, whatever the transfer waits for (connect, the answer):
 * the place to notice a cancel, and a store that has stopped answering.
 * The stall is timed here rather than by CURLOPT_LOW_SPEED_TIME, whose
 * speed is an average over the last seconds: after a body sent in one
 * burst it noticed the silence only about 5 s late. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal;
    attempt_result *res = ud;
    if (res->cancel && *res->cancel) {
        res->cancelled = 1;
        return 1; /* aborts the transfer: CURLE_ABORTED_BY_CALLBACK */
    }
    double now = vsr_now_s();
    if (dlnow + ulnow != res->moved) {
        res->moved = dlnow + ulnow;
        res->moved_at = now;
    } else if ((now - res->moved_at) * 1000 >= res->stall_ms) {
        res->stalled = 1;
        return 1;
    }
    return 0;
}

static int add_header(struct curl_slist **list, const char *name, const char *value, vsr_error *err)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "%s: %s", name, value);
    if (n < 0 || (size_t)n >= sizeof line)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3: header %s is too long", name);
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    *list = l;
    return VSR_OK;
}

/* One HTTP exchange. A negative return is a local failure (not retried);
 * otherwise res says what the network and the server answered. */
static int attempt(const vsr_s3 *s3, const s3_call *c, const volatile sig_atomic_t *cancel,
                   attempt_result *res, vsr_error *err)
{
    memset(res, 0, sizeof *res);
    res->cancel = cancel;
    res->stall_ms = s3->stall_ms;
    res->moved_at = vsr_now_s();
    /* The URL carries the path encoded exactly as sigv4 encodes it for the
     * canonical request. */
    char *obj_path = object_path(s3, c->key);
    char *enc_path = obj_path ? vsr_sigv4_uri_encode(obj_path, true, err) : NULL;
    size_t url_len = enc_path ? strlen(s3->base_url) + strlen(enc_path) + 1 : 0;
    char *url = enc_path ? malloc(url_len) : NULL;
    if (!url) {
        free(obj_path);
        free(enc_path);
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    }
    snprintf(url, url_len, "%s%s", s3->base_url, enc_path);
    free(enc_path);

    /* The signing time is taken per attempt: a retry is a new request, and
     * stores refuse a date more than 15 minutes off. */
    time_t now = time(NULL);
    char amz_date[VSR_SIGV4_DATE_SIZE];
    int rc = vsr_sigv4_amz_date(now, amz_date, err);
    if (rc < 0) {
        free(obj_path);
        free(url);
        return rc;
    }
    vsr_sigv4_kv headers[4] = {
        {"Host", s3->host},
        {"x-amz-content-sha256", c->payload_hash},
        {"x-amz-date", amz_date},
    };
    size_t n_headers = 3;
    if (c->content_type)
        headers[n_headers++] = (vsr_sigv4_kv){"Content-Type", c->content_type};
    vsr_sigv4_request req = {
        .method = c->method,
        .path = obj_path,
        .headers = headers,
        .n_headers = n_headers,
        .payload_hash = c->payload_hash,
    };
    vsr_sigv4_creds creds = {s3->access_key, s3->secret_key, s3->region, "s3"};
    char *auth = vsr_sigv4_authorization(&creds, now, &req, err);
    free(obj_path);
    if (!auth) {
        free(url);
        return err ? err->code : VSR_ERR_INTERNAL;
    }

    /* The headers sent are exactly the headers signed (Host included, so
     * libcurl's own Host cannot differ), plus the Authorization; "Expect:"
     * turns off 100-continue, which would cost a round trip (or a 1 s wait
     * on servers that never answer it). */
    struct curl_slist *list = NULL;
    rc = VSR_OK;
    for (size_t i = 0; rc == VSR_OK && i < n_headers; i++)
        rc = add_header(&list, headers[i].name, headers[i].value, err);
    if (rc == VSR_OK)
        rc = add_header(&list, "Authorization", auth, err);
    if (rc == VSR_OK && !(list = curl_slist_append(list, "Expect:")))
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    OPENSSL_cleanse(auth, strlen(auth));
    free(auth);
    CURL *h = rc == VSR_OK ? curl_easy_init() : NULL;
    if (rc == VSR_OK && !h)
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "S3: curl_easy_init failed");
    if (rc < 0) {
        curl_slist_free_all(list);
        free(url);
        return rc;
    }

    CURLcode cc = CURLE_OK;
#define SETOPT(opt, val)                        \
    do {                                        \
        if (cc == CURLE_OK)                     \
            cc = curl_easy_setopt(h, opt, val); \
    } while (0)
    SETOPT(CURLOPT_URL, url);
    /* The key is sent as signed: no "." / ".." folding by libcurl. */
    SETOPT(CURLOPT_PATH_AS_IS, 1L);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    SETOPT(CURLOPT_HTTPHEADER, list);
    SETOPT(CURLOPT_ERRORBUFFER, res->curl_msg);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &res->body);
    if (s3->timeout_ms > 0)
        SETOPT(CURLOPT_TIMEOUT_MS, s3->timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
           s3->timeout_ms > 0 && s3->timeout_ms < S3_CONNECT_MS ? s3->timeout_ms : S3_CONNECT_MS);
    /* A store that takes the connection and never answers (or stops
     * midway) is given up after the stall time, not the whole timeout
     * (on_progress). */
    SETOPT(CURLOPT_NOPROGRESS, 0L);
    SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(CURLOPT_XFERINFODATA, res);
    if (c->file) {
        SETOPT(CURLOPT_UPLOAD, 1L);
        SETOPT(CURLOPT_READDATA, c->file);
        SETOPT(CURLOPT_INFILESIZE_LARGE, c->size);
    } else {
        SETOPT(CURLOPT_CUSTOMREQUEST, c->method);
    }
#undef SETOPT
    if (cc != CURLE_OK) {
        rc = vsr_error_set(err, VSR_ERR_INTERNAL, "S3: curl_easy_setopt: %s",
                           curl_easy_strerror(cc));
    } else {
        res->curl = curl_easy_perform(h);
        if (res->curl == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
        if (res->stalled)
            snprintf(res->curl_msg, sizeof res->curl_msg,
                     "no byte moved for %ld ms (the store took the connection and stopped "
                     "answering)",
                     res->stall_ms);
        if (!res->curl_msg[0] && res->curl != CURLE_OK)
            snprintf(res->curl_msg, sizeof res->curl_msg, "%s", curl_easy_strerror(res->curl));
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    free(url);
    return rc;
}

/* Sleeps ms, in slices, so that a cancel ends the wait; 1 if cancelled. */
static int sleep_ms(long ms, const volatile sig_atomic_t *cancel)
{
    double end = vsr_now_s() + ms / 1000.0;
    for (;;) {
        if (cancel && *cancel)
            return 1;
        double left = end - vsr_now_s();
        if (left <= 0)
            return 0;
        double slice = left < 0.05 ? left : 0.05;
        struct timespec ts = {0, (long)(slice * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Runs c with retries. On failure, *status is the last HTTP status (0 when
 * the last attempt got no answer) and err says what happened, where, and
 * after how many attempts. */
static int request(const vsr_s3 *s3, const s3_call *c, const volatile sig_atomic_t *cancel,
                   long *status, vsr_error *err)
{
    attempt_result *res = malloc(sizeof *res);
    if (!res)
        return vsr_error_set(err, VSR_ERR_NOMEM, "S3: out of memory");
    double t0 = vsr_now_s();
    int attempts = 0;
    int rc = VSR_OK;
    long backoff = s3->backoff_ms;
    *status = 0;
    for (;;) {
        if (c->file && fseeko(c->file, 0, SEEK_SET) != 0) {
            rc = vsr_error_set(err, VSR_ERR_IO, "S3: rewinding the upload file: %s",
                               strerror(errno));
            break;
        }
        attempts++;
        rc = attempt(s3, c, cancel, res, err);
        if (rc < 0)
            break;
        if (res->cancelled) {
            rc = VSR_ERR_CANCELLED;
            break;
        }
        *status = res->status;
        bool ok = res->curl == CURLE_OK && res->status >= 200 && res->status < 300;
        bool retryable = res->curl != CURLE_OK || res->status >= 500;
        if (ok)
            break;
        if (!retryable || attempts > s3->retries) {
            rc = VSR_ERR_IO;
            break;
        }
        if (sleep_ms(backoff, cancel)) {
            rc = VSR_ERR_CANCELLED;
            break;
        }
        backoff = backoff * 2 > S3_MAX_BACKOFF_MS ? S3_MAX_BACKOFF_MS : backoff * 2;
    }
    if (rc == VSR_ERR_CANCELLED) {
        vsr_error_set(err, VSR_ERR_CANCELLED,
                      "%s s3://%s/%s at %s: cancelled (%d attempt%s in %.1f s)", c->method,
                      s3->bucket, c->key, s3->base_url, attempts, attempts == 1 ? "" : "s",
                      vsr_now_s() - t0);
    } else if (rc == VSR_ERR_IO) {
        char what[512], tail[64];
        snprintf(tail, sizeof tail, "%d attempt%s in %.1f s", attempts, attempts == 1 ? "" : "s",
                 vsr_now_s() - t0);
        if (res->curl == CURLE_OK) {
            char code[128], msg[256];
            xml_field(res->body.data, "Code", code, sizeof code);
            xml_field(res->body.data, "Message", msg, sizeof msg);
            snprintf(what, sizeof what, "HTTP %ld%s%s%s%s", *status, code[0] ? " " : "", code,
                     msg[0] ? ": " : "", msg);
        } else {
            snprintf(what, sizeof what, "%s", res->curl_msg);
        }
        vsr_error_set(err, VSR_ERR_IO, "%s s3://%s/%s at %s: %s (%s)", c->method, s3->bucket,
                      c->key, s3->base_url, what, tail);
    } else if (rc < 0) {
        vsr_error_prefix(err, "%s s3://%s/%s at %s", c->method, s3->bucket, c->key, s3->base_url);
    }
    free(res);
    return rc;
}

/* SHA-256 of the open file, read once before the upload so the store can
 * check the body it receives. */
static int file_sha256(FILE *f, const char *path, char hex[VSR_SIGV4_HEX_SIZE], vsr_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(1 << 20);
    int rc = VSR_OK;
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "S3: cannot start SHA-256 of %s", path);
    } else {
        size_t n;
        while ((n = fread(buf, 1, 1 << 20, f)) > 0) {
            if (EVP_DigestUpdate(ctx, buf, n) != 1) {
                rc = vsr_error_set(err, VSR_ERR_INTERNAL, "S3: SHA-256 of %s failed", path);
                break;
            }
        }
        if (rc == VSR_OK && ferror(f))
            rc = vsr_error_set(err, VSR_ERR_IO, "S3: reading %s: %s", path, strerror(errno));
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (rc == VSR_OK && (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32))
            rc = vsr_error_set(err, VSR_ERR_INTERNAL, "S3: SHA-256 of %s failed", path);
        if (rc == VSR_OK) {
            static const char digits[] = "0123456789abcdef";
            for (unsigned i = 0; i < 32; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 15];
            }
            hex[64] = '\0';
        }
    }
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int vsr_s3_put_file(vsr_s3 *s3, const char *key, const char *path, const char *content_type,
                    vsr_error *err)
{
    return vsr_s3_put_file_cancellable(s3, key, path, content_type, NULL, err);
}

int vsr_s3_put_file_cancellable(vsr_s3 *s3, const char *key, const char *path,
                                const char *content_type, const volatile sig_atomic_t *cancel,
                                vsr_error *err)
{
    int rc = check_key(key, err);
    if (rc < 0)
        return rc;
    if (!path)
        return vsr_error_set(err, VSR_ERR_INVALID, "S3 PUT s3://%s/%s: no file", s3->bucket, key);
    for (const char *p = content_type; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "S3 PUT s3://%s/%s: control character in the content type",
                                 s3->bucket, key);
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "S3 PUT s3://%s/%s: open %s: %s", s3->bucket, key,
                             path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        rc = vsr_error_set(err, VSR_ERR_IO, "S3 PUT s3://%s/%s: stat %s: %s", s3->bucket, key, path,
                           strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = vsr_error_set(err, VSR_ERR_INVALID, "S3 PUT s3://%s/%s: %s is not a regular file",
                           s3->bucket, key, path);
    } else if ((curl_off_t)st.st_size > S3_MAX_PUT) {
        rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                           "S3 PUT s3://%s/%s: %s is %lld bytes, over the 5 GiB of one PUT",
                           s3->bucket, key, path, (long long)st.st_size);
    }
    char hash[VSR_SIGV4_HEX_SIZE];
    if (rc == VSR_OK)
        rc = file_sha256(f, path, hash, err);
    if (rc == VSR_OK) {
        s3_call c = {
            .method = "PUT",
            .key = key,
            .file = f,
            .size = (curl_off_t)st.st_size,
            .payload_hash = hash,
            .content_type = content_type ? content_type : "application/octet-stream",
        };
        long status;
        rc = request(s3, &c, cancel, &status, err);
    }
    fclose(f);
    return rc;
}

int vsr_s3_delete(vsr_s3 *s3, const char *key, vsr_error *err)
{
    return vsr_s3_delete_cancellable(s3, key, NULL, err);
}

int vsr_s3_delete_cancellable(vsr_s3 *s3, const char *key, const volatile sig_atomic_t *cancel,
                              vsr_error *err)
{
    int rc = check_key(key, err);
    if (rc < 0)
        return rc;
    s3_call c = {
        .method = "DELETE",
        .key = key,
        .payload_hash = VSR_SIGV4_EMPTY_SHA256,
    };
    long status = 0;
    rc = request(s3, &c, cancel, &status, err);
    if (rc < 0 && rc != VSR_ERR_CANCELLED && status == 404) {
        /* Already gone: the goal of a delete. */
        vsr_error_clear(err);
        return VSR_OK;
    }
    return rc;
}
