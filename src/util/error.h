/* Error reporting: every fallible function takes a vsr_error* and returns a
 * negative vsr_status on failure, with a message that says what failed and
 * where (file, line, layer, frame, URL). The caller adds context with
 * vsr_error_prefix() as the error travels up. */
#ifndef VSR_UTIL_ERROR_H
#define VSR_UTIL_ERROR_H

#include <stddef.h>

typedef enum vsr_status {
    VSR_OK = 0,
    VSR_ERR_INVALID = -1,     /* bad argument or option value */
    VSR_ERR_IO = -2,          /* file or network I/O failed */
    VSR_ERR_FORMAT = -3,      /* malformed input file */
    VSR_ERR_UNSUPPORTED = -4, /* valid input we do not handle */
    VSR_ERR_NOMEM = -5,       /* allocation failed or over a limit */
    VSR_ERR_BACKEND = -6,     /* backend (oneDNN, CUDA) reported failure */
    VSR_ERR_CANCELLED = -7,   /* stopped on request */
    VSR_ERR_INTERNAL = -8,    /* a bug: an invariant did not hold */
    VSR_ERR_BUSY = -9,        /* a queue or limit is full: try again later */
    VSR_ERR_TIMEOUT = -10,    /* a deadline passed */
    VSR_ERR_REFUSED = -11,    /* refused by policy (address, path, credentials) */
} vsr_status;

#define VSR_ERROR_MSG_MAX 1024

typedef struct vsr_error {
    vsr_status code;
    char msg[VSR_ERROR_MSG_MAX];
} vsr_error;

/* Sets err (may be NULL) and returns code, so callers can write
 * `return vsr_error_set(err, VSR_ERR_IO, "open %s: %s", path, strerror(e));` */
int vsr_error_set(vsr_error *err, vsr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends context: "ctx: previous message". Keeps the code. */
void vsr_error_prefix(vsr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void vsr_error_clear(vsr_error *err);

const char *vsr_status_name(vsr_status code);

#endif
