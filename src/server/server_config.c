#include "server/server_config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char **strings[] = {&c->listen_host, &c->token,        &c->default_model, &c->models_dir,
                        &c->backend,     &c->devices_spec, &c->root,          &c->tmp_dir,
                        &c->allow_cidrs, &c->bucket,       &c->endpoint,      &c->access_key,
                        &c->secret_key,  &c->region,       &c->deletions_db,  &c->tls_cert,
                        &c->tls_key,     &c->gpu_token,    &c->operator_id};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
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

/* The config file's keys: one row each, pointing into the struct. */
typedef enum { KEY_STRING, KEY_INT, KEY_INT64, KEY_LONG, KEY_BOOL } key_type;

typedef struct config_key {
    const char *name;
    key_type type;
    size_t offset;
} config_key;

#define KEY(name, type, field)                         \
    {                                                  \
        name, type, offsetof(vsr_server_config, field) \
    }
static const config_key config_keys[] = {
    KEY("listen_host", KEY_STRING, listen_host),
    KEY("listen_port", KEY_INT, listen_port),
    KEY("token", KEY_STRING, token),
    KEY("max_connections", KEY_INT, max_connections),
    KEY("max_connections_per_ip", KEY_INT, max_connections_per_ip),
    KEY("max_body_bytes", KEY_INT64, max_body_bytes),
    KEY("request_timeout_s", KEY_INT, request_timeout_s),
    KEY("header_timeout_s", KEY_INT, header_timeout_s),
    KEY("max_running", KEY_INT, max_running),
    KEY("max_queued", KEY_INT, max_queued),
    KEY("job_timeout_s", KEY_INT, job_timeout_s),
    KEY("drain_timeout_s", KEY_INT, drain_timeout_s),
    KEY("workers", KEY_INT, workers),
    KEY("max_pixels", KEY_INT64, max_pixels),
    KEY("model", KEY_STRING, default_model),
    KEY("operator_id", KEY_STRING, operator_id),
    KEY("models_dir", KEY_STRING, models_dir),
    KEY("backend", KEY_STRING, backend),
    KEY("devices", KEY_STRING, devices_spec),
    KEY("threads", KEY_INT, engine.config.threads),
    KEY("tile", KEY_INT, engine.tile),
    KEY("memory_mib", KEY_INT, memory_mib),
    KEY("root", KEY_STRING, root),
    KEY("tmp_dir", KEY_STRING, tmp_dir),
    KEY("download_max_bytes", KEY_INT64, download.max_bytes),
    KEY("download_connect_timeout_ms", KEY_LONG, download.connect_timeout_ms),
    KEY("download_timeout_ms", KEY_LONG, download.total_timeout_ms),
    KEY("download_stall_timeout_ms", KEY_LONG, download.stall_timeout_ms),
    KEY("download_max_redirects", KEY_INT, download.max_redirects),
    KEY("allow_private_urls", KEY_BOOL, download.allow_private),
    KEY("allow_cidrs", KEY_STRING, allow_cidrs),
    KEY("bucket", KEY_STRING, bucket),
    KEY("endpoint", KEY_STRING, endpoint),
    KEY("access_key", KEY_STRING, access_key),
    KEY("secret_key", KEY_STRING, secret_key),
    KEY("region", KEY_STRING, region),
    KEY("storage_retries", KEY_INT, storage_retries),
    KEY("storage_backoff_ms", KEY_LONG, storage_backoff_ms),
    KEY("storage_timeout_ms", KEY_LONG, storage_timeout_ms),
    KEY("presign_expiry_s", KEY_LONG, presign_expiry_s),
    KEY("service_presign_expiry_s", KEY_LONG, service_presign_expiry_s),
    KEY("delete_after_s", KEY_LONG, delete_after_s),
    KEY("deletions_db", KEY_STRING, deletions_db),
    KEY("tls_cert", KEY_STRING, tls_cert),
    KEY("tls_key", KEY_STRING, tls_key),
    KEY("gpu_token", KEY_STRING, gpu_token),
    KEY("gpu_max_input_bytes", KEY_INT64, gpu_max_input_bytes),
    KEY("gpu_max_output_bytes", KEY_INT64, gpu_max_output_bytes),
};
#undef KEY

