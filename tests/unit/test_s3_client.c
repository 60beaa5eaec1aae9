/* The S3 client against a real s3rver started here: PUT a file, GET it back
 * through the presigned URL and compare bytes, DELETE, GET again -> 404;
 * 4xx not retried; storage down and 5xx retried with backoff (a fake
 * server counts the attempts); a store that never answers (stall limit,
 * timeout, cancel); endpoint parsing; several threads sharing one client. */
#include "s3rver_test.h"
#include "server/s3_client.h"
#include "server/sigv4.h"
#include "test_util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define BUCKET "vsr-test"

static char work[PATH_MAX];
#define PATH_BUF (PATH_MAX + 64) /* work + a file name */

typedef struct http_get {
    long status;
    unsigned char *data;
    size_t len;
    char content_type[128];
} http_get;

static size_t get_body(char *p, size_t size, size_t n, void *ud)
{
    http_get *g = ud;
    unsigned char *d = realloc(g->data, g->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + g->len, p, size * n);
    g->data = d;
    g->len += size * n;
    return size * n;
}

/* GET url with libcurl, as any client of a presigned URL would. */
static http_get fetch(const char *url)
{
    http_get g = {0};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, get_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(h) == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &g.status);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(g.content_type, sizeof g.content_type, "%s", ct ? ct : "");
    }
    curl_easy_cleanup(h);
    return g;
}

static void write_file(const char *path, size_t n, unsigned seed, unsigned char **copy)
{
    unsigned char *d = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        d[i] = (unsigned char)(seed >> 16);
    }
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(d, 1, n, f) == n);
    if (f)
        fclose(f);
    if (copy)
        *copy = d;
    else
        free(d);
}

static vsr_s3 *make_s3(const char *endpoint, const char *ak, const char *sk, int retries,
                       long backoff_ms)
{
    vsr_s3_config cfg = {
        .endpoint = endpoint,
        .bucket = BUCKET,
        .access_key = ak,
        .secret_key = sk,
        .retries = retries,
        .backoff_ms = backoff_ms,
        .timeout_ms = 10000,
    };
    vsr_s3 *s3 = NULL;
    vsr_error err = {0};
    int rc = vsr_s3_create(&cfg, &s3, &err);
    CHECK_MSG(rc == VSR_OK, "vsr_s3_create(%s): %s", endpoint, err.msg);
    return s3;
}

