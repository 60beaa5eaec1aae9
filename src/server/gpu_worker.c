#include "server/gpu_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backend.h"
#include "media/probe.h"
#include "model/model_registry.h"
#include "pipeline/compress.h"
#include "pipeline/policy.h"
#include "server/compress_job.h"
#include "server/gpu_transform.h"
#include "server/uuid.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/scratch_file.h"

/* How often a waiting request looks at its client and its deadline. */
#define WAIT_POLL_S 0.25
/* The reference caps receiving the body at min(deadline, 120 s): a slow
 * upload must not hold a slot (and its connection) for the whole task. */
#define MAX_INGRESS_S 120.0
/* Without vmaf_threshold or compression_type: the validators' standing
 * compression threshold (vidaio/scoring/config.py). */
#define DEFAULT_COMPRESS_VMAF 90.0
/* vidaio/miner/encoding.py writes h264 for a task without target_codec,
 * to keep its old outputs; the protocol leaves the choice to the worker,
 * and HEVC reaches the same VMAF in fewer bytes (what is scored). */
#define DEFAULT_COMPRESS_CODEC "hevc"

const char *const vsr_gpu_worker_paths[] = {"/process", "/healthz", NULL};

struct vsr_gpu_worker {
    const vsr_job_services *sv;
    vsr_job_queue *queue;
    const char *token; /* the one the transport checks on our paths; NULL = none configured */
    vsr_http_stream stream;
    pthread_mutex_t lock;
    int uploading; /* requests admitted and still receiving their body */
};

/* One POST /process from its headers to its end. */
typedef struct gpu_request {
    vsr_gpu_worker *w;
    vsr_gpu_task task;
    double started, deadline, ingress_deadline; /* vsr_now_s() */
    char dir[4000], in_path[4096], out_path[4096];
    int fd; /* the input being written; -1 */
    EVP_MD_CTX *sha;
    int64_t received;
    int write_errno; /* the first write failure */
    int reserved;    /* holds an admission place (w->uploading) */
} gpu_request;

int vsr_gpu_worker_uploading(vsr_gpu_worker *w)
{
    pthread_mutex_lock(&w->lock);
    int n = w->uploading;
    pthread_mutex_unlock(&w->lock);
    return n;
}

int vsr_gpu_worker_owns(const char *path)
{
    for (const char *const *p = vsr_gpu_worker_paths; *p; p++)
        if (!strcmp(*p, path))
            return 1;
    return 0;
}

/* ---- replies ----------------------------------------------------------- */

/* A short plain-text error: the client shows at most 4 KiB of it. */
static void reply_text(vsr_http_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_text(vsr_http_reply *reply, int status, const char *fmt, ...)
{
    char msg[VSR_GPU_MAX_ERROR_BODY];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    strcat(msg, "\n");
    reply->status = status;
    reply->content_type = "text/plain; charset=utf-8";
    reply->body = strdup(msg);
}

/* The HTTP status of a failed transform, as the reference worker answers:
 * the media or the params at fault 422, the deadline 504. */
static int status_for(int code)
{
    switch (code) {
    case VSR_ERR_INVALID:
    case VSR_ERR_FORMAT:
    case VSR_ERR_UNSUPPORTED:
    case VSR_ERR_REFUSED: return 422;
    case VSR_ERR_TIMEOUT: return 504;
    case VSR_ERR_BUSY: return 429;
    case VSR_ERR_CANCELLED: return 503;
    default: return 500;
    }
}

/* ---- scratch ----------------------------------------------------------- */

static void remove_scratch(gpu_request *g)
{
    if (g->fd >= 0) {
        close(g->fd);
        g->fd = -1;
    }
    if (!g->dir[0])
        return;
    const char *files[] = {g->in_path, g->out_path};
    for (int i = 0; i < 2; i++)
        if (files[i][0] && unlink(files[i]) != 0 && errno != ENOENT)
            vsr_logf(NULL, VSR_LOG_WARN, "gpu", "removing %s: %s", files[i], strerror(errno));
    if (rmdir(g->dir) != 0)
        vsr_logf(NULL, VSR_LOG_WARN, "gpu", "removing %s: %s", g->dir, strerror(errno));
    g->dir[0] = '\0';
}

static void release_place(gpu_request *g)
{
    if (!g->reserved)
        return;
    pthread_mutex_lock(&g->w->lock);
    g->w->uploading--;
    pthread_mutex_unlock(&g->w->lock);
    g->reserved = 0;
}

static void request_free(gpu_request *g)
{
    if (!g)
        return;
    release_place(g);
    remove_scratch(g);
    EVP_MD_CTX_free(g->sha);
    vsr_gpu_task_free(&g->task);
    free(g);
}

/* ---- the headers -------------------------------------------------------- */

/* Content-Length as an integer: digits, white space around. */
static int parse_length(const char *s, int64_t *out)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    int64_t v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (!digits || *s)
        return -1;
    *out = v;
    return 0;
}