static int apply_key(vsr_server_config *c, const config_key *k, json_t *v, const char *path,
                     vsr_error *err)
{
    void *field = (char *)c + k->offset;
    if (k->type == KEY_STRING) {
        if (!json_is_string(v) && !json_is_null(v))
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be a string", path,
                                 k->name);
        return vsr_server_config_set(field, json_is_null(v) ? NULL : json_string_value(v), err);
    }
    if (k->type == KEY_BOOL) {
        if (!json_is_boolean(v))
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be true or false", path,
                                 k->name);
        *(int *)field = json_is_true(v);
        return VSR_OK;
    }
    if (!json_is_integer(v))
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" must be an integer", path, k->name);
    json_int_t n = json_integer_value(v);
    if (n < 0 || (k->type == KEY_INT && n > 0x7fffffff))
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: \"%s\" = %lld is out of range", path,
                             k->name, (long long)n);
    if (k->type == KEY_INT)
        *(int *)field = (int)n;
    else if (k->type == KEY_LONG)
        *(long *)field = (long)n;
    else
        *(int64_t *)field = (int64_t)n;
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
        const config_key *k = NULL;
        for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0] && !k; i++)
            if (!strcmp(config_keys[i].name, name))
                k = &config_keys[i];
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

int vsr_server_config_load_env(vsr_server_config *c, vsr_error *err)
{
    static const struct {
        const char *var;
        size_t offset;
    } vars[] = {
        {"BUCKET_NAME", offsetof(vsr_server_config, bucket)},
        {"BUCKET_COMPATIBLE_ENDPOINT", offsetof(vsr_server_config, endpoint)},
        {"BUCKET_COMPATIBLE_ACCESS_KEY", offsetof(vsr_server_config, access_key)},
        {"BUCKET_COMPATIBLE_SECRET_KEY", offsetof(vsr_server_config, secret_key)},
        {"BUCKET_REGION", offsetof(vsr_server_config, region)},
        /* vidaio-subnet's current names (miner/compression/app.py and the
         * upscaling service); the BUCKET_* ones above stay as aliases */
        {"MINER_STORAGE_S3_BUCKET_NAME", offsetof(vsr_server_config, bucket)},
        {"MINER_STORAGE_S3_ENDPOINT", offsetof(vsr_server_config, endpoint)},
        {"MINER_STORAGE_S3_ENDPOINT_URL", offsetof(vsr_server_config, endpoint)},
        {"MINER_STORAGE_S3_ACCESS_KEY_ID", offsetof(vsr_server_config, access_key)},
        {"MINER_STORAGE_S3_SECRET_ACCESS_KEY", offsetof(vsr_server_config, secret_key)},
        {"MINER_STORAGE_S3_REGION", offsetof(vsr_server_config, region)},
        {"VSR_API_TOKEN", offsetof(vsr_server_config, token)},
        /* the reference worker's name first, so that vsr's own wins */
        {"VIDAIO_NEXT_GPU_AUTH_TOKEN", offsetof(vsr_server_config, gpu_token)},
        {"VSR_GPU_TOKEN", offsetof(vsr_server_config, gpu_token)},
        {"VSR_OPERATOR_ID", offsetof(vsr_server_config, operator_id)},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].var);
        if (v && *v && vsr_server_config_set((char **)((char *)c + vars[i].offset), v, err) < 0)
            return err ? err->code : VSR_ERR_NOMEM;
    }
    /* The subnet services' link lifetime (default there: 3600 s), at most
     * the 7 days SigV4 allows, as they clamp it; the legacy route keeps
     * presign_expiry_s. */
    const char *names[] = {"S3_PRESIGNED_EXPIRY", "MINER_STORAGE_S3_PRESIGNED_EXPIRY"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (!v || !*v)
            continue;
        char *end;
        long n = strtol(v, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (*end || n < 1)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "%s='%s': expected seconds (a positive integer)", names[i], v);
        c->service_presign_expiry_s = n < 7 * 24 * 3600 ? n : 7 * 24 * 3600;
    }
    /* A bucket named without an endpoint is AWS's, in its region. */
    const char *mb = getenv("MINER_STORAGE_S3_BUCKET_NAME");
    if (mb && *mb && !c->endpoint) {
        char url[300];
        snprintf(url, sizeof url, "https://s3.%s.amazonaws.com",
                 c->region ? c->region : "us-east-1");
        if (vsr_server_config_set(&c->endpoint, url, err) < 0)
            return VSR_ERR_NOMEM;
    }
    const char *t = getenv("VSR_STORAGE_TIMEOUT_MS");
    if (t && *t) {
        char *end;
        errno = 0;
        long ms = strtol(t, &end, 10);
        if (errno || *end || ms < 0)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "VSR_STORAGE_TIMEOUT_MS='%.32s': expected milliseconds", t);
        c->storage_timeout_ms = ms;
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
