/* Handing an output out through storage: upload it under a key, schedule
 * the object's deletion, and presign a GET URL for it. Shared by the
 * upscaling and compression jobs. */
#ifndef VSR_SERVER_DELIVER_H
#define VSR_SERVER_DELIVER_H

#include <signal.h>
#include <stddef.h>

#include "server/upscale_job.h"
#include "util/error.h"

/* Uploads path as key (video/mp4), schedules its deletion delete_after_s
 * later and writes a GET URL valid expiry_s to url. The deletion is
 * scheduled before the URL is made: an object we cannot promise to delete
 * is not handed out (it is deleted at once instead). *cancel (the job's
 * flag: its deadline, its client hanging up, SIGTERM) ends the storage
 * requests wherever they wait. *upload_s (may be NULL): the upload's wall
 * time. */
int vsr_deliver_upload(const vsr_job_services *sv, const char *key, const char *path, long expiry_s,
                       const volatile sig_atomic_t *cancel, char *url, size_t url_size,
                       double *upload_s, vsr_error *err);

#endif
