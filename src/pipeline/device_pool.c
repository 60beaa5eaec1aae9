#include "pipeline/device_pool.h"

#include "model/model_registry.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Contexts a device keeps for the next clip. Making a context (stream,
 * pinned staging) and planning it (buffers for the frame size) took 60-150
 * ms before a clip's first frame (bench/context_cost.c: 4 workers at once,
 * H200 host); a kept one is ready at once for a frame of the size it last
 * had. Each holds its buffers (at most the engine's memory budget), so the
 * count is capped; one that ran out of memory is not kept. */
#define IDLE_PER_DEVICE 16

typedef struct device {
    vsr_engine *engine;
    int ordinal;
    /* under the pool's lock */
    int up;
    int contexts; /* live: held by workers */
    vsr_engine_ctx *idle[IDLE_PER_DEVICE];
    int n_idle;
    int64_t frames;
    double busy_s;
    int64_t fail_after; /* test-only fault: -1 none */
    char fault[VSR_ERROR_MSG_MAX + 16];
} device;

struct vsr_device_pool {
    pthread_mutex_t lock;
    const char *backend;
    int n;
    device dev[VSR_MAX_DEVICES];
};

int vsr_device_pool_create(const vsr_graph *g, const vsr_engine_options *eo, const int *devices,
                           int n, vsr_device_pool **out, vsr_error *err)
{
    *out = NULL;
    if (n < 1 || n > VSR_MAX_DEVICES)
        return vsr_error_set(err, VSR_ERR_INVALID, "%d devices (1..%d)", n, VSR_MAX_DEVICES);
    vsr_device_pool *p = calloc(1, sizeof *p);
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "device pool: out of memory");
    pthread_mutex_init(&p->lock, NULL);
    p->backend = eo->backend;
    for (int i = 0; i < n; i++) {
        vsr_engine_options o = *eo;
        o.config.device = devices[i];
        int st = vsr_engine_create(g, &o, &p->dev[i].engine, err);
        if (st < 0) {
            vsr_error_prefix(err, "%s:%d", eo->backend, devices[i]);
            vsr_device_pool_destroy(p);
            return st;
        }
        p->dev[i].ordinal = devices[i];
        p->dev[i].up = 1;
        p->dev[i].fail_after = -1;
        p->n = i + 1;
    }
    *out = p;
    return VSR_OK;
}

void vsr_device_pool_destroy(vsr_device_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++) {
        for (int k = 0; k < p->dev[i].n_idle; k++)
            vsr_engine_ctx_destroy(p->dev[i].idle[k]);
        vsr_engine_destroy(p->dev[i].engine);
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void vsr_device_pool_inject_fault(vsr_device_pool *p, int index, int64_t after_frames)
{
    pthread_mutex_lock(&p->lock);
    if (index >= 0 && index < p->n)
        p->dev[index].fail_after = after_frames;
    pthread_mutex_unlock(&p->lock);
}

/* ---- the upscaler: one worker's context, placed on a device ------------ */

typedef struct placed_ctx {
    vsr_device_pool *pool;
    int index; /* device; -1 when none */
    vsr_engine_ctx *ctx;
} placed_ctx;

/* Under the lock: the healthy device with the fewest contexts, or -1. */
static int least_loaded(const vsr_device_pool *p)
{
    int best = -1;
    for (int i = 0; i < p->n; i++)
        if (p->dev[i].up && (best < 0 || p->dev[i].contexts < p->dev[best].contexts))
            best = i;
    return best;
}

/* Gives c's context back: kept for the next clip while its device is in
 * rotation and has room, else destroyed. */
static void release(placed_ctx *c)
{
    if (c->index < 0)
        return;
    device *d = &c->pool->dev[c->index];
    vsr_engine_ctx *drop = c->ctx;
    pthread_mutex_lock(&c->pool->lock);
    d->contexts--;
    if (d->up && d->n_idle < IDLE_PER_DEVICE && !vsr_engine_ctx_tiles_capped(c->ctx)) {
        d->idle[d->n_idle++] = c->ctx;
        drop = NULL;
    }
    pthread_mutex_unlock(&c->pool->lock);
    vsr_engine_ctx_destroy(drop);
    c->ctx = NULL;
    c->index = -1;
}

/* Gives c a context on a healthy device, a kept one where it has one; a
 * device whose context cannot be made is taken out too, and the next one
 * is tried. */
static int place(placed_ctx *c, vsr_error *err)
{
    vsr_device_pool *p = c->pool;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = least_loaded(p);
        vsr_engine_ctx *kept = NULL;
        if (i >= 0) {
            p->dev[i].contexts++;
            if (p->dev[i].n_idle > 0)
                kept = p->dev[i].idle[--p->dev[i].n_idle];
        }
        pthread_mutex_unlock(&p->lock);
        if (i < 0)
            return vsr_error_set(err, VSR_ERR_BACKEND, "no %s device left in rotation (of %d)",
                                 p->backend, p->n);
        if (kept) {
            c->ctx = kept;
            c->index = i;
            return VSR_OK;
        }
        vsr_error why;
        vsr_error_clear(&why);
        if (vsr_engine_ctx_create(p->dev[i].engine, &c->ctx, &why) == VSR_OK) {
            c->index = i;
            return VSR_OK;
        }
        pthread_mutex_lock(&p->lock);
        p->dev[i].contexts--;
        if (p->dev[i].up) {
            p->dev[i].up = 0;
            snprintf(p->dev[i].fault, sizeof p->dev[i].fault, "context: %s", why.msg);
        }
        pthread_mutex_unlock(&p->lock);
        vsr_logf(NULL, VSR_LOG_WARN, NULL, "%s:%d taken out of rotation: %s", p->backend,
                 p->dev[i].ordinal, why.msg);
    }
}

