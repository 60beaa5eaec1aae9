/* Helpers for C tests that need a real S3-compatible server: starts s3rver
 * (installed by scripts/fetch-test-tools.sh) on 127.0.0.1 on a port the
 * kernel picks, with a fresh data directory and one bucket, and stops it.
 * A missing s3rver is a failure, never a skip. s3rver parses SigV4
 * requests (access key, date skew, x-amz-content-sha256, expiry) but does
 * not recompute V4 signatures: tests/unit/test_s3_sigv4.c checks those. */
#ifndef VSR_TESTS_S3RVER_TEST_H
#define VSR_TESTS_S3RVER_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_S3RVER_KEY "S3RVER" /* s3rver's built-in account: key and secret */

typedef struct test_s3rver {
    pid_t pid;
    int port;
    char endpoint[64]; /* http://127.0.0.1:PORT */
    char log[PATH_MAX + 32];
} test_s3rver;

/* The test's own scratch directory, $VSR_TEST_TMP/<name>, emptied. Exits
 * on failure. */
static inline void test_workdir(const char *name, char out[PATH_MAX])
{
    const char *tmp = getenv("VSR_TEST_TMP");
    if (!tmp || !*tmp) {
        fprintf(stderr, "FAIL: VSR_TEST_TMP is not set (run through ctest)\n");
        exit(1);
    }
    if (strlen(tmp) + strlen(name) + 2 > PATH_MAX / 2) {
        fprintf(stderr, "FAIL: VSR_TEST_TMP is too long\n");
        exit(1);
    }
    snprintf(out, PATH_MAX, "%s/%s", tmp, name);
    char cmd[2 * PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    if (system(cmd) != 0) {
        fprintf(stderr, "FAIL: cannot create %s\n", out);
        exit(1);
    }
}

static inline void test_s3rver_bin(char *out, size_t size)
{
    const char *dir = getenv("VSR_S3RVER_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(out, size, "%s/node_modules/.bin/s3rver", dir);
    else if (xdg && *xdg)
        snprintf(out, size, "%s/vsr/s3rver/node_modules/.bin/s3rver", xdg);
    else
        snprintf(out, size, "%s/.cache/vsr/s3rver/node_modules/.bin/s3rver", home ? home : "");
}

static inline void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Starts s3rver with data in dir/data, bucket created. Exits the test with
 * a FAIL line when it cannot. */
static inline void test_s3rver_start(test_s3rver *s, const char *dir, const char *bucket)
{
    char bin[PATH_MAX], data[PATH_MAX + 32];
    test_s3rver_bin(bin, sizeof bin);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "FAIL: s3rver not installed at %s (run scripts/fetch-test-tools.sh)\n",
                bin);
        exit(1);
    }
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(s->log, sizeof s->log, "%s/s3rver.log", dir);
    mkdir(data, 0755);
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) {
        fprintf(stderr, "FAIL: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (s->pid == 0) {
        /* s3rver goes when the test goes, even if the test crashes. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (!freopen(s->log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
            _exit(127);
        execl(bin, bin, "-d", data, "-a", "127.0.0.1", "-p", "0", "--configure-bucket", bucket,
              (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    /* s3rver prints "S3rver listening on 127.0.0.1:PORT" once it serves. */
    for (int i = 0; i < 600; i++) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "FAIL: s3rver exited (status %d); its log %s:\n", status, s->log);
            char cmd[PATH_MAX + 64];
            snprintf(cmd, sizeof cmd, "cat '%s' >&2", s->log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no log)\n");
            exit(1);
        }
        FILE *f = fopen(s->log, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "listening on 127.0.0.1:");
            if (p && (s->port = atoi(p + strlen("listening on 127.0.0.1:"))) > 0) {
                fclose(f);
                snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d", s->port);
                return;
            }
        }
        if (f)
            fclose(f);
        test_sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    fprintf(stderr, "FAIL: s3rver did not start within 30 s (log %s)\n", s->log);
    exit(1);
}

static inline void test_s3rver_stop(test_s3rver *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        test_sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

/* A TCP port on 127.0.0.1 that nothing listens on: bound, then closed. */
static inline int test_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        fprintf(stderr, "FAIL: cannot find a free port: %s\n", strerror(errno));
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* A store that accepts connections and never answers (issue 20): a socket
 * listening on 127.0.0.1 that nobody accepts on, so the kernel completes
 * every handshake and takes the request's first bytes. Its port; *fd to
 * close when done. */
static inline int test_black_hole_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(*fd, 64) != 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) != 0) {
        fprintf(stderr, "FAIL: cannot listen on a free port: %s\n", strerror(errno));
        exit(1);
    }
    return ntohs(a.sin_port);
}

static inline double test_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
