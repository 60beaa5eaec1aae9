#include "server/job_queue.h"
#include "util/clock.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct vsr_job_queue {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* runners: a job is waiting, or stop */
    pthread_cond_t ended; /* submitters: some job ended */
    int max_running, max_queued;
    vsr_job *head, *tail; /* waiting, in order */
    int waiting;
    vsr_job **running; /* max_running slots, NULL when free */
    pthread_t *runners;
    int runners_started;
    int stopping;
    int closed; /* draining: no new jobs */
};

typedef struct runner_arg {
    vsr_job_queue *q;
    int slot;
} runner_arg;

static void *runner_main(void *opaque)
{
    runner_arg *a = opaque;
    vsr_job_queue *q = a->q;
    int slot = a->slot;
    free(a);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->stopping && !q->head)
            pthread_cond_wait(&q->work, &q->lock);
        if (!q->head)
            break; /* stopping, nothing left */
        vsr_job *job = q->head;
        q->head = job->next;
        if (!q->head)
            q->tail = NULL;
        q->waiting--;
        job->next = NULL;
        if (!job->cancel && vsr_now_s() > job->deadline)
            job->cancel = VSR_JOB_CANCEL_DEADLINE;
        if (job->cancel) {
            job->state = VSR_JOB_CANCELLED;
            pthread_cond_broadcast(&q->ended);
            continue;
        }
        job->state = VSR_JOB_RUNNING;
        q->running[slot] = job;
        pthread_mutex_unlock(&q->lock);

        job->run(job, job->opaque);

        pthread_mutex_lock(&q->lock);
        q->running[slot] = NULL;
        job->state = VSR_JOB_DONE; /* from here on the submitter may free it */
        pthread_cond_broadcast(&q->ended);
        /* What the job freed goes back to the system, once its answer is
         * on its way. glibc keeps freed memory in the arenas of the
         * threads that used it (the job's decoder, workers, encoders);
         * without this the server's RSS grew ~18 KiB a job for good even
         * with no leak at all (bench/results/2026-12-06-serve-rss.md). */
        pthread_mutex_unlock(&q->lock);
        malloc_trim(0);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

void vsr_job_set(vsr_job *job, const char *id, double deadline,
                 void (*run)(vsr_job *job, void *opaque), void *opaque)
{
    snprintf(job->id, sizeof job->id, "%s", id);
    job->deadline = deadline;
    job->run = run;
    job->opaque = opaque;
}

int vsr_job_queue_create(int max_running, int max_queued, vsr_job_queue **out, vsr_error *err)
{
    *out = NULL;
    if (max_running < 1 || max_queued < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "job queue: %d running, %d waiting", max_running,
                             max_queued);
    vsr_job_queue *q = calloc(1, sizeof *q);
    if (!q)
        return vsr_error_set(err, VSR_ERR_NOMEM, "job queue: out of memory");
    q->max_running = max_running;
    q->max_queued = max_queued;
    q->running = calloc((size_t)max_running, sizeof *q->running);
    q->runners = calloc((size_t)max_running, sizeof *q->runners);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->work, NULL);
    vsr_cond_init_monotonic(&q->ended); /* deadlines are monotonic */
    if (!q->running || !q->runners) {
        vsr_job_queue_destroy(q);
        return vsr_error_set(err, VSR_ERR_NOMEM, "job queue: out of memory");
    }
    for (int i = 0; i < max_running; i++) {
        runner_arg *a = malloc(sizeof *a);
        int e = a ? 0 : ENOMEM;
        if (a) {
            *a = (runner_arg){q, i};
            e = pthread_create(&q->runners[i], NULL, runner_main, a);
            if (e)
                free(a);
        }
        if (e) {
            vsr_job_queue_destroy(q);
            return vsr_error_set(err, VSR_ERR_NOMEM, "job queue: starting runner %d: %s", i,
                                 strerror(e));
        }
        q->runners_started++;
    }
    *out = q;
    return VSR_OK;
}

void vsr_job_queue_shutdown(vsr_job_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    for (vsr_job *j = q->head; j;) {
        vsr_job *next = j->next;
        j->cancel = VSR_JOB_CANCEL_SHUTDOWN;
        j->state = VSR_JOB_CANCELLED;
        j->next = NULL;
        j = next;
    }
    q->head = q->tail = NULL;
    q->waiting = 0;
    for (int i = 0; i < q->max_running && q->running; i++)
        if (q->running[i])
            q->running[i]->cancel = VSR_JOB_CANCEL_SHUTDOWN;
    pthread_cond_broadcast(&q->work);
    pthread_cond_broadcast(&q->ended);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->runners_started; i++)
        pthread_join(q->runners[i], NULL);
    q->runners_started = 0;
}

