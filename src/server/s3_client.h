/* A small S3 client for the server's results: upload a file, delete an
 * object, presign a GET. Path-style URLs (endpoint/bucket/key), which AWS,
 * MinIO, s3rver, R2 and other S3-compatible stores all accept. Requests are
 * signed with AWS Signature Version 4 (server/sigv4.h).
 *
 * curl_global_init() must have been called (main's job; tests call it). */
#ifndef VSR_SERVER_S3_CLIENT_H
#define VSR_SERVER_S3_CLIENT_H

#include "util/error.h"

#include <signal.h>
#include <stddef.h>
#include <time.h>

typedef struct vsr_s3_config {
    /* BUCKET_COMPATIBLE_ENDPOINT: http(s)://host[:port] or host[:port] (then https) */
    const char *endpoint;
    const char *bucket;     /* BUCKET_NAME */
    const char *access_key; /* BUCKET_COMPATIBLE_ACCESS_KEY */
    const char *secret_key; /* BUCKET_COMPATIBLE_SECRET_KEY */
    const char *region;     /* NULL: "us-east-1" */
    int retries;            /* attempts after the first, exponential backoff */
    long backoff_ms;        /* first backoff */
    long timeout_ms;        /* per attempt; 0: none */
    /* An attempt during which no byte moves for this long (a store that
     * accepts the connection and never answers) ends; 0: 30 s, or
     * timeout_ms when that is shorter. */
    long stall_timeout_ms;
} vsr_s3_config;

typedef struct vsr_s3 vsr_s3; /* immutable after create: usable from any thread */

/* Checks and copies the configuration (the strings too). */
int vsr_s3_create(const vsr_s3_config *cfg, vsr_s3 **out, vsr_error *err);
void vsr_s3_destroy(vsr_s3 *s3);

/* PUT the file at path as object key, with Content-Type content_type (NULL:
 * application/octet-stream). One request (S3's single-PUT limit: 5 GiB),
 * the file's SHA-256 signed so the store rejects a corrupted body. Network
 * errors and 5xx answers are retried with exponential backoff; 4xx are not.
 * A non-2xx answer is an error naming the HTTP status and S3 error code. */
int vsr_s3_put_file(vsr_s3 *s3, const char *key, const char *path, const char *content_type,
                    vsr_error *err);

/* As vsr_s3_put_file, and *cancel (may be NULL) becoming nonzero ends it
 * within about a second wherever it waits (connecting, sending, waiting
 * for the answer, backing off between attempts): VSR_ERR_CANCELLED. The
 * server passes its job's flag, which its deadline, the client hanging up
 * and SIGTERM set. */
int vsr_s3_put_file_cancellable(vsr_s3 *s3, const char *key, const char *path,
                                const char *content_type, const volatile sig_atomic_t *cancel,
                                vsr_error *err);

/* DELETE object key. Succeeds when the object is gone, including when it
 * was already gone (404), which S3's DeleteObject treats as success too.
 * Retries as vsr_s3_put_file. */
int vsr_s3_delete(vsr_s3 *s3, const char *key, vsr_error *err);

/* As vsr_s3_delete, ended by *cancel as vsr_s3_put_file_cancellable. */
int vsr_s3_delete_cancellable(vsr_s3 *s3, const char *key, const volatile sig_atomic_t *cancel,
                              vsr_error *err);

/* A presigned GET URL for key, valid expires_s seconds (1..604800, 7 days)
 * from now, written into url (NUL-terminated). No network access. */
int vsr_s3_presign_get(const vsr_s3 *s3, const char *key, long expires_s, time_t now, char *url,
                       size_t url_size, vsr_error *err);

#endif