static void test_roundtrip(const test_s3rver *srv)
{
    vsr_s3 *s3 = make_s3(srv->endpoint, TEST_S3RVER_KEY, TEST_S3RVER_KEY, 2, 50);
    if (!s3)
        return;
    vsr_error err = {0};
    char path[PATH_BUF], url[4096];
    snprintf(path, sizeof path, "%s/clip.mp4", work);
    unsigned char *want = NULL;
    const size_t n = 1536 * 1024 + 7; /* over 1 MiB: libcurl's Expect threshold */
    write_file(path, n, 7, &want);

    /* A key with characters that need encoding, and one plain. */
    const char *keys[] = {"dir/clip 1+$=&.mp4", "0f8e_upscaled.mp4"};
    for (size_t k = 0; k < 2; k++) {
        const char *key = keys[k];
        int rc = vsr_s3_put_file(s3, key, path, "video/mp4", &err);
        CHECK_MSG(rc == VSR_OK, "put %s: %s", key, err.msg);

        rc = vsr_s3_presign_get(s3, key, 600, time(NULL), url, sizeof url, &err);
        CHECK_MSG(rc == VSR_OK, "presign %s: %s", key, err.msg);
        CHECK_MSG(strncmp(url, srv->endpoint, strlen(srv->endpoint)) == 0 &&
                      strstr(url, "/" BUCKET "/") && strstr(url, "X-Amz-Expires=600&"),
                  "url %s", url);
        http_get g = fetch(url);
        CHECK_MSG(g.status == 200, "GET %s: status %ld", url, g.status);
        CHECK_MSG(g.len == n && g.data && memcmp(g.data, want, n) == 0,
                  "GET %s: %zu bytes back, %zu put, or different bytes", key, g.len, n);
        CHECK_MSG(strcmp(g.content_type, "video/mp4") == 0, "content type '%s'", g.content_type);
        free(g.data);

        rc = vsr_s3_delete(s3, key, &err);
        CHECK_MSG(rc == VSR_OK, "delete %s: %s", key, err.msg);
        g = fetch(url);
        CHECK_MSG(g.status == 404, "GET after delete: status %ld", g.status);
        free(g.data);
        /* Deleting what is gone succeeds: the object is absent either way. */
        rc = vsr_s3_delete(s3, key, &err);
        CHECK_MSG(rc == VSR_OK, "second delete %s: %s", key, err.msg);
    }

    /* An expired presigned URL is refused by the store: the signing time
     * is the now argument. */
    CHECK(vsr_s3_put_file(s3, "expiring.bin", path, NULL, &err) == VSR_OK);
    CHECK(vsr_s3_presign_get(s3, "expiring.bin", 60, time(NULL) - 3600, url, sizeof url, &err) ==
          VSR_OK);
    http_get g = fetch(url);
    CHECK_MSG(g.status == 403, "expired URL: status %ld", g.status);
    free(g.data);
    CHECK(vsr_s3_delete(s3, "expiring.bin", &err) == VSR_OK);

    /* Uploading an empty file works; a missing one is a clear error. */
    char empty[PATH_BUF];
    snprintf(empty, sizeof empty, "%s/empty", work);
    write_file(empty, 0, 1, NULL);
    CHECK_MSG(vsr_s3_put_file(s3, "empty", empty, NULL, &err) == VSR_OK, "%s", err.msg);
    char missing[PATH_BUF];
    snprintf(missing, sizeof missing, "%s/missing.mp4", work);
    CHECK(vsr_s3_put_file(s3, "x", missing, NULL, &err) == VSR_ERR_IO &&
          strstr(err.msg, "missing.mp4") && strstr(err.msg, "s3://" BUCKET "/x"));
    CHECK(vsr_s3_put_file(s3, "", path, NULL, &err) == VSR_ERR_INVALID);
    CHECK(vsr_s3_put_file(s3, "a\nb", path, NULL, &err) == VSR_ERR_INVALID);
    CHECK(vsr_s3_put_file(s3, "k", path, "video/mp4\r\nX-Evil: 1", &err) == VSR_ERR_INVALID);
    free(want);
    vsr_s3_destroy(s3);
}

/* A 4xx is an error at once: no retry, no backoff, the S3 error code in the
 * message, the secret nowhere. */
static void test_client_error(const test_s3rver *srv)
{
    const char *secret = "TOP-SECRET-VALUE-123";
    vsr_s3 *s3 = make_s3(srv->endpoint, "NOT-AN-ACCOUNT", secret, 3, 1000);
    if (!s3)
        return;
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/small.bin", work);
    write_file(path, 1000, 3, NULL);
    vsr_error err = {0};
    double t0 = test_now_s();
    int rc = vsr_s3_put_file(s3, "k.mp4", path, "video/mp4", &err);
    double dt = test_now_s() - t0;
    CHECK(rc == VSR_ERR_IO);
    CHECK_MSG(strstr(err.msg, "HTTP 403") && strstr(err.msg, "InvalidAccessKeyId") &&
                  strstr(err.msg, "(1 attempt ") && strstr(err.msg, "s3://" BUCKET "/k.mp4") &&
                  strstr(err.msg, srv->endpoint),
              "message: %s", err.msg);
    CHECK_MSG(!strstr(err.msg, secret), "the secret leaked: %s", err.msg);
    CHECK_MSG(dt < 0.9, "a 4xx took %.2f s: retried?", dt);
    rc = vsr_s3_delete(s3, "k.mp4", &err);
    CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "DELETE") && strstr(err.msg, "403"), "delete: %s",
              err.msg);
    vsr_s3_destroy(s3);
}

/* Storage down (nothing listens): every attempt fails to connect, the
 * waits between them are 100, 200, 400 ms. */
