/* The fields of a POST /compress body (compress_api.h), checked as
 * vidaio-subnet's FastAPI service checks them: a field of the wrong type
 * or out of range is a 422 {"detail": [{"type", "loc", "msg", "input"}]}.
 * Kept apart from the job so that a fuzzer (tests/fuzz/fuzz_api_requests.c)
 * can run it on its own. */
#ifndef VSR_SERVER_COMPRESS_REQUEST_H
#define VSR_SERVER_COMPRESS_REQUEST_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

typedef struct vsr_compress_request {
    const char *video_path, *task_id, *codec, *codec_mode; /* codec: vsr's family */
    json_int_t cq, target_bitrate, target_width, target_height;
} vsr_compress_request;

/* Parses body (JSON) into r, whose strings point into *root_out (the
 * caller's to json_decref). On a bad body: -1 and *invalid, the 422 reply's
 * body (the caller's), *root_out NULL. */
int vsr_compress_request_parse(const char *body, size_t len, vsr_compress_request *r,
                               json_t **root_out, json_t **invalid);

/* The 422 body for one bad field (input: the value given, or NULL). */
json_t *vsr_compress_request_invalidv(const char *type, const char *field, json_t *input,
                                      const char *fmt, va_list ap);

#endif