/* Admission: the server's queue takes max_running + max_queued jobs; a
 * request whose body is still coming holds a place too, so that a burst
 * is told 429 before it uploads rather than after. */
static int admit(vsr_gpu_worker *w, char *why, size_t why_len)
{
    const vsr_server_config *cfg = w->sv->cfg;
    int running, waiting;
    vsr_job_queue_snapshot(w->queue, &running, &waiting, NULL, 0);
    pthread_mutex_lock(&w->lock);
    int ok = running + waiting + w->uploading < cfg->max_running + cfg->max_queued;
    if (ok)
        w->uploading++;
    else
        snprintf(why, why_len, "busy: %d running, %d waiting and %d uploading (limits %d + %d)",
                 running, waiting, w->uploading, cfg->max_running, cfg->max_queued);
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static void *on_begin(void *opaque, const vsr_http_call *call, vsr_http_reply *reply)
{
    vsr_gpu_worker *w = opaque;
    const vsr_server_config *cfg = w->sv->cfg;
    if (!w->token) {
        reply_text(reply, 503,
                   "this worker has no bearer token configured (gpu_token, VSR_GPU_TOKEN)");
        goto refused;
    }
    gpu_request *g = calloc(1, sizeof *g);
    if (!g) {
        reply_text(reply, 500, "out of memory");
        goto refused;
    }
    g->w = w;
    g->fd = -1;
    g->started = vsr_now_s();
    vsr_error err;
    vsr_error_clear(&err);
    int64_t length;
    char why[256];
    if (vsr_gpu_task_decode(call->header(call->conn, VSR_GPU_METADATA_HEADER), &g->task, &err) <
        0) {
        reply_text(reply, 400, "%s", err.msg);
    } else if (!call->header(call->conn, VSR_GPU_PROTOCOL_HEADER) ||
               strcmp(call->header(call->conn, VSR_GPU_PROTOCOL_HEADER), VSR_GPU_PROTOCOL)) {
        reply_text(reply, 400,
                   "GPU protocol header mismatch (" VSR_GPU_PROTOCOL_HEADER ": " VSR_GPU_PROTOCOL
                   " expected)");
    } else if (parse_length(call->header(call->conn, "Content-Length"), &length) < 0) {
        reply_text(reply, 400, "integer Content-Length is required");
    } else if (length != g->task.input_size) {
        reply_text(reply, 400, "input size binding mismatch: Content-Length %lld, input_size %lld",
                   (long long)length, (long long)g->task.input_size);
    } else if (length > cfg->gpu_max_input_bytes) {
        reply_text(reply, 413, "input exceeds worker cap (%lld bytes, at most %lld)",
                   (long long)length, (long long)cfg->gpu_max_input_bytes);
    } else if (vsr_job_queue_closed(w->queue)) {
        reply_text(reply, 503, "the worker is draining (stopping after its running jobs)");
    } else if (!admit(w, why, sizeof why)) {
        reply_text(reply, 429, "%s", why);
        vsr_metrics_job(w->sv->metrics, VSR_OUTCOME_REJECTED);
    } else {
        g->reserved = 1;
        g->deadline = g->started + fmin(g->task.deadline_s, (double)cfg->job_timeout_s);
        g->ingress_deadline = g->started + fmin(g->task.deadline_s, MAX_INGRESS_S);
        vsr_error derr;
        vsr_error_clear(&derr);
        /* A job directory the startup sweep (server/sweep.h) recognises. */
        if (vsr_scratch_dir_create(cfg->tmp_dir, VSR_SCRATCH_JOB_DIR, g->dir, sizeof g->dir,
                                   &derr) < 0) {
            g->dir[0] = '\0';
            reply_text(reply, 500, "%s", derr.msg);
        } else {
            snprintf(g->in_path, sizeof g->in_path, "%s/input.media", g->dir);
            snprintf(g->out_path, sizeof g->out_path, "%s/output.mp4", g->dir);
            g->fd = open(g->in_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (g->fd < 0)
                reply_text(reply, 500, "creating %s: %s", g->in_path, strerror(errno));
            else if (!(g->sha = EVP_MD_CTX_new()) ||
                     EVP_DigestInit_ex(g->sha, EVP_sha256(), NULL) != 1)
                reply_text(reply, 500, "sha256: OpenSSL failed to start a digest");
            else
                return g;
        }
    }
    request_free(g);
refused:
    vsr_metrics_request(w->sv->metrics, "/process", reply->status);
    return NULL;
}

/* ---- the body ---------------------------------------------------------- */

static int on_data(void *state, const char *buf, size_t n)
{
    gpu_request *g = state;
    if (vsr_now_s() > g->ingress_deadline) {
        /* Too slow to answer anything useful (libmicrohttpd answers only
         * once the body is in): drop the connection. */
        vsr_logf(NULL, VSR_LOG_WARN, "gpu", "input upload timed out after %.0f s: dropped",
                 vsr_now_s() - g->started);
        return -1;
    }
    g->received += (int64_t)n;
    if (g->received > g->task.input_size)
        return -1; /* cannot happen under Content-Length framing; never store past it */
    EVP_DigestUpdate(g->sha, buf, n);
    /* After a write failure the body is still read (and hashed) to the
     * end, so that the client gets the error rather than a reset. */
    while (n && !g->write_errno) {
        ssize_t k = write(g->fd, buf, n);
        if (k < 0) {
            if (errno != EINTR)
                g->write_errno = errno;
            continue;
        }
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ---- the work ---------------------------------------------------------- */

/* Queues job and waits for its end; VSR_ERR_BUSY (queue full) or the job's
 * own cancellation as a vsr_status with its reason in err. */
static int submit_and_wait(gpu_request *g, const vsr_http_call *call, vsr_job *job, vsr_error *err)
{
    int position;
    int st = vsr_job_queue_submit(g->w->queue, job, &position, err);
    release_place(g);
    if (st < 0) {
        vsr_metrics_job(g->w->sv->metrics,
                        st == VSR_ERR_BUSY ? VSR_OUTCOME_REJECTED : VSR_OUTCOME_CANCELLED);
        return st;
    }
    vsr_job_queue_wait(g->w->queue, job, WAIT_POLL_S, vsr_http_call_still_wanted, (void *)call);
    if (job->state == VSR_JOB_CANCELLED) {
        vsr_metrics_job(g->w->sv->metrics, VSR_OUTCOME_CANCELLED);
        if (job->cancel == VSR_JOB_CANCEL_DEADLINE)
            return vsr_error_set(err, VSR_ERR_TIMEOUT,
                                 "GPU transform deadline exceeded (%.0f s) while queued",
                                 g->task.deadline_s);
        return vsr_error_set(err, VSR_ERR_CANCELLED, "cancelled before it ran");
    }
    return VSR_OK;
}

/* The device that did the work: "cuda:N" when the upscaler's backend is a
 * GPU's and that device upscaled frames during the job (the one with the
 * most, where jobs shared several), else NULL. */
static const char *gpu_device(const vsr_server_config *cfg, const vsr_device_stat *before,
                              const vsr_device_stat *after, int n, char *buf, size_t size)
{
    vsr_error ignored;
    const vsr_backend_ops *ops = vsr_backend_find(cfg->engine.backend, &ignored);
    if (!ops || ops->device_type != VSR_DEVICE_GPU)
        return NULL;
    int best = -1;
    int64_t most = 0;
    for (int i = 0; i < n; i++) {
        int64_t did = after[i].frames - before[i].frames;
        if (did > most)
            most = did, best = i;
    }
    if (best < 0)
        return NULL;
    snprintf(buf, size, "%s", after[best].name);
    return buf;
}

/* The model scale for a target size: the factor the task gave, else the
 * smallest of 2 and 4 that reaches the target (the rest is resampling). */
static int pick_scale(int factor, int in_w, int in_h, int out_w, int out_h)
{
    if (factor)
        return factor;
    return (out_w <= in_w * 2 && out_h <= in_h * 2) ? 2 : 4;
}

static int run_upscaling(gpu_request *g, const vsr_http_call *call, const vsr_probe *in, int out_w,
                         int out_h, int factor, char *device, size_t device_size, vsr_error *err)
{
    const vsr_job_services *sv = g->w->sv;
    const vsr_server_config *cfg = sv->cfg;
    char id[VSR_UUID_LEN + 8] = "gpu-";
    int st = vsr_uuid_v4(id + 4, err);
    if (st < 0)
        return st;
    vsr_upscale_job *j = malloc(sizeof *j);
    if (!j)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    vsr_upscale_job_init(j, sv, id, g->deadline);
    vsr_upscale_job_set_model(j, vsr_server_model(cfg));
    j->scale = pick_scale(factor, in->width, in->height, out_w, out_h);
    /* 0 x 0 is the model's own size; anything else is resampled by the
     * pipeline (on the GPU where the model runs there). */
    if (out_w != in->width * j->scale || out_h != in->height * j->scale) {
        j->out_width = out_w;
        j->out_height = out_h;
    }
    j->enc.profile = g->task.variant->profile;
    j->n_clips = 1;
    snprintf(j->clips[0].source, sizeof j->clips[0].source, "%s", g->in_path);
    snprintf(j->clips[0].output_path, sizeof j->clips[0].output_path, "%s", g->out_path);
    /* Loading the model before the job keeps the first task's deadline
     * free of the load, as /upscale does. */
    vsr_device_pool *pool;
    if ((st = vsr_model_cache_get(sv->models, j->model, j->scale, &pool, err)) < 0) {
        vsr_error_prefix(err, "model %s x%d", j->model, j->scale);
        free(j);
        return st == VSR_ERR_NOMEM ? st : VSR_ERR_INTERNAL;
    }
    vsr_device_stat before[VSR_MAX_DEVICES], after[VSR_MAX_DEVICES];
    int n = vsr_device_pool_stats(pool, before, VSR_MAX_DEVICES);
    if ((st = submit_and_wait(g, call, &j->job, err)) == VSR_OK) {
        const vsr_clip *c = &j->clips[0];
        if (c->status != VSR_OK) {
            st = vsr_error_set(err, (vsr_status)c->status, "%s", c->error);
            if (j->job.cancel == VSR_JOB_CANCEL_DEADLINE)
                st = vsr_error_set(err, VSR_ERR_TIMEOUT, "GPU transform deadline exceeded (%.0f s)",
                                   g->task.deadline_s);
            vsr_metrics_job(sv->metrics, st == VSR_ERR_CANCELLED || st == VSR_ERR_TIMEOUT
                                             ? VSR_OUTCOME_CANCELLED
                                             : VSR_OUTCOME_FAILED);
        } else {
            vsr_metrics_job(sv->metrics, VSR_OUTCOME_SUCCEEDED);
            vsr_device_pool_stats(pool, after, VSR_MAX_DEVICES);
            if (!gpu_device(cfg, before, after, n < VSR_MAX_DEVICES ? n : VSR_MAX_DEVICES, device,
                            device_size))
                device[0] = '\0';
        }
    }
    free(j);
    return st;
}

static int run_compression(gpu_request *g, const vsr_http_call *call, const vsr_probe *in,
                           int out_w, int out_h, vsr_error *err)
{
    const vsr_job_services *sv = g->w->sv;
    vsr_gpu_encode_plan plan;
    int st = vsr_gpu_encode_plan_resolve(g->task.params, DEFAULT_COMPRESS_CODEC,
                                         DEFAULT_COMPRESS_VMAF, &plan, err);
    if (st < 0)
        return st;
    char id[VSR_UUID_LEN + 8] = "gpu-";
    if ((st = vsr_uuid_v4(id + 4, err)) < 0)
        return st;
    vsr_compress_job *c = malloc(sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    vsr_compress_job_init(c, sv, id, g->deadline);
    c->opt.input = g->in_path;
    c->opt.output = g->out_path;
    c->opt.codec = plan.codec;
    c->opt.vmaf_target = plan.vmaf_target;
    c->opt.margin = g->task.variant->compress_margin;
    /* validator-vidaio scores this track by its formula, in which the
     * VMAF above the threshold is worth more than the last bytes saved */
    c->opt.objective = VSR_COMPRESS_MAX_SCORE;
    c->opt.samples = g->task.variant->compress_samples;
    if (out_w != in->width || out_h != in->height) { /* resized (Lanczos), scored at that size */
        c->opt.width = out_w;
        c->opt.height = out_h;
    }
    if (plan.vbr && (st = vsr_compress_job_set_vbr(c, plan.bitrate, err)) < 0) {
        free(c);
        return st;
    }
    if ((st = submit_and_wait(g, call, &c->job, err)) == VSR_OK) {
        st = c->status;
        if (st < 0) {
            *err = c->err;
            if (c->job.cancel == VSR_JOB_CANCEL_DEADLINE)
                st = vsr_error_set(err, VSR_ERR_TIMEOUT, "GPU transform deadline exceeded (%.0f s)",
                                   g->task.deadline_s);
            else if (st == VSR_ERR_CANCELLED && c->job.cancel == VSR_JOB_CANCEL_SHUTDOWN)
                vsr_error_set(err, VSR_ERR_CANCELLED, "the server is shutting down");
        }
        vsr_metrics_job(sv->metrics, st == VSR_OK ? VSR_OUTCOME_SUCCEEDED
                                     : st == VSR_ERR_CANCELLED || st == VSR_ERR_TIMEOUT
                                         ? VSR_OUTCOME_CANCELLED
                                         : VSR_OUTCOME_FAILED);
        if (st < 0)
            vsr_metrics_error(sv->metrics, (vsr_status)st);
        else
            vsr_logf(
                NULL, VSR_LOG_INFO, "gpu",
                "compression: %s %s crf %d, %lld -> %lld bytes, VMAF %.2f (target %.1f + %.2f), "
                "score %.4f",
                c->result.encoder, c->result.preset, c->result.crf,
                (long long)c->result.input_bytes, (long long)c->result.bytes, c->result.vmaf,
                plan.vmaf_target, c->opt.margin, c->result.score);
    }
    free(c);
    return st;
}

/* The input must be a video the reference worker would take too. */
static int check_input(const char *path, vsr_probe *p, vsr_error *err)
{
    int st = vsr_probe_file(path, p, err);
    if (st < 0) {
        vsr_error_prefix(err, "input is not a readable video");
        return st == VSR_ERR_NOMEM ? st
                                   : VSR_ERR_FORMAT; /* the file is ours: its bytes are at fault */
    }
    double fps = p->avg_frame_rate.den ? av_q2d(p->avg_frame_rate) : 0;
    if (p->width < 1 || p->height < 1 || p->width > VSR_GPU_MAX_SIDE ||
        p->height > VSR_GPU_MAX_SIDE)
        return vsr_error_set(err, VSR_ERR_INVALID, "input dimensions are outside bounds: %dx%d",
                             p->width, p->height);
    if (!(fps > 0) || fps > VSR_GPU_MAX_FPS)
        return vsr_error_set(err, VSR_ERR_INVALID, "input frame rate is outside bounds: %g", fps);
    if (p->frames < 1 || p->frames > VSR_GPU_MAX_FRAMES)
        return vsr_error_set(err, VSR_ERR_INVALID, "input frame count is outside bounds: %lld",
                             (long long)p->frames);
    return VSR_OK;
}

static int sha256_file(const char *path, char hex[65], int64_t *size, vsr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "opening %s: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int st = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
                 ? VSR_OK
                 : vsr_error_set(err, VSR_ERR_INTERNAL, "sha256: OpenSSL failed");
    unsigned char *buf = st == VSR_OK ? malloc(1 << 20) : NULL;
    if (st == VSR_OK && !buf)
        st = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    *size = 0;
    size_t n;
    while (st == VSR_OK && (n = fread(buf, 1, 1 << 20, f)) > 0) {
        EVP_DigestUpdate(md, buf, n);
        *size += (int64_t)n;
    }
    if (st == VSR_OK && ferror(f))
        st = vsr_error_set(err, VSR_ERR_IO, "reading %s", path);
    unsigned char digest[32];
    unsigned len = 0;
    if (st == VSR_OK && EVP_DigestFinal_ex(md, digest, &len) != 1)
        st = vsr_error_set(err, VSR_ERR_INTERNAL, "sha256: OpenSSL failed");
    if (st == VSR_OK)
        vsr_gpu_hex(digest, hex);
    free(buf);
    EVP_MD_CTX_free(md);
    fclose(f);
    return st;
}

/* The output as the reply's body: opened, then every scratch file and the
 * directory removed, so nothing is left whatever becomes of the sending. */
static int reply_output(gpu_request *g, const char *device, vsr_http_reply *reply, vsr_error *err)
{
    char digest[65];
    int64_t size = 0;
    int st = sha256_file(g->out_path, digest, &size, err);
    if (st < 0)
        return st;
    if (size < 1)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "encoder produced no output");
    if (size > g->w->sv->cfg->gpu_max_output_bytes)
        return vsr_error_set(err, VSR_ERR_INVALID, "encoded output crossed %lld bytes",
                             (long long)g->w->sv->cfg->gpu_max_output_bytes);
    int fd = open(g->out_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vsr_error_set(err, VSR_ERR_IO, "opening %s: %s", g->out_path, strerror(errno));
    remove_scratch(g);
    reply->status = 200;
    reply->content_type = "video/mp4";
    reply->has_body_fd = 1;
    reply->body_fd = fd;
    reply->body_fd_size = (uint64_t)size;
    vsr_http_reply_header(reply, VSR_GPU_PROTOCOL_HEADER, VSR_GPU_PROTOCOL);
    vsr_http_reply_header(reply, VSR_GPU_INPUT_DIGEST_HEADER, g->task.input_digest);
    vsr_http_reply_header(reply, VSR_GPU_OUTPUT_DIGEST_HEADER, digest);
    vsr_http_reply_header(reply, VSR_GPU_TRACK_HEADER, vsr_gpu_track_name(g->task.track));
    vsr_http_reply_header(reply, VSR_GPU_VARIANT_HEADER, g->task.variant->name);
    /* Honest attestation: "true" and cuda:N only when a GPU made the
     * pictures; otherwise the protocol's token for media made without
     * one, which the client takes only where CPU fallback is allowed. */
    vsr_http_reply_header(reply, VSR_GPU_ACCELERATED_HEADER, device[0] ? "true" : "false");
    vsr_http_reply_header(reply, VSR_GPU_DEVICE_HEADER, device[0] ? device : VSR_GPU_CPU_DEVICE);
    vsr_logf(NULL, VSR_LOG_INFO, "gpu",
             "%s/%s input %.12s (%lld bytes) -> output %.12s (%lld bytes) on %s",
             vsr_gpu_track_name(g->task.track), g->task.variant->name, g->task.input_digest,
             (long long)g->task.input_size, digest, (long long)size,
             device[0] ? device : VSR_GPU_CPU_DEVICE);
    return VSR_OK;
}

static void on_end(void *state, const vsr_http_call *call, vsr_http_reply *reply)
{
    gpu_request *g = state;
    vsr_error err;
    vsr_error_clear(&err);
    unsigned char digest[32];
    unsigned dlen = 0;
    char hex[65] = "";
    if (EVP_DigestFinal_ex(g->sha, digest, &dlen) == 1)
        vsr_gpu_hex(digest, hex);
    int wrote = g->fd >= 0 && close(g->fd) == 0;
    g->fd = -1;
    vsr_probe in;
    int out_w = 0, out_h = 0, factor = 0;
    char device[64] = "";
    int st;
    if (g->write_errno || !wrote) {
        reply_text(reply, 500, "storing the input in %s: %s", g->dir,
                   strerror(g->write_errno ? g->write_errno : EIO));
    } else if (g->received != g->task.input_size) {
        reply_text(reply, 400, "input length changed in flight (%lld of %lld bytes)",
                   (long long)g->received, (long long)g->task.input_size);
    } else if (strcmp(hex, g->task.input_digest)) {
        reply_text(reply, 422, "input digest mismatch: received %s, metadata says %s", hex,
                   g->task.input_digest);
    } else if (vsr_now_s() >= g->deadline) {
        reply_text(reply, 504, "deadline exhausted at ingress");
    } else if ((st = check_input(g->in_path, &in, &err)) < 0 ||
               (st = vsr_gpu_target(&g->task, in.width, in.height, &out_w, &out_h, &factor, &err)) <
                   0) {
        reply_text(reply, status_for(st), "%s", err.msg);
    } else {
        st = g->task.track == VSR_GPU_TRACK_UPSCALING
                 ? run_upscaling(g, call, &in, out_w, out_h, factor, device, sizeof device, &err)
                 : run_compression(g, call, &in, out_w, out_h, &err);
        if (st == VSR_OK)
            st = reply_output(g, device, reply, &err);
        if (st < 0)
            reply_text(reply, status_for(st), "%s", err.msg);
    }
    if (reply->status != 200)
        vsr_logf(NULL, VSR_LOG_INFO, "gpu", "%s/%s input %.12s: %d %s",
                 vsr_gpu_track_name(g->task.track), g->task.variant->name, g->task.input_digest,
                 reply->status, reply->body ? reply->body : "");
    vsr_metrics_request(g->w->sv->metrics, "/process", reply->status);
    /* Whatever the answer, the scratch goes now, not when the connection
     * closes. */
    release_place(g);
    remove_scratch(g);
}

static void on_done(void *state)
{
    request_free(state);
}

/* ---- GET /healthz and the rest ---------------------------------------- */

static void handle_healthz(vsr_gpu_worker *w, vsr_http_reply *reply)
{
    const vsr_server_config *cfg = w->sv->cfg;
    vsr_error err;
    vsr_error_clear(&err);
    const vsr_backend_ops *ops = vsr_backend_find(cfg->engine.backend, &err);
    /* Only a GPU backend that runs here counts: the client relies on it
     * before it sends work. */
    int gpu = ops && ops->device_type == VSR_DEVICE_GPU && ops->available(&err) == 1;
    char device[48];
    snprintf(device, sizeof device, "%s:%d", ops ? ops->name : "?",
             cfg->n_devices > 0 ? cfg->devices[0] : 0);
    int draining = vsr_job_queue_closed(w->queue);
    json_t *body = json_pack("{s:s,s:s,s:b,s:o,s:s,s:s,s:s}", "service", "vsr", "status",
                             draining ? "draining"
                             : gpu    ? "ok"
                                      : "unavailable",
                             "gpu_available", gpu && !draining, "device",
                             gpu ? json_string(device) : json_null(), "protocol", VSR_GPU_PROTOCOL,
                             "backend", cfg->engine.backend, "scoring_device",
                             "none (vsr does not score for the validator)");
    reply->status = draining ? 503 : 200;
    reply->content_type = "application/json";
    reply->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
}

void vsr_gpu_worker_handle(vsr_gpu_worker *w, const vsr_http_call *call, vsr_http_reply *reply)
{
    if (call->reject_status)
        reply_text(reply, call->reject_status, "%s",
                   call->reject_status == 401 ? "unauthorized" : call->reject_reason);
    else if (!strcmp(call->path, "/healthz") && !strcmp(call->method, "GET") && !w->token)
        reply_text(reply, 503,
                   "this worker has no bearer token configured (gpu_token, VSR_GPU_TOKEN)");
    else if (!strcmp(call->path, "/healthz") && !strcmp(call->method, "GET"))
        handle_healthz(w, reply);
    else
        reply_text(reply, 405, "%s is not allowed on %s", call->method, call->path);
}

/* ---- life -------------------------------------------------------------- */

const vsr_http_stream *vsr_gpu_worker_stream(vsr_gpu_worker *w)
{
    return &w->stream;
}

int vsr_gpu_worker_create(const vsr_job_services *services, vsr_job_queue *queue,
                          vsr_gpu_worker **out, vsr_error *err)
{
    *out = NULL;
    vsr_gpu_worker *w = calloc(1, sizeof *w);
    if (!w)
        return vsr_error_set(err, VSR_ERR_NOMEM, "gpu worker: out of memory");
    w->sv = services;
    w->queue = queue;
    w->token = services->cfg->gpu_token ? services->cfg->gpu_token : services->cfg->token;
    pthread_mutex_init(&w->lock, NULL);
    w->stream = (vsr_http_stream){
        .method = "POST",
        .path = "/process",
        .opaque = w,
        .begin = on_begin,
        .data = on_data,
        .end = on_end,
        .done = on_done,
    };
    *out = w;
    return VSR_OK;
}

void vsr_gpu_worker_destroy(vsr_gpu_worker *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->lock);
    free(w);
}
