#include "server/server_config.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_auto.h"

void vsr_server_config_default(vsr_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen_port = VSR_SERVE_DEFAULT_PORT;
    c->max_connections = 64;
    c->max_body_bytes = 1 << 20;
    c->request_timeout_s = 60;
    c->header_timeout_s = 10;
    c->max_running = 2;
    c->max_queued = 5;
    c->job_timeout_s = 600;
    c->drain_timeout_s = 60;
    c->workers = 0; /* resolved by the command: 2 a GPU, else 1 */
    c->max_pixels = 3840 * 2160;
    vsr_engine_options_default(&c->engine);
    c->n_devices = 1; /* device 0 */
    c->fail_device = -1;
    c->fail_after = -1;
    vsr_download_limits_default(&c->download);
    c->storage_retries = 3;
    c->storage_backoff_ms = 500;
    c->storage_timeout_ms = 120000;
    c->presign_expiry_s = 7 * 24 * 3600;
    c->service_presign_expiry_s = 3600;
    c->delete_after_s = 600;
    /* The reference worker's caps (VIDAIO_NEXT_GPU_MAX_INPUT_BYTES, ..._OUTPUT_BYTES). */
    c->gpu_max_input_bytes = 2LL << 30;
    c->gpu_max_output_bytes = 4LL << 30;
}

void vsr_server_config_free(vsr_server_config *c)
{
    /* every string the struct owns is a row of the table */
    vsr_opt_free(vsr_server_config_table, c);
}

int vsr_server_config_set(char **field, const char *value, vsr_error *err)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return VSR_OK;
}

/* --listen "HOST:PORT" or "[V6]:PORT" into listen_host and listen_port. */
static int parse_listen(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    (void)o;
    vsr_server_config *c = base;
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected ADDR:PORT, got '%s'", text);
    char host[256];
    const char *h = text;
    size_t n = (size_t)(colon - text);
    if (text[0] == '[' && colon[-1] == ']') {
        h = text + 1;
        n -= 2;
    }
    if (n == 0 || n >= sizeof host)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected ADDR:PORT, got '%s'", text);
    memcpy(host, h, n);
    host[n] = '\0';
    const vsr_opt port = {.type = VSR_OPT_INT,
                          .offset = offsetof(vsr_server_config, listen_port),
                          .min = 0,
                          .max = 65535,
                          .accepted = "a port 0..65535"};
    int st = vsr_opt_set_text(&port, c, colon + 1, err);
    if (st < 0)
        return st;
    return vsr_server_config_set(&c->listen_host, host, err);
}

/* The subnet services' link lifetime from the environment (default there:
 * 3600 s): a positive integer, at most the 7 days SigV4 allows, as they
 * clamp it. */
static int parse_presign_expiry(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    char *end;
    long n = strtol(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || n < 1 || end == text)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected seconds (a positive integer)");
    *(long *)((char *)base + o->offset) = n < 7 * 24 * 3600 ? n : 7 * 24 * 3600;
    return VSR_OK;
}

/* Every setting once: its config-file key (docs/vsr-serve.example.json),
 * its environment variables (applied in order: the last one set wins; the
 * BUCKET_* names are the older aliases of vidaio-subnet's MINER_STORAGE_S3_*
 * ones) and its `vsr serve` option with the range the command line and the
 * environment are held to (a file's numbers are checked by type here and
 * by vsr_server_config_validate). */