static void test_storage_down(void)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", test_closed_port());
    vsr_s3 *s3 = make_s3(endpoint, "AK", "SECRET-DOWN", 3, 100);
    if (!s3)
        return;
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/down.bin", work);
    write_file(path, 100, 5, NULL);
    vsr_error err = {0};
    double t0 = test_now_s();
    int rc = vsr_s3_put_file(s3, "k", path, NULL, &err);
    double dt = test_now_s() - t0;
    CHECK(rc == VSR_ERR_IO);
    CHECK_MSG(strstr(err.msg, "(4 attempts in ") && strstr(err.msg, endpoint) &&
                  strstr(err.msg, "s3://" BUCKET "/k") && !strstr(err.msg, "SECRET-DOWN"),
              "message: %s", err.msg);
    CHECK_MSG(dt >= 0.68 && dt < 5.0, "3 backoffs of 100+200+400 ms took %.2f s", dt);
    t0 = test_now_s();
    rc = vsr_s3_delete(s3, "k", &err);
    dt = test_now_s() - t0;
    CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "(4 attempts in "), "delete: %s", err.msg);
    CHECK_MSG(dt >= 0.68 && dt < 5.0, "delete backoffs took %.2f s", dt);
    vsr_s3_destroy(s3);
}

/* A fake S3 answering a scripted list of statuses, one per connection,
 * and keeping the last request's head. */
typedef struct fake {
    int fd, port;
    const int *statuses;
    int n_statuses;
    int served;
    char last_head[8192];
    pthread_t thread;
} fake;

static void *fake_main(void *arg)
{
    fake *f = arg;
    for (int i = 0; i < f->n_statuses; i++) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            break;
        char buf[16384];
        size_t len = 0;
        char *end = NULL;
        while (!end && len < sizeof buf - 1) {
            ssize_t r = read(c, buf + len, sizeof buf - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
            buf[len] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        if (end) {
            size_t head = (size_t)(end - buf) + 4;
            snprintf(f->last_head, sizeof f->last_head, "%.*s", (int)head, buf);
            const char *cl = strcasestr(buf, "\ncontent-length:");
            long body = cl ? atol(cl + 16) : 0;
            long have = (long)(len - head);
            while (have < body) {
                ssize_t r = read(c, buf, sizeof buf);
                if (r <= 0)
                    break;
                have += r;
            }
        }
        int st = f->statuses[i];
        char resp[512];
        const char *xml = st >= 300 ? "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                                      "<Message>Please reduce your request rate.</Message></Error>"
                                    : "";
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", st,
                         strlen(xml), xml);
        if (write(c, resp, (size_t)n) != n)
            fprintf(stderr, "fake: short write\n");
        close(c);
        f->served++;
    }
    return NULL;
}

static void fake_start(fake *f, const int *statuses, int n)
{
    memset(f, 0, sizeof *f);
    f->statuses = statuses;
    f->n_statuses = n;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    CHECK(f->fd >= 0 && bind(f->fd, (struct sockaddr *)&a, sizeof a) == 0 &&
          listen(f->fd, 8) == 0 && getsockname(f->fd, (struct sockaddr *)&a, &len) == 0);
    f->port = ntohs(a.sin_port);
    pthread_create(&f->thread, NULL, fake_main, f);
}

static void fake_stop(fake *f)
{
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->thread, NULL);
    close(f->fd);
}

