#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include "server/api.h"
#include "server/deleter.h"
#include "server/http_server.h"
#include "server/s3_client.h"
#include "server/sweep.h"
#include "util/log.h"

struct vsr_server {
    vsr_metrics metrics;
    atomic_int active_clips; /* the jobs' clips in their pipeline now */
    vsr_api api;
    vsr_http *http;
};

/* How often the deleter looks for due objects. */
#define DELETER_POLL_MS 1000

int vsr_server_start(const vsr_server_config *cfg, vsr_server **out, vsr_error *err)
{
    *out = NULL;
    vsr_server *s = calloc(1, sizeof *s);
    if (!s)
        return vsr_error_set(err, VSR_ERR_NOMEM, "server: out of memory");
    vsr_metrics_init(&s->metrics);
    vsr_job_services *sv = &s->api.services;
    sv->cfg = cfg;
    sv->metrics = &s->metrics;
    sv->active_clips = &s->active_clips;
    s->api.backend_name = cfg->engine.backend;
    int st;
    if (vsr_server_config_has_storage(cfg)) {
        vsr_s3_config sc = {
            .endpoint = cfg->endpoint,
            .bucket = cfg->bucket,
            .access_key = cfg->access_key,
            .secret_key = cfg->secret_key,
            .region = cfg->region,
            .retries = cfg->storage_retries,
            .backoff_ms = cfg->storage_backoff_ms,
            .timeout_ms = cfg->storage_timeout_ms,
        };
        if ((st = vsr_s3_create(&sc, &sv->s3, err)) < 0)
            goto fail;
        if ((st = vsr_deleter_start(cfg->deletions_db, sv->s3, DELETER_POLL_MS, &sv->deleter,
                                    err)) < 0)
            goto fail;
    }
    vsr_model_cache_options mo = {
        .models_dir = cfg->models_dir,
        .engine = cfg->engine,
        .devices = cfg->devices_spec,
        .fail_device = cfg->fail_device,
        .fail_after = cfg->fail_after,
    };
    if ((st = vsr_model_cache_create(&mo, &sv->models, err)) < 0 ||
        (st = vsr_job_queue_create(cfg->max_running, cfg->max_queued, &s->api.queue, err)) < 0 ||
        (st = vsr_output_claims_create(&s->api.claims, err)) < 0 ||
        (st = vsr_gpu_worker_create(sv, s->api.queue, &s->api.gpu, err)) < 0)
        goto fail;
    /* Before the first request: what a killed predecessor left. */
    vsr_sweep_stats swept;
    if ((st = vsr_sweep_leftovers(cfg->tmp_dir, cfg->root, &swept, err)) < 0)
        goto fail;
    if (swept.job_dirs || swept.files || swept.left)
        vsr_logf(NULL, VSR_LOG_INFO, "serve",
                 "startup sweep: removed %d job director%s and %d file%s left by vsr processes "
                 "no longer running (%d left in place, see the warnings)",
                 swept.job_dirs, swept.job_dirs == 1 ? "y" : "ies", swept.files,
                 swept.files == 1 ? "" : "s", swept.left);
    int per_ip = cfg->max_connections_per_ip;
    if (per_ip == 0) {
        per_ip = cfg->max_connections / 2;
        if (per_ip < cfg->max_running + cfg->max_queued + 2)
            per_ip = cfg->max_running + cfg->max_queued + 2;
        if (per_ip > cfg->max_connections)
            per_ip = cfg->max_connections;
    }
    vsr_http_options ho = {
        .host = cfg->listen_host ? cfg->listen_host : "127.0.0.1",
        .port = cfg->listen_port,
        .max_connections = cfg->max_connections,
        /* Automatic: half the slots, so that one address (a slow-header
         * attacker, a runaway client) always leaves the other half to the
         * rest; at least what a single client needs to fill the queue. */
        .max_connections_per_ip = per_ip,
        .max_body_bytes = cfg->max_body_bytes,
        .timeout_s = cfg->request_timeout_s,
        .header_timeout_s = cfg->header_timeout_s,
        .token = cfg->token,
        .open_path = "/health",
        .alt_token_paths = vsr_gpu_worker_paths,
        .alt_token = cfg->gpu_token ? cfg->gpu_token : cfg->token,
        .stream = vsr_gpu_worker_stream(s->api.gpu),
        .tls_cert = cfg->tls_cert,
        .tls_key = cfg->tls_key,
    };
    if ((st = vsr_http_start(&ho, vsr_api_handle, &s->api, &s->http, err)) < 0)
        goto fail;
    *out = s;
    return VSR_OK;
fail:
    vsr_server_stop(s);
    return st;
}

int vsr_server_port(const vsr_server *s)
{
    return vsr_http_port(s->http);
}

int vsr_server_reload_tls(vsr_server *s, vsr_error *err)
{
    return vsr_http_reload_tls(s->http, err);
}

void vsr_server_drain(vsr_server *s)
{
    vsr_job_queue_close(s->api.queue);
}

int vsr_server_jobs(vsr_server *s)
{
    int running, waiting;
    vsr_job_queue_snapshot(s->api.queue, &running, &waiting, NULL, 0);
    return running + waiting + vsr_gpu_worker_uploading(s->api.gpu);
}

int vsr_server_requests(vsr_server *s)
{
    return vsr_http_requests_in_flight(s->http);
}

void vsr_server_stop(vsr_server *s)
{
    if (!s)
        return;
    /* No new connections; then cancel every job, which ends the waits of
     * the connections that carry them; then close the connections. */
    vsr_http_quiesce(s->http);
    vsr_job_queue_shutdown(s->api.queue);
    vsr_http_stop(s->http);
    vsr_job_queue_destroy(s->api.queue);
    vsr_gpu_worker_destroy(s->api.gpu);
    vsr_output_claims_destroy(s->api.claims);
    vsr_model_cache_destroy(s->api.services.models);
    vsr_deleter_stop(s->api.services.deleter);
    vsr_s3_destroy(s->api.services.s3);
    vsr_metrics_destroy(&s->metrics);
    free(s);
}
