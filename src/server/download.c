/* Safe downloads; see download.h.
 *
 * Where the address policy is enforced. libcurl resolves names itself, and
 * a name can resolve differently on every lookup (DNS rebinding) or a
 * redirect can lead anywhere, so checking the URL's host up front proves
 * nothing. What counts is the address a socket is connected to, so:
 *  - CURLOPT_OPENSOCKETFUNCTION sees every address libcurl is about to
 *    connect to (the first request, each redirect, each address of a
 *    multi-address name) and refuses a forbidden one before socket() is
 *    even called: no packet reaches a forbidden host.
 *  - CURLOPT_PREREQFUNCTION checks CURLINFO_PRIMARY_IP again once connected,
 *    before the request is sent, as a second line: it also covers a reused
 *    connection and any future libcurl path that connects without the
 *    open-socket callback. It fails closed when the address does not parse.
 *  - Proxies are disabled (CURLOPT_PROXY ""): with http_proxy or
 *    all_proxy in the environment the checked address would be the proxy's
 *    and the proxy would reach the forbidden host for us.
 * Both callbacks record why they refused, so the error names the address and
 * its class rather than curl's "couldn't connect". */
#include "server/download.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/address_policy.h"
#include "util/clock.h"

/* The longest URL accepted; presigned S3 URLs run to about 1.5 KB. */
#define URL_MAX 8192
/* How much of a (redacted) URL goes into a message. */
#define URL_SHOWN 320

void vsr_download_limits_default(vsr_download_limits *l)
{
    memset(l, 0, sizeof *l); /* every field: no cancel flag unless the caller sets one */
    l->max_bytes = (int64_t)2 << 30;
    l->connect_timeout_ms = 10 * 1000;
    l->total_timeout_ms = 300 * 1000;
    l->stall_timeout_ms = 30 * 1000;
    l->max_redirects = 5;
    l->allow_private = 0;
    l->allow_cidrs = NULL;
}

/* Query parameter names whose values are secrets (case-insensitive
 * substrings): X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token,
 * AWSAccessKeyId, X-Goog-Signature, Azure's sig, token=, api_key=, ... */
static int secret_param(const char *name, size_t n)
{
    static const char *const words[] = {"sig",   "token", "credential", "secret",
                                        "passw", "key",   "auth",       "session"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++)
            if (!strncasecmp(name + i, words[w], wl))
                return 1;
    }
    return 0;
}

typedef struct outbuf {
    char *p;
    size_t size, len;
    int full;
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !o->full; i++) {
        if (o->len + 1 >= o->size) {
            o->full = 1;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        o->p[o->len++] = (c < 0x21 || c >= 0x7f) ? '?' : (char)c;
    }
}

void vsr_url_redact(const char *url, char *out, size_t size)
{
    if (!out || size == 0)
        return;
    outbuf o = {out, size, 0, 0};
    if (!url)
        url = "(null)";
    const char *p = url;

    /* scheme:// (only a plausible scheme, else the text is taken as is) */
    const char *sep = strstr(p, "://");
    if (sep && sep - p <= 16) {
        put(&o, p, (size_t)(sep - p) + 3);
        p = sep + 3;
    }
    /* authority, with any userinfo hidden */
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        put(&o, "***@", 4);
        put(&o, at + 1, (size_t)(p + alen - at - 1));
    } else {
        put(&o, p, alen);
    }
    p += alen;
    /* path */
    size_t plen = strcspn(p, "?#");
    put(&o, p, plen);
    p += plen;
    /* query: name=value pairs, secret values hidden */
    if (*p == '?') {
        put(&o, "?", 1);
        p++;
        while (*p && *p != '#') {
            size_t n = strcspn(p, "&#");
            size_t nl = strcspn(p, "=&#");
            if (nl < n && secret_param(p, nl)) {
                put(&o, p, nl + 1);
                put(&o, "REDACTED", 8);
            } else {
                put(&o, p, n);
            }
            p += n;
            if (*p == '&') {
                put(&o, "&", 1);
                p++;
            }
        }
    }
    put(&o, p, strlen(p)); /* fragment */
    out[o.len] = '\0';
    if (o.full && size > 4)
        memcpy(out + size - 4, "...", 4);
}

