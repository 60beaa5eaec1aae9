/* The deleter against a real s3rver: a due object is deleted, one not yet
 * due is kept; a restart (stop, start on the same db) deletes what was left
 * pending; a failed delete (storage down) stays pending, is retried with a
 * growing delay, and is deleted after a restart with working storage; a
 * delete that a store never answers does not hold up stop. */
#include "s3rver_test.h"
#include "server/deleter.h"
#include "server/s3_client.h"
#include "test_util.h"

#include <curl/curl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

#define BUCKET "vsr-deleter"
#define PATH_BUF (PATH_MAX + 64)

static char work[PATH_MAX];

static vsr_s3 *make_s3(const char *endpoint, int retries, long timeout_ms)
{
    vsr_s3_config cfg = {
        .endpoint = endpoint,
        .bucket = BUCKET,
        .access_key = TEST_S3RVER_KEY,
        .secret_key = TEST_S3RVER_KEY,
        .retries = retries,
        .backoff_ms = 50,
        .timeout_ms = timeout_ms,
    };
    vsr_s3 *s3 = NULL;
    vsr_error err = {0};
    CHECK_MSG(vsr_s3_create(&cfg, &s3, &err) == VSR_OK, "%s", err.msg);
    return s3;
}

/* HTTP status of a GET of key through a presigned URL (200 or 404). */
static long object_status(vsr_s3 *s3, const char *key)
{
    char url[4096];
    vsr_error err = {0};
    if (vsr_s3_presign_get(s3, key, 60, time(NULL), url, sizeof url, &err) != VSR_OK)
        return -1;
    CURL *h = curl_easy_init();
    long status = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L); /* HEAD: the status is enough */
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static void put(vsr_s3 *s3, const char *key, const char *file)
{
    vsr_error err = {0};
    CHECK_MSG(vsr_s3_put_file(s3, key, file, "video/mp4", &err) == VSR_OK, "put %s: %s", key,
              err.msg);
}

/* Waits up to timeout_s for vsr_deleter_pending(d) == want. */
static bool wait_pending(vsr_deleter *d, long want, double timeout_s)
{
    double end = test_now_s() + timeout_s;
    while (test_now_s() < end) {
        if (vsr_deleter_pending(d) == want)
            return true;
        test_sleep_ms(50);
    }
    return vsr_deleter_pending(d) == want;
}

/* attempts, next_try and last_error of key, read with a separate
 * connection as an operator would; attempts -1 when the row is absent. */
