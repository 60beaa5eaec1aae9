/* download: real transfers from tests/tools/payload_server.py on loopback
 * (127.0.0.1, and 127.0.0.2 as a second, also-loopback host). Checks that
 * the address policy holds on the first connection and after redirects
 * (without a packet reaching the refused server), that only http(s) goes,
 * and that every failure (status, drop, stall, cap, timeout) is reported
 * with a useful message, quickly, and leaves no file. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/download.h"
#include "test_util.h"

#define PYTHON "/usr/bin/python3"
#define PAYLOAD_SIZE 300001

static char dir[512];
static unsigned char *payload;

typedef struct server {
    pid_t pid;
    int port;
    char log[1100];
    const char *bind;
} server;

static server srv_a = {.bind = "127.0.0.1"}, srv_b = {.bind = "127.0.0.2"};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int start_server(server *s, const char *name)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    if (!src) {
        fprintf(stderr, "VSR_SOURCE_DIR is not set (run through ctest)\n");
        return -1;
    }
    char script[1100], port_file[1100];
    snprintf(script, sizeof script, "%s/tests/tools/payload_server.py", src);
    snprintf(port_file, sizeof port_file, "%s/%s.port", dir, name);
    snprintf(s->log, sizeof s->log, "%s/%s.log", dir, name);
    unlink(port_file);
    unlink(s->log);
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid < 0) {
        perror("fork");
        return -1;
    }
    if (s->pid == 0) {
        /* Die with the test, even when it crashes (atexit does not run). */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
            _exit(126);
        execl(PYTHON, PYTHON, script, "--bind", s->bind, "--dir", dir, "--port-file", port_file,
              "--log", s->log, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", PYTHON, strerror(errno));
        _exit(127);
    }
    /* Wait for the port (python starts in well under a second). */
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(port_file, "r");
        if (f) {
            int ok = fscanf(f, "%d", &s->port) == 1;
            fclose(f);
            if (ok)
                return 0;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "payload server on %s exited early (status %d)\n", s->bind, status);
            s->pid = 0;
            return -1;
        }
        usleep(50 * 1000);
    }
    fprintf(stderr, "payload server on %s did not start in 10 s\n", s->bind);
    return -1;
}

static void stop_server(server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

static void stop_servers(void)
{
    stop_server(&srv_a);
    stop_server(&srv_b);
}

/* Lines of the server's log that start with what (accepted connections,
 * requests). */
static int count_log(const server *s, const char *what)
{
    FILE *f = fopen(s->log, "r");
    if (!f)
        return 0; /* nothing logged yet */
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, what, strlen(what)))
            n++;
    fclose(f);
    return n;
}

static vsr_download_limits limits(const char *allow)
{
    vsr_download_limits l;
    vsr_download_limits_default(&l);
    l.allow_cidrs = allow;
    return l;
}

/* One download into dir/name; returns the status, *ms the time taken. */
static int fetch(const char *url, const vsr_download_limits *l, const char *name, vsr_error *err,
                 int64_t *ms)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    vsr_error_clear(err);
    int64_t t0 = now_ms();
    int rc = vsr_download_file(url, path, l, err);
    if (ms)
        *ms = now_ms() - t0;
    return rc;
}

static int out_exists(const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return file_exists(path);
}

static int out_matches(const char *name, const unsigned char *want, size_t n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char *got = malloc(n + 1);
    size_t r = got ? fread(got, 1, n + 1, f) : 0;
    fclose(f);
    int ok = got && r == n && !memcmp(got, want, n);
    free(got);
    return ok;
}

#define HAS(err, s) (strstr((err).msg, (s)) != NULL)