#define F(f) offsetof(vsr_server_config, f)
#define KEY(k, t, f) .key = k, .type = t, .offset = F(f)
/* clang-format off */
const vsr_opt vsr_server_config_table[] = {
    {.name = "listen", .type = VSR_OPT_CUSTOM, .arg = "ADDR:PORT", .parse = parse_listen,
     .help = "address to bind (default 127.0.0.1:" VSR_SERVE_DEFAULT_PORT_STR "; [::1]:PORT\n"
             "for IPv6; port 0 picks a free one)"},
    {KEY("listen_host", VSR_OPT_STRDUP, listen_host)},
    {KEY("listen_port", VSR_OPT_INT, listen_port)},
    {KEY("token", VSR_OPT_STRDUP, token), .env = "VSR_API_TOKEN"},
    {KEY("tls_cert", VSR_OPT_STRDUP, tls_cert), .name = "tls-cert", .arg = "FILE",
     .help = "serve HTTPS with this PEM certificate (chain) ..."},
    {KEY("tls_key", VSR_OPT_STRDUP, tls_key), .name = "tls-key", .arg = "FILE",
     .help = "... and its PEM private key; SIGHUP reads both again"},
    {KEY("root", VSR_OPT_STRDUP, root), .name = "root", .arg = "DIR",
     .help = "local video_paths/output_paths must lie in DIR (without\n"
             "it, only URLs in and uploads out)"},
    {KEY("tmp_dir", VSR_OPT_STRDUP, tmp_dir), .name = "tmp-dir", .arg = "DIR",
     .help = "scratch files of jobs (default $TMPDIR or /tmp)"},
    {KEY("max_connections", VSR_OPT_INT, max_connections)},
    {KEY("max_connections_per_ip", VSR_OPT_INT, max_connections_per_ip)},
    {KEY("max_body_bytes", VSR_OPT_INT64, max_body_bytes)},
    {KEY("request_timeout_s", VSR_OPT_INT, request_timeout_s)},
    {KEY("header_timeout_s", VSR_OPT_INT, header_timeout_s)},
    {KEY("max_running", VSR_OPT_INT, max_running), .name = "max-running", .arg = "N", .min = 1,
     .max = 256, .accepted = "1..256", .help = "jobs upscaling at once (default 2)"},
    {KEY("max_queued", VSR_OPT_INT, max_queued), .name = "max-queued", .arg = "N", .min = 0,
     .max = 4096, .accepted = "0..4096", .help = "jobs waiting; more get 429 (default 5)"},
    {KEY("job_timeout_s", VSR_OPT_INT, job_timeout_s), .name = "job-timeout", .arg = "SEC",
     .min = 1, .max = 86400, .accepted = "1..86400 seconds",
     .help = "a job's deadline from its arrival (default 600)"},
    {KEY("drain_timeout_s", VSR_OPT_INT, drain_timeout_s), .name = "drain-timeout", .arg = "SEC",
     .min = 0, .max = 86400, .accepted = "0..86400 seconds",
     .help = "SIGTERM: let queued and running jobs end for at most\n"
             "SEC (default 60; 0 = cancel them at once)"},
    {KEY("workers", VSR_OPT_INT, workers), .name = "workers", .arg = "N", .min = 1, .max = 256,
     .accepted = "1..256",
     .help = "pipeline workers per job (default: 2 per GPU, 1 on\n"
             "the CPU)"},
    {KEY("max_pixels", VSR_OPT_INT64, max_pixels)},
    {KEY("model", VSR_OPT_STRDUP, default_model)},
    {KEY("operator_id", VSR_OPT_STRDUP, operator_id), .env = "VSR_OPERATOR_ID"},
    {KEY("models_dir", VSR_OPT_STRDUP, models_dir)},
    {KEY("backend", VSR_OPT_STRDUP, backend)},
    {KEY("devices", VSR_OPT_STRDUP, devices_spec)},
    {KEY("threads", VSR_OPT_INT, engine.config.threads)},
    {KEY("tile", VSR_OPT_INT, engine.tile)},
    {KEY("memory_mib", VSR_OPT_INT, memory_mib)},
    {KEY("download_max_bytes", VSR_OPT_INT64, download.max_bytes)},
    {KEY("download_connect_timeout_ms", VSR_OPT_LONG, download.connect_timeout_ms)},
    {KEY("download_timeout_ms", VSR_OPT_LONG, download.total_timeout_ms)},
    {KEY("download_stall_timeout_ms", VSR_OPT_LONG, download.stall_timeout_ms)},
    {KEY("download_max_redirects", VSR_OPT_INT, download.max_redirects)},
    {KEY("allow_private_urls", VSR_OPT_FLAG, download.allow_private),
     .name = "allow-private-urls",
     .help = "fetch from loopback and private addresses too (tests)"},
    {KEY("allow_cidrs", VSR_OPT_STRDUP, allow_cidrs), .name = "allow-cidrs", .arg = "LIST",
     .help = "fetch from these ranges despite the policy\n"
             "(e.g. 10.1.0.0/16,192.168.5.7/32)"},
    {KEY("bucket", VSR_OPT_STRDUP, bucket),
     .env = "BUCKET_NAME MINER_STORAGE_S3_BUCKET_NAME"},
    {KEY("endpoint", VSR_OPT_STRDUP, endpoint),
     .env = "BUCKET_COMPATIBLE_ENDPOINT MINER_STORAGE_S3_ENDPOINT MINER_STORAGE_S3_ENDPOINT_URL"},
    {KEY("access_key", VSR_OPT_STRDUP, access_key),
     .env = "BUCKET_COMPATIBLE_ACCESS_KEY MINER_STORAGE_S3_ACCESS_KEY_ID"},
    {KEY("secret_key", VSR_OPT_STRDUP, secret_key),
     .env = "BUCKET_COMPATIBLE_SECRET_KEY MINER_STORAGE_S3_SECRET_ACCESS_KEY"},
    {KEY("region", VSR_OPT_STRDUP, region), .env = "BUCKET_REGION MINER_STORAGE_S3_REGION"},
    {KEY("storage_retries", VSR_OPT_INT, storage_retries)},
    {KEY("storage_backoff_ms", VSR_OPT_LONG, storage_backoff_ms)},
    {KEY("storage_timeout_ms", VSR_OPT_LONG, storage_timeout_ms), .min = 0, .max = LONG_MAX,
     .accepted = "milliseconds", .env = "VSR_STORAGE_TIMEOUT_MS"},
    {KEY("presign_expiry_s", VSR_OPT_LONG, presign_expiry_s)},
    {KEY("service_presign_expiry_s", VSR_OPT_LONG, service_presign_expiry_s),
     .parse = parse_presign_expiry,
     .env = "S3_PRESIGNED_EXPIRY MINER_STORAGE_S3_PRESIGNED_EXPIRY"},
    {KEY("delete_after_s", VSR_OPT_LONG, delete_after_s)},
    {KEY("deletions_db", VSR_OPT_STRDUP, deletions_db), .name = "deletions-db", .arg = "FILE",
     .help = "pending deletions of uploads (default\n"
             "${XDG_STATE_HOME:-~/.local/state}/vsr/deletions.sqlite)"},
    /* the reference worker's name first, so that vsr's own wins */
    {KEY("gpu_token", VSR_OPT_STRDUP, gpu_token),
     .env = "VIDAIO_NEXT_GPU_AUTH_TOKEN VSR_GPU_TOKEN"},
    {KEY("gpu_max_input_bytes", VSR_OPT_INT64, gpu_max_input_bytes)},
    {KEY("gpu_max_output_bytes", VSR_OPT_INT64, gpu_max_output_bytes)},
    {0},
};
/* clang-format on */
#undef KEY
#undef F