static int pool_ctx_create(void *shared, void **out, vsr_error *err)
{
    placed_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "device pool: out of memory");
    c->pool = shared;
    c->index = -1;
    int st = place(c, err);
    if (st < 0) {
        free(c);
        return st;
    }
    *out = c;
    return VSR_OK;
}

static void pool_ctx_destroy(void *opaque)
{
    placed_ctx *c = opaque;
    if (!c)
        return;
    release(c);
    free(c);
}

/* Errors that say the device, not the frame, is at fault. */
static int is_device_fault(int code)
{
    return code == VSR_ERR_BACKEND || code == VSR_ERR_NOMEM;
}

/* One frame's work: RGB24 in and out, RGB24 in and YUV out, or YUV (a
 * decoded frame, maybe in a GPU's memory) in and YUV out; or a batch's
 * (n frames, YUV out). */
typedef struct frame_job {
    const vsr_image *rgb_in;
    const vsr_yuv_in *yuv_in;
    const vsr_rgb_coeffs *yuv_colour_in;
    vsr_image *rgb_out;
    vsr_yuv420 *yuv_out;
    const vsr_yuv_coeffs *yuv_colour;
    const vsr_resample *resample; /* YUV out: NULL = the model's own size */
    int n;                        /* a batch: frames[0..n) */
    const vsr_engine_frame *frames;
} frame_job;

static int run_job(vsr_engine_ctx *ctx, const frame_job *j, vsr_error *err)
{
    if (j->frames)
        return vsr_engine_upscale_batch(ctx, j->n, j->frames, j->yuv_colour, j->resample, err);
    if (j->yuv_in)
        return vsr_engine_upscale_from_yuv_to(ctx, j->yuv_in, j->yuv_colour_in, j->yuv_out,
                                              j->yuv_colour, j->resample, err);
    if (j->yuv_out)
        return vsr_engine_upscale_yuv420_to(ctx, j->rgb_in, j->yuv_out, j->yuv_colour, j->resample,
                                            err);
    return vsr_engine_upscale(ctx, j->rgb_in, j->rgb_out, err);
}

/* Runs one frame (or batch) on c's device, moving to another device
 * while the one it is on fails. */