static void test_server_errors(void)
{
    char path[PATH_BUF], endpoint[64];
    snprintf(path, sizeof path, "%s/fake.bin", work);
    write_file(path, 5000, 9, NULL);
    char want_hash[VSR_SIGV4_HEX_SIZE];
    {
        unsigned char *d = NULL;
        write_file(path, 5000, 9, &d);
        vsr_sigv4_sha256_hex(d, 5000, want_hash, NULL);
        free(d);
    }
    vsr_error err = {0};

    /* Three 503s: retried twice, then the error names the status and code. */
    static const int three_503[] = {503, 503, 503};
    fake f;
    fake_start(&f, three_503, 3);
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%d", f.port);
    char http_endpoint[80];
    snprintf(http_endpoint, sizeof http_endpoint, "http://%s", endpoint);
    vsr_s3 *s3 = make_s3(http_endpoint, "AK", "SK", 2, 20);
    int rc = s3 ? vsr_s3_put_file(s3, "a/b.mp4", path, "video/mp4", &err) : -1;
    fake_stop(&f);
    CHECK(rc == VSR_ERR_IO && f.served == 3);
    CHECK_MSG(strstr(err.msg, "HTTP 503 SlowDown: Please reduce your request rate.") &&
                  strstr(err.msg, "(3 attempts in "),
              "message: %s", err.msg);
    /* What was sent: Host with the port, the body's SHA-256, a V4
     * Authorization over exactly those headers, no Expect. */
    char host_line[96];
    snprintf(host_line, sizeof host_line, "\r\nHost: %s\r\n", endpoint);
    CHECK_MSG(strncmp(f.last_head, "PUT /" BUCKET "/a/b.mp4 HTTP/1.1\r\n", 30) == 0 &&
                  strstr(f.last_head, host_line) && strstr(f.last_head, want_hash) &&
                  strstr(f.last_head, "\r\nContent-Type: video/mp4\r\n") &&
                  strstr(f.last_head, "\r\nContent-Length: 5000\r\n") &&
                  strstr(f.last_head, "SignedHeaders=content-type;host;x-amz-content-sha256;"
                                      "x-amz-date,Signature=") &&
                  !strcasestr(f.last_head, "\r\nExpect:"),
              "request head:\n%s", f.last_head);
    vsr_s3_destroy(s3);

    /* A 500 then a 200: the retry succeeds. */
    static const int then_ok[] = {500, 200};
    fake_start(&f, then_ok, 2);
    snprintf(http_endpoint, sizeof http_endpoint, "http://127.0.0.1:%d", f.port);
    s3 = make_s3(http_endpoint, "AK", "SK", 2, 20);
    rc = s3 ? vsr_s3_put_file(s3, "ok.mp4", path, NULL, &err) : -1;
    fake_stop(&f);
    CHECK_MSG(rc == VSR_OK && f.served == 2, "rc %d served %d: %s", rc, f.served, err.msg);
    vsr_s3_destroy(s3);

    /* DELETE: 404 is success, 204 too; one attempt each. */
    static const int del[] = {404, 204};
    fake_start(&f, del, 2);
    snprintf(http_endpoint, sizeof http_endpoint, "http://127.0.0.1:%d", f.port);
    s3 = make_s3(http_endpoint, "AK", "SK", 2, 20);
    CHECK(s3 && vsr_s3_delete(s3, "gone", &err) == VSR_OK);
    CHECK(s3 && vsr_s3_delete(s3, "here", &err) == VSR_OK);
    fake_stop(&f);
    CHECK(f.served == 2 && strncmp(f.last_head, "DELETE /" BUCKET "/here HTTP/1.1", 30) == 0 &&
          strstr(f.last_head, VSR_SIGV4_EMPTY_SHA256));
    vsr_s3_destroy(s3);
}

static void expect_url_prefix(const char *endpoint, const char *want)
{
    vsr_s3 *s3 = make_s3(endpoint, "AK", "SK", 0, 0);
    char url[2048];
    vsr_error err = {0};
    CHECK(s3 && vsr_s3_presign_get(s3, "k", 60, 1369353600, url, sizeof url, &err) == VSR_OK);
    CHECK_MSG(s3 && strncmp(url, want, strlen(want)) == 0, "endpoint %s: url %s, want %s...",
              endpoint, url, want);
    vsr_s3_destroy(s3);
}

static void expect_bad_config(const char *endpoint, const char *bucket, int retries,
                              const char *what)
{
    vsr_s3_config cfg = {endpoint, bucket, "AK", "SK", NULL, retries, 10, 1000, 0};
    vsr_s3 *s3 = NULL;
    vsr_error err = {0};
    CHECK_MSG(vsr_s3_create(&cfg, &s3, &err) == VSR_ERR_INVALID && !s3 && strstr(err.msg, what),
              "endpoint %s bucket %s: '%s', want '%s'", endpoint ? endpoint : "(null)",
              bucket ? bucket : "(null)", err.msg, what);
    vsr_s3_destroy(s3);
}

