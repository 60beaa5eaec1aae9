#include "server/compress_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/compress_job.h"
#include "server/compress_request.h"
#include "server/json_text.h"
#include "server/path_confine.h"
#include "server/request_fields.h"
#include "server/uuid.h"
#include "util/clock.h"
#include "util/log.h"

/* How often a waiting request looks at its client and its deadline. */
#define WAIT_POLL_S 0.25

/* The neuron's cq per compression type (neurons/miner.py
 * COMPRESSION_CQ_BY_TYPE) and the threshold of each type. */
double vsr_compress_api_threshold(int cq)
{
    return cq <= 30 ? 93.0 : cq <= 35 ? 89.0 : 85.0;
}

/* ---- replies ----------------------------------------------------------- */

static void reply_json(vsr_http_reply *reply, int status, json_t *body)
{
    reply->status = status;
    reply->content_type = "application/json";
    reply->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
}

/* HTTPException(status, detail=...) */
static void reply_detail(vsr_http_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_detail(vsr_http_reply *reply, int status, const char *fmt, ...)
{
    char msg[VSR_ERROR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_json(reply, status, json_pack("{s:o}", "detail", vsr_json_text(msg)));
}

/* A request validation error, as FastAPI words one: 422 and a list. */
static void reply_invalid(vsr_http_reply *reply, const char *type, const char *field, json_t *input,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reply_invalid(vsr_http_reply *reply, const char *type, const char *field, json_t *input,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *body = vsr_compress_request_invalidv(type, field, input, fmt, ap);
    va_end(ap);
    reply_json(reply, 422, body);
}

static json_t *response(const char *path, const char *url, int success, const char *error,
                        int with_stats, int active, int queued)
{
    return json_pack("{s:s,s:s,s:b,s:o,s:o,s:o}", "output_path", path ? path : "", "output_url",
                     url ? url : "", "success", success, "error",
                     error ? vsr_json_text(error) : json_null(), "active_tasks",
                     with_stats ? json_integer(active) : json_null(), "queued_tasks",
                     with_stats ? json_integer(queued) : json_null());
}

json_t *vsr_compress_api_error_fields(vsr_api *api)
{
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    json_t *body = response(NULL, NULL, 0, NULL, 1, running, waiting);
    json_object_del(body, "error"); /* the router adds its own */
    return body;
}

/* ---- running it ---------------------------------------------------------- */

/* The storage settings the service would call missing. */
static void missing_storage(const vsr_server_config *cfg, char *out, size_t size)
{
    const char *names[4];
    int n = 0;
    if (!cfg->bucket)
        names[n++] = "MINER_STORAGE_S3_BUCKET_NAME";
    if (!cfg->access_key)
        names[n++] = "MINER_STORAGE_S3_ACCESS_KEY_ID";
    if (!cfg->secret_key)
        names[n++] = "MINER_STORAGE_S3_SECRET_ACCESS_KEY";
    if (!n)
        names[n++] = "MINER_STORAGE_S3_ENDPOINT_URL";
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? ", " : "", names[i]);
}

void vsr_compress_api_handle(vsr_api *api, const vsr_http_call *call, vsr_http_reply *reply)
{
    const vsr_server_config *cfg = api->services.cfg;
    vsr_compress_request r;
    json_t *root = NULL, *invalid = NULL;
    if (vsr_compress_request_parse(call->body, call->body_len, &r, &root, &invalid) < 0) {
        reply_json(reply, 422, invalid);
        return;
    }

    vsr_error err;
    vsr_error_clear(&err);
    char label[VSR_UUID_LEN + 64];
    if (r.task_id[0]) {
        snprintf(label, sizeof label, "%s", r.task_id);
    } else {
        /* uuid4().hex[:8], as the service names an anonymous task */
        char uuid[VSR_UUID_LEN];
        if (vsr_uuid_v4(uuid, &err) < 0) {
            json_decref(root);
            reply_detail(reply, 500, "%s", err.msg);
            return;
        }
        snprintf(label, sizeof label, "%.8s", uuid);
    }
    vsr_compress_job *c = malloc(sizeof *c);
    if (!c) {
        json_decref(root);
        reply_detail(reply, 500, "out of memory");
        return;
    }
    vsr_compress_job_init(c, &api->services, label, vsr_now_s() + cfg->job_timeout_s);
    c->opt.codec = r.codec;
    c->opt.vmaf_target = vsr_compress_api_threshold((int)r.cq);
    if (r.target_width && r.target_height) { /* resized (Lanczos), scored at that size */
        c->opt.width = (int)r.target_width;
        c->opt.height = (int)r.target_height;
    }
    c->presign_expiry_s = cfg->service_presign_expiry_s;
    char out_local[4096] = "";
    int remote = vsr_request_is_url(r.video_path);
    int bad = 0;
    /* The service compresses at target_bitrate only in VBR mode with a
     * bitrate given; otherwise at its cq. */
    if (!strcmp(r.codec_mode, "VBR") && r.target_bitrate > 0 &&
        vsr_compress_job_set_vbr(c, r.target_bitrate, &err) < 0) {
        reply_invalid(reply, "value_error", "codec_mode", json_object_get(root, "codec_mode"), "%s",
                      err.msg);
        bad = 1;
    } else if (remote) {
        if (strlen(r.video_path) >= sizeof c->source_url) {
            reply_invalid(reply, "value_error", "video_path", NULL, "URL too long");
            bad = 1;
        } else if (!api->services.s3) {
            char missing[200];
            missing_storage(cfg, missing, sizeof missing);
            char msg[400];
            snprintf(msg, sizeof msg, "S3 upload failed: Missing storage configuration: %s",
                     missing);
            reply_json(reply, 200, response(NULL, NULL, 0, msg, 0, 0, 0));
            bad = 1;
        } else {
            snprintf(c->source_url, sizeof c->source_url, "%s", r.video_path);
            snprintf(c->upload_key, sizeof c->upload_key, "processing/%s/%s_input_compressed.mp4",
                     label, label);
        }
    } else if (!cfg->root) {
        reply_detail(reply, 400,
                     "Input file not found: %s (local paths are disabled on this server: no "
                     "root configured; give an http(s) URL)",
                     r.video_path);
        bad = 1;
    } else {
        char in_local[4096], name[512];
        if (vsr_path_confine(cfg->root, r.video_path, VSR_PATH_READ, in_local, sizeof in_local,
                             &err) < 0) {
            reply_detail(reply, 400, "Input file not found: %s", r.video_path);
            bad = 1;
        } else {
            /* <root>/<input's name without its extension>_compressed.mp4 */
            const char *base = strrchr(in_local, '/');
            base = base ? base + 1 : in_local;
            const char *dot = strrchr(base, '.');
            int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
            snprintf(name, sizeof name, "%.*s_compressed.mp4", len > 400 ? 400 : len, base);
            if (vsr_path_confine(cfg->root, name, VSR_PATH_WRITE, out_local, sizeof out_local,
                                 &err) < 0 ||
                !strcmp(out_local, in_local)) {
                reply_detail(reply, 400, "output %s: %s", name,
                             err.msg[0] ? err.msg : "the input itself");
                bad = 1;
            } else {
                snprintf(c->in_path, sizeof c->in_path, "%s", in_local);
                c->opt.input = c->in_path;
                c->opt.output = out_local;
            }
        }
    }
    json_decref(root);
    if (bad) {
        free(c);
        return;
    }

    int position;
    int st = vsr_job_queue_submit(api->queue, &c->job, &position, &err);
    if (st < 0) {
        vsr_metrics_job(api->services.metrics,
                        st == VSR_ERR_BUSY ? VSR_OUTCOME_REJECTED : VSR_OUTCOME_CANCELLED);
        int running, waiting;
        vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
        if (st == VSR_ERR_BUSY)
            reply_detail(reply, 429, "Compression queue full: %d/%d queued, %d/%d active", waiting,
                         cfg->max_queued, running, cfg->max_running);
        else
            reply_detail(reply, vsr_http_status_for(err.code), "%s", err.msg);
        free(c);
        return;
    }
    vsr_job_queue_wait(api->queue, &c->job, WAIT_POLL_S, vsr_http_call_still_wanted, (void *)call);
    if (c->job.state == VSR_JOB_CANCELLED) {
        c->failed_at = VSR_COMPRESS_STAGE_SEARCH;
        c->status =
            c->job.cancel == VSR_JOB_CANCEL_DEADLINE
                ? vsr_error_set(&c->err, VSR_ERR_TIMEOUT,
                                "the job's deadline (%d s) passed in the queue", cfg->job_timeout_s)
                : vsr_error_set(&c->err, VSR_ERR_CANCELLED, "cancelled before it ran");
    }
    vsr_metrics_job(api->services.metrics,
                    c->status == VSR_OK ? VSR_OUTCOME_SUCCEEDED
                    : c->status == VSR_ERR_CANCELLED || c->status == VSR_ERR_TIMEOUT
                        ? VSR_OUTCOME_CANCELLED
                        : VSR_OUTCOME_FAILED);
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    if (c->status == VSR_OK) {
        vsr_logf(NULL, VSR_LOG_INFO, "serve",
                 "compress %s: %s %s crf %d, %lld -> %lld bytes, VMAF %.2f (target %.0f)", label,
                 c->result.encoder, c->result.preset, c->result.crf,
                 (long long)c->result.input_bytes, (long long)c->result.bytes, c->result.vmaf,
                 c->opt.vmaf_target);
        reply_json(reply, 200,
                   response(remote ? NULL : out_local, remote ? c->output_url : NULL, 1, NULL, 1,
                            running, waiting));
    } else {
        vsr_metrics_error(api->services.metrics, (vsr_status)c->status);
        char msg[VSR_ERROR_MSG_MAX + 64];
        const char *prefix = c->failed_at == VSR_COMPRESS_STAGE_DOWNLOAD
                                 ? "Failed to download input: "
                             : c->failed_at == VSR_COMPRESS_STAGE_UPLOAD ? "S3 upload failed: "
                                                                         : "";
        snprintf(msg, sizeof msg, "%s%s", prefix, c->err.msg);
        /* The service leaves the counts out of a failed download. */
        reply_json(reply, 200,
                   response(NULL, NULL, 0, msg, c->failed_at != VSR_COMPRESS_STAGE_DOWNLOAD,
                            running, waiting));
    }
    free(c);
}