static int pool_run_frame(placed_ctx *c, const frame_job *job, vsr_error *err)
{
    vsr_device_pool *p = c->pool;
    for (;;) {
        if (c->index < 0 || !p->dev[c->index].up) {
            release(c);
            int st = place(c, err);
            if (st < 0)
                return st;
        }
        device *d = &p->dev[c->index];
        pthread_mutex_lock(&p->lock);
        int injected = d->fail_after >= 0 && d->frames >= d->fail_after;
        pthread_mutex_unlock(&p->lock);
        double t0 = vsr_now_s();
        int st = injected ? vsr_error_set(err, VSR_ERR_BACKEND, "injected fault (test)")
                          : run_job(c->ctx, job, err);
        double dt = vsr_now_s() - t0;
        pthread_mutex_lock(&p->lock);
        d->busy_s += dt;
        if (st == VSR_OK)
            d->frames += job->frames ? job->n : 1;
        else if (is_device_fault(st) && d->up) {
            d->up = 0;
            snprintf(d->fault, sizeof d->fault, "%s", err->msg);
        }
        pthread_mutex_unlock(&p->lock);
        if (st == VSR_OK)
            return VSR_OK;
        if (!is_device_fault(st)) {
            vsr_error_prefix(err, "%s:%d", p->backend, d->ordinal);
            return st;
        }
        /* The device is out: this frame is redone on another one. */
        vsr_logf(NULL, VSR_LOG_WARN, NULL,
                 "%s:%d taken out of rotation: %s; redoing the frame elsewhere", p->backend,
                 d->ordinal, err->msg);
        vsr_error_clear(err);
    }
}

static int pool_run(void *opaque, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    const frame_job job = {.rgb_in = in, .rgb_out = out};
    return pool_run_frame(opaque, &job, err);
}

static int pool_run_yuv420(void *opaque, const vsr_image *in, vsr_yuv420 *out,
                           const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    const frame_job job = {.rgb_in = in, .yuv_out = out, .yuv_colour = k, .resample = rs};
    return pool_run_frame(opaque, &job, err);
}

static int pool_run_from_yuv(void *opaque, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin,
                             vsr_yuv420 *out, const vsr_yuv_coeffs *k, const vsr_resample *rs,
                             vsr_error *err)
{
    const frame_job job = {
        .yuv_in = in, .yuv_colour_in = kin, .yuv_out = out, .yuv_colour = k, .resample = rs};
    return pool_run_frame(opaque, &job, err);
}

static int pool_run_batch(void *opaque, int n, const vsr_engine_frame *f, const vsr_yuv_coeffs *k,
                          const vsr_resample *rs, vsr_error *err)
{
    const frame_job job = {.yuv_colour = k, .resample = rs, .n = n, .frames = f};
    return pool_run_frame(opaque, &job, err);
}

static int pool_batch_for(const void *shared, int w, int h)
{
    const vsr_device_pool *p = shared;
    return vsr_engine_batch_for(p->dev[0].engine, w, h);
}

static int pool_prepare(void *opaque, int n, int w, int h, vsr_error *err)
{
    placed_ctx *c = opaque;
    return c->index >= 0 ? vsr_engine_ctx_prepare(c->ctx, n, w, h, err) : VSR_OK;
}

void vsr_upscaler_device_pool(vsr_upscaler *u, vsr_device_pool *p)
{
    u->scale = vsr_engine_graph(p->dev[0].engine)->scale;
    u->shared = p;
    u->ctx_create = pool_ctx_create;
    u->ctx_destroy = pool_ctx_destroy;
    u->run = pool_run;
    u->run_yuv420 = pool_run_yuv420;
    u->run_from_yuv = pool_run_from_yuv;
    u->reads_device_yuv = vsr_engine_reads_device_yuv(p->dev[0].engine);
    u->run_batch = pool_run_batch;
    u->batch_for = pool_batch_for;
    u->prepare = pool_prepare;
    u->prefers_yuv420 = vsr_engine_prefers_yuv420(p->dev[0].engine);
    u->resamples_on_device = vsr_engine_resamples_on_device(p->dev[0].engine);
    u->decoder_device = vsr_engine_decoder_device(p->dev[0].engine);
}

