#include "server/api.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/gates.h"
#include "model/model_auto.h"
#include "model/model_registry.h"
#include "server/compress_api.h"
#include "server/deleter.h"
#include "server/path_confine.h"
#include "server/uuid.h"
#include "util/clock.h"

/* How often a waiting request looks at its client and its deadline. */
#define WAIT_POLL_S 0.25

typedef struct route route;
typedef void (*route_fn)(vsr_api *api, const route *rt, const vsr_http_call *call,
                         vsr_http_reply *reply);

struct route {
    const char *method, *path;
    route_fn fn;
    /* The endpoint's own fields, as an error body carries them. */
    json_t *(*error_fields)(vsr_api *api);
};

/* ---- replies ---------------------------------------------------------- */

static void reply_json(vsr_http_reply *reply, int status, json_t *body)
{
    reply->status = status;
    reply->content_type = "application/json";
    reply->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
}

static void reply_error(vsr_api *api, const route *rt, vsr_http_reply *reply, int status,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reply_error(vsr_api *api, const route *rt, vsr_http_reply *reply, int status,
                        const char *fmt, ...)
{
    char msg[VSR_ERROR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body = rt && rt->error_fields ? rt->error_fields(api) : json_object();
    json_object_set_new(body, "error", json_string(msg));
    reply_json(reply, status, body);
}

static json_t *legacy_error_fields(vsr_api *api)
{
    (void)api;
    return json_pack("{s:n}", "uploaded_video_url");
}

static json_t *upscale_error_fields(vsr_api *api)
{
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    return json_pack("{s:[],s:[],s:[],s:b,s:n,s:i,s:i}", "output_paths", "output_urls", "errors",
                     "success", 0, "queue_position", "active_tasks", running, "queued_tasks",
                     waiting);
}

/* ---- request fields --------------------------------------------------- */

static int is_url(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

/* A task id becomes part of logs and of /queue: printable, short. */
static int task_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._:-", s[i])))
            return 0;
    return 1;
}

/* The request's codec: a family or an encoder name. */
static int parse_codec(const char *name, vsr_encoder_options *enc)
{
    static const struct {
        const char *name, *codec, *encoder;
    } codecs[] = {
        {"hevc", "hevc", NULL},
        {"h265", "hevc", NULL},
        {"libx265", "hevc", "libx265"},
        {"hevc_nvenc", "hevc", "hevc_nvenc"},
        {"av1", "av1", NULL},
        {"libsvtav1", "av1", "libsvtav1"},
        {"av1_nvenc", "av1", "av1_nvenc"},
        {"h264", "h264", NULL},
        {"libx264", "h264", "libx264"},
        {"h264_nvenc", "h264", "h264_nvenc"},
    };
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        if (!strcasecmp(name, codecs[i].name)) {
            enc->codec = codecs[i].codec;
            enc->encoder = codecs[i].encoder;
            return 0;
        }
    }
    return -1;
}

/* One clip's input: a URL (downloaded by the job) or a path in the root. */
static int set_source(vsr_api *api, vsr_clip *c, const char *value, int index, char *why,
                      size_t why_len)
{
    const vsr_server_config *cfg = api->services.cfg;
    if (is_url(value)) {
        if (strlen(value) >= sizeof c->source) {
            snprintf(why, why_len, "video_paths[%d]: URL too long", index);
            return -1;
        }
        snprintf(c->source, sizeof c->source, "%s", value);
        c->source_is_url = 1;
        return 0;
    }
    if (strstr(value, "://")) {
        snprintf(why, why_len, "video_paths[%d]: only http and https URLs are fetched", index);
        return -1;
    }
    if (!cfg->root) {
        snprintf(why, why_len,
                 "video_paths[%d]: local paths are disabled on this server (no root "
                 "configured); give an http(s) URL",
                 index);
        return -1;
    }
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_path_confine(cfg->root, value, VSR_PATH_READ, c->source, sizeof c->source, &err) < 0) {
        snprintf(why, why_len, "video_paths[%d]: %s", index, err.msg);
        return -1;
    }
    return 0;
}