static void test_config(void)
{
    expect_url_prefix("127.0.0.1:9000", "https://127.0.0.1:9000/" BUCKET "/k?X-Amz-Algorithm=");
    expect_url_prefix("HTTP://Store.Example:80/", "http://store.example/" BUCKET "/k?");
    expect_url_prefix("https://s3.example.com:443", "https://s3.example.com/" BUCKET "/k?");
    expect_url_prefix("https://s3.example.com:8443", "https://s3.example.com:8443/" BUCKET "/k?");
    expect_url_prefix("http://[::1]:9000", "http://[::1]:9000/" BUCKET "/k?");
    expect_bad_config("ftp://h", BUCKET, 0, "scheme");
    expect_bad_config("http://h/prefix", BUCKET, 0, "no path");
    expect_bad_config("http://user:pw@h", BUCKET, 0, "credentials");
    expect_bad_config("http://h:0", BUCKET, 0, "port");
    expect_bad_config("http://h:99999", BUCKET, 0, "port");
    expect_bad_config("http://", BUCKET, 0, "no host");
    expect_bad_config(NULL, BUCKET, 0, "BUCKET_COMPATIBLE_ENDPOINT");
    expect_bad_config("h", "", 0, "bucket");
    expect_bad_config("h", "a/b", 0, "bucket");
    expect_bad_config("h", BUCKET, -1, "retries");

    /* Presign argument checks. */
    vsr_s3 *s3 = make_s3("h", "AK", "SK", 0, 0);
    char url[2048], tiny[32];
    vsr_error err = {0};
    CHECK(vsr_s3_presign_get(s3, "k", 0, 1369353600, url, sizeof url, &err) == VSR_ERR_INVALID);
    CHECK(vsr_s3_presign_get(s3, "k", 604801, 1369353600, url, sizeof url, &err) ==
          VSR_ERR_INVALID);
    CHECK(vsr_s3_presign_get(s3, "k", 604800, 1369353600, url, sizeof url, &err) == VSR_OK);
    CHECK(vsr_s3_presign_get(s3, "k", 60, 1369353600, tiny, sizeof tiny, &err) == VSR_ERR_INVALID &&
          tiny[0] == '\0' && strstr(err.msg, "bytes"));
    vsr_s3_destroy(s3);
}

typedef struct upload_job {
    vsr_s3 *s3;
    char key[64];
    char path[PATH_BUF];
    int rc;
    vsr_error err;
} upload_job;

static void *upload_main(void *arg)
{
    upload_job *j = arg;
    j->rc = vsr_s3_put_file(j->s3, j->key, j->path, "video/mp4", &j->err);
    if (j->rc == VSR_OK)
        j->rc = vsr_s3_delete(j->s3, j->key, &j->err);
    return NULL;
}

typedef struct canceller {
    volatile sig_atomic_t flag;
    long after_ms;
    pthread_t thread;
} canceller;

static void *cancel_main(void *arg)
{
    canceller *c = arg;
    test_sleep_ms(c->after_ms);
    c->flag = 1;
    return NULL;
}

static vsr_s3 *black_hole_s3(int port, int retries, long backoff_ms, long timeout_ms, long stall_ms)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    vsr_s3_config cfg = {
        .endpoint = endpoint,
        .bucket = BUCKET,
        .access_key = "AK",
        .secret_key = "SK",
        .retries = retries,
        .backoff_ms = backoff_ms,
        .timeout_ms = timeout_ms,
        .stall_timeout_ms = stall_ms,
    };
    vsr_s3 *s3 = NULL;
    vsr_error err = {0};
    CHECK_MSG(vsr_s3_create(&cfg, &s3, &err) == VSR_OK, "%s", err.msg);
    return s3;
}

/* A store that takes the connection and never answers (issue 20: an
 * upload waited 120 s per try, past its job's deadline): the stall limit
 * ends an attempt without a total timeout, the timeout ends one, and a
 * cancel ends the whole call within about a second, during an attempt or
 * the backoff after one. */
