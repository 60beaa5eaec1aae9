/* The settings of `vsr serve`: defaults, then a JSON config file, then the
 * environment (the Vidaio variable names for storage), then the command
 * line, each overriding the one before. The struct owns its strings. */
#ifndef VSR_SERVER_SERVER_CONFIG_H
#define VSR_SERVER_SERVER_CONFIG_H

#include <stdint.h>

#include "engine/engine.h"
#include "pipeline/device_pool.h"
#include "server/download.h"
#include "util/error.h"
#include "util/opt_table.h"

#define VSR_SERVE_DEFAULT_PORT 29115 /* the Vidaio miner's */
#define VSR_SERVE_DEFAULT_PORT_STR "29115"

typedef struct vsr_server_config {
    char *listen_host;        /* "127.0.0.1" unless told otherwise */
    int listen_port;          /* 0 = any free port (tests) */
    char *token;              /* bearer token every request but /health needs; NULL = none */
    char *tls_cert, *tls_key; /* HTTPS: PEM certificate (chain) and key; NULL = plain HTTP */

    /* HTTP limits */
    int max_connections;
    int max_connections_per_ip; /* one client address's share; 0 = automatic (half) */
    int64_t max_body_bytes;
    int request_timeout_s; /* idle time before a connection is dropped; time to send a body */
    int header_timeout_s;  /* time to send a request's headers */

    /* jobs */
    int max_running;     /* jobs upscaling at once (Vidaio: 2) */
    int max_queued;      /* jobs waiting; beyond: 429 (Vidaio: 5) */
    int job_timeout_s;   /* a job's deadline from its arrival */
    int drain_timeout_s; /* SIGTERM: the most seconds to let queued and running jobs end
                            (no new ones) before cancelling them; 0 = cancel at once */
    int workers;         /* pipeline workers per job; 0 = automatic (2 a GPU, else 1) */
    int64_t max_pixels;  /* input frame limit */
    char *default_model; /* family or model name; NULL = auto (vsr_server_model) */
    char *operator_id;   /* marks every output (as --operator-id); NULL = none */
    char *models_dir;    /* NULL = the registry's default */
    vsr_engine_options engine;
    char *backend;                /* owns engine.backend's string */
    int memory_mib;               /* activation memory per worker context; 0 = the default */
    char *devices_spec;           /* "all" or "0,1,..."; NULL = the first device */
    int devices[VSR_MAX_DEVICES]; /* devices_spec resolved (vsr_parse_devices) */
    int n_devices;
    int fail_device;    /* test only (--fail-device): this device index fails ... */
    int64_t fail_after; /* ... from this frame on; -1 = never */

    /* local files */
    char *root;    /* video_paths/output_paths are confined here; NULL = local paths refused */
    char *tmp_dir; /* job scratch (downloads, outputs before upload) */

    /* downloads (payload_url, http(s) video_paths) */
    vsr_download_limits download;
    char *allow_cidrs; /* owns download.allow_cidrs's string */

    /* storage: S3-compatible, configured when bucket and endpoint are set */
    char *bucket, *endpoint, *access_key, *secret_key, *region;
    int storage_retries;
    long storage_backoff_ms;
    long storage_timeout_ms; /* one storage request (per attempt); VSR_STORAGE_TIMEOUT_MS */
    long presign_expiry_s;   /* legacy POST /upscale-video's links (default 7 days, as the old
                                subnet storage code made them); at most 7 days */
    long
        service_presign_expiry_s; /* POST /upscale and /compress (default 3600 s, as
                                     vidaio-subnet's services; MINER_STORAGE_S3_PRESIGNED_EXPIRY) */
    long delete_after_s;          /* uploaded objects are deleted this long after upload */
    char *deletions_db;           /* SQLite file of pending deletions */

    /* the remote GPU transform worker (POST /process, GET /healthz) */
    char *gpu_token;              /* its bearer token; NULL = token's */
    int64_t gpu_max_input_bytes;  /* largest input it takes */
    int64_t gpu_max_output_bytes; /* largest output it returns */
} vsr_server_config;

/* Every setting of the struct once (util/opt_table.h): its config-file
 * key, its environment variables, and, for those `vsr serve` takes on its
 * command line, the option's name, range and help. The engine options
 * (model, backend, devices, ...) are the command line's shared ones
 * (cli/engine_options.h); their keys are here. */
extern const vsr_opt vsr_server_config_table[];

void vsr_server_config_default(vsr_server_config *c);
void vsr_server_config_free(vsr_server_config *c);

/* Applies a JSON object of settings (keys as in docs/vsr-serve.example.json);
 * an unknown key or a wrong type is an error naming it. */
int vsr_server_config_load_file(vsr_server_config *c, const char *path, vsr_error *err);

/* Applies, where set: storage from vidaio-subnet's MINER_STORAGE_S3_*
 * (BUCKET_NAME, ENDPOINT_URL or ENDPOINT, ACCESS_KEY_ID, SECRET_ACCESS_KEY,
 * REGION, PRESIGNED_EXPIRY; a bucket without an endpoint is AWS's in the
 * region, us-east-1 by default) or the older BUCKET_NAME,
 * BUCKET_COMPATIBLE_ENDPOINT, BUCKET_COMPATIBLE_ACCESS_KEY,
 * BUCKET_COMPATIBLE_SECRET_KEY, BUCKET_REGION (MINER_* win);
 * S3_PRESIGNED_EXPIRY; VSR_API_TOKEN; the GPU worker's token
 * (VSR_GPU_TOKEN, or validator-vidaio's name for it,
 * VIDAIO_NEXT_GPU_AUTH_TOKEN); VSR_OPERATOR_ID; VSR_STORAGE_TIMEOUT_MS (a bad number is an
 * error naming it). */
int vsr_server_config_load_env(vsr_server_config *c, vsr_error *err);

/* Replaces *field with a copy of value (NULL clears it). */
int vsr_server_config_set(char **field, const char *value, vsr_error *err);

/* Checks ranges and combinations (e.g. storage half configured). */
int vsr_server_config_validate(const vsr_server_config *c, vsr_error *err);

/* Whether uploads are configured. */
int vsr_server_config_has_storage(const vsr_server_config *c);

/* The model a job runs when its request names none: the configured one,
 * else "auto" (issue 18: the measured choice of model and detail). */
const char *vsr_server_model(const vsr_server_config *cfg);

#endif