/* The state the callbacks share with vsr_download_file. */
typedef struct dl_ctx {
    const vsr_download_limits *l;
    vsr_cidr_list allow;
    int fd;
    const char *path;
    int64_t bytes;
    int over_cap;
    int write_errno;
    /* The address policy's refusals while opening the current connection
     * (reset once a connection is up): the first one, how many, and how many
     * allowed addresses were tried. A name can have several addresses; the
     * error should say "refused" only when no allowed one was tried. */
    int refused;
    char refused_addr[64];
    vsr_addr_class refused_class;
    int refused_after_connect; /* by the pre-request check */
    int tried;
    /* Stall detection: when the byte count last moved. */
    int stalled;
    int cancelled;
    curl_off_t last_now;
    int64_t last_change_ms;
} dl_ctx;

static int check_address(dl_ctx *c, const struct sockaddr *sa, size_t len)
{
    vsr_addr_class cls;
    if (vsr_addr_allowed(sa, len, c->l->allow_private, &c->allow, &cls))
        return 1;
    if (c->refused++ == 0) {
        c->refused_class = cls;
        vsr_addr_format(sa, len, c->refused_addr, sizeof c->refused_addr);
    }
    return 0;
}

static curl_socket_t open_socket_cb(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *address)
{
    dl_ctx *c = clientp;
    /* Only outgoing connections exist for http(s); anything else (FTP's
     * accepted data connections) is not ours to allow. */
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (!check_address(c, &address->addr, address->addrlen))
        return CURL_SOCKET_BAD;
    c->tried++;
    /* CLOEXEC: the server runs FFmpeg and other children; a socket must not
     * leak into them. */
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

static int prereq_cb(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    dl_ctx *c = clientp;
    struct sockaddr_storage ss;
    size_t len;
    c->refused = 0; /* judge this connection alone */
    if (!primary_ip || vsr_addr_parse(primary_ip, &ss, &len)) {
        c->refused = 1;
        c->refused_class = VSR_ADDR_UNSUPPORTED;
        snprintf(c->refused_addr, sizeof c->refused_addr, "%.40s", primary_ip ? primary_ip : "?");
    } else {
        check_address(c, (const struct sockaddr *)&ss, len);
    }
    if (c->refused) {
        c->refused_after_connect = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    /* Connected where allowed: the next connection (after a redirect) is
     * counted afresh. */
    c->tried = 0;
    return CURL_PREREQFUNC_OK;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *clientp)
{
    dl_ctx *c = clientp;
    size_t n = size * nmemb;
    /* The cap again: Content-Length (CURLOPT_MAXFILESIZE_LARGE) may be
     * absent (chunked, close-delimited) or smaller than what is sent. */
    if ((int64_t)n > c->l->max_bytes - c->bytes) {
        c->over_cap = 1;
        return 0; /* anything but n aborts the transfer */
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(c->fd, data + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            c->write_errno = errno;
            return 0;
        }
        done += (size_t)w;
    }
    c->bytes += (int64_t)n;
    return n;
}

/* Progress callback: libcurl calls it often while data flows and about once
 * a second while idle, in every phase (connecting, waiting for the
 * response, reading the body), which makes it the stall detector.
 * CURLOPT_LOW_SPEED_TIME would do in whole seconds, but reports a stall as
 * CURLE_OPERATION_TIMEDOUT like the total timeout does. */
static int xferinfo_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    dl_ctx *c = clientp;
    if (c->l->cancel && *c->l->cancel) {
        c->cancelled = 1;
        return 1;
    }
    int64_t t = (int64_t)(vsr_now_s() * 1000);
    if (dlnow != c->last_now) {
        c->last_now = dlnow;
        c->last_change_ms = t;
        return 0;
    }
    if (t - c->last_change_ms > c->l->stall_timeout_ms) {
        c->stalled = 1;
        return 1;
    }
    return 0;
}

/* Checks the URL before libcurl sees it and fills h with it. Returns 0 or
 * an error (err set, without the "download URL:" context). */
static int check_url(const char *url, CURLU *h, vsr_error *err)
{
    size_t n = strlen(url);
    if (n == 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "empty URL");
    if (n > URL_MAX)
        return vsr_error_set(err, VSR_ERR_INVALID, "URL of %zu bytes is over the %d-byte limit", n,
                             URL_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)url[i];
        /* Spaces, controls and raw non-ASCII must be percent-encoded: a URL
         * with them is malformed, and they could garble logs. */
        if (ch < 0x21 || ch >= 0x7f)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "URL has a space, control or non-ASCII byte at offset %zu", i);
    }
    CURLUcode uc = curl_url_set(h, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK)
        return vsr_error_set(err, VSR_ERR_INVALID, "malformed URL: %s", curl_url_strerror(uc));

    char *scheme = NULL;
    uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    if (uc != CURLUE_OK)
        return vsr_error_set(err, VSR_ERR_INVALID, "URL has no scheme: %s", curl_url_strerror(uc));
    int ok = !strcasecmp(scheme, "http") || !strcasecmp(scheme, "https");
    char shown[24];
    snprintf(shown, sizeof shown, "%s", scheme);
    curl_free(scheme);
    if (!ok)
        return vsr_error_set(err, VSR_ERR_INVALID, "scheme '%s' is not allowed (http, https only)",
                             shown);

    const CURLUPart creds[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
    for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
        char *part = NULL;
        uc = curl_url_get(h, creds[i], &part, 0);
        curl_free(part);
        if (uc == CURLUE_OK)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "URLs with credentials (user:password@) are not accepted");
    }

    char *host = NULL;
    uc = curl_url_get(h, CURLUPART_HOST, &host, 0);
    int has_host = uc == CURLUE_OK && host && *host;
    curl_free(host);
    if (!has_host)
        return vsr_error_set(err, VSR_ERR_INVALID, "URL has no host");
    return 0;
}

