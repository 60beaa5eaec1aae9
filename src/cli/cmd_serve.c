/* vsr serve: the HTTP server (src/server/) with its settings from the
 * config file, the environment and the command line, in that order. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
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

/* The options that are not settings of the server (those are rows of
 * vsr_server_config_table, beside their config-file keys). */
typedef struct serve_args {
    const char *config, *port_file;
    int log_format; /* auto, text, json */
} serve_args;

static const char *const log_formats[] = {"auto", "text", "json", NULL};

#define F(f) offsetof(serve_args, f)
/* clang-format off */
static const vsr_opt options[] = {
    {.name = "config", .type = VSR_OPT_STRING, .arg = "FILE", .offset = F(config),
     .help = "JSON settings"},
    {.name = "port-file", .type = VSR_OPT_STRING, .arg = "FILE", .offset = F(port_file),
     .help = "write the bound port there once listening"},
    {.name = "log-format", .type = VSR_OPT_CHOICE, .arg = "F", .offset = F(log_format),
     .choices = log_formats,
     .help = "auto (default: text on a terminal, else JSON lines:\n"
             "time, level, component, msg), text or json"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .help = "this help"},
    {0},
};
/* clang-format on */
#undef F

/* "  key  VAR, VAR" for every setting with variables, wrapped at 79
 * columns. */
static void help_env(void)
{
    for (const vsr_opt *o = vsr_server_config_table; o->type != VSR_OPT_END; o++) {
        if (!o->env)
            continue;
        int col = printf("  %-26s", o->key);
        for (const char *p = o->env; *p;) {
            int n = (int)strcspn(p, " ");
            if (p != o->env && col + n + 2 > 79)
                col = printf(",\n%28s", "") - 2;
            else if (p != o->env)
                col += printf(", ");
            col += printf("%.*s", n, p);
            p += n;
            p += strspn(p, " ");
        }
        printf("\n");
    }
}

static void help(void)
{
    printf("usage: vsr serve [--listen ADDR:PORT] [--config FILE] [options]\n\n"
           "Serves the Vidaio miner APIs over HTTP(S): POST /upscale-video (legacy),\n"
           "POST /upscale, GET /health, GET /queue, GET /metrics (see README.md), and\n"
           "validator-vidaio's remote GPU transform worker: POST /process, GET /healthz\n"
           "(docs/gpu-worker.md; its token: gpu_token, VSR_GPU_TOKEN).\n\n"
           "Settings come from defaults, then --config FILE (JSON; see\n"
           "docs/vsr-serve.example.json), then the environment, then these options.\n"
           "The environment's variables (the last one set wins; a bucket without an\n"
           "endpoint is AWS's in the region):\n");
    help_env();
    printf("\nOptions:\n");
    vsr_opt_help(stdout, vsr_server_config_table, 24);
    vsr_opt_help(stdout, options, 24);
    printf("\n");
    vsr_cli_engine_help(stdout);
    printf("\nThe server's default model is auto (--model sets another): the quality\n"
           "study's model for the request's scale at a detail measured per clip (README,\n"
           "\"Choosing the model\"); a request's \"model\" and \"detail\" override it.\n");
    printf("\nSIGTERM drains: /health and /healthz answer 503 \"draining\", new jobs are\n"
           "refused (503), queued and running ones finish (--drain-timeout), then it stops.\n"
           "SIGINT, a second SIGTERM or the drain timeout stops at once: jobs are cancelled,\n"
           "their files removed.\n"
           "SIGHUP reloads the TLS certificate and key (the old ones stay on failure).\n");
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
 * jobs queued and running finish and their replies are sent; up to
 * timeout_s, or until SIGINT or a second SIGTERM asks to stop now.
 * Returns the signal that ends it (SIGTERM when the jobs ended or the
 * time ran out). */
static int drain(vsr_server *server, const sigset_t *signals, int timeout_s)
{
    vsr_server_drain(server);
    vsr_logf(NULL, VSR_LOG_INFO, "serve",
             "SIGTERM: draining: %d jobs to finish within %d s, new ones refused (SIGINT or a "
             "second SIGTERM stops now)",
             vsr_server_jobs(server), timeout_s);
    double until = vsr_now_s() + timeout_s;
    while ((vsr_server_jobs(server) > 0 || vsr_server_requests(server) > 0) &&
           vsr_now_s() < until) {
        struct timespec poll = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(signals, NULL, &poll);
        if (sig == SIGINT || sig == SIGTERM)
            return sig;
    }
    return SIGTERM;
}

int vsr_cmd_serve(int argc, char **argv)
{
    vsr_cli_engine_opts eo;
    vsr_cli_engine_default(&eo);
    serve_args a = {0};
    vsr_server_config cfg;
    vsr_server_config_default(&cfg);
    /* The command line is parsed twice: first, before the file and the
     * environment, to check it and find --config; then over them, so
     * that its settings win. The second parse of the same line cannot
     * fail. */
    vsr_opt_set sets[] = {
        {vsr_server_config_table, &cfg}, {options, &a}, {vsr_cli_engine_table, &eo}};
    int help_asked, r = vsr_cli_parse(CMD, sets, 3, argc, argv, help, &help_asked);
    vsr_server_config_free(&cfg);
    if (r || help_asked)
        return r;
    if ((r = vsr_opt_no_operands(CMD, argc, argv)))
        return r;
    if (eo.scale)
        return vsr_usage_error(CMD, "--scale: each request gives its own scale");

    vsr_server_config_default(&cfg);
    vsr_error err;
    vsr_error_clear(&err);
    int st = VSR_OK;
    if (a.config && (st = vsr_server_config_load_file(&cfg, a.config, &err)) < 0)
        goto fail;
    if ((st = vsr_server_config_load_env(&cfg, &err)) < 0)
        goto fail;
    if ((r = vsr_cli_parse(CMD, sets, 3, argc, argv, NULL, &help_asked))) {
        vsr_server_config_free(&cfg);
        return r;
    }
    if ((st = fill_defaults(&cfg, &err)) < 0 || (st = apply_engine(&cfg, &eo, &err)) < 0 ||
        (st = vsr_server_config_validate(&cfg, &err)) < 0)
        goto fail;

    /* The server's log, before any of its threads starts: JSON lines for
     * a log collector, text for a person at a terminal. */
    if (a.log_format == 2 || (a.log_format == 0 && !isatty(STDERR_FILENO))) {
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
    if (a.port_file && write_port_file(a.port_file, port) < 0)
        vsr_logf(NULL, VSR_LOG_WARN, "serve", "cannot write the port to %s: %s", a.port_file,
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