void vsr_job_queue_destroy(vsr_job_queue *q)
{
    if (!q)
        return;
    vsr_job_queue_shutdown(q);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->ended);
    pthread_mutex_destroy(&q->lock);
    free(q->running);
    free(q->runners);
    free(q);
}

static int running_count(const vsr_job_queue *q)
{
    int n = 0;
    for (int i = 0; i < q->max_running; i++)
        n += q->running[i] != NULL;
    return n;
}

void vsr_job_queue_close(vsr_job_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_mutex_unlock(&q->lock);
}

int vsr_job_queue_closed(vsr_job_queue *q)
{
    pthread_mutex_lock(&q->lock);
    int closed = q->closed || q->stopping;
    pthread_mutex_unlock(&q->lock);
    return closed;
}

int vsr_job_queue_submit(vsr_job_queue *q, vsr_job *job, int *position, vsr_error *err)
{
    pthread_mutex_lock(&q->lock);
    int st = VSR_OK;
    if (q->stopping) {
        st = vsr_error_set(err, VSR_ERR_CANCELLED, "the server is shutting down");
    } else if (q->closed) {
        st = vsr_error_set(err, VSR_ERR_CANCELLED,
                           "the server is draining (stopping after its running jobs): send "
                           "this request to another instance");
    } else if (running_count(q) + q->waiting >= q->max_running + q->max_queued) {
        /* Full: every runner busy (or about to be) and every waiting place taken. */
        st = vsr_error_set(err, VSR_ERR_BUSY,
                           "queue full: %d running and %d waiting (limits %d, %d)",
                           running_count(q), q->waiting, q->max_running, q->max_queued);
    } else {
        job->state = VSR_JOB_QUEUED;
        job->cancel = 0;
        job->next = NULL;
        if (q->tail)
            q->tail->next = job;
        else
            q->head = job;
        q->tail = job;
        q->waiting++;
        /* A free runner takes it at once: position 0. */
        int free_runners = q->max_running - running_count(q);
        *position = q->waiting <= free_runners ? 0 : q->waiting - free_runners;
        pthread_cond_signal(&q->work);
    }
    pthread_mutex_unlock(&q->lock);
    return st;
}

/* Under the lock. */
static void cancel_locked(vsr_job_queue *q, vsr_job *job, int why)
{
    if (job->state == VSR_JOB_QUEUED) {
        vsr_job **pp = &q->head, *prev = NULL;
        while (*pp && *pp != job) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = job->next;
            if (q->tail == job)
                q->tail = prev;
            q->waiting--;
        }
        job->next = NULL;
        job->cancel = why;
        job->state = VSR_JOB_CANCELLED;
        pthread_cond_broadcast(&q->ended);
    } else if (job->state == VSR_JOB_RUNNING && !job->cancel) {
        job->cancel = why;
    }
}

void vsr_job_queue_wait(vsr_job_queue *q, vsr_job *job, double poll_s,
                        int (*still_wanted)(void *opaque), void *opaque)
{
    pthread_mutex_lock(&q->lock);
    while (job->state == VSR_JOB_QUEUED || job->state == VSR_JOB_RUNNING) {
        const struct timespec ts = vsr_deadline_after(poll_s);
        pthread_cond_timedwait(&q->ended, &q->lock, &ts);
        if (job->state != VSR_JOB_QUEUED && job->state != VSR_JOB_RUNNING)
            break;
        if (vsr_now_s() > job->deadline) {
            cancel_locked(q, job, VSR_JOB_CANCEL_DEADLINE);
            continue;
        }
        if (still_wanted && !job->cancel) {
            pthread_mutex_unlock(&q->lock);
            int wanted = still_wanted(opaque);
            pthread_mutex_lock(&q->lock);
            if (!wanted)
                cancel_locked(q, job, VSR_JOB_CANCEL_CLIENT);
        }
    }
    pthread_mutex_unlock(&q->lock);
}

int vsr_job_queue_snapshot(vsr_job_queue *q, int *running, int *waiting, vsr_job_info *jobs,
                           int max)
{
    pthread_mutex_lock(&q->lock);
    int n = 0;
    *running = running_count(q);
    *waiting = q->waiting;
    for (int i = 0; i < q->max_running && n < max; i++) {
        if (!q->running[i])
            continue;
        snprintf(jobs[n].id, sizeof jobs[n].id, "%s", q->running[i]->id);
        jobs[n].state = VSR_JOB_RUNNING;
        jobs[n].position = 0;
        n++;
    }
    int pos = 1;
    for (vsr_job *j = q->head; j && n < max; j = j->next, pos++) {
        snprintf(jobs[n].id, sizeof jobs[n].id, "%s", j->id);
        jobs[n].state = VSR_JOB_QUEUED;
        jobs[n].position = pos;
        n++;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}