static int check_limits(const vsr_download_limits *l, vsr_error *err)
{
    if (l->max_bytes <= 0 || l->connect_timeout_ms <= 0 || l->total_timeout_ms <= 0 ||
        l->stall_timeout_ms <= 0 || l->max_redirects < 0)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "download limits: sizes and timeouts must be positive "
                             "(max_bytes %" PRId64 ", connect %ld ms, total %ld ms, stall %ld ms, "
                             "redirects %d)",
                             l->max_bytes, l->connect_timeout_ms, l->total_timeout_ms,
                             l->stall_timeout_ms, l->max_redirects);
    return 0;
}

#define SETOPT(opt, val)                                                                \
    do {                                                                                \
        CURLcode sc_ = curl_easy_setopt(curl, opt, val);                                \
        if (sc_ != CURLE_OK) {                                                          \
            rc = vsr_error_set(err, VSR_ERR_INTERNAL, "curl_easy_setopt(%s): %s", #opt, \
                               curl_easy_strerror(sc_));                                \
            goto done;                                                                  \
        }                                                                               \
    } while (0)

/* Turns a failed transfer into an error message (without the URL context). */
static int transfer_error(CURL *curl, CURLcode res, const dl_ctx *c, const char *errbuf,
                          vsr_error *err)
{
    char where[URL_SHOWN + 64] = "";
    char *eff = NULL;
    if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) {
        char red[URL_SHOWN];
        vsr_url_redact(eff, red, sizeof red);
        long redirects = 0;
        curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &redirects);
        if (redirects > 0)
            snprintf(where, sizeof where, " (after %ld redirect%s, at %s)", redirects,
                     redirects == 1 ? "" : "s", red);
    }
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);

    char others[48] = "";
    if (c->refused > 1)
        snprintf(others, sizeof others, " (and %d more address%s)", c->refused - 1,
                 c->refused == 2 ? "" : "es");
    if (c->refused && ((res == CURLE_COULDNT_CONNECT && c->tried == 0) ||
                       (res == CURLE_ABORTED_BY_CALLBACK && c->refused_after_connect)))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "refused to connect to %s: %s address, not allowed by the address "
                             "policy%s%s",
                             c->refused_addr, vsr_addr_class_name(c->refused_class), others, where);
    if (c->refused && res == CURLE_COULDNT_CONNECT)
        /* Some addresses refused, an allowed one failed: the failure is the
         * news, the refusal a hint. */
        return vsr_error_set(err, VSR_ERR_IO,
                             "%s (also refused by the address policy: %s, %s address%s)%s", detail,
                             c->refused_addr, vsr_addr_class_name(c->refused_class), others, where);
    if (c->over_cap || res == CURLE_FILESIZE_EXCEEDED)
        return vsr_error_set(err, VSR_ERR_NOMEM, "body is over the %" PRId64 "-byte limit%s",
                             c->l->max_bytes, where);
    if (c->write_errno)
        return vsr_error_set(err, VSR_ERR_IO, "write %s: %s", c->path, strerror(c->write_errno));
    if (c->cancelled)
        return vsr_error_set(err, VSR_ERR_CANCELLED, "cancelled%s", where);
    if (c->stalled)
        return vsr_error_set(err, VSR_ERR_IO, "no data for %ld ms, gave up%s",
                             c->l->stall_timeout_ms, where);
    switch (res) {
    case CURLE_HTTP_RETURNED_ERROR: {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        return vsr_error_set(err, VSR_ERR_IO, "HTTP status %ld%s", status, where);
    }
    case CURLE_TOO_MANY_REDIRECTS:
        return vsr_error_set(err, VSR_ERR_IO, "more than %d redirects%s", c->l->max_redirects,
                             where);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "redirected to a scheme other than http/https: %s%s", detail, where);
    case CURLE_OPERATION_TIMEDOUT:
        return vsr_error_set(err, VSR_ERR_IO,
                             "timed out (connect limit %ld ms, total limit %ld ms): %s%s",
                             c->l->connect_timeout_ms, c->l->total_timeout_ms, detail, where);
    default: return vsr_error_set(err, VSR_ERR_IO, "%s%s", detail, where);
    }
}

