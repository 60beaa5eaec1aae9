#include "pipeline/upscaler.h"

#include <string.h>

static int per_worker_create(void *shared, void **ctx, vsr_error *err)
{
    return vsr_engine_ctx_create(shared, (vsr_engine_ctx **)ctx, err);
}

static void per_worker_destroy(void *ctx)
{
    vsr_engine_ctx_destroy(ctx);
}

static int per_worker_run(void *ctx, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    return vsr_engine_upscale(ctx, in, out, err);
}

static int per_worker_run_yuv420(void *ctx, const vsr_image *in, vsr_yuv420 *out,
                                 const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    return vsr_engine_upscale_yuv420_to(ctx, in, out, k, rs, err);
}

static int per_worker_run_from_yuv(void *ctx, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin,
                                   vsr_yuv420 *out, const vsr_yuv_coeffs *k, const vsr_resample *rs,
                                   vsr_error *err)
{
    return vsr_engine_upscale_from_yuv_to(ctx, in, kin, out, k, rs, err);
}

static int per_worker_run_batch(void *ctx, int n, const vsr_engine_frame *f,
                                const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    return vsr_engine_upscale_batch(ctx, n, f, k, rs, err);
}

static int per_worker_batch_for(const void *shared, int w, int h)
{
    return vsr_engine_batch_for(shared, w, h);
}

static int per_worker_prepare(void *ctx, int n, int w, int h, vsr_error *err)
{
    return vsr_engine_ctx_prepare(ctx, n, w, h, err);
}

void vsr_upscaler_per_worker(vsr_upscaler *u, vsr_engine *engine)
{
    u->scale = vsr_engine_graph(engine)->scale;
    u->shared = engine;
    u->ctx_create = per_worker_create;
    u->ctx_destroy = per_worker_destroy;
    u->run = per_worker_run;
    u->run_yuv420 = per_worker_run_yuv420;
    u->run_from_yuv = per_worker_run_from_yuv;
    u->reads_device_yuv = vsr_engine_reads_device_yuv(engine);
    u->run_batch = per_worker_run_batch;
    u->batch_for = per_worker_batch_for;
    u->prepare = per_worker_prepare;
    u->prefers_yuv420 = vsr_engine_prefers_yuv420(engine);
    u->resamples_on_device = vsr_engine_resamples_on_device(engine);
    u->decoder_device = vsr_engine_decoder_device(engine);
}

static int shared_create(void *shared, void **ctx, vsr_error *err)
{
    (void)err;
    *ctx = shared;
    return VSR_OK;
}

static void shared_destroy(void *ctx)
{
    (void)ctx; /* the state belongs to the caller of vsr_upscaler_shared */
}

static int shared_run(void *ctx, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    vsr_shared_engine_ctx *s = ctx;
    pthread_mutex_lock(&s->lock);
    int ret = vsr_engine_upscale(s->ctx, in, out, err);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int vsr_upscaler_shared(vsr_upscaler *u, vsr_engine *engine, vsr_shared_engine_ctx *state,
                        vsr_error *err)
{
    int ret = vsr_engine_ctx_create(engine, &state->ctx, err);
    if (ret < 0)
        return ret;
    pthread_mutex_init(&state->lock, NULL);
    u->scale = vsr_engine_graph(engine)->scale;
    u->shared = state;
    u->ctx_create = shared_create;
    u->ctx_destroy = shared_destroy;
    u->run = shared_run;
    u->run_yuv420 = NULL; /* the seed's path: RGB24 and swscale */
    u->run_from_yuv = NULL;
    u->reads_device_yuv = 0;
    u->run_batch = NULL;
    u->batch_for = NULL;
    u->prepare = NULL;
    u->prefers_yuv420 = 0;
    u->resamples_on_device = 0;
    u->decoder_device = vsr_engine_decoder_device(engine);
    return VSR_OK;
}

void vsr_shared_engine_ctx_destroy(vsr_shared_engine_ctx *state)
{
    if (!state || !state->ctx)
        return;
    vsr_engine_ctx_destroy(state->ctx);
    pthread_mutex_destroy(&state->lock);
    state->ctx = NULL;
}