static int set_output(vsr_api *api, vsr_clip *c, const char *value, int index, char *why,
                      size_t why_len)
{
    const vsr_server_config *cfg = api->services.cfg;
    if (!cfg->root) {
        snprintf(why, why_len,
                 "output_paths[%d]: local paths are disabled on this server (no root "
                 "configured); leave output_paths out to get output_urls",
                 index);
        return -1;
    }
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_path_confine(cfg->root, value, VSR_PATH_WRITE, c->output_path, sizeof c->output_path,
                         &err) < 0) {
        snprintf(why, why_len, "output_paths[%d]: %s", index, err.msg);
        return -1;
    }
    return 0;
}

static int parse_upscale_inputs(vsr_api *api, json_t *paths, vsr_upscale_job *j, char *why,
                                size_t why_len)
{
    if (!json_is_array(paths) || json_array_size(paths) < 1 ||
        json_array_size(paths) > VSR_MAX_CLIPS) {
        snprintf(why, why_len, "video_paths: expected a list of 1 to %d strings", VSR_MAX_CLIPS);
        return -1;
    }
    j->n_clips = (int)json_array_size(paths);
    for (int i = 0; i < j->n_clips; i++) {
        json_t *p = json_array_get(paths, (size_t)i);
        if (!json_is_string(p) || !json_string_length(p)) {
            snprintf(why, why_len, "video_paths[%d]: expected a non-empty string", i);
            return -1;
        }
        if (set_source(api, &j->clips[i], json_string_value(p), i, why, why_len) < 0)
            return -1;
    }
    return 0;
}

/* The name the subnet's services give an input's output: the input's
 * name without its extension, <task>_input for a download (<task>_input<i>
 * after the first clip), and, where an earlier clip of the request has the
 * same, its index. */
static void output_base(const vsr_upscale_job *j, int index, char *base, size_t size)
{
    const vsr_clip *c = &j->clips[index];
    if (c->source_is_url) {
        if (index)
            snprintf(base, size, "%.80s_input%d", j->job.id, index);
        else
            snprintf(base, size, "%.80s_input", j->job.id);
        return;
    }
    const char *name = strrchr(c->source, '/');
    name = name ? name + 1 : c->source;
    const char *dot = strrchr(name, '.');
    int len = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
    snprintf(base, size, "%.*s", len > 400 ? 400 : len, name);
    for (int k = 0; k < index; k++) {
        const vsr_clip *o = &j->clips[k];
        if (o->source_is_url)
            continue;
        const char *on = strrchr(o->source, '/');
        on = on ? on + 1 : o->source;
        if (!strncmp(on, name, (size_t)len) && (on[len] == '\0' || on[len] == '.')) {
            snprintf(base + strlen(base), size - strlen(base), "_%d", index);
            return;
        }
    }
}

static int set_default_output(vsr_api *api, vsr_upscale_job *j, int index, char *why,
                              size_t why_len)
{
    char base[512], name[600];
    output_base(j, index, base, sizeof base);
    snprintf(name, sizeof name, "%s_upscaled_%dx.mp4", base, j->scale);
    if (set_output(api, &j->clips[index], name, index, why, why_len) < 0)
        return -1;
    /* (k < VSR_MAX_CLIPS too: GCC 12 at -O3 cannot tell n_clips is that
     * bounded and warns of a read past the array, an error with -Werror) */
    for (int k = 0; k < j->n_clips && k < VSR_MAX_CLIPS; k++) {
        if (!j->clips[k].source_is_url &&
            !strcmp(j->clips[k].source, j->clips[index].output_path)) {
            snprintf(why, why_len, "output_paths[%d]: %s would be an input", index, name);
            return -1;
        }
    }
    return 0;
}

