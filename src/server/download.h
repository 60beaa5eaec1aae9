/* Safe downloads of client-given URLs (the legacy API's payload_url): http
 * and https only, bounded in size and time, and never to an address the
 * address policy refuses (address_policy.h), checked on the address actually
 * connected to, after every redirect.
 *
 * Needs curl_global_init() to have run (main does it; tests do it
 * themselves). Thread-safe otherwise: each call has its own curl handle. */
#ifndef VSR_SERVER_DOWNLOAD_H
#define VSR_SERVER_DOWNLOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vsr_download_limits {
    int64_t max_bytes;       /* body cap; larger (by Content-Length or as it streams) is refused */
    long connect_timeout_ms; /* per connection attempt */
    long total_timeout_ms;   /* the whole transfer, redirects included */
    long stall_timeout_ms;   /* no bytes for this long: give up */
    int max_redirects;       /* 0: a redirect is an error */
    int allow_private;       /* --allow-private-urls: no address policy at all */
    const char *allow_cidrs; /* NULL or "127.0.0.1/32,10.1.0.0/16": allowed despite the policy */
    /* Nonzero stops the transfer within about a second (the job that wants
     * the file was cancelled); may be NULL. */
    volatile sig_atomic_t *cancel;
} vsr_download_limits;

/* 2 GiB, connect 10 s, total 300 s, stall 30 s, 5 redirects, policy on, no
 * allowed networks. */
void vsr_download_limits_default(vsr_download_limits *l);

/* Downloads url into path, created with O_EXCL (an existing file is an
 * error and is left alone) and mode 0600. On any failure path does not exist
 * afterwards and err says what failed and for which URL (redacted, see
 * vsr_url_redact). Returns 0 or:
 *   VSR_ERR_INVALID  the URL or limits: malformed, not http/https (also as a
 *                    redirect target), credentials in the URL (refused: they
 *                    would end up in logs and job records, and presigned
 *                    URLs carry theirs in the query), a bad allow_cidrs list,
 *                    or an address the policy refuses (before or after a
 *                    redirect);
 *   VSR_ERR_NOMEM    the body is over max_bytes;
 *   VSR_ERR_CANCELLED  *cancel was set;
 *   VSR_ERR_IO       everything else: DNS, connect, TLS, HTTP status >= 400
 *                    (the message has the status), too many redirects,
 *                    timeouts, stalls, a dropped connection, writing path. */
int vsr_download_file(const char *url, const char *path, const vsr_download_limits *l,
                      vsr_error *err);

/* Copies url into out (always NUL-terminated, cut with "..." when it does
 * not fit) for messages and logs: user:password@ becomes ***@, the values
 * of query parameters that look like secrets (names containing sig, token,
 * credential, secret, password, key, auth, session: AWS, GCS and Azure
 * presigned URLs) become REDACTED, and bytes outside printable ASCII
 * become '?'. */
void vsr_url_redact(const char *url, char *out, size_t size);

#endif