int vsr_device_pool_stats(vsr_device_pool *p, vsr_device_stat *stats, int max)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n && i < max; i++) {
        const device *d = &p->dev[i];
        snprintf(stats[i].name, sizeof stats[i].name, "%s:%d", p->backend, d->ordinal);
        stats[i].up = d->up;
        stats[i].contexts = d->contexts;
        stats[i].idle = d->n_idle;
        stats[i].frames = d->frames;
        stats[i].busy_s = d->busy_s;
        snprintf(stats[i].fault, sizeof stats[i].fault, "%s", d->fault);
    }
    int n = p->n;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int vsr_parse_devices(const char *spec, const char *backend, int *devices, int *n, vsr_error *err)
{
    const vsr_backend_ops *ops = vsr_backend_find(backend, err);
    if (!ops)
        return VSR_ERR_INVALID;
    int count = -1; /* unbounded: virtual devices */
    if (ops->device_type == VSR_DEVICE_GPU && (count = ops->device_count(err)) < 0)
        return count;
    *n = 0;
    if (!strcmp(spec, "all")) {
        int k = count < 0 ? 1 : count;
        if (k > VSR_MAX_DEVICES)
            k = VSR_MAX_DEVICES;
        for (int i = 0; i < k; i++)
            devices[(*n)++] = i;
        return *n ? VSR_OK : vsr_error_set(err, VSR_ERR_UNSUPPORTED, "no %s device", backend);
    }
    const char *s = spec;
    while (*s) {
        char *end;
        errno = 0;
        long d = strtol(s, &end, 10);
        if (end == s || errno || d < 0 || d > 1023 || (*end && *end != ','))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "--devices: expected all or a list like 0,1, got '%s'", spec);
        if (count >= 0 && d >= count)
            return vsr_error_set(err, VSR_ERR_INVALID, "--devices: %s has %d device(s), no %ld",
                                 backend, count, d);
        for (int i = 0; i < *n; i++)
            if (devices[i] == d)
                return vsr_error_set(err, VSR_ERR_INVALID, "--devices: %ld given twice", d);
        if (*n == VSR_MAX_DEVICES)
            return vsr_error_set(err, VSR_ERR_INVALID, "--devices: more than %d", VSR_MAX_DEVICES);
        devices[(*n)++] = (int)d;
        s = *end ? end + 1 : end;
        if (*end && !*s)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "--devices: expected all or a list like 0,1, got '%s'", spec);
    }
    return *n ? VSR_OK
              : vsr_error_set(err, VSR_ERR_INVALID,
                              "--devices: expected all or a list like 0,1, got ''");
}

int vsr_devices_resolve(const char *spec, const char *backend, int fail_device, int *devices,
                        int *n, vsr_error *err)
{
    int st;
    devices[0] = 0;
    *n = 1;
    if (spec && (st = vsr_parse_devices(spec, backend, devices, n, err)) < 0)
        return st;
    if (fail_device >= *n)
        return vsr_error_set(err, VSR_ERR_INVALID, "--fail-device %d: only %d device(s)",
                             fail_device, *n);
    return VSR_OK;
}

void vsr_pool_spec_default(vsr_pool_spec *s)
{
    memset(s, 0, sizeof *s);
    vsr_engine_options_default(&s->engine);
    s->fail_device = -1;
    s->fail_after = -1;
}

int vsr_device_pool_load(const vsr_pool_spec *s, vsr_graph *g, vsr_device_pool **out,
                         vsr_error *err)
{
    *out = NULL;
    int st = s->scale_is_output
                 ? vsr_model_load_for_scale(s->model, s->scale, s->models_dir, g, err)
                 : vsr_model_load_default(s->model, s->scale, s->models_dir, g, err);
    if (st < 0)
        return st;
    vsr_engine_options eo = s->engine;
    eo.backend = vsr_backend_resolve(eo.backend, g, &eo.config);
    int devices[VSR_MAX_DEVICES], n;
    if ((st = vsr_devices_resolve(s->devices, eo.backend, s->fail_device, devices, &n, err)) < 0 ||
        (st = vsr_device_pool_create(g, &eo, devices, n, out, err)) < 0) {
        vsr_graph_free(g);
        return st;
    }
    if (s->fail_device >= 0)
        vsr_device_pool_inject_fault(*out, s->fail_device, s->fail_after);
    return VSR_OK;
}