/* The object key of a clip's upload, as vidaio-subnet's upscaling service
 * lays them out: processing/<task>/<input's name>_upscaled_<scale>x.mp4,
 * where a downloaded input is named <task>_input (<task>_input<i> for
 * the clips after the first). */
static void set_upload_key(const vsr_upscale_job *j, vsr_clip *c, int index)
{
    char base[512];
    output_base(j, index, base, sizeof base);
    snprintf(c->upload_key, sizeof c->upload_key, "processing/%.80s/%s_upscaled_%dx.mp4", j->job.id,
             base, j->scale);
}

/* Fills j from a POST /upscale body; on a bad field writes why (naming it). */
static int parse_upscale(vsr_api *api, json_t *root, vsr_upscale_job *j, char *why, size_t why_len)
{
    const vsr_server_config *cfg = api->services.cfg;
    json_t *paths = json_object_get(root, "video_paths"), *one = NULL;
    /* The service of vidaio-subnet today takes one "video_path" (and the
     * neuron sends that): a list of one. */
    json_t *single = json_object_get(root, "video_path");
    if (!paths && single) {
        if (!json_is_string(single) || !json_string_length(single)) {
            snprintf(why, why_len, "video_path: expected a URL or a path");
            return -1;
        }
        paths = one = json_pack("[O]", single);
    }
    if (!paths) {
        snprintf(why, why_len, "video_paths: missing (a list of 1 to %d inputs, or video_path)",
                 VSR_MAX_CLIPS);
        return -1;
    }
    int st = parse_upscale_inputs(api, paths, j, why, why_len);
    json_decref(one);
    if (st < 0)
        return -1;

    json_t *outs = json_object_get(root, "output_paths");
    if (outs && !json_is_null(outs)) {
        if (!json_is_array(outs) || json_array_size(outs) != (size_t)j->n_clips) {
            snprintf(why, why_len, "output_paths: expected a list of %d strings, one per video",
                     j->n_clips);
            return -1;
        }
        for (int i = 0; i < j->n_clips; i++) {
            json_t *p = json_array_get(outs, (size_t)i);
            if (!json_is_string(p) || !json_string_length(p)) {
                snprintf(why, why_len, "output_paths[%d]: expected a non-empty string", i);
                return -1;
            }
            if (set_output(api, &j->clips[i], json_string_value(p), i, why, why_len) < 0)
                return -1;
            for (int k = 0; k < j->n_clips; k++) {
                if ((k < i && !strcmp(j->clips[k].output_path, j->clips[i].output_path)) ||
                    (!j->clips[k].source_is_url &&
                     !strcmp(j->clips[k].source, j->clips[i].output_path))) {
                    snprintf(why, why_len,
                             "output_paths[%d]: the same file as another input or output", i);
                    return -1;
                }
            }
        }
    }
    j->upload = api->services.s3 != NULL;
    int default_outputs = !j->upload && !(outs && !json_is_null(outs));
    for (int i = 0; default_outputs && i < j->n_clips; i++) {
        if (j->clips[i].source_is_url) {
            snprintf(why, why_len,
                     "output_paths: needed for a URL input, as this server has no storage to "
                     "upload to");
            return -1;
        }
    }

    json_t *scale = json_object_get(root, "scale");
    if (!scale) {
        snprintf(why, why_len, "scale: missing (2 or 4)");
        return -1;
    }
    json_int_t s = json_is_integer(scale) ? json_integer_value(scale) : 0;
    if (s < 2 || s > 4) {
        snprintf(why, why_len, "scale: expected 2, 3 or 4");
        return -1;
    }
    j->scale = (int)s;
    if (j->upload) {
        j->presign_expiry_s = cfg->service_presign_expiry_s;
        for (int i = 0; i < j->n_clips; i++)
            set_upload_key(j, &j->clips[i], i);
    }
    /* Local inputs and nowhere to upload: the service's local mode, the
     * output beside its shared volume (here the root) as
     * <name>_upscaled_<scale>x.mp4, which the neuron maps back and
     * uploads itself. */
    for (int i = 0; default_outputs && i < j->n_clips; i++)
        if (set_default_output(api, j, i, why, why_len) < 0)
            return -1;

    const char *default_model = cfg->default_model ? cfg->default_model : VSR_MODEL_AUTO;
    json_t *model = json_object_get(root, "model");
    if (model && !json_is_null(model)) {
        const char *m = json_string_value(model);
        if (!m || (strcmp(m, default_model) && !vsr_model_name_is_safe(m))) {
            snprintf(why, why_len, "model: expected an installed model's name");
            return -1;
        }
        snprintf(j->model, sizeof j->model, "%s", m);
    } else {
        snprintf(j->model, sizeof j->model, "%s", default_model);
    }
    /* detail: 0..1, or "auto" (measured per clip); the model "auto"
     * always runs at a measured detail unless one is given */
    json_t *detail = json_object_get(root, "detail");
    j->detail_auto = vsr_model_is_auto(j->model);
    if (detail && !json_is_null(detail)) {
        const char *ds = json_string_value(detail);
        double dv = json_is_number(detail) ? json_number_value(detail) : -1;
        if (ds && !strcmp(ds, "auto")) {
            j->detail_auto = 1;
        } else if (!ds && dv >= 0 && dv <= 1) {
            j->detail_auto = 0;
            j->detail = (float)dv;
        } else {
            snprintf(why, why_len, "detail: expected a number 0..1 or \"auto\"");
            return -1;
        }
    }
    /* An uninstalled model, or a scale the model has not, is the request's
     * fault: say so now rather than fail the job. Loading it here also
     * keeps the first job's deadline free of the load. */
    vsr_device_pool *pool;
    vsr_error merr;
    vsr_error_clear(&merr);
    if (vsr_model_cache_get(api->services.models, j->model, j->scale, &pool, &merr) < 0) {
        snprintf(why, why_len, "model: %.64s at x%d: %.700s", j->model, j->scale, merr.msg);
        return -1;
    }

    json_t *codec = json_object_get(root, "codec");
    if (codec && !json_is_null(codec) &&
        (!json_is_string(codec) || parse_codec(json_string_value(codec), &j->enc) < 0)) {
        snprintf(why, why_len,
                 "codec: expected hevc, av1 or h264 (or an encoder: libx265, "
                 "libsvtav1, libx264, hevc_nvenc, av1_nvenc, h264_nvenc)");
        return -1;
    }
    json_t *cq = json_object_get(root, "cq");
    if (cq && !json_is_null(cq)) {
        json_int_t q = json_is_integer(cq) ? json_integer_value(cq) : -1;
        int max = !strcmp(j->enc.codec, "av1") ? 63 : 51;
        if (q < 0 || q > max) {
            snprintf(why, why_len, "cq: expected an integer 0..%d for %s", max, j->enc.codec);
            return -1;
        }
        j->enc.crf = (int)q;
    }
    return 0;
}

