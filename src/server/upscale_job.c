#include "server/upscale_job.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/model_auto.h"
#include "pipeline/compress.h"
#include "pipeline/pipeline.h"
#include "pipeline/policy.h"
#include "server/deliver.h"
#include "server/download.h"
#include "server/uuid.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/scratch_file.h"

int vsr_http_status_for(vsr_status code)
{
    switch (code) {
    case VSR_OK: return 200;
    case VSR_ERR_INVALID:
    case VSR_ERR_FORMAT:
    case VSR_ERR_UNSUPPORTED:
    case VSR_ERR_REFUSED: return 400; /* the input: bad, unreadable or not allowed */
    case VSR_ERR_BUSY: return 429;
    case VSR_ERR_TIMEOUT: return 504;
    case VSR_ERR_CANCELLED: return 503;
    default: return 500;
    }
}

static void clip_fail(vsr_clip *c, const vsr_error *err, int http_status)
{
    c->status = err->code ? err->code : VSR_ERR_INTERNAL;
    c->http_status = http_status ? http_status : vsr_http_status_for(err->code);
    snprintf(c->error, sizeof c->error, "%s", err->msg);
}

/* A cancelled pipeline says "cancelled"; the client wants to know why. */
static void explain_cancel(const vsr_upscale_job *j, vsr_error *err)
{
    if (j->job.cancel == VSR_JOB_CANCEL_DEADLINE)
        vsr_error_set(err, VSR_ERR_TIMEOUT, "the job's deadline (%d s) passed",
                      j->services->cfg->job_timeout_s);
    else if (j->job.cancel == VSR_JOB_CANCEL_SHUTDOWN)
        vsr_error_set(err, VSR_ERR_CANCELLED, "the server is shutting down");
    else if (j->job.cancel == VSR_JOB_CANCEL_CLIENT)
        vsr_error_set(err, VSR_ERR_CANCELLED, "the client went away");
}

/* Uploads path under the clip's key (else a fresh <uuid>_upscaled.mp4),
 * presigns it and schedules its deletion. */
static int deliver_upload(vsr_upscale_job *j, vsr_clip *c, const char *path, double *upload_s,
                          vsr_error *err)
{
    const vsr_job_services *sv = j->services;
    char key[sizeof c->upload_key];
    if (c->upload_key[0]) {
        snprintf(key, sizeof key, "%s", c->upload_key);
    } else {
        char uuid[VSR_UUID_LEN];
        int st = vsr_uuid_v4(uuid, err);
        if (st < 0)
            return st;
        snprintf(key, sizeof key, "%s_upscaled.mp4", uuid);
    }
    long expiry = j->presign_expiry_s > 0 ? j->presign_expiry_s : sv->cfg->presign_expiry_s;
    return vsr_deliver_upload(sv, key, path, expiry, &j->job.cancel, c->output_url,
                              sizeof c->output_url, upload_s, err);
}

