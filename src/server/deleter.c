/* Scheduled deletion of uploaded objects (server/deleter.h).
 *
 * One table, one row per object still to delete. `due` is when the object
 * should go; `next_try` is when the next attempt may run (due, then pushed
 * back after each failure). The thread takes due rows in small batches
 * under the lock and deletes without it, so schedule() never waits for the
 * network. One connection, serialised by the mutex: the load is a few rows
 * a minute. */
#include "server/deleter.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"

#define BATCH 32
#define MAX_RETRY_DELAY_S 3600L
#define KEY_MAX 1024

struct vsr_deleter {
    sqlite3 *db;
    vsr_s3 *s3;
    long poll_ms;
    long retry_base_s; /* delay after the first failure; doubles */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    bool stop;
    /* Set with stop, read by the delete in flight: a store that never
     * answers must not hold up the server's exit (issue 20). */
    volatile sig_atomic_t cancel;
    pthread_t thread;
    char db_path[512];
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS pending_deletions ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " due INTEGER NOT NULL,"      /* unix seconds: when the object should go */
    " next_try INTEGER NOT NULL," /* unix seconds: when to try (again) */
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT);"
    "CREATE INDEX IF NOT EXISTS pending_deletions_next_try ON pending_deletions(next_try);";

static int db_fail(vsr_deleter *d, vsr_error *err, const char *what)
{
    return vsr_error_set(err, VSR_ERR_IO, "deleter db %s: %s: %s", d->db_path, what,
                         sqlite3_errmsg(d->db));
}

/* Runs sql with the given binds: 't' text, 'i' int64, in order. Returns
 * SQLITE_DONE/ROW status as VSR_OK or an error. Caller holds the lock. */
static int exec_bind(vsr_deleter *d, const char *sql, const char *types, const void *const *args,
                     vsr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, err, "prepare");
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        if (types[i] == 't')
            rc = sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
        else
            rc = sqlite3_bind_int64(st, i + 1, *(const sqlite3_int64 *)args[i]);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? VSR_OK : db_fail(d, err, sql);
    sqlite3_finalize(st);
    return out;
}

int vsr_deleter_schedule(vsr_deleter *d, const char *key, time_t due, vsr_error *err)
{
    if (!d || !key || !*key || strlen(key) > KEY_MAX)
        return vsr_error_set(err, VSR_ERR_INVALID, "deleter: bad object key");
    sqlite3_int64 t = (sqlite3_int64)due;
    const void *args[] = {key, &t, &t};
    pthread_mutex_lock(&d->lock);
    int rc = exec_bind(d,
                       "INSERT OR REPLACE INTO pending_deletions(key, due, next_try, attempts)"
                       " VALUES(?, ?, ?, 0)",
                       "tii", args, err);
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    if (rc < 0)
        vsr_error_prefix(err, "scheduling the deletion of %s", key);
    return rc;
}

long vsr_deleter_pending(vsr_deleter *d)
{
    if (!d)
        return 0;
    long n = -1;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&d->lock);
    if (sqlite3_prepare_v2(d->db, "SELECT COUNT(*) FROM pending_deletions", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&d->lock);
    return n;
}

typedef struct due_row {
    char *key;
    sqlite3_int64 due;
    sqlite3_int64 attempts;
} due_row;

/* Up to BATCH rows whose next_try has come. Caller holds the lock. */
static int take_due(vsr_deleter *d, time_t now, due_row *rows, int *n, vsr_error *err)
{
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db,
                           "SELECT key, due, attempts FROM pending_deletions WHERE next_try <= ?"
                           " ORDER BY next_try LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, err, "select");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    sqlite3_bind_int(st, 2, BATCH);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < BATCH) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        char *key = k ? strdup((const char *)k) : NULL;
        if (!key)
            continue;
        rows[*n] = (due_row){key, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
        (*n)++;
    }
    int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? VSR_OK : db_fail(d, err, "select");
    sqlite3_finalize(st);
    return out;
}

static long retry_delay_s(const vsr_deleter *d, sqlite3_int64 attempts)
{
    long delay = d->retry_base_s;
    for (sqlite3_int64 i = 1; i < attempts && delay < MAX_RETRY_DELAY_S; i++)
        delay *= 2;
    return delay < MAX_RETRY_DELAY_S ? delay : MAX_RETRY_DELAY_S;
}

/* Records the outcome of one delete. Caller holds the lock. A row
 * rescheduled meanwhile (another due) is left alone. */