/* ---- running a job for a request -------------------------------------- */

typedef struct waiter {
    const vsr_http_call *call;
} waiter;

static int still_wanted(void *opaque)
{
    const vsr_http_call *call = ((waiter *)opaque)->call;
    return call->client_connected(call->conn);
}

/* Queues j and waits for its end. Returns 0 when it ran (its clips say
 * how), or the submit's error (VSR_ERR_BUSY: queue full). */
static int run_and_wait(vsr_api *api, const vsr_http_call *call, vsr_upscale_job *j, int *position,
                        vsr_error *err)
{
    int st = vsr_job_queue_submit(api->queue, &j->job, position, err);
    if (st < 0) {
        vsr_metrics_job(api->services.metrics,
                        st == VSR_ERR_BUSY ? VSR_OUTCOME_REJECTED : VSR_OUTCOME_CANCELLED);
        return st;
    }
    waiter w = {call};
    vsr_job_queue_wait(api->queue, &j->job, WAIT_POLL_S, still_wanted, &w);
    if (j->job.state == VSR_JOB_CANCELLED) {
        /* Never ran: every clip ends the same way. */
        vsr_error why;
        vsr_error_clear(&why);
        if (j->job.cancel == VSR_JOB_CANCEL_DEADLINE)
            vsr_error_set(&why, VSR_ERR_TIMEOUT, "the job's deadline (%d s) passed in the queue",
                          api->services.cfg->job_timeout_s);
        else
            vsr_error_set(&why, VSR_ERR_CANCELLED, "cancelled before it ran");
        for (int i = 0; i < j->n_clips; i++) {
            j->clips[i].status = why.code;
            j->clips[i].http_status = vsr_http_status_for(why.code);
            snprintf(j->clips[i].error, sizeof j->clips[i].error, "%s", why.msg);
        }
    }
    int failed = 0, cancelled = 0;
    for (int i = 0; i < j->n_clips; i++) {
        failed |= j->clips[i].status != VSR_OK;
        cancelled |= j->clips[i].status == VSR_ERR_CANCELLED;
    }
    vsr_metrics_job(api->services.metrics, cancelled ? VSR_OUTCOME_CANCELLED
                                           : failed  ? VSR_OUTCOME_FAILED
                                                     : VSR_OUTCOME_SUCCEEDED);
    return VSR_OK;
}