static void test_success(void)
{
    char url[256];
    vsr_error err;
    vsr_download_limits l = limits("127.0.0.1/32");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/payload.bin", srv_a.port);
    int rc = fetch(url, &l, "ok.bin", &err, NULL);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(out_matches("ok.bin", payload, PAYLOAD_SIZE));
    char path[1200];
    snprintf(path, sizeof path, "%s/ok.bin", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    /* The target exists now: O_EXCL refuses, and the file stays intact. */
    rc = vsr_download_file(url, path, &l, &err);
    CHECK(rc == VSR_ERR_IO);
    CHECK_MSG(HAS(err, "File exists"), "%s", err.msg);
    CHECK(out_matches("ok.bin", payload, PAYLOAD_SIZE));

    /* allow_private: no policy at all. */
    vsr_download_limits open = limits(NULL);
    open.allow_private = 1;
    rc = fetch(url, &open, "private.bin", &err, NULL);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(out_matches("private.bin", payload, PAYLOAD_SIZE));

    /* Exactly at the cap is fine. */
    vsr_download_limits cap = limits("127.0.0.1");
    cap.max_bytes = PAYLOAD_SIZE;
    rc = fetch(url, &cap, "atcap.bin", &err, NULL);
    CHECK_MSG(rc == 0, "%s", err.msg);

    /* Three redirects with a limit of three. */
    vsr_download_limits three = limits("127.0.0.1/32");
    three.max_redirects = 3;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/chain/3", srv_a.port);
    rc = fetch(url, &three, "chain.bin", &err, NULL);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(out_matches("chain.bin", (const unsigned char *)"ok", 2));

    /* A redirect to the second server, when both are allowed: proves the
     * server on 127.0.0.2 works, for the refusal below. */
    snprintf(
        url, sizeof url,
        "http://127.0.0.1:%d/redirect?to=http%%3A%%2F%%2F127.0.0.2%%3A%d%%2Ffile%%2Fpayload.bin",
        srv_a.port, srv_b.port);
    vsr_download_limits both = limits("127.0.0.0/8");
    int before = count_log(&srv_b, "accept");
    rc = fetch(url, &both, "redir-ok.bin", &err, NULL);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(out_matches("redir-ok.bin", payload, PAYLOAD_SIZE));
    CHECK(count_log(&srv_b, "accept") == before + 1);
}

/* A refused address: VSR_ERR_INVALID naming the class, fast, no file, and
 * no connection reached server s (NULL: none to watch). */
static void expect_refused(const char *url, const vsr_download_limits *l, const char *cls,
                           const server *s)
{
    vsr_error err;
    int64_t ms;
    int before = s ? count_log(s, "accept") : 0;
    int rc = fetch(url, l, "refused.bin", &err, &ms);
    CHECK_MSG(rc == VSR_ERR_INVALID, "%s: rc %d: %s", url, rc, err.msg);
    CHECK_MSG(HAS(err, cls), "%s: want '%s' in: %s", url, cls, err.msg);
    CHECK_MSG(HAS(err, "not allowed by the address policy"), "%s", err.msg);
    CHECK_MSG(ms < 2000, "%s took %lld ms", url, (long long)ms);
    CHECK(!out_exists("refused.bin"));
    printf("  refused %-60.60s %3lld ms  %s\n", url, (long long)ms, err.msg);
    if (s) {
        usleep(100 * 1000); /* a connection would have been logged by now */
        CHECK_MSG(count_log(s, "accept") == before, "%s reached the server on %s", url, s->bind);
    }
}

static void test_policy(void)
{
    char url[512];
    vsr_download_limits def = limits(NULL);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);
    /* An allowance for another network does not help. */
    vsr_download_limits other = limits("10.0.0.0/8, 127.0.0.2/32");
    expect_refused(url, &other, "loopback", &srv_a);
    snprintf(url, sizeof url, "http://localhost:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);

    /* These get no answer at all on a test machine: without the policy they
     * would hang until the connect timeout; refused, they return at once. */
    expect_refused("http://169.254.169.254/latest/meta-data/", &def, "link-local", NULL);
    expect_refused("http://10.0.0.1/x.mp4", &def, "private", NULL);
    expect_refused("http://192.168.1.1/x.mp4", &def, "private", NULL);
    expect_refused("http://100.64.0.1/x.mp4", &def, "carrier-grade NAT", NULL);
    expect_refused("http://[fd00::1]/x.mp4", &def, "private", NULL);
    expect_refused("http://[fe80::1]/x.mp4", &def, "link-local", NULL);
    /* Linux connects 0.0.0.0 and ::ffff:127.0.0.1 to the local host: aimed
     * at the live server's port, they must not reach it. */
    snprintf(url, sizeof url, "http://0.0.0.0:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "unspecified", &srv_a);
    snprintf(url, sizeof url, "http://[::1]:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);
    snprintf(url, sizeof url, "http://[::ffff:127.0.0.1]:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);
    /* Decimal and hex forms of 127.0.0.1 are the same address. */
    snprintf(url, sizeof url, "http://2130706433:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);
    snprintf(url, sizeof url, "http://0x7f.1:%d/file/payload.bin", srv_a.port);
    expect_refused(url, &def, "loopback", &srv_a);

    /* After a redirect: 127.0.0.1 is allowed, 127.0.0.2 (loopback too) is
     * not, and must see no connection. */
    vsr_download_limits one = limits("127.0.0.1/32");
    snprintf(
        url, sizeof url,
        "http://127.0.0.1:%d/redirect?to=http%%3A%%2F%%2F127.0.0.2%%3A%d%%2Ffile%%2Fpayload.bin",
        srv_a.port, srv_b.port);
    expect_refused(url, &one, "127.0.0.2", &srv_b);
    expect_refused(url, &one, "after 1 redirect", &srv_b);

    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/"
             "redirect?to=http%%3A%%2F%%2F169.254.169.254%%2Flatest%%2Fmeta-data%%2F",
             srv_a.port);
    expect_refused(url, &one, "link-local", NULL);
    snprintf(
        url, sizeof url,
        "http://127.0.0.1:%d/redirect?to=http%%3A%%2F%%2Flocalhost%%3A%d%%2Ffile%%2Fpayload.bin",
        srv_a.port, srv_b.port);
    vsr_download_limits only_a = limits("127.0.0.1/32");
    vsr_error err;
    int rc = fetch(url, &only_a, "localhost.bin", &err, NULL);
    /* localhost is 127.0.0.1 (allowed, but nothing listens on srv_b's port
     * there) or ::1 (refused): either way it must fail, and not succeed. */
    CHECK_MSG(rc != 0, "redirect to localhost succeeded");
    printf("  redirect to localhost: %s\n", err.msg);
    CHECK(!out_exists("localhost.bin"));
}

static void expect_error(const char *what, const char *url, const vsr_download_limits *l, int code,
                         const char *want, int64_t max_ms)
{
    vsr_error err;
    int64_t ms;
    int rc = fetch(url, l, "fail.bin", &err, &ms);
    CHECK_MSG(rc == code, "%s: rc %d (%s), want %d: %s", what, rc, vsr_status_name(rc), code,
              err.msg);
    CHECK_MSG(HAS(err, want), "%s: want '%s' in: %s", what, want, err.msg);
    CHECK_MSG(ms <= max_ms, "%s took %lld ms (limit %lld)", what, (long long)ms, (long long)max_ms);
    CHECK_MSG(!out_exists("fail.bin"), "%s left its file", what);
    printf("  %-22s %5lld ms  %s\n", what, (long long)ms, err.msg);
}

/* Sets *flag after 300 ms: a job cancelled while its input downloads. */
static void *cancel_later(void *flag)
{
    usleep(300 * 1000);
    *(volatile sig_atomic_t *)flag = 1;
    return NULL;
}

static void test_schemes_and_urls(void)
{
    char url[512];
    vsr_download_limits l = limits("127.0.0.1/32");
    int before = count_log(&srv_a, "accept");

    snprintf(url, sizeof url, "ftp://127.0.0.1:%d/payload.bin", srv_a.port);
    expect_error("ftp", url, &l, VSR_ERR_INVALID, "scheme 'ftp' is not allowed", 1000);
    expect_error("file", "file:///etc/passwd", &l, VSR_ERR_INVALID, "scheme 'file'", 1000);
    snprintf(url, sizeof url, "gopher://127.0.0.1:%d/", srv_a.port);
    expect_error("gopher", url, &l, VSR_ERR_INVALID, "scheme 'gopher'", 1000);
    snprintf(url, sizeof url, "dict://127.0.0.1:%d/", srv_a.port);
    expect_error("dict", url, &l, VSR_ERR_INVALID, "scheme 'dict'", 1000);
    expect_error("no scheme", "127.0.0.1/x", &l, VSR_ERR_INVALID, "URL", 1000);
    expect_error("empty", "", &l, VSR_ERR_INVALID, "empty URL", 1000);
    expect_error("space", "http://127.0.0.1/a b", &l, VSR_ERR_INVALID, "offset 18", 1000);
    expect_error("no host", "http://", &l, VSR_ERR_INVALID, "URL", 1000);
    expect_error("no host, port", "http://:8080/x", &l, VSR_ERR_INVALID, "URL", 1000);

    snprintf(url, sizeof url, "http://user:hunter2@127.0.0.1:%d/file/payload.bin", srv_a.port);
    vsr_error err;
    int rc = fetch(url, &l, "creds.bin", &err, NULL);
    CHECK(rc == VSR_ERR_INVALID);
    CHECK_MSG(HAS(err, "credentials") && !HAS(err, "hunter2") && HAS(err, "***@"), "%s", err.msg);
    usleep(100 * 1000);
    CHECK_MSG(count_log(&srv_a, "accept") == before, "a refused scheme or URL reached the server");

    /* Redirects to other schemes. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=file%%3A%%2F%%2F%%2Fetc%%2Fpasswd",
             srv_a.port);
    expect_error("redirect to file", url, &l, VSR_ERR_INVALID, "scheme", 2000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=ftp%%3A%%2F%%2F127.0.0.1%%2Fx",
             srv_a.port);
    expect_error("redirect to ftp", url, &l, VSR_ERR_INVALID, "scheme", 2000);

    /* Bad allow lists and limits. */
    vsr_download_limits bad = limits("127.0.0.1/33");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/payload.bin", srv_a.port);
    expect_error("bad allow list", url, &bad, VSR_ERR_INVALID, "127.0.0.1/33", 1000);
    bad = limits(NULL);
    bad.total_timeout_ms = 0;
    expect_error("zero timeout", url, &bad, VSR_ERR_INVALID, "positive", 1000);
}

static void test_transfer_errors(void)
{
    char url[512];
    vsr_download_limits l = limits("127.0.0.1/32");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/status/404", srv_a.port);
    expect_error("404", url, &l, VSR_ERR_IO, "HTTP status 404", 2000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/status/500", srv_a.port);
    expect_error("500", url, &l, VSR_ERR_IO, "HTTP status 500", 2000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/missing.bin", srv_a.port);
    expect_error("missing file", url, &l, VSR_ERR_IO, "404", 2000);
    /* The URL is in the message (redacted). */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/status/403?X-Amz-Signature=abcdef0123&a=b",
             srv_a.port);
    vsr_error err;
    fetch(url, &l, "fail.bin", &err, NULL);
    CHECK_MSG(HAS(err, "/status/403?X-Amz-Signature=REDACTED&a=b") && !HAS(err, "abcdef0123"), "%s",
              err.msg);

    vsr_download_limits three = l;
    three.max_redirects = 3;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/loop", srv_a.port);
    expect_error("redirect loop", url, &three, VSR_ERR_IO, "more than 3 redirects", 3000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/chain/4", srv_a.port);
    expect_error("4 redirects of 3", url, &three, VSR_ERR_IO, "more than 3 redirects", 3000);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/drop?len=100000&send=1000", srv_a.port);
    expect_error("dropped connection", url, &l, VSR_ERR_IO, "", 3000);

    vsr_download_limits stall = l;
    stall.stall_timeout_ms = 1000;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stall-body", srv_a.port);
    expect_error("stall in body", url, &stall, VSR_ERR_IO, "no data for 1000 ms", 4000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stall-headers", srv_a.port);
    expect_error("stall before headers", url, &stall, VSR_ERR_IO, "no data for 1000 ms", 4000);

    /* A slow drip defeats the stall check; the total timeout ends it. */
    vsr_download_limits total = l;
    total.stall_timeout_ms = 1000;
    total.total_timeout_ms = 1500;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/drip?n=100&ms=100", srv_a.port);
    expect_error("total timeout", url, &total, VSR_ERR_IO, "timed out", 4000);

    /* Cancelled mid-body (a 10 s drip): stops within about a second. */
    volatile sig_atomic_t cancel = 0;
    vsr_download_limits cancellable = l;
    cancellable.cancel = &cancel;
    pthread_t canceller;
    pthread_create(&canceller, NULL, cancel_later, (void *)&cancel);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/drip?n=100&ms=100", srv_a.port);
    expect_error("cancelled", url, &cancellable, VSR_ERR_CANCELLED, "cancelled", 2500);
    pthread_join(canceller, NULL);

    vsr_download_limits cap = l;
    cap.max_bytes = 100000;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/big?n=5000000", srv_a.port);
    expect_error("over cap, no length", url, &cap, VSR_ERR_NOMEM, "100000-byte limit", 3000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/biglen?n=5000000", srv_a.port);
    expect_error("over cap, by length", url, &cap, VSR_ERR_NOMEM, "100000-byte limit", 3000);
    cap.max_bytes = PAYLOAD_SIZE - 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/payload.bin", srv_a.port);
    expect_error("one byte over cap", url, &cap, VSR_ERR_NOMEM, "-byte limit", 3000);

    /* Nothing listens: connection refused, quickly. Port 1 on 127.0.0.1. */
    expect_error("connection refused", "http://127.0.0.1:1/x", &l, VSR_ERR_IO, "", 3000);

    /* A directory that does not exist: the file cannot be created. */
    vsr_download_limits ok = l;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/payload.bin", srv_a.port);
    int rc = fetch(url, &ok, "no-such-dir/x.bin", &err, NULL);
    CHECK(rc == VSR_ERR_IO);
    CHECK_MSG(HAS(err, "no-such-dir/x.bin") && HAS(err, "No such file"), "%s", err.msg);
}

static void test_redact(void)
{
    char out[256];
    vsr_url_redact("https://u:p@h.example/a/b?X-Amz-Credential=AKIA%2F1&X-Amz-Date=2025&"
                   "X-Amz-Signature=ff00#frag",
                   out, sizeof out);
    CHECK_MSG(!strcmp(out, "https://***@h.example/a/b?X-Amz-Credential=REDACTED&X-Amz-Date=2025&"
                           "X-Amz-Signature=REDACTED#frag"),
              "%s", out);
    vsr_url_redact("http://h/p?sig=1&token=2&plain=3&flag", out, sizeof out);
    CHECK_MSG(!strcmp(out, "http://h/p?sig=REDACTED&token=REDACTED&plain=3&flag"), "%s", out);
    vsr_url_redact("http://h/\x01\xff", out, sizeof out);
    CHECK_MSG(!strcmp(out, "http://h/??"), "%s", out);
    vsr_url_redact("http://example.com/very/long/path", out, 16);
    CHECK_MSG(strlen(out) == 15 && !strcmp(out + 12, "..."), "%s", out);
    vsr_url_redact(NULL, out, sizeof out);
    CHECK(!strcmp(out, "(null)"));
}

int main(void)
{
    if (test_scratch_dir("test_download", dir, sizeof dir) != 0)
        return 1;
    /* The payload: deterministic noise, so a mixed-up byte shows. */
    payload = malloc(PAYLOAD_SIZE);
    uint32_t seed = 12345;
    for (int i = 0; i < PAYLOAD_SIZE; i++) {
        seed = seed * 1664525u + 1013904223u;
        payload[i] = (unsigned char)(seed >> 24);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/payload.bin", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(payload, 1, PAYLOAD_SIZE, f) != PAYLOAD_SIZE || fclose(f)) {
        fprintf(stderr, "test_download: cannot write %s\n", path);
        return 1;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "test_download: curl_global_init failed\n");
        return 1;
    }
    /* The servers must not outlive a failing test. */
    atexit(stop_servers);
    if (start_server(&srv_a, "server_a") || start_server(&srv_b, "server_b")) {
        fprintf(stderr, "test_download: cannot start the payload servers (needs %s)\n", PYTHON);
        return 1;
    }
    printf("payload servers: 127.0.0.1:%d, 127.0.0.2:%d\n", srv_a.port, srv_b.port);

    test_redact();
    test_success();
    test_policy();
    test_schemes_and_urls();
    test_transfer_errors();

    stop_servers();
    curl_global_cleanup();
    free(payload);
    return test_report("test_download");
}
