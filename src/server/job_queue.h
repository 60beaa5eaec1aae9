/* The server's job queue: at most max_running jobs run at once, on runner
 * threads the queue owns, and at most max_queued wait; a job beyond that
 * is refused (VSR_ERR_BUSY, HTTP 429).
 *
 * Ownership: the submitter (an HTTP connection's thread) owns the job and
 * waits for it to end; the queue only borrows it between submit and the
 * moment it signals the end. Cancelling a waiting job ends it at once;
 * cancelling a running one sets job->cancel, which the pipeline checks
 * between frames. */
#ifndef VSR_SERVER_JOB_QUEUE_H
#define VSR_SERVER_JOB_QUEUE_H

#include <pthread.h>
#include <signal.h>

#include "util/clock.h"
#include "util/error.h"

typedef enum vsr_job_state {
    VSR_JOB_QUEUED,
    VSR_JOB_RUNNING,
    VSR_JOB_DONE,      /* run() returned; the job's own result says how it went */
    VSR_JOB_CANCELLED, /* ended before it ran */
} vsr_job_state;

/* Why a job was cancelled: the value job->cancel gets. */
enum { VSR_JOB_CANCEL_CLIENT = 1, VSR_JOB_CANCEL_DEADLINE, VSR_JOB_CANCEL_SHUTDOWN };

typedef struct vsr_job vsr_job;
struct vsr_job {
    char id[80];
    double deadline; /* vsr_now_s() seconds; a job past it is cancelled */
    void (*run)(vsr_job *job, void *opaque);
    void *opaque;
    volatile sig_atomic_t cancel; /* VSR_JOB_CANCEL_*, set by the queue; run() checks it */

    /* The queue's (under its lock). */
    vsr_job_state state;
    vsr_job *next;
};

/* Sets what a job is (id, deadline) and what runs it; the caller has
 * zeroed the rest. */
void vsr_job_set(vsr_job *job, const char *id, double deadline,
                 void (*run)(vsr_job *job, void *opaque), void *opaque);

typedef struct vsr_job_queue vsr_job_queue;

int vsr_job_queue_create(int max_running, int max_queued, vsr_job_queue **q, vsr_error *err);

/* Cancels every job (waiting ones end at once), joins the runners and
 * refuses later submits; waits and snapshots still work. */
void vsr_job_queue_shutdown(vsr_job_queue *q);

/* Draining (SIGTERM): later submits are refused (VSR_ERR_CANCELLED, HTTP
 * 503, so that a load balancer sends them to another instance) while the
 * jobs already queued or running go on to their end. */
void vsr_job_queue_close(vsr_job_queue *q);
int vsr_job_queue_closed(vsr_job_queue *q);

/* Shuts down if not yet done, and frees: nobody may be waiting. */
void vsr_job_queue_destroy(vsr_job_queue *q);

/* Queues job (id, deadline, run and opaque set by the caller). *position:
 * 0 when it starts at once, else its place among the waiting (1 = next).
 * VSR_ERR_BUSY when max_queued jobs already wait. */
int vsr_job_queue_submit(vsr_job_queue *q, vsr_job *job, int *position, vsr_error *err);

/* Waits until job has ended, waking every poll_s to ask still_wanted
 * (may be NULL); when it says no, or the deadline passes, the job is
 * cancelled and the wait goes on until the job has let go of it. */
void vsr_job_queue_wait(vsr_job_queue *q, vsr_job *job, double poll_s,
                        int (*still_wanted)(void *opaque), void *opaque);

typedef struct vsr_job_info {
    char id[80];
    vsr_job_state state;
    int position; /* 0 running, 1.. waiting */
} vsr_job_info;

/* Counts, and up to max entries of the jobs (running first, then waiting
 * in order); returns how many entries were written. */
int vsr_job_queue_snapshot(vsr_job_queue *q, int *running, int *waiting, vsr_job_info *jobs,
                           int max);

#endif
