/* The machine's processor count: the one place it is asked (policy that
 * shares cores among workers and encoders is in pipeline/policy.h). */
#ifndef VSR_UTIL_CORES_H
#define VSR_UTIL_CORES_H

/* Processors online now (sysconf(_SC_NPROCESSORS_ONLN)); at least 1. */
int vsr_cores_online(void);

#endif
