#include "server/deliver.h"

#include <time.h>

#include "server/deleter.h"
#include "server/s3_client.h"
#include "util/clock.h"

int vsr_deliver_upload(const vsr_job_services *sv, const char *key, const char *path, long expiry_s,
                       const volatile sig_atomic_t *cancel, char *url, size_t url_size,
                       double *upload_s, vsr_error *err)
{
    double t0 = vsr_now_s();
    int st = vsr_s3_put_file_cancellable(sv->s3, key, path, "video/mp4", cancel, err);
    if (upload_s)
        *upload_s = vsr_now_s() - t0;
    if (st < 0)
        return st;
    time_t now = time(NULL);
    if ((st = vsr_deleter_schedule(sv->deleter, key, now + sv->cfg->delete_after_s, err)) < 0 ||
        (st = vsr_s3_presign_get(sv->s3, key, expiry_s, now, url, url_size, err)) < 0) {
        vsr_error cleanup;
        vsr_error_clear(&cleanup);
        vsr_s3_delete_cancellable(sv->s3, key, cancel, &cleanup);
        if (url_size)
            url[0] = '\0';
        return st;
    }
    return VSR_OK;
}