static void row_of(const char *db_path, const char *key, long *attempts, long long *next_try,
                   char *last_error, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *attempts = -1;
    *next_try = 0;
    last_error[0] = '\0';
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_prepare_v2(db,
                               "SELECT attempts, next_try, last_error FROM pending_deletions "
                               "WHERE key = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) {
                *attempts = (long)sqlite3_column_int64(st, 0);
                *next_try = (long long)sqlite3_column_int64(st, 1);
                const unsigned char *e = sqlite3_column_text(st, 2);
                snprintf(last_error, size, "%s", e ? (const char *)e : "");
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void test_schedule_and_restart(vsr_s3 *s3, const char *file)
{
    char db[PATH_BUF];
    snprintf(db, sizeof db, "%s/deletions.db", work);
    vsr_error err = {0};
    put(s3, "due-now.mp4", file);
    put(s3, "not-due.mp4", file);
    put(s3, "restart-me.mp4", file);

    vsr_deleter *d = NULL;
    CHECK_MSG(vsr_deleter_start(db, s3, 100, &d, &err) == VSR_OK, "%s", err.msg);
    if (!d)
        return;
    time_t now = time(NULL);
    CHECK(vsr_deleter_schedule(d, "due-now.mp4", now - 1, &err) == VSR_OK);
    CHECK(vsr_deleter_schedule(d, "not-due.mp4", now + 3600, &err) == VSR_OK);
    CHECK(vsr_deleter_schedule(d, "never-uploaded.mp4", now - 1, &err) == VSR_OK);
    CHECK_MSG(wait_pending(d, 1, 10), "pending %ld, want 1", vsr_deleter_pending(d));
    CHECK_MSG(object_status(s3, "due-now.mp4") == 404, "due object still there");
    CHECK_MSG(object_status(s3, "not-due.mp4") == 200, "not-due object gone");

    /* Due in a second, but the deleter stops before: the row stays, and the
     * next start deletes the object. */
    CHECK(vsr_deleter_schedule(d, "restart-me.mp4", time(NULL) + 1, &err) == VSR_OK);
    CHECK(vsr_deleter_pending(d) == 2);
    vsr_deleter_stop(d);
    test_sleep_ms(1500);
    CHECK_MSG(object_status(s3, "restart-me.mp4") == 200, "deleted while stopped?");
    long attempts;
    long long next_try;
    char last_error[1024];
    row_of(db, "restart-me.mp4", &attempts, &next_try, last_error, sizeof last_error);
    CHECK_MSG(attempts == 0, "restart-me row: attempts %ld (absent: -1)", attempts);

    d = NULL;
    CHECK_MSG(vsr_deleter_start(db, s3, 100, &d, &err) == VSR_OK, "%s", err.msg);
    if (!d)
        return;
    CHECK_MSG(wait_pending(d, 1, 10), "after restart: pending %ld, want 1", vsr_deleter_pending(d));
    CHECK_MSG(object_status(s3, "restart-me.mp4") == 404,
              "left from the previous run, not deleted");
    CHECK_MSG(object_status(s3, "not-due.mp4") == 200, "not-due object gone after restart");

    /* Rescheduling replaces: not-due becomes due now. */
    CHECK(vsr_deleter_schedule(d, "not-due.mp4", time(NULL) - 1, &err) == VSR_OK);
    CHECK_MSG(wait_pending(d, 0, 10), "pending %ld, want 0", vsr_deleter_pending(d));
    CHECK(object_status(s3, "not-due.mp4") == 404);
    CHECK(vsr_deleter_schedule(d, "", time(NULL), &err) == VSR_ERR_INVALID);
    vsr_deleter_stop(d);
}

static void test_failure_and_retry(vsr_s3 *good, const char *file)
{
    char db[PATH_BUF], endpoint[64];
    snprintf(db, sizeof db, "%s/failing.db", work);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", test_closed_port());
    vsr_s3 *down = make_s3(endpoint, 0, 2000);
    if (!down)
        return;
    put(good, "fail-me.mp4", file);
    vsr_error err = {0};
    vsr_deleter *d = NULL;
    CHECK_MSG(vsr_deleter_start(db, down, 100, &d, &err) == VSR_OK, "%s", err.msg);
    if (!d) {
        vsr_s3_destroy(down);
        return;
    }
    CHECK(vsr_deleter_schedule(d, "fail-me.mp4", time(NULL) - 1, &err) == VSR_OK);

    /* First failure: still pending, next try ~1 s later; second failure:
     * ~2 s later (the delay doubles). */
    long attempts = -1;
    long long next_try = 0;
    char last_error[1024];
    double end = test_now_s() + 10;
    while (test_now_s() < end) {
        row_of(db, "fail-me.mp4", &attempts, &next_try, last_error, sizeof last_error);
        if (attempts >= 1)
            break;
        test_sleep_ms(50);
    }
    CHECK_MSG(attempts == 1, "attempts %ld after the first failure", attempts);
    CHECK(vsr_deleter_pending(d) == 1);
    CHECK_MSG(strstr(last_error, endpoint) && strstr(last_error, "fail-me.mp4"), "last_error: %s",
              last_error);
    long long delay1 = next_try - (long long)time(NULL);
    CHECK_MSG(delay1 >= 0 && delay1 <= 1, "first retry delay %lld s", delay1);
    end = test_now_s() + 10;
    while (test_now_s() < end) {
        row_of(db, "fail-me.mp4", &attempts, &next_try, last_error, sizeof last_error);
        if (attempts >= 2)
            break;
        test_sleep_ms(50);
    }
    CHECK_MSG(attempts == 2, "attempts %ld after the second failure", attempts);
    long long delay2 = next_try - (long long)time(NULL);
    CHECK_MSG(delay2 >= 1 && delay2 <= 2, "second retry delay %lld s", delay2);
    vsr_deleter_stop(d);
    CHECK_MSG(object_status(good, "fail-me.mp4") == 200, "object gone while storage was down?");

    /* Restart with working storage: retried at once, deleted. */
    d = NULL;
    CHECK_MSG(vsr_deleter_start(db, good, 100, &d, &err) == VSR_OK, "%s", err.msg);
    if (d) {
        CHECK_MSG(wait_pending(d, 0, 5), "pending %ld after the restart", vsr_deleter_pending(d));
        vsr_deleter_stop(d);
    }
    CHECK(object_status(good, "fail-me.mp4") == 404);
    vsr_s3_destroy(down);
}

/* Stop while a delete waits on a store that never answers (issue 20: it
 * held the server's exit for the storage timeout, times the retries): the
 * delete is cancelled, stop returns within about a second, and the row
 * stays for the next start. */
static void test_stop_while_hung(void)
{
    char db[PATH_BUF], endpoint[64];
    snprintf(db, sizeof db, "%s/hung.db", work);
    int hole;
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", test_black_hole_port(&hole));
    vsr_s3 *s3 = make_s3(endpoint, 2, 30000); /* 30 s a try, 3 tries */
    vsr_error err = {0};
    vsr_deleter *d = NULL;
    CHECK_MSG(s3 && vsr_deleter_start(db, s3, 100, &d, &err) == VSR_OK, "%s", err.msg);
    if (d) {
        CHECK(vsr_deleter_schedule(d, "hung.mp4", time(NULL) - 1, &err) == VSR_OK);
        test_sleep_ms(1000); /* taken and sent: now waiting for an answer */
        double t0 = test_now_s();
        vsr_deleter_stop(d);
        double dt = test_now_s() - t0;
        CHECK_MSG(dt < 3, "stop took %.2f s with a delete in flight", dt);
        long attempts = -1;
        long long next_try = 0;
        char last_error[1024] = "";
        row_of(db, "hung.mp4", &attempts, &next_try, last_error, sizeof last_error);
        CHECK_MSG(attempts == 0, "the cancelled delete: attempts %ld (-1: row gone)", attempts);
    }
    vsr_s3_destroy(s3);
    close(hole);
}

static void test_bad_args(vsr_s3 *s3)
{
    vsr_error err = {0};
    vsr_deleter *d = NULL;
    char db[PATH_BUF];
    snprintf(db, sizeof db, "%s/no/such/dir/x.db", work);
    CHECK_MSG(vsr_deleter_start(db, s3, 100, &d, &err) == VSR_ERR_IO && !d &&
                  strstr(err.msg, "no/such/dir/x.db"),
              "%s", err.msg);
    snprintf(db, sizeof db, "%s/ok.db", work);
    CHECK(vsr_deleter_start(db, s3, 0, &d, &err) == VSR_ERR_INVALID && !d);
    CHECK(vsr_deleter_start(db, NULL, 100, &d, &err) == VSR_ERR_INVALID && !d);
    vsr_deleter_stop(NULL);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "FAIL: curl_global_init\n");
        return 1;
    }
    test_workdir("test_deleter", work);
    test_s3rver srv;
    test_s3rver_start(&srv, work, BUCKET);
    char file[PATH_BUF];
    snprintf(file, sizeof file, "%s/object.bin", work);
    FILE *f = fopen(file, "wb");
    CHECK(f && fputs("an upscaled clip\n", f) >= 0);
    if (f)
        fclose(f);
    vsr_s3 *s3 = make_s3(srv.endpoint, 2, 10000);
    if (s3) {
        test_schedule_and_restart(s3, file);
        test_failure_and_retry(s3, file);
        test_stop_while_hung();
        test_bad_args(s3);
    }
    vsr_s3_destroy(s3);
    test_s3rver_stop(&srv);
    curl_global_cleanup();
    return test_report("test_deleter");
}
