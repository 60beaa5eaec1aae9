/* The server's job queue: limits (running, waiting, 429), positions,
 * order, cancellation of waiting and running jobs, deadlines, shutdown. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/job_queue.h"
#include "test_util.h"
#include "util/clock.h"

/* A stand-in job: runs until released (or cancelled), records its order. */
typedef struct fake {
    vsr_job job;
    pthread_mutex_t *lock;
    int *release;      /* shared: jobs run while 0 */
    int *order, *next; /* shared: the order jobs started in */
    int started, saw_cancel;
} fake;

static void fake_run(vsr_job *job, void *opaque)
{
    fake *f = opaque;
    pthread_mutex_lock(f->lock);
    f->started = ++*f->next;
    /* Polls: the queue signals a cancel through job->cancel only. */
    while (!*f->release && !job->cancel) {
        pthread_mutex_unlock(f->lock);
        usleep(2000);
        pthread_mutex_lock(f->lock);
    }
    f->saw_cancel = job->cancel;
    pthread_mutex_unlock(f->lock);
}

static int started(fake *f)
{
    pthread_mutex_lock(f->lock);
    int s = f->started;
    pthread_mutex_unlock(f->lock);
    return s;
}

/* Waits up to 5 s for cond over the fakes. */
#define WAIT_UNTIL(cond)                            \
    do {                                            \
        for (int w_ = 0; w_ < 500 && !(cond); w_++) \
            usleep(10000);                          \
    } while (0)

typedef struct waiter_arg {
    vsr_job_queue *q;
    vsr_job *job;
    int wanted; /* what still_wanted answers */
} waiter_arg;

static int answer(void *opaque)
{
    return ((waiter_arg *)opaque)->wanted;
}

static void *wait_thread(void *opaque)
{
    waiter_arg *a = opaque;
    vsr_job_queue_wait(a->q, a->job, 0.02, answer, a);
    return NULL;
}

int main(void)
{
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int release = 0, next = 0;
    vsr_error err;
    vsr_error_clear(&err);

    vsr_job_queue *q;
    CHECK(vsr_job_queue_create(0, 1, &q, &err) == VSR_ERR_INVALID);
    CHECK(vsr_job_queue_create(2, 2, &q, &err) == VSR_OK);

    fake f[6];
    memset(f, 0, sizeof f);
    for (int i = 0; i < 6; i++) {
        snprintf(f[i].job.id, sizeof f[i].job.id, "job-%d", i);
        f[i].job.deadline = vsr_now_s() + 60;
        f[i].job.run = fake_run;
        f[i].job.opaque = &f[i];
        f[i].lock = &lock;
        f[i].release = &release;
        f[i].next = &next;
    }

    /* Two run at once, two wait, the fifth is refused. */
    int pos = -1;
    CHECK(vsr_job_queue_submit(q, &f[0].job, &pos, &err) == VSR_OK);
    CHECK(pos == 0);
    WAIT_UNTIL(started(&f[0]));
    CHECK(vsr_job_queue_submit(q, &f[1].job, &pos, &err) == VSR_OK);
    CHECK(pos == 0);
    WAIT_UNTIL(started(&f[1]));
    CHECK(vsr_job_queue_submit(q, &f[2].job, &pos, &err) == VSR_OK);
    CHECK(pos == 1);
    CHECK(vsr_job_queue_submit(q, &f[3].job, &pos, &err) == VSR_OK);
    CHECK(pos == 2);
    CHECK(vsr_job_queue_submit(q, &f[4].job, &pos, &err) == VSR_ERR_BUSY);
    CHECK_MSG(strstr(err.msg, "queue full"), "%s", err.msg);

    int running, waiting;
    vsr_job_info info[8];
    int n = vsr_job_queue_snapshot(q, &running, &waiting, info, 8);
    CHECK(running == 2 && waiting == 2 && n == 4);
    CHECK(info[2].state == VSR_JOB_QUEUED && info[2].position == 1 && !strcmp(info[2].id, "job-2"));
    CHECK(info[3].position == 2 && !strcmp(info[3].id, "job-3"));

    /* A waiting job whose client goes away ends at once, never runs, and
     * frees its place. */
    waiter_arg wa = {q, &f[2].job, 0};
    wait_thread(&wa);
    CHECK(f[2].job.state == VSR_JOB_CANCELLED && f[2].job.cancel == VSR_JOB_CANCEL_CLIENT);
    CHECK(vsr_job_queue_submit(q, &f[4].job, &pos, &err) == VSR_OK);
    CHECK(pos == 2);

    /* A running job whose deadline passes is told to stop. */
    f[0].job.deadline = vsr_now_s() - 1;
    waiter_arg w0 = {q, &f[0].job, 1};
    wait_thread(&w0);
    CHECK(f[0].job.state == VSR_JOB_DONE);
    CHECK(f[0].saw_cancel == VSR_JOB_CANCEL_DEADLINE);

    /* Order: job-3 then job-4 take the freed runner, in submit order. */
    WAIT_UNTIL(started(&f[3]));
    CHECK(started(&f[3]) == 3);
    CHECK(!started(&f[4]));

    /* A waiting job past its deadline is cancelled when a runner reaches it. */
    f[4].job.deadline = vsr_now_s() - 1;
    pthread_mutex_lock(&lock);
    release = 1;
    pthread_mutex_unlock(&lock);
    waiter_arg w4 = {q, &f[4].job, 1};
    wait_thread(&w4);
    CHECK(f[4].job.state == VSR_JOB_CANCELLED && f[4].job.cancel == VSR_JOB_CANCEL_DEADLINE);
    CHECK(!started(&f[4]));
    waiter_arg w1 = {q, &f[1].job, 1}, w3 = {q, &f[3].job, 1};
    wait_thread(&w1);
    wait_thread(&w3);
    CHECK(f[1].job.state == VSR_JOB_DONE && f[3].job.state == VSR_JOB_DONE);

    /* Shutdown: the running job is told, the waiting one ends, later
     * submits are refused. */
    pthread_mutex_lock(&lock);
    release = 0;
    pthread_mutex_unlock(&lock);
    f[5].job.deadline = vsr_now_s() + 60;
    CHECK(vsr_job_queue_submit(q, &f[5].job, &pos, &err) == VSR_OK);
    WAIT_UNTIL(started(&f[5]));
    vsr_job_queue_shutdown(q);
    CHECK(f[5].job.state == VSR_JOB_DONE && f[5].saw_cancel == VSR_JOB_CANCEL_SHUTDOWN);
    CHECK(vsr_job_queue_submit(q, &f[2].job, &pos, &err) == VSR_ERR_CANCELLED);
    vsr_job_queue_destroy(q);

    return test_report("test_job_queue");
}
