/* vsr serve: the HTTP server (src/server/) with its settings from the
 * config file, the environment and the command line, in that order. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/options.h"
#include "pipeline/policy.h"
#include "server/server.h"
#include "server/server_config.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const CMD = "serve";

static void help(void)
{
    printf("usage: vsr serve [--listen ADDR:PORT] [--config FILE] [options]\n\n"
           "Serves the Vidaio miner APIs over HTTP(S): POST /upscale-video (legacy),\n"
           "POST /upscale, GET /health, GET /queue, GET /metrics (see README.md), and\n"
           "validator-vidaio's remote GPU transform worker: POST /process, GET /healthz\n"
           "(docs/gpu-worker.md; its token: gpu_token, VSR_GPU_TOKEN).\n\n"
           "Settings come from defaults, then --config FILE (JSON; see\n"
           "docs/vsr-serve.example.json), then the environment\n"
           "(MINER_STORAGE_S3_BUCKET_NAME, _ENDPOINT_URL, _ACCESS_KEY_ID,\n"
           "_SECRET_ACCESS_KEY, _REGION, _PRESIGNED_EXPIRY, or the older BUCKET_NAME,\n"
           "BUCKET_COMPATIBLE_ENDPOINT, BUCKET_COMPATIBLE_ACCESS_KEY,\n"
           "BUCKET_COMPATIBLE_SECRET_KEY, BUCKET_REGION; VSR_API_TOKEN; VSR_GPU_TOKEN or\n"
           "VIDAIO_NEXT_GPU_AUTH_TOKEN), then these options.\n\n"
           "Options:\n"
           "  --listen ADDR:PORT    address to bind (default 127.0.0.1:%d; [::1]:PORT for\n"
           "                        IPv6; port 0 picks a free one)\n"
           "  --config FILE         JSON settings\n"
           "  --tls-cert FILE       serve HTTPS with this PEM certificate (chain) ...\n"
           "  --tls-key FILE        ... and its PEM private key; SIGHUP reads both again\n"
           "  --root DIR            local video_paths/output_paths must lie in DIR (without\n"
           "                        it, only URLs in and uploads out)\n"
           "  --tmp-dir DIR         scratch files of jobs (default $TMPDIR or /tmp)\n"
           "  --max-running N       jobs upscaling at once (default 2)\n"
           "  --max-queued N        jobs waiting; more get 429 (default 5)\n"
           "  --job-timeout SEC     a job's deadline from its arrival (default 600)\n"
           "  --drain-timeout SEC   SIGTERM: let queued and running jobs end for at most\n"
           "                        SEC (default 60; 0 = cancel them at once)\n"
           "  --workers N           pipeline workers per job (default: 2 per GPU, 1 on\n"
           "                        the CPU)\n"
           "  --allow-private-urls  fetch from loopback and private addresses too (tests)\n"
           "  --allow-cidrs LIST    fetch from these ranges despite the policy\n"
           "                        (e.g. 10.1.0.0/16,192.168.5.7/32)\n"
           "  --deletions-db FILE   pending deletions of uploads (default\n"
           "                        ${XDG_STATE_HOME:-~/.local/state}/vsr/deletions.sqlite)\n"
           "  --port-file FILE      write the bound port there once listening\n"
           "  --log-format F        auto (default: text on a terminal, else JSON lines:\n"
           "                        time, level, component, msg), text or json\n"
           "  -h, --help            this help\n",
           VSR_SERVE_DEFAULT_PORT);
    vsr_cli_engine_help(stdout);
    printf("\nSIGTERM drains: /health and /healthz answer 503 \"draining\", new jobs are\n"
           "refused (503), queued and running ones finish (--drain-timeout), then it stops.\n"
           "SIGINT, a second SIGTERM or the drain timeout stops at once: jobs are cancelled,\n"
           "their files removed.\n"
           "SIGHUP reloads the TLS certificate and key (the old ones stay on failure).\n");
}

enum {
    OPT_LISTEN = 0x2000,
    OPT_CONFIG,
    OPT_ROOT,
    OPT_TMP_DIR,
    OPT_MAX_RUNNING,
    OPT_MAX_QUEUED,
    OPT_JOB_TIMEOUT,
    OPT_DRAIN_TIMEOUT,
    OPT_WORKERS,
    OPT_ALLOW_PRIVATE,
    OPT_ALLOW_CIDRS,
    OPT_DELETIONS_DB,
    OPT_PORT_FILE,
    OPT_LOG_FORMAT,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
};

/* "HOST:PORT" or "[V6]:PORT" into its parts. */
static int parse_listen(const char *arg, vsr_server_config *cfg)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg)
        return vsr_usage_error(CMD, "--listen: expected ADDR:PORT, got '%s'", arg);
    char host[256];
    const char *h = arg;
    size_t n = (size_t)(colon - arg);
    if (arg[0] == '[' && colon[-1] == ']') {
        h = arg + 1;
        n -= 2;
    }
    if (n == 0 || n >= sizeof host)
        return vsr_usage_error(CMD, "--listen: expected ADDR:PORT, got '%s'", arg);
    memcpy(host, h, n);
    host[n] = '\0';
    int r = vsr_opt_int(CMD, "--listen", colon + 1, 0, 65535, "a port 0..65535", &cfg->listen_port);
    if (r)
        return r;
    return vsr_server_config_set(&cfg->listen_host, host, NULL) < 0 ? VSR_EXIT_FAILURE : 0;
}

