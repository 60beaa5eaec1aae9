/* The monotonic clock in seconds, for durations and deadlines (never the
 * wall clock, which can jump). */
#ifndef VSR_UTIL_CLOCK_H
#define VSR_UTIL_CLOCK_H

double vsr_now_s(void);

#endif