static void test_black_hole(void)
{
    int hole;
    int port = test_black_hole_port(&hole);
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/hole.bin", work);
    write_file(path, 20000, 9, NULL);
    vsr_error err = {0};

    vsr_s3 *s3 = black_hole_s3(port, 1, 100, 0, 1000); /* no timeout, 1 s stall */
    double t0 = test_now_s();
    int rc = s3 ? vsr_s3_put_file(s3, "k", path, NULL, &err) : -1;
    double dt = test_now_s() - t0;
    CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "(2 attempts in "), "stall: %d %s", rc, err.msg);
    CHECK_MSG(dt >= 1.5 && dt < 8, "two 1 s stalls took %.2f s", dt);
    vsr_s3_destroy(s3);

    s3 = black_hole_s3(port, 0, 100, 1200, 0); /* 1.2 s timeout, the stall limit follows it */
    t0 = test_now_s();
    rc = s3 ? vsr_s3_delete(s3, "k", &err) : -1;
    dt = test_now_s() - t0;
    CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "DELETE"), "timeout: %d %s", rc, err.msg);
    CHECK_MSG(dt >= 0.9 && dt < 6, "a 1.2 s timeout took %.2f s", dt);
    vsr_s3_destroy(s3);

    /* 60 s a try, 3 retries: only the cancel (at 1 s) ends it. */
    s3 = black_hole_s3(port, 3, 100, 60000, 60000);
    canceller c = {.after_ms = 1000};
    pthread_create(&c.thread, NULL, cancel_main, &c);
    t0 = test_now_s();
    rc = s3 ? vsr_s3_put_file_cancellable(s3, "k", path, NULL, &c.flag, &err) : -1;
    dt = test_now_s() - t0;
    pthread_join(c.thread, NULL);
    CHECK_MSG(rc == VSR_ERR_CANCELLED && strstr(err.msg, "cancelled"), "cancel: %d %s", rc,
              err.msg);
    CHECK_MSG(dt >= 0.9 && dt < 4, "cancelled at 1 s, returned after %.2f s", dt);
    vsr_s3_destroy(s3);

    /* The cancel comes during a 20 s backoff. */
    s3 = black_hole_s3(port, 2, 20000, 300, 0);
    c = (canceller){.after_ms = 1000};
    pthread_create(&c.thread, NULL, cancel_main, &c);
    t0 = test_now_s();
    rc = s3 ? vsr_s3_delete_cancellable(s3, "k", &c.flag, &err) : -1;
    dt = test_now_s() - t0;
    pthread_join(c.thread, NULL);
    CHECK_MSG(rc == VSR_ERR_CANCELLED, "cancel in backoff: %d %s", rc, err.msg);
    CHECK_MSG(dt < 4, "cancelled during the backoff at 1 s, returned after %.2f s", dt);
    vsr_s3_destroy(s3);
    close(hole);
}

/* One vsr_s3, several threads at once. */
static void test_threads(const test_s3rver *srv)
{
    vsr_s3 *s3 = make_s3(srv->endpoint, TEST_S3RVER_KEY, TEST_S3RVER_KEY, 2, 50);
    if (!s3)
        return;
    upload_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].s3 = s3;
        snprintf(jobs[i].key, sizeof jobs[i].key, "thread-%d.mp4", i);
        snprintf(jobs[i].path, sizeof jobs[i].path, "%s/thread-%d.bin", work, i);
        write_file(jobs[i].path, 200000 + (size_t)i, (unsigned)i, NULL);
        pthread_create(&th[i], NULL, upload_main, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(jobs[i].rc == VSR_OK, "thread %d: %s", i, jobs[i].err.msg);
    }
    vsr_s3_destroy(s3);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "FAIL: curl_global_init\n");
        return 1;
    }
    test_workdir("test_s3_client", work);
    test_s3rver srv;
    test_s3rver_start(&srv, work, BUCKET);
    test_roundtrip(&srv);
    test_client_error(&srv);
    test_threads(&srv);
    test_s3rver_stop(&srv);
    test_storage_down();
    test_black_hole();
    test_server_errors();
    test_config();
    curl_global_cleanup();
    return test_report("test_s3_client");
}