/* The status of a finished job: 200 only when every clip worked. */
static int job_http_status(const vsr_upscale_job *j)
{
    for (int i = 0; i < j->n_clips; i++)
        if (j->clips[i].status != VSR_OK)
            return j->clips[i].http_status ? j->clips[i].http_status : 500;
    return 200;
}

static vsr_upscale_job *new_job(vsr_api *api, const char *id)
{
    vsr_upscale_job *j = malloc(sizeof *j);
    if (j)
        vsr_upscale_job_init(j, &api->services, id, vsr_now_s() + api->services.cfg->job_timeout_s);
    return j;
}

static json_t *parse_body(vsr_api *api, const route *rt, const vsr_http_call *call,
                          vsr_http_reply *reply)
{
    json_error_t jerr;
    json_t *root = json_loadb(call->body, call->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        reply_error(api, rt, reply, 400, "body: not valid JSON (line %d, column %d: %s)", jerr.line,
                    jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        reply_error(api, rt, reply, 400, "body: expected a JSON object");
        return NULL;
    }
    return root;
}

/* ---- endpoints -------------------------------------------------------- */

static void handle_legacy(vsr_api *api, const route *rt, const vsr_http_call *call,
                          vsr_http_reply *reply)
{
    json_t *root = parse_body(api, rt, call, reply);
    if (!root)
        return;
    json_t *url = json_object_get(root, "payload_url");
    json_t *task = json_object_get(root, "task_type");
    const char *u = json_string_value(url), *t = json_string_value(task);
    char id[VSR_UUID_LEN];
    vsr_error err;
    vsr_error_clear(&err);
    vsr_upscale_job *j = NULL;
    if (!url || !u || !*u)
        reply_error(api, rt, reply, 400, "payload_url: %s", url ? "expected a URL" : "missing");
    else if (!is_url(u))
        reply_error(api, rt, reply, 400, "payload_url: only http and https URLs are fetched");
    else if (strlen(u) >= sizeof j->clips[0].source)
        reply_error(api, rt, reply, 400, "payload_url: URL too long");
    else if (!task || !t)
        reply_error(api, rt, reply, 400, "task_type: %s (SD2HD, HD24K, SD24K or 4K28K)",
                    task ? "expected a string" : "missing");
    else if (!vsr_task_scale(t))
        reply_error(api, rt, reply, 400, "task_type: expected SD2HD, HD24K, SD24K or 4K28K");
    else if (!api->services.s3)
        reply_error(api, rt, reply, 503,
                    "storage is not configured (BUCKET_NAME, BUCKET_COMPATIBLE_ENDPOINT, ...): "
                    "the legacy API returns an uploaded URL");
    else if (vsr_uuid_v4(id, &err) < 0 || !(j = new_job(api, id)))
        reply_error(api, rt, reply, 500, "%s", err.msg[0] ? err.msg : "out of memory");
    if (!j) {
        json_decref(root);
        return;
    }
    const vsr_server_config *cfg = api->services.cfg;
    snprintf(j->model, sizeof j->model, "%s",
             cfg->default_model ? cfg->default_model : VSR_MODEL_AUTO);
    j->detail_auto = vsr_model_is_auto(j->model);
    j->scale = vsr_task_scale(t);
    j->upload = 1;
    j->n_clips = 1;
    snprintf(j->clips[0].source, sizeof j->clips[0].source, "%s", u);
    j->clips[0].source_is_url = 1;
    json_decref(root);

    int position;
    if (run_and_wait(api, call, j, &position, &err) < 0) {
        reply_error(api, rt, reply, vsr_http_status_for(err.code), "%s", err.msg);
    } else if (j->clips[0].status != VSR_OK) {
        reply_error(api, rt, reply, job_http_status(j), "%s", j->clips[0].error);
    } else {
        reply_json(reply, 200, json_pack("{s:s}", "uploaded_video_url", j->clips[0].output_url));
    }
    free(j);
}

static json_t *string_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static void handle_upscale(vsr_api *api, const route *rt, const vsr_http_call *call,
                           vsr_http_reply *reply)
{
    json_t *root = parse_body(api, rt, call, reply);
    if (!root)
        return;
    char id[VSR_UUID_LEN + 64], why[VSR_ERROR_MSG_MAX + 64];
    vsr_error err;
    vsr_error_clear(&err);
    json_t *tid = json_object_get(root, "task_id");
    if (tid && !json_is_null(tid) &&
        (!json_is_string(tid) || !task_id_ok(json_string_value(tid)))) {
        json_decref(root);
        reply_error(api, rt, reply, 400, "task_id: expected 1 to 64 letters, digits or . _ : -");
        return;
    }
    if (tid && json_is_string(tid)) {
        snprintf(id, sizeof id, "%s", json_string_value(tid));
    } else if (vsr_uuid_v4(id, &err) < 0) {
        json_decref(root);
        reply_error(api, rt, reply, 500, "%s", err.msg);
        return;
    }
    vsr_upscale_job *j = new_job(api, id);
    if (!j) {
        json_decref(root);
        reply_error(api, rt, reply, 500, "out of memory");
        return;
    }
    int bad = parse_upscale(api, root, j, why, sizeof why);
    json_decref(root);
    if (bad) {
        reply_error(api, rt, reply, 400, "%s", why);
        free(j);
        return;
    }

    /* One job per output path: a second writer would race the first for
     * the file (issue 20), so it is told now, not given a broken one. */
    const char *outs[VSR_MAX_CLIPS];
    for (int i = 0; i < j->n_clips; i++)
        outs[i] = j->clips[i].output_path;
    int busy = 0;
    if (vsr_output_claims_take(api->claims, outs, j->n_clips, &busy, &err) < 0) {
        if (err.code == VSR_ERR_BUSY)
            reply_error(api, rt, reply, 409,
                        "output_paths[%d]: another request is writing this file now; ask again "
                        "when it has finished",
                        busy);
        else
            reply_error(api, rt, reply, 500, "%s", err.msg);
        free(j);
        return;
    }
    int position = 0;
    int ran = run_and_wait(api, call, j, &position, &err);
    vsr_output_claims_release(api->claims, outs, j->n_clips);
    if (ran < 0) {
        reply_error(api, rt, reply, vsr_http_status_for(err.code), "%s", err.msg);
        free(j);
        return;
    }
    json_t *paths = json_array(), *urls = json_array(), *errors = json_array(),
           *details = json_array();
    int ok = 1;
    for (int i = 0; i < j->n_clips; i++) {
        const vsr_clip *c = &j->clips[i];
        int good = c->status == VSR_OK;
        ok &= good;
        json_array_append_new(paths, string_or_null(good ? c->output_path : NULL));
        json_array_append_new(urls, string_or_null(good ? c->output_url : NULL));
        json_array_append_new(errors, string_or_null(good ? NULL : c->error));
        json_array_append_new(details,
                              good ? json_real(round(c->detail * 1e4) / 1e4) : json_null());
    }
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    /* The first clip's output also as the service's single fields, which
     * the neuron reads (output_url, else output_path). */
    const vsr_clip *first = &j->clips[0];
    int first_ok = first->status == VSR_OK;
    json_t *body = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:i,s:i,s:i}", "task_id", j->job.id,
                             "output_path", first_ok ? first->output_path : "", "output_url",
                             first_ok ? first->output_url : "", "output_paths", paths,
                             "output_urls", urls, "errors", errors, "success", ok, "queue_position",
                             position, "active_tasks", running, "queued_tasks", waiting);
    /* the detail each output was made at (chosen per clip with "auto") */
    json_object_set_new(body, "details", details);
    json_object_set_new(body, "error",
                        ok                ? json_null()
                        : j->n_clips == 1 ? json_string(first->error)
                                          : json_string("one or more videos failed: see errors"));
    reply_json(reply, job_http_status(j), body);
    free(j);
}