int vsr_download_file(const char *url, const char *path, const vsr_download_limits *l,
                      vsr_error *err)
{
    char shown[URL_SHOWN];
    vsr_url_redact(url, shown, sizeof shown);
    if (!url || !path || !*path || !l)
        return vsr_error_set(err, VSR_ERR_INVALID, "download %s: missing argument", shown);

    int rc = 0;
    CURL *curl = NULL;
    CURLU *h = NULL;
    dl_ctx c;
    memset(&c, 0, sizeof c);
    c.l = l;
    c.fd = -1;
    c.path = path;
    char errbuf[CURL_ERROR_SIZE] = "";

    rc = check_limits(l, err);
    if (rc)
        goto done;
    rc = vsr_cidr_list_parse(l->allow_cidrs, &c.allow, err);
    if (rc)
        goto done;
    h = curl_url();
    curl = curl_easy_init();
    if (!h || !curl) {
        rc = vsr_error_set(err, VSR_ERR_NOMEM, "curl_easy_init failed");
        goto done;
    }
    rc = check_url(url, h, err);
    if (rc)
        goto done;

    /* Everything is set before the file exists, so a setup failure leaves
     * nothing to clean up. */
    SETOPT(CURLOPT_CURLU, h);       /* the URL exactly as checked, not re-parsed */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms; the others are deprecated */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_PROXY, ""); /* see the top of this file */
    SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(CURLOPT_MAXREDIRS, (long)l->max_redirects);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)l->max_bytes);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, l->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, l->total_timeout_ms);
    SETOPT(CURLOPT_FAILONERROR, 1L);
    /* No signals (alarm() for DNS timeouts): the server is threaded. */
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_USERAGENT, "vsr");
    /* CURLOPT_ACCEPT_ENCODING stays unset: no transparent decompression, so
     * the cap counts the bytes as they are stored (no zip bombs). */
    SETOPT(CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
    SETOPT(CURLOPT_OPENSOCKETDATA, &c);
    SETOPT(CURLOPT_PREREQFUNCTION, prereq_cb);
    SETOPT(CURLOPT_PREREQDATA, &c);
    SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
    SETOPT(CURLOPT_WRITEDATA, &c);
    SETOPT(CURLOPT_NOPROGRESS, 0L);
    SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    SETOPT(CURLOPT_XFERINFODATA, &c);

    /* O_EXCL: never write through a planted symlink or over a file someone
     * else owns; that also makes it safe to unlink path on failure. */
    c.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (c.fd < 0) {
        rc = vsr_error_set(err, VSR_ERR_IO, "create %s: %s", path, strerror(errno));
        goto done;
    }
    c.last_change_ms = (int64_t)(vsr_now_s() * 1000);

    CURLcode res = curl_easy_perform(curl);
    if (res != CURLE_OK) {
        rc = transfer_error(curl, res, &c, errbuf, err);
    } else {
        /* A 3xx without Location (or a 1xx/204 oddity) ends "successfully"
         * in curl's eyes; only 2xx bodies are the file. */
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299)
            rc = vsr_error_set(err, VSR_ERR_IO, "HTTP status %ld", status);
    }
    if (close(c.fd) && !rc)
        rc = vsr_error_set(err, VSR_ERR_IO, "close %s: %s", path, strerror(errno));
    c.fd = -1;
    if (rc && unlink(path) && errno != ENOENT && err) {
        /* The file is left behind: say so after the real failure. */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, " (and unlink %s: %s)", path, strerror(errno));
    }

done:
    if (c.fd >= 0) {
        close(c.fd);
        unlink(path);
    }
    curl_easy_cleanup(curl);
    curl_url_cleanup(h);
    if (rc)
        vsr_error_prefix(err, "download %s", shown);
    return rc;
}
