/* The monotonic clock in seconds, for durations and deadlines (never the
 * wall clock, which can jump), and timed waits on it. */
#ifndef VSR_UTIL_CLOCK_H
#define VSR_UTIL_CLOCK_H

#include <pthread.h>
#include <time.h>

double vsr_now_s(void);

/* Initialises a condition variable whose timed waits count on the
 * monotonic clock (0, or an errno value). */
int vsr_cond_init_monotonic(pthread_cond_t *cond);

/* The monotonic time `seconds` from now, as pthread_cond_timedwait takes
 * it on such a condition variable. */
struct timespec vsr_deadline_after(double seconds);

#endif