static void handle_compress(vsr_api *api, const route *rt, const vsr_http_call *call,
                            vsr_http_reply *reply)
{
    (void)rt;
    vsr_compress_api_handle(api, call, reply);
}

static void handle_health(vsr_api *api, const route *rt, const vsr_http_call *call,
                          vsr_http_reply *reply)
{
    (void)rt, (void)call;
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    /* Readiness: a draining server answers 503 first, so that a load
     * balancer's health check takes it out before its jobs end. */
    int draining = vsr_job_queue_closed(api->queue);
    reply_json(reply, draining ? 503 : 200,
               json_pack("{s:s,s:s,s:i,s:b,s:i,s:i}", "status", draining ? "draining" : "ok",
                         "backend", api->backend_name, "models_loaded",
                         vsr_model_cache_count(api->services.models), "storage",
                         api->services.s3 != NULL, "active_tasks", running, "queued_tasks",
                         waiting));
}

static void handle_queue(vsr_api *api, const route *rt, const vsr_http_call *call,
                         vsr_http_reply *reply)
{
    (void)rt, (void)call;
    const vsr_server_config *cfg = api->services.cfg;
    int max = cfg->max_running + cfg->max_queued, running, waiting;
    vsr_job_info *jobs = calloc((size_t)max, sizeof *jobs);
    if (!jobs) {
        reply_error(api, rt, reply, 500, "out of memory");
        return;
    }
    int n = vsr_job_queue_snapshot(api->queue, &running, &waiting, jobs, max);
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:i}", "task_id", jobs[i].id, "state",
                                        jobs[i].state == VSR_JOB_RUNNING ? "running" : "queued",
                                        "position", jobs[i].position));
    free(jobs);
    reply_json(reply, 200,
               json_pack("{s:i,s:i,s:i,s:i,s:o}", "active_tasks", running, "queued_tasks", waiting,
                         "max_running", cfg->max_running, "max_queued", cfg->max_queued, "tasks",
                         list));
}

