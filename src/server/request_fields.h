/* Checks that both request APIs (POST /upscale, POST /compress) apply to
 * their fields. */
#ifndef VSR_SERVER_REQUEST_FIELDS_H
#define VSR_SERVER_REQUEST_FIELDS_H

#include <stddef.h>

/* Whether s is an http(s) URL (what a job downloads). */
int vsr_request_is_url(const char *s);

/* A task id becomes part of logs, of /queue and of object keys: min_len
 * to 64 letters, digits or characters of punct. POST /upscale takes 1 to
 * 64 and "._:-"; POST /compress, as its service, 0 to 64 and "._-". */
int vsr_request_task_id_ok(const char *s, size_t min_len, const char *punct);

#endif