static int apply_key(vsr_server_config *c, const vsr_opt *k, json_t *v, const char *path,
                     vsr_error *err)
{
    if (k->type == VSR_OPT_STRDUP) {
        if (!json_is_string(v) && !json_is_null(v))
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be a string", path, k->key);
        return vsr_server_config_set((char **)((char *)c + k->offset),
                                     json_is_null(v) ? NULL : json_string_value(v), err);
    }
    if (k->type == VSR_OPT_FLAG) {
        if (!json_is_boolean(v))
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be true or false", path,
                                 k->key);
        return vsr_opt_set_bool(k, c, json_is_true(v), err);
    }
    if (!json_is_integer(v))
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be an integer", path, k->key);
    json_int_t n = json_integer_value(v);
    vsr_error why;
    vsr_error_clear(&why);
    if (vsr_opt_set_number(k, c, (long long)n, &why) < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" = %lld is out of range", path,
                             k->key, (long long)n);
    return VSR_OK;
}

int vsr_server_config_load_file(vsr_server_config *c, const char *path, vsr_error *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return vsr_error_set(err, VSR_ERR_FORMAT, "config %s: line %d: %s", path, jerr.line,
                             jerr.text);
    int st = VSR_OK;
    if (!json_is_object(root)) {
        st = vsr_error_set(err, VSR_ERR_FORMAT, "config %s: expected a JSON object", path);
        goto done;
    }
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v)
    {
        const vsr_opt *k = vsr_opt_find_key(vsr_server_config_table, name);
        if (!k) {
            st = vsr_error_set(err, VSR_ERR_INVALID, "config %s: unknown setting \"%s\"", path,
                               name);
            goto done;
        }
        if ((st = apply_key(c, k, v, path, err)) < 0)
            goto done;
    }
done:
    json_decref(root);
    return st;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

int vsr_server_config_load_env(vsr_server_config *c, vsr_error *err)
{
    int st = vsr_opt_load_env(vsr_server_config_table, c, env_get, err);
    if (st < 0)
        return st;
    /* A bucket named without an endpoint is AWS's, in its region. */
    const char *mb = getenv("MINER_STORAGE_S3_BUCKET_NAME");
    if (mb && *mb && !c->endpoint) {
        char url[300];
        snprintf(url, sizeof url, "https://s3.%s.amazonaws.com",
                 c->region ? c->region : "us-east-1");
        if (vsr_server_config_set(&c->endpoint, url, err) < 0)
            return VSR_ERR_NOMEM;
    }
    return VSR_OK;
}