/* mkdir -p for the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* Written whole under a temporary name, then renamed: whoever waits for
 * the file never reads half of it. */
static int write_port_file(const char *path, int port)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%d\n", port) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The command line's string options, applied after the file and the
 * environment. */
typedef struct cli_strings {
    const char *root, *tmp_dir, *allow_cidrs, *deletions_db, *tls_cert, *tls_key;
} cli_strings;

static int apply_strings(vsr_server_config *cfg, const cli_strings *s, vsr_error *err)
{
    if ((s->root && vsr_server_config_set(&cfg->root, s->root, err) < 0) ||
        (s->tmp_dir && vsr_server_config_set(&cfg->tmp_dir, s->tmp_dir, err) < 0) ||
        (s->allow_cidrs && vsr_server_config_set(&cfg->allow_cidrs, s->allow_cidrs, err) < 0) ||
        (s->deletions_db && vsr_server_config_set(&cfg->deletions_db, s->deletions_db, err) < 0) ||
        (s->tls_cert && vsr_server_config_set(&cfg->tls_cert, s->tls_cert, err) < 0) ||
        (s->tls_key && vsr_server_config_set(&cfg->tls_key, s->tls_key, err) < 0))
        return VSR_ERR_NOMEM;
    return VSR_OK;
}

/* Settings the command line did not give and the file did not either. */
static int fill_defaults(vsr_server_config *cfg, vsr_error *err)
{
    if (!cfg->listen_host && vsr_server_config_set(&cfg->listen_host, "127.0.0.1", err) < 0)
        return VSR_ERR_NOMEM;
    if (!cfg->tmp_dir) {
        const char *t = getenv("TMPDIR");
        if (vsr_server_config_set(&cfg->tmp_dir, t && *t ? t : "/tmp", err) < 0)
            return VSR_ERR_NOMEM;
    }
    if (vsr_server_config_has_storage(cfg) && !cfg->deletions_db) {
        char path[4096];
        const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        if (state && *state)
            snprintf(path, sizeof path, "%s/vsr/deletions.sqlite", state);
        else
            snprintf(path, sizeof path, "%s/.local/state/vsr/deletions.sqlite",
                     home && *home ? home : ".");
        if (vsr_server_config_set(&cfg->deletions_db, path, err) < 0)
            return VSR_ERR_NOMEM;
    }
    if (cfg->deletions_db && make_parent_dirs(cfg->deletions_db) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "making the directory of %s: %s", cfg->deletions_db,
                             strerror(errno));
    cfg->download.allow_cidrs = cfg->allow_cidrs;
    return VSR_OK;
}

/* Engine options from the command line win over the file's. */
static int apply_engine(vsr_server_config *cfg, const vsr_cli_engine_opts *eo, vsr_error *err)
{
    if ((eo->model && vsr_server_config_set(&cfg->default_model, eo->model, err) < 0) ||
        (eo->models_dir && vsr_server_config_set(&cfg->models_dir, eo->models_dir, err) < 0))
        return VSR_ERR_NOMEM;
    vsr_cli_engine_opts pick = *eo;
    if (strcmp(eo->backend, "auto") == 0 && cfg->backend)
        pick.backend = cfg->backend;
    if (vsr_server_config_set(&cfg->backend, vsr_cli_engine_backend(&pick, NULL), err) < 0)
        return VSR_ERR_NOMEM;
    cfg->engine.backend = cfg->backend;
    if (eo->devices && vsr_server_config_set(&cfg->devices_spec, eo->devices, err) < 0)
        return VSR_ERR_NOMEM;
    int st;
    if ((st = vsr_devices_resolve(cfg->devices_spec, cfg->backend, eo->fail_device, cfg->devices,
                                  &cfg->n_devices, err)) < 0)
        return st;
    cfg->fail_device = eo->fail_device;
    cfg->fail_after = eo->fail_after;
    if (cfg->workers == 0)
        cfg->workers = vsr_policy_workers(cfg->backend, cfg->n_devices);
    cfg->engine.config.precision = eo->precision;
    /* the backends' knobs: read from the environment here, at the edge */
    vsr_backend_settings_from_env(&cfg->engine.config.settings);
    cfg->engine.pre_pad = eo->pre_pad;
    if (eo->tile)
        cfg->engine.tile = eo->tile;
    if (eo->memory_mib)
        cfg->memory_mib = eo->memory_mib;
    cfg->engine.memory_budget = (size_t)cfg->memory_mib << 20;
    if (eo->threads)
        cfg->engine.config.threads = eo->threads;
    /* Every running job's workers share the cores. */
    if (cfg->engine.config.threads == 0)
        cfg->engine.config.threads = vsr_policy_engine_threads(cfg->max_running, cfg->workers);
    return VSR_OK;
}