static void record(vsr_deleter *d, const due_row *r, bool ok, const char *error)
{
    vsr_error err = {0};
    int rc;
    if (ok) {
        const void *args[] = {r->key, &r->due};
        rc = exec_bind(d, "DELETE FROM pending_deletions WHERE key = ? AND due = ?", "ti", args,
                       &err);
    } else {
        sqlite3_int64 attempts = r->attempts + 1;
        sqlite3_int64 next = (sqlite3_int64)time(NULL) + retry_delay_s(d, attempts);
        const void *args[] = {&attempts, &next, error, r->key, &r->due};
        rc = exec_bind(d,
                       "UPDATE pending_deletions SET attempts = ?, next_try = ?, last_error = ?"
                       " WHERE key = ? AND due = ?",
                       "iitti", args, &err);
        /* The server's log (util/log.h); a failure is rare and each one is
         * retried later, so one line each. */
        vsr_logf(NULL, VSR_LOG_WARN, "deleter",
                 "deleting %s failed (attempt %lld, next in %lld s): %s", r->key,
                 (long long)attempts, (long long)(next - (sqlite3_int64)time(NULL)), error);
    }
    if (rc < 0)
        vsr_logf(NULL, VSR_LOG_ERROR, "deleter", "%s", err.msg);
}

static void wait_ms(vsr_deleter *d, long ms)
{
    const struct timespec ts = vsr_deadline_after(ms / 1000.0);
    /* Any signal ends the wait: stop, or a schedule() that may be due now.
     * A spurious wakeup only polls early. */
    if (!d->stop)
        pthread_cond_timedwait(&d->wake, &d->lock, &ts);
}

static void *deleter_main(void *arg)
{
    vsr_deleter *d = arg;
    due_row rows[BATCH];
    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        int n = 0;
        vsr_error err = {0};
        if (take_due(d, time(NULL), rows, &n, &err) < 0)
            vsr_logf(NULL, VSR_LOG_ERROR, "deleter", "%s", err.msg);
        pthread_mutex_unlock(&d->lock);
        int done = 0;
        for (; done < n; done++) {
            if (__atomic_load_n(&d->stop, __ATOMIC_RELAXED))
                break;
            vsr_error derr = {0};
            int st = vsr_s3_delete_cancellable(d->s3, rows[done].key, &d->cancel, &derr);
            if (st == VSR_ERR_CANCELLED)
                break; /* stopping: the row stays for the next start */
            bool ok = st == VSR_OK;
            pthread_mutex_lock(&d->lock);
            record(d, &rows[done], ok, derr.msg);
            pthread_mutex_unlock(&d->lock);
        }
        for (int i = 0; i < n; i++)
            free(rows[i].key);
        pthread_mutex_lock(&d->lock);
        /* A full batch means more may be due: go on without waiting. */
        if (n < BATCH || done < n)
            wait_ms(d, d->poll_ms);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

int vsr_deleter_start(const char *db_path, vsr_s3 *s3, long poll_ms, vsr_deleter **out,
                      vsr_error *err)
{
    *out = NULL;
    if (!db_path || !*db_path || !s3)
        return vsr_error_set(err, VSR_ERR_INVALID, "deleter: a db path and S3 client are needed");
    if (poll_ms < 1 || poll_ms > 3600000L)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "deleter: poll interval %ld ms is outside 1..3600000", poll_ms);
    vsr_deleter *d = calloc(1, sizeof *d);
    if (!d)
        return vsr_error_set(err, VSR_ERR_NOMEM, "deleter: out of memory");
    snprintf(d->db_path, sizeof d->db_path, "%s", db_path);
    d->s3 = s3;
    d->poll_ms = poll_ms;
    d->retry_base_s = poll_ms < 1000 ? 1 : poll_ms / 1000;

    int rc = VSR_OK;
    if (sqlite3_open_v2(db_path, &d->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, VSR_ERR_IO, "deleter: opening the db %s: %s", db_path,
                           d->db ? sqlite3_errmsg(d->db) : "out of memory");
    } else {
        /* Another process briefly holding the file (a backup, sqlite3 CLI)
         * is waited for, not an error. */
        sqlite3_busy_timeout(d->db, 5000);
        char *msg = NULL;
        if (sqlite3_exec(d->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
            /* A restart retries every pending object now: the failure that
             * pushed next_try back may have been fixed with the restart. */
            sqlite3_exec(d->db, "UPDATE pending_deletions SET next_try = due WHERE next_try > due",
                         NULL, NULL, &msg) != SQLITE_OK)
            rc = vsr_error_set(err, VSR_ERR_IO, "deleter: db %s: %s", db_path,
                               msg ? msg : sqlite3_errmsg(d->db));
        sqlite3_free(msg);
    }
    if (rc < 0) {
        sqlite3_close(d->db);
        free(d);
        return rc;
    }

    int e = vsr_cond_init_monotonic(&d->wake);
    if (e == 0 && (e = pthread_mutex_init(&d->lock, NULL)) != 0)
        pthread_cond_destroy(&d->wake);
    if (e == 0 && (e = pthread_create(&d->thread, NULL, deleter_main, d)) != 0) {
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->wake);
    }
    if (e != 0) {
        sqlite3_close(d->db);
        free(d);
        return vsr_error_set(err, VSR_ERR_INTERNAL, "deleter: starting the thread: %s",
                             strerror(e));
    }
    *out = d;
    return VSR_OK;
}

void vsr_deleter_stop(vsr_deleter *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    __atomic_store_n(&d->stop, true, __ATOMIC_RELAXED);
    d->cancel = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    sqlite3_close(d->db);
    free(d);
}