/* The per-device families of /metrics; Prometheus wants each family's
 * samples together, so one pass over the models per family. */
static const struct {
    const char *name, *type, *help;
} device_families[] = {
    {"vsr_device_up", "gauge", "Whether a device is in rotation, by model."},
    {"vsr_device_frames_total", "counter", "Frames upscaled on a device."},
    {"vsr_device_busy_seconds_total", "counter", "Time a device spent on frames."},
    {"vsr_device_contexts", "gauge", "Worker contexts placed on a device."},
    {"vsr_device_idle_contexts", "gauge", "Worker contexts a device keeps for the next clip."},
};

typedef struct device_pass {
    FILE *f;
    int family;
} device_pass;

static void device_metrics(void *opaque, const char *name, int scale, vsr_device_pool *pool)
{
    device_pass *p = opaque;
    vsr_device_stat st[VSR_MAX_DEVICES];
    int n = vsr_device_pool_stats(pool, st, VSR_MAX_DEVICES);
    for (int i = 0; i < n && i < VSR_MAX_DEVICES; i++) {
        fprintf(p->f, "%s{model=\"%s-x%d\",device=\"%s\"} ", device_families[p->family].name, name,
                scale, st[i].name);
        switch (p->family) {
        case 0: fprintf(p->f, "%d\n", st[i].up); break;
        case 1: fprintf(p->f, "%lld\n", (long long)st[i].frames); break;
        case 2: fprintf(p->f, "%.3f\n", st[i].busy_s); break;
        case 3: fprintf(p->f, "%d\n", st[i].contexts); break;
        default: fprintf(p->f, "%d\n", st[i].idle); break;
        }
    }
}

