/* Handing an output out through storage: upload it under a key, schedule
 * the object's deletion, and presign a GET URL for it. Shared by the
 * upscaling and compression jobs. */
#ifndef VSR_SERVER_DELIVER_H
#define VSR_SERVER_DELIVER_H

#include <stddef.h>

#include "server/upscale_job.h"
#include "util/error.h"

/* Uploads path as key (video/mp4), schedules its deletion delete_after_s
 * later and writes a GET URL valid expiry_s to url. The deletion is
 * scheduled before the URL is made: an object we cannot promise to delete
 * is not handed out (it is deleted at once instead). *upload_s (may be
 * NULL): the upload's wall time. */
int vsr_deliver_upload(const vsr_job_services *sv, const char *key, const char *path, long expiry_s,
                       char *url, size_t url_size, double *upload_s, vsr_error *err);

#endif