int vsr_server_config_has_storage(const vsr_server_config *c)
{
    return c->bucket && c->endpoint;
}

int vsr_server_config_validate(const vsr_server_config *c, vsr_error *err)
{
    if (c->listen_port < 0 || c->listen_port > 65535)
        return vsr_error_set(err, VSR_ERR_INVALID, "listen port %d is not 0..65535",
                             c->listen_port);
    if (c->max_running < 1 || c->max_running > 256)
        return vsr_error_set(err, VSR_ERR_INVALID, "max_running %d is not 1..256", c->max_running);
    if (c->max_queued > 4096)
        return vsr_error_set(err, VSR_ERR_INVALID, "max_queued %d is not 0..4096", c->max_queued);
    /* Every running or waiting job holds a connection, and /health must
     * still get one. */
    if (c->max_connections < c->max_running + c->max_queued + 2)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "max_connections %d must exceed max_running + max_queued (%d) by 2",
                             c->max_connections, c->max_running + c->max_queued);
    if (c->max_connections_per_ip > c->max_connections)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "max_connections_per_ip %d is over max_connections %d",
                             c->max_connections_per_ip, c->max_connections);
    if (c->header_timeout_s < 1 || c->header_timeout_s > 3600)
        return vsr_error_set(err, VSR_ERR_INVALID, "header_timeout_s %d is not 1..3600",
                             c->header_timeout_s);
    if (c->request_timeout_s < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "request_timeout_s must be at least 1");
    if (c->max_body_bytes < 64)
        return vsr_error_set(err, VSR_ERR_INVALID, "max_body_bytes %lld is too small",
                             (long long)c->max_body_bytes);
    if (c->drain_timeout_s < 0 || c->drain_timeout_s > 86400)
        return vsr_error_set(err, VSR_ERR_INVALID, "drain_timeout_s %d is not 0..86400",
                             c->drain_timeout_s);
    if (c->job_timeout_s < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "job_timeout_s must be at least 1");
    if (c->workers < 0 || c->workers > 256)
        return vsr_error_set(err, VSR_ERR_INVALID, "workers %d is not 0 (automatic) or 1..256",
                             c->workers);
    if (c->storage_timeout_ms < 100 || c->storage_timeout_ms > 24L * 3600 * 1000)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "storage_timeout_ms %ld is not 100..86400000 (one storage request)",
                             c->storage_timeout_ms);
    if (c->presign_expiry_s < 1 || c->presign_expiry_s > 7 * 24 * 3600)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "presign_expiry_s %ld is not 1..604800 (SigV4 allows 7 days)",
                             c->presign_expiry_s);
    if (c->service_presign_expiry_s < 1 || c->service_presign_expiry_s > 7 * 24 * 3600)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "service_presign_expiry_s %ld is not 1..604800 (SigV4 allows 7 days)",
                             c->service_presign_expiry_s);
    if (!!c->bucket != !!c->endpoint)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "storage needs both BUCKET_NAME and BUCKET_COMPATIBLE_ENDPOINT "
                             "(only %s is set)",
                             c->bucket ? "BUCKET_NAME" : "BUCKET_COMPATIBLE_ENDPOINT");
    if (vsr_server_config_has_storage(c) && (!c->access_key || !c->secret_key))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "storage needs BUCKET_COMPATIBLE_ACCESS_KEY and "
                             "BUCKET_COMPATIBLE_SECRET_KEY");
    if (!!c->tls_cert != !!c->tls_key)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "HTTPS needs both tls_cert and tls_key (only %s is set)",
                             c->tls_cert ? "tls_cert" : "tls_key");
    if (c->gpu_max_input_bytes < 1 || c->gpu_max_output_bytes < 1)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "gpu_max_input_bytes and gpu_max_output_bytes must be positive");
    /* validator-vidaio's client refuses a token that is empty, padded or
     * on several lines; a worker configured with one could never be used. */
    const char *gt = c->gpu_token;
    if (gt && (!*gt || isspace((unsigned char)gt[0]) ||
               isspace((unsigned char)gt[strlen(gt) - 1]) || strpbrk(gt, "\r\n")))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "gpu_token must be non-empty, trimmed and on one line");
    if (vsr_server_config_has_storage(c) && !c->deletions_db)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "storage needs deletions_db (where pending deletions are kept)");
    return VSR_OK;
}

const char *vsr_server_model(const vsr_server_config *cfg)
{
    return cfg->default_model ? cfg->default_model : VSR_MODEL_AUTO;
}