static void handle_metrics(vsr_api *api, const route *rt, const vsr_http_call *call,
                           vsr_http_reply *reply)
{
    (void)call;
    int running, waiting;
    vsr_job_queue_snapshot(api->queue, &running, &waiting, NULL, 0);
    long pending = api->services.deleter ? vsr_deleter_pending(api->services.deleter) : 0;
    char *base = vsr_metrics_render(api->services.metrics, running, waiting, pending);
    char *text = NULL;
    size_t len = 0;
    FILE *f = base ? open_memstream(&text, &len) : NULL;
    if (f) {
        fputs(base, f);
        for (int k = 0; k < (int)(sizeof device_families / sizeof device_families[0]); k++) {
            fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", device_families[k].name,
                    device_families[k].help, device_families[k].name, device_families[k].type);
            device_pass pass = {f, k};
            vsr_model_cache_foreach(api->services.models, device_metrics, &pass);
        }
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    free(base);
    if (!text) {
        reply_error(api, rt, reply, 500, "out of memory");
        return;
    }
    reply->status = 200;
    reply->body = text;
    reply->content_type = "text/plain; version=0.0.4";
}

static const route routes[] = {
    {"POST", "/upscale-video", handle_legacy, legacy_error_fields},
    {"POST", "/upscale", handle_upscale, upscale_error_fields},
    {"POST", "/compress", handle_compress, vsr_compress_api_error_fields},
    {"GET", "/health", handle_health, NULL},
    {"GET", "/queue", handle_queue, NULL},
    {"GET", "/metrics", handle_metrics, NULL},
};

void vsr_api_handle(void *opaque, const vsr_http_call *call, vsr_http_reply *reply)
{
    vsr_api *api = opaque;
    if (api->gpu && vsr_gpu_worker_owns(call->path)) {
        vsr_gpu_worker_handle(api->gpu, call, reply);
        vsr_metrics_request(api->services.metrics,
                            strcmp(call->path, "/healthz") ? "/process" : "/healthz",
                            reply->status);
        return;
    }
    const route *rt = NULL;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, call->path))
            continue;
        path_known = 1;
        if (!strcmp(routes[i].method, call->method))
            rt = &routes[i];
    }
    const char *route_name = rt ? rt->path : "other";
    if (call->reject_status)
        reply_error(api, rt, reply, call->reject_status, "%s", call->reject_reason);
    else if (!rt && path_known)
        reply_error(api, NULL, reply, 405, "%s is not allowed on %s", call->method, call->path);
    else if (!rt)
        reply_error(api, NULL, reply, 404, "no such endpoint: %s %s", call->method, call->path);
    else
        rt->fn(api, rt, call, reply);
    vsr_metrics_request(api->services.metrics, route_name, reply->status);
}
