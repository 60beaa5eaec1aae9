#include "server/api.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/gates.h"
#include "model/model_registry.h"
#include "server/compress_api.h"
#include "server/deleter.h"
#include "server/json_text.h"
#include "server/upscale_request.h"
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
    json_object_set_new(body, "error", vsr_json_text(msg));
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

/* The request's model (the server's default when it names none), loaded
 * now: an uninstalled model, or a scale the model has not, is the
 * request's fault, told now rather than by a failed job. Loading it here
 * also keeps the first job's deadline free of the load. */
static int parse_model(vsr_api *api, json_t *root, vsr_upscale_job *j, char *why, size_t why_len)
{
    const vsr_server_config *cfg = api->services.cfg;
    const char *default_model = vsr_server_model(cfg);
    json_t *model = json_object_get(root, "model");
    if (model && !json_is_null(model)) {
        const char *m = json_string_value(model);
        if (!m || (strcmp(m, default_model) && !vsr_model_name_is_safe(m))) {
            snprintf(why, why_len, "model: expected an installed model's name");
            return -1;
        }
        vsr_upscale_job_set_model(j, m);
    } else {
        vsr_upscale_job_set_model(j, default_model);
    }
    /* detail: 0..1, or "auto" (measured per clip); the model "auto"
     * always runs at a measured detail unless one is given */
    json_t *detail = json_object_get(root, "detail");
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
    vsr_device_pool *pool;
    vsr_error merr;
    vsr_error_clear(&merr);
    if (vsr_model_cache_get(api->services.models, j->model, j->scale, &pool, &merr) < 0) {
        snprintf(why, why_len, "model: %.64s at x%d: %.700s", j->model, j->scale, merr.msg);
        return -1;
    }

    return 0;
}

/* ---- running a job for a request -------------------------------------- */

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
    vsr_job_queue_wait(api->queue, &j->job, WAIT_POLL_S, vsr_http_call_still_wanted, (void *)call);
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
    else if (!vsr_request_is_url(u))
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
    vsr_upscale_job_set_model(j, vsr_server_model(cfg));
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
    return s && *s ? vsr_json_text(s) : json_null();
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
        (!json_is_string(tid) || !vsr_request_task_id_ok(json_string_value(tid), 1, "._:-"))) {
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
    int bad = vsr_upscale_request_parse(api->services.cfg, api->services.s3 != NULL, root, j, why,
                                        sizeof why) < 0 ||
              parse_model(api, root, j, why, sizeof why) < 0;
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
                        : j->n_clips == 1 ? vsr_json_text(first->error)
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
