#include "server/compress_job.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/policy.h"
#include "server/deliver.h"
#include "server/download.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/scratch_file.h"

static void fail(vsr_compress_job *c, vsr_compress_stage stage, int st)
{
    c->status = st < 0 ? st : VSR_ERR_INTERNAL;
    c->failed_at = stage;
}

/* A cancelled stage says "cancelled"; the client wants to know why. */
static void explain_cancel(vsr_compress_job *c)
{
    if (c->job.cancel == VSR_JOB_CANCEL_DEADLINE)
        c->status = vsr_error_set(&c->err, VSR_ERR_TIMEOUT, "the job's deadline passed");
    else if (c->job.cancel == VSR_JOB_CANCEL_SHUTDOWN)
        c->status = vsr_error_set(&c->err, VSR_ERR_CANCELLED, "the server is shutting down");
    else if (c->job.cancel == VSR_JOB_CANCEL_CLIENT)
        c->status = vsr_error_set(&c->err, VSR_ERR_CANCELLED, "the client went away");
}

static void remove_file(const char *path)
{
    if (path[0] && unlink(path) != 0 && errno != ENOENT)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "removing %s: %s", path, strerror(errno));
}

static void search(vsr_compress_job *c)
{
    double left = c->job.deadline - vsr_now_s();
    if (left <= 0) {
        fail(c, VSR_COMPRESS_STAGE_SEARCH,
             vsr_error_set(&c->err, VSR_ERR_TIMEOUT, "deadline passed before the search"));
        return;
    }
    c->opt.deadline_s = left;
    c->opt.cancel = &c->job.cancel;
    /* Its share of the cores, as a clip being upscaled takes. */
    if (c->sv->active_clips)
        atomic_fetch_add(c->sv->active_clips, 1);
    c->opt.threads = vsr_policy_encoder_cores_now(c->sv->active_clips);
    int st = vsr_compress_run(&c->opt, &c->result, &c->err);
    if (c->sv->active_clips)
        atomic_fetch_sub(c->sv->active_clips, 1);
    if (st < 0) {
        if (st == VSR_ERR_CANCELLED)
            explain_cancel(c);
        fail(c, VSR_COMPRESS_STAGE_SEARCH, c->status ? c->status : st);
    }
}

static void run_job(vsr_job *job, void *opaque)
{
    vsr_compress_job *c = opaque;
    (void)job;
    c->status = VSR_OK;
    const vsr_server_config *cfg = c->sv->cfg;
    int remote = c->source_url[0] || c->upload_key[0];
    if (remote) {
        /* A job directory the startup sweep (server/sweep.h) recognises. */
        int st = vsr_scratch_dir_create(cfg->tmp_dir, VSR_SCRATCH_JOB_DIR, c->workdir,
                                        sizeof c->workdir, &c->err);
        if (st < 0) {
            fail(c, VSR_COMPRESS_STAGE_SCRATCH, st);
            c->workdir[0] = '\0';
            return;
        }
    }
    if (c->source_url[0]) {
        snprintf(c->in_path, sizeof c->in_path, "%s/input.mp4", c->workdir);
        vsr_download_limits limits = cfg->download;
        limits.cancel = &c->job.cancel;
        int st = vsr_download_file(c->source_url, c->in_path, &limits, &c->err);
        if (st < 0) {
            if (st == VSR_ERR_CANCELLED)
                explain_cancel(c);
            fail(c, VSR_COMPRESS_STAGE_DOWNLOAD, c->status ? c->status : st);
            goto done;
        }
        c->opt.input = c->in_path;
    }
    if (c->upload_key[0]) {
        snprintf(c->out_path, sizeof c->out_path, "%s/output.mp4", c->workdir);
        c->opt.output = c->out_path;
    }
    search(c);
    if (c->status == VSR_OK && c->upload_key[0]) {
        int st =
            vsr_deliver_upload(c->sv, c->upload_key, c->out_path, c->presign_expiry_s,
                               &c->job.cancel, c->output_url, sizeof c->output_url, NULL, &c->err);
        if (st < 0)
            fail(c, VSR_COMPRESS_STAGE_UPLOAD, st);
    }
done:
    if (remote) {
        remove_file(c->in_path);
        remove_file(c->out_path);
        if (rmdir(c->workdir) != 0)
            vsr_logf(NULL, VSR_LOG_WARN, "serve", "removing %s: %s", c->workdir, strerror(errno));
    }
}

void vsr_compress_job_init(vsr_compress_job *c, const vsr_job_services *sv, const char *id,
                           double deadline)
{
    memset(c, 0, sizeof *c);
    c->sv = sv;
    vsr_job_set(&c->job, id, deadline, run_job, c);
    c->presign_expiry_s = sv->cfg->presign_expiry_s;
    vsr_compress_options_default(&c->opt);
}

int vsr_compress_job_set_vbr(vsr_compress_job *c, int64_t bitrate, vsr_error *err)
{
    /* The validators accept up to 1.1x; vsr compress keeps its own margin
     * under that (pipeline/compress.h). */
    if (bitrate < 1000 || bitrate > 500000000)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "target_bitrate %lld: expected 1000..500000000 bits/s",
                             (long long)bitrate);
    c->opt.mode = VSR_COMPRESS_VBR;
    c->opt.bitrate = bitrate;
    return VSR_OK;
}