static void run_clip(vsr_upscale_job *j, int index, const char *workdir)
{
    const vsr_job_services *sv = j->services;
    const vsr_server_config *cfg = sv->cfg;
    vsr_clip *c = &j->clips[index];
    vsr_error err;
    vsr_error_clear(&err);
    double stages[VSR_STAGE_COUNT] = {0};
    char in_path[4200], out_path[4200];
    const char *input = c->source;
    in_path[0] = '\0';

    if (j->job.cancel) {
        explain_cancel(j, &err);
        clip_fail(c, &err, 0);
        return;
    }
    if (c->source_is_url) {
        snprintf(in_path, sizeof in_path, "%s/input-%d", workdir, index);
        double t0 = vsr_now_s();
        vsr_download_limits limits = cfg->download;
        limits.cancel = &j->job.cancel;
        int st = vsr_download_file(c->source, in_path, &limits, &err);
        stages[VSR_STAGE_DOWNLOAD] = vsr_now_s() - t0;
        if (st < 0) {
            /* A refused address or URL, or a payload over the size cap,
             * is the client's; anything else went wrong between us and
             * the payload server. */
            int refused = st == VSR_ERR_REFUSED || st == VSR_ERR_INVALID || st == VSR_ERR_NOMEM;
            if (st == VSR_ERR_CANCELLED)
                explain_cancel(j, &err);
            vsr_error_prefix(&err, "clip %d: download", index);
            clip_fail(c, &err, refused ? 400 : st == VSR_ERR_CANCELLED ? 0 : 502);
            in_path[0] = '\0';
            goto done;
        }
        input = in_path;
    }

    vsr_device_pool *pool;
    if (vsr_model_cache_get(sv->models, j->model, j->scale, &pool, &err) < 0) {
        vsr_error_prefix(&err, "clip %d: model %s x%d", index, j->model, j->scale);
        clip_fail(c, &err, 500);
        goto done;
    }
    vsr_upscaler up;
    vsr_upscaler_device_pool(&up, pool);

    int keep_local = c->output_path[0] != '\0';
    if (keep_local)
        snprintf(out_path, sizeof out_path, "%s", c->output_path);
    else
        snprintf(out_path, sizeof out_path, "%s/output-%d.mp4", workdir, index);

    vsr_pipeline_config pc;
    vsr_pipeline_config_default(&pc);
    pc.input = input;
    pc.output = out_path;
    pc.upscaler = &up;
    pc.workers = cfg->workers > 0 ? cfg->workers : 1;
    pc.max_pixels = cfg->max_pixels;
    pc.out_width = j->out_width;
    pc.out_height = j->out_height;
    /* the request's scale is the output's: a model of another scale (the
     * model "auto" at x2) is resampled to it */
    pc.out_scale = j->scale;
    pc.detail = j->detail;
    pc.detail_auto = j->detail_auto;
    pc.enc = j->enc;
    /* operator_id: the MP4 comment `--operator-id` writes (outputs of two
     * operators differ in bytes and size; compress.h) */
    char operator_comment[VSR_COMPRESS_COMMENT_MAX];
    if (cfg->operator_id) {
        vsr_compress_operator_comment(cfg->operator_id, operator_comment);
        pc.enc.comment = operator_comment;
    }
    /* The cores are shared evenly by the clips being upscaled: within its
     * share a clip encodes segments in parallel where one encoder would not
     * use them all, and each segment's encoder takes the share of its
     * moment. */
    if (sv->active_clips)
        atomic_fetch_add(sv->active_clips, 1);
    pc.encoder_cores = vsr_policy_encoder_cores_now(sv->active_clips);
    pc.encoder_cores_now = vsr_policy_encoder_cores_now;
    pc.encoder_cores_opaque = sv->active_clips;
    pc.encode_segments = 0;
    pc.cancel = &j->job.cancel;
    vsr_pipeline_stats ps;
    int run = vsr_pipeline_run(&pc, &ps, &err);
    if (sv->active_clips)
        atomic_fetch_sub(sv->active_clips, 1);
    if (run < 0) {
        if (err.code == VSR_ERR_CANCELLED)
            explain_cancel(j, &err);
        vsr_error_prefix(&err, "clip %d", index);
        clip_fail(c, &err, 0);
        goto done;
    }
    c->detail = ps.detail;
    if (ps.detail_auto) {
        char guard[160] = ""; /* the self-similar guard's reading, where it ran (x2, x4) */
        if (ps.probe.guard != VSR_DETAIL_GUARD_NOT_RUN)
            snprintf(guard, sizeof guard, "floor %s; self-similar delta %.3f at x%d: %s; ",
                     vsr_resample_filter_name(ps.input_filter), ps.probe.self_similar.delta,
                     ps.probe.guard_factor, vsr_detail_guard_action_name(ps.probe.guard));
        vsr_logf(NULL, VSR_LOG_INFO, "serve",
                 "task %s clip %d: detail %.2f chosen (%sNEG delta against the input +%.2f at "
                 "most over detail 0's on %lld sampled frames, %.2f s)",
                 j->job.id, index, ps.probe.detail, guard, ps.probe.rule.rise,
                 (long long)ps.probe.frames_sampled, ps.probe.seconds);
    }
    stages[VSR_STAGE_DECODE] = ps.decode_s;
    stages[VSR_STAGE_CONVERT] = ps.convert_s;
    stages[VSR_STAGE_INFER] = ps.infer_s;
    stages[VSR_STAGE_ENCODE] = ps.encode_s;

    if (j->upload) {
        if (deliver_upload(j, c, out_path, &stages[VSR_STAGE_UPLOAD], &err) < 0) {
            int cancelled = err.code == VSR_ERR_CANCELLED;
            if (cancelled)
                explain_cancel(j, &err);
            vsr_error_prefix(&err, "clip %d: upload", index);
            clip_fail(c, &err, cancelled ? 0 : 502);
        }
    }
    vsr_metrics_clip(sv->metrics, ps.frames, ps.wall_s, stages);
    if (!keep_local && unlink(out_path) != 0 && errno != ENOENT)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "removing %s: %s", out_path, strerror(errno));
