/* What a pipeline worker runs on each frame: a small table, so that the
 * pipeline does not care whether frames go through per-worker engine
 * contexts (the design), one context shared behind a lock (the seed's
 * server, kept for measuring against), or a test's stand-in.
 *
 * ctx_create and ctx_destroy are called on the worker thread that owns the
 * context; run is only ever called by that thread. */
#ifndef VSR_PIPELINE_UPSCALER_H
#define VSR_PIPELINE_UPSCALER_H

#include <pthread.h>

#include "engine/engine.h"
#include "util/error.h"

typedef struct vsr_upscaler {
    int scale;
    void *shared; /* read-only state every context may use */
    int (*ctx_create)(void *shared, void **ctx, vsr_error *err);
    void (*ctx_destroy)(void *ctx);
    /* in is RGB24 of the input size; out is RGB24 of in x scale. */
    int (*run)(void *ctx, const vsr_image *in, vsr_image *out, vsr_error *err);
    /* Optional: as run, with the output as YUV 4:2:0 of any even size,
     * resampled and blended as rs says (vsr_engine_upscale_yuv420_to; rs
     * NULL: out is in x scale, the model's output as it is). */
    int (*run_yuv420)(void *ctx, const vsr_image *in, vsr_yuv420 *out, const vsr_yuv_coeffs *k,
                      const vsr_resample *rs, vsr_error *err);
    /* Optional: as run_yuv420 from a decoded 4:2:0 frame, converted by
     * the engine (vsr_engine_upscale_from_yuv_to). */
    int (*run_from_yuv)(void *ctx, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, vsr_yuv420 *out,
                        const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err);
    int reads_device_yuv; /* run_from_yuv takes frames in GPU memory (NVDEC's) */
    /* Optional: as run_yuv420 or run_from_yuv on frames f[0..n)
     * (vsr_engine_upscale_batch), batch of them in one run where the
     * engine can. */
    int (*run_batch)(void *ctx, int n, const vsr_engine_frame *f, const vsr_yuv_coeffs *k,
                     const vsr_resample *rs, vsr_error *err);
    /* The frames of w x h run_batch takes at once (vsr_engine_batch_for); 1 = one at a time */
    int (*batch_for)(const void *shared, int w, int h);
    /* Optional: readies a context for frames of w x h, n at a time
     * (vsr_engine_ctx_prepare). */
    int (*prepare)(void *ctx, int n, int w, int h, vsr_error *err);
    int prefers_yuv420;      /* run_yuv420 converts on a GPU: cheaper than run + swscale */
    int resamples_on_device; /* run_yuv420 resamples to other sizes on a GPU (issue 18) */
    int decoder_device;      /* the device a hardware decoder (NVDEC) may decode on, its frames
                                read there (vsr_engine_decoder_device); -1: none */
} vsr_upscaler;

/* Per-worker contexts of one shared engine (DESIGN.md §1). */
void vsr_upscaler_per_worker(vsr_upscaler *u, vsr_engine *engine);

/* One engine context shared by every worker and fed one frame at a time
 * under a lock: the seed's server, to measure the design against. The
 * state is the caller's and must outlive the pipeline run. */
typedef struct vsr_shared_engine_ctx {
    vsr_engine_ctx *ctx;
    pthread_mutex_t lock;
} vsr_shared_engine_ctx;

int vsr_upscaler_shared(vsr_upscaler *u, vsr_engine *engine, vsr_shared_engine_ctx *state,
                        vsr_error *err);
void vsr_shared_engine_ctx_destroy(vsr_shared_engine_ctx *state);

#endif