/* SIGTERM (a service manager, a rolling restart): readiness goes to 503
 * and new jobs are refused, so that a load balancer moves on, while the
 * jobs queued and running finish; up to timeout_s, or until SIGINT or a
 * second SIGTERM asks to stop now. Returns the signal that ends it (SIGTERM
 * when the jobs ended or the time ran out). */
static int drain(vsr_server *server, const sigset_t *signals, int timeout_s)
{
    vsr_server_drain(server);
    vsr_logf(NULL, VSR_LOG_INFO, "serve",
             "SIGTERM: draining: %d jobs to finish within %d s, new ones refused (SIGINT or a "
             "second SIGTERM stops now)",
             vsr_server_jobs(server), timeout_s);
    double until = vsr_now_s() + timeout_s;
    while (vsr_server_jobs(server) > 0 && vsr_now_s() < until) {
        struct timespec poll = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(signals, NULL, &poll);
        if (sig == SIGINT || sig == SIGTERM)
            return sig;
    }
    return SIGTERM;
}

int vsr_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"root", required_argument, NULL, OPT_ROOT},
        {"tmp-dir", required_argument, NULL, OPT_TMP_DIR},
        {"max-running", required_argument, NULL, OPT_MAX_RUNNING},
        {"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
        {"job-timeout", required_argument, NULL, OPT_JOB_TIMEOUT},
        {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"allow-private-urls", no_argument, NULL, OPT_ALLOW_PRIVATE},
        {"allow-cidrs", required_argument, NULL, OPT_ALLOW_CIDRS},
        {"deletions-db", required_argument, NULL, OPT_DELETIONS_DB},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        VSR_CLI_ENGINE_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    vsr_cli_engine_opts eo;
    vsr_cli_engine_default(&eo);
    const char *listen = NULL, *config = NULL, *port_file = NULL;
    cli_strings strs = {0};
    int max_running = -1, max_queued = -1, job_timeout = -1, drain_timeout = -1, workers = -1,
        allow_private = 0;
    int log_format = 0; /* auto, text, json */

    vsr_opt_begin();
    int c, r;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        r = vsr_cli_engine_opt(CMD, &eo, c, optarg);
        if (r == VSR_OPT_TAKEN)
            continue;
        if (r != VSR_OPT_NOT_MINE)
            return r;
        switch (c) {
        case 'h': help(); return VSR_EXIT_OK;
        case OPT_LISTEN: listen = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_ROOT: strs.root = optarg; break;
        case OPT_TMP_DIR: strs.tmp_dir = optarg; break;
        case OPT_ALLOW_CIDRS: strs.allow_cidrs = optarg; break;
        case OPT_DELETIONS_DB: strs.deletions_db = optarg; break;
        case OPT_PORT_FILE: port_file = optarg; break;
        case OPT_TLS_CERT: strs.tls_cert = optarg; break;
        case OPT_TLS_KEY: strs.tls_key = optarg; break;
        case OPT_ALLOW_PRIVATE: allow_private = 1; break;
        case OPT_MAX_RUNNING:
            if ((r = vsr_opt_int(CMD, "--max-running", optarg, 1, 256, "1..256", &max_running)))
                return r;
            break;
        case OPT_MAX_QUEUED:
            if ((r = vsr_opt_int(CMD, "--max-queued", optarg, 0, 4096, "0..4096", &max_queued)))
                return r;
            break;
        case OPT_DRAIN_TIMEOUT:
            if ((r = vsr_opt_int(CMD, "--drain-timeout", optarg, 0, 86400, "0..86400 seconds",
                                 &drain_timeout)))
                return r;
            break;
        case OPT_JOB_TIMEOUT:
            if ((r = vsr_opt_int(CMD, "--job-timeout", optarg, 1, 86400, "1..86400 seconds",
                                 &job_timeout)))
                return r;
            break;
        case OPT_WORKERS:
            if ((r = vsr_opt_int(CMD, "--workers", optarg, 1, 256, "1..256", &workers)))
                return r;
            break;
        case OPT_LOG_FORMAT: {
            static const char *const s[] = {"auto", "text", "json", NULL};
            if ((r = vsr_opt_choice(CMD, "--log-format", optarg, s, &log_format)))
                return r;
            break;
        }
        default: return vsr_opt_unknown(CMD, c, argv);
        }
    }
    if ((r = vsr_opt_no_operands(CMD, argc, argv)))
        return r;
    if (eo.scale)
        return vsr_usage_error(CMD, "--scale: each request gives its own scale");

    vsr_server_config cfg;
    vsr_server_config_default(&cfg);
    vsr_error err;
    vsr_error_clear(&err);
    int st = VSR_OK;
    if (config && (st = vsr_server_config_load_file(&cfg, config, &err)) < 0)
        goto fail;
    if ((st = vsr_server_config_load_env(&cfg, &err)) < 0)
        goto fail;
    if (listen && (r = parse_listen(listen, &cfg))) {
        vsr_server_config_free(&cfg);
        return r;
    }
    if (max_running >= 0)
        cfg.max_running = max_running;
    if (max_queued >= 0)
        cfg.max_queued = max_queued;
    if (job_timeout >= 0)
        cfg.job_timeout_s = job_timeout;
    if (drain_timeout >= 0)
        cfg.drain_timeout_s = drain_timeout;
    if (workers >= 0)
        cfg.workers = workers;
    if (allow_private)
        cfg.download.allow_private = 1;
    if ((st = apply_strings(&cfg, &strs, &err)) < 0 || (st = fill_defaults(&cfg, &err)) < 0 ||
        (st = apply_engine(&cfg, &eo, &err)) < 0 ||
        (st = vsr_server_config_validate(&cfg, &err)) < 0)
        goto fail;

    /* The server's log, before any of its threads starts: JSON lines for
     * a log collector, text for a person at a terminal. */
    if (log_format == 2 || (log_format == 0 && !isatty(STDERR_FILENO))) {
        const vsr_log json = vsr_log_json(stderr, VSR_LOG_INFO);
        vsr_log_set_default(&json);
    }

    /* The threads started below inherit this mask: only sigwait() below
     * sees SIGINT, SIGTERM and SIGHUP. Writes to closed sockets are
     * errors, not deaths. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        st = vsr_error_set(&err, VSR_ERR_INTERNAL, "libcurl failed to initialise");
        goto fail;
    }

    vsr_server *server = NULL;
    if ((st = vsr_server_start(&cfg, &server, &err)) < 0) {
        curl_global_cleanup();
        goto fail;
    }
    int port = vsr_server_port(server);
    vsr_logf(NULL, VSR_LOG_INFO, "serve",
             "listening on %s://%s%s%s:%d (backend %s, %d running + %d queued jobs, "
             "storage %s, local paths %s%s)",
             cfg.tls_cert ? "https" : "http", strchr(cfg.listen_host, ':') ? "[" : "",
             cfg.listen_host, strchr(cfg.listen_host, ':') ? "]" : "", port, cfg.backend,
             cfg.max_running, cfg.max_queued,
             vsr_server_config_has_storage(&cfg) ? cfg.bucket : "none", cfg.root ? "under " : "off",
             cfg.root ? cfg.root : "");
    if (port_file && write_port_file(port_file, port) < 0)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "cannot write the port to %s: %s", port_file,
                 strerror(errno));
    int sig = 0;
    for (;;) {
        sigwait(&stop_signals, &sig);
        if (sig != SIGHUP)
            break;
        /* SIGHUP: a renewed certificate, without a restart. */
        vsr_error rerr;
        vsr_error_clear(&rerr);
        if (!cfg.tls_cert)
            vsr_logf(NULL, VSR_LOG_WARN, "serve", "SIGHUP: not serving HTTPS, nothing to reload");
        else if (vsr_server_reload_tls(server, &rerr) < 0)
            vsr_logf(NULL, VSR_LOG_ERROR, "serve",
                     "SIGHUP: TLS reload failed, the old certificate stays: %s", rerr.msg);
    }
    if (sig == SIGTERM && cfg.drain_timeout_s > 0)
        sig = drain(server, &stop_signals, cfg.drain_timeout_s);
    vsr_logf(NULL, VSR_LOG_INFO, "serve", "%s: stopping (cancelling %d jobs)", strsignal(sig),
             vsr_server_jobs(server));
    vsr_server_stop(server);
    curl_global_cleanup();
    vsr_server_config_free(&cfg);
    return VSR_EXIT_OK;
fail:
    vsr_server_config_free(&cfg);
    return vsr_cli_fail(CMD, "%s", err.msg);
}