done:
    if (in_path[0] && unlink(in_path) != 0 && errno != ENOENT)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "removing %s: %s", in_path, strerror(errno));
    if (c->status)
        vsr_metrics_error(sv->metrics, (vsr_status)c->status);
}

typedef struct clip_task {
    vsr_upscale_job *job;
    int index;
    const char *workdir;
    int started;
    pthread_t thread;
} clip_task;

static void *clip_main(void *arg)
{
    clip_task *t = arg;
    run_clip(t->job, t->index, t->workdir);
    return NULL;
}

static void run_job(vsr_job *job, void *opaque)
{
    vsr_upscale_job *j = opaque;
    (void)job;
    char workdir[4096];
    vsr_error err;
    vsr_error_clear(&err);
    /* Named with this process's pid, so that a restart after a crash can
     * tell it from a live server's (server/sweep.h). */
    if (vsr_scratch_dir_create(j->services->cfg->tmp_dir, VSR_SCRATCH_JOB_DIR, workdir,
                               sizeof workdir, &err) < 0) {
        for (int i = 0; i < j->n_clips; i++)
            clip_fail(&j->clips[i], &err, 500);
        vsr_metrics_error(j->services->metrics, VSR_ERR_IO);
        return;
    }
    /* The clips of a request run at once (the validator sends five with
     * one deadline): each on a thread of its own, the first on this one;
     * a thread that cannot be started runs its clip here afterwards. */
    clip_task tasks[VSR_MAX_CLIPS];
    for (int i = 0; i < j->n_clips; i++) {
        tasks[i] = (clip_task){.job = j, .index = i, .workdir = workdir};
        if (i > 0)
            tasks[i].started = pthread_create(&tasks[i].thread, NULL, clip_main, &tasks[i]) == 0;
    }
    if (j->n_clips > 0)
        run_clip(j, 0, workdir);
    for (int i = 1; i < j->n_clips; i++) {
        if (tasks[i].started)
            pthread_join(tasks[i].thread, NULL);
        else
            run_clip(j, i, workdir);
    }
    if (rmdir(workdir) != 0)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "removing %s: %s", workdir, strerror(errno));
}

void vsr_upscale_job_init(vsr_upscale_job *j, const vsr_job_services *services, const char *id,
                          double deadline)
{
    memset(j, 0, sizeof *j);
    j->services = services;
    vsr_job_set(&j->job, id, deadline, run_job, j);
    j->detail = 1.0f;
    vsr_encoder_options_default(&j->enc);
}

void vsr_upscale_job_set_model(vsr_upscale_job *j, const char *model)
{
    snprintf(j->model, sizeof j->model, "%s", model);
    j->detail_auto = vsr_model_is_auto(j->model);
}
