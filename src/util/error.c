#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vsr_error_set(vsr_error *err, vsr_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void vsr_error_prefix(vsr_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[VSR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Keep the prefix and as much of the old message as fits. */
    char old[VSR_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
}

void vsr_error_clear(vsr_error *err)
{
    if (err) {
        err->code = VSR_OK;
        err->msg[0] = '\0';
    }
}

const char *vsr_status_name(vsr_status code)
{
    switch (code) {
    case VSR_OK: return "ok";
    case VSR_ERR_INVALID: return "invalid argument";
    case VSR_ERR_IO: return "I/O error";
    case VSR_ERR_FORMAT: return "malformed input";
    case VSR_ERR_UNSUPPORTED: return "unsupported";
    case VSR_ERR_NOMEM: return "out of memory";
    case VSR_ERR_BACKEND: return "backend error";
    case VSR_ERR_CANCELLED: return "cancelled";
    case VSR_ERR_INTERNAL: return "internal error";
    case VSR_ERR_BUSY: return "busy";
    case VSR_ERR_TIMEOUT: return "timed out";
    case VSR_ERR_REFUSED: return "refused";
    }
    return "unknown error";
}
