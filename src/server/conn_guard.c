/* Whole-request time limits; see conn_guard.h. The connections are few
 * (max_connections) and the check is a few times a second: a list walked
 * under one lock is enough. */
#include "server/conn_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/clock.h"
#include "util/log.h"

#define CHECK_EVERY_S 0.25

struct vsr_conn_track {
    int fd;
    char peer[64];
    vsr_conn_phase phase;
    double since; /* vsr_now_s() when the phase began */
    int shut;     /* shut down by the guard, waiting for the close */
    vsr_conn_track *prev, *next;
};

struct vsr_conn_guard {
    double limit[3]; /* by phase; 0 = none */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    int stop;
    vsr_conn_track *head;
    pthread_t thread;
};

static void check_all(vsr_conn_guard *g, double now)
{
    static const char *const what[] = {"to send its request headers", "to send its request body",
                                       ""};
    for (vsr_conn_track *t = g->head; t; t = t->next) {
        double limit = g->limit[t->phase];
        if (t->shut || limit <= 0 || now - t->since <= limit)
            continue;
        /* The connection's thread sees end of file (or an error) on its
         * next read and closes the connection. */
        if (shutdown(t->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
            continue;
        t->shut = 1;
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "closed a connection from %s: it took over %.0f s %s",
                 t->peer, limit, what[t->phase]);
    }
}

static void *guard_main(void *arg)
{
    vsr_conn_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        check_all(g, vsr_now_s());
        const struct timespec ts = vsr_deadline_after(CHECK_EVERY_S);
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int vsr_conn_guard_start(double header_timeout_s, double body_timeout_s, vsr_conn_guard **out,
                         vsr_error *err)
{
    *out = NULL;
    if (!(header_timeout_s >= 0) || !(body_timeout_s >= 0))
        return vsr_error_set(err, VSR_ERR_INVALID, "connection time limits must not be negative");
    vsr_conn_guard *g = calloc(1, sizeof *g);
    if (!g)
        return vsr_error_set(err, VSR_ERR_NOMEM, "connection guard: out of memory");
    g->limit[VSR_CONN_HEADERS] = header_timeout_s;
    g->limit[VSR_CONN_BODY] = body_timeout_s;
    int e = vsr_cond_init_monotonic(&g->wake);
    if (e == 0 && (e = pthread_mutex_init(&g->lock, NULL)) != 0)
        pthread_cond_destroy(&g->wake);
    if (e == 0 && (e = pthread_create(&g->thread, NULL, guard_main, g)) != 0) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->wake);
    }
    if (e != 0) {
        free(g);
        return vsr_error_set(err, VSR_ERR_INTERNAL, "connection guard: %s", strerror(e));
    }
    *out = g;
    return VSR_OK;
}

void vsr_conn_guard_stop(vsr_conn_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) { /* none should be left; free what is */
        vsr_conn_track *t = g->head;
        g->head = t->next;
        free(t);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g);
}

vsr_conn_track *vsr_conn_guard_opened(vsr_conn_guard *g, int fd, const char *peer)
{
    vsr_conn_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fd = fd;
    snprintf(t->peer, sizeof t->peer, "%s", peer ? peer : "?");
    t->phase = VSR_CONN_HEADERS;
    t->since = vsr_now_s();
    pthread_mutex_lock(&g->lock);
    t->next = g->head;
    if (g->head)
        g->head->prev = t;
    g->head = t;
    pthread_mutex_unlock(&g->lock);
    return t;
}

void vsr_conn_guard_phase(vsr_conn_guard *g, vsr_conn_track *t, vsr_conn_phase phase)
{
    if (!t)
        return;
    pthread_mutex_lock(&g->lock);
    t->phase = phase;
    t->since = vsr_now_s();
    pthread_mutex_unlock(&g->lock);
}

int vsr_conn_guard_busy(vsr_conn_guard *g)
{
    int n = 0;
    pthread_mutex_lock(&g->lock);
    for (const vsr_conn_track *t = g->head; t; t = t->next)
        n += t->phase != VSR_CONN_HEADERS && !t->shut;
    pthread_mutex_unlock(&g->lock);
    return n;
}

void vsr_conn_guard_closed(vsr_conn_guard *g, vsr_conn_track *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&g->lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        g->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&g->lock);
    free(t);
}
