/* The engine: upscales frames with a graph on a backend.
 *
 * vsr_engine is shared and immutable after creation (graph + prepared
 * weights on one device); vsr_engine_ctx is one worker's execution context.
 * The engine splits frames into tiles with a halo equal to the model's
 * receptive radius, so that tiled output equals untiled output up to float
 * rounding; the tile size comes from a memory budget unless set.
 *
 * Like realesrgan-ncnn-vulkan (the reference miner's engine), the frame is
 * first extended by mirroring (pre_pad pixels, edge not repeated) and the
 * network runs on that virtual frame; the mirrored border's output is
 * dropped. It keeps border pixels from being darkened by zero padding, and
 * it is what the golden test compares against. */
#ifndef VSR_ENGINE_ENGINE_H
#define VSR_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend.h"
#include "engine/graph.h"
#include "frame/image.h"
#include "frame/resample.h"
#include "frame/yuv420.h"
#include "frame/yuv_to_rgb.h"
#include "util/error.h"

typedef struct vsr_engine vsr_engine;
typedef struct vsr_engine_ctx vsr_engine_ctx;

typedef struct vsr_engine_options {
    const char *backend; /* a compiled backend's name ("ref", "cpu", "cuda"), or "auto":
                            the first that is available and supports the graph
                            (vsr_backend_auto) */
    vsr_backend_config config;
    int tile;             /* tile edge in input pixels; 0 = from memory_budget */
    size_t memory_budget; /* bytes per context for activations; 0 = default */
    int pre_pad;          /* mirror the frame by this many pixels at its borders before
                             the network (realesrgan-ncnn-vulkan and video2x use 10);
                             0 = the network's own zero padding at the borders */
    int host_conversion;  /* 1: convert 8-bit frames to float on the host even where the
                             backend takes bytes (tests compare the two paths) */
    int batch;            /* frames a context runs at once (vsr_engine_upscale_batch),
                             1..VSR_MAX_BATCH; 0 = 2 for a heavy model (the RRDB
                             family) where batches cost the backend less
                             (VSR_BACKEND_CAP_BATCH: a GPU), else 1 */
} vsr_engine_options;

/* The pre-padding of the reference engine (realesrgan-ncnn-vulkan). */
#define VSR_DEFAULT_PRE_PAD 10

void vsr_engine_options_default(vsr_engine_options *opt);

/* The engine keeps a pointer to graph, which must outlive it. */
int vsr_engine_create(const vsr_graph *graph, const vsr_engine_options *opt, vsr_engine **engine,
                      vsr_error *err);
void vsr_engine_destroy(vsr_engine *engine);

const vsr_graph *vsr_engine_graph(const vsr_engine *engine);
const vsr_backend_ops *vsr_engine_backend(const vsr_engine *engine);
int vsr_engine_device(const vsr_engine *engine); /* the config's device ordinal */

int vsr_engine_ctx_create(vsr_engine *engine, vsr_engine_ctx **ctx, vsr_error *err);
void vsr_engine_ctx_destroy(vsr_engine_ctx *ctx);

/* Whether ctx ran out of device memory and now keeps to smaller tiles or
 * single frames (for as long as it lives). */
int vsr_engine_ctx_tiles_capped(const vsr_engine_ctx *ctx);

/* The tile edge (input pixels, halo excluded) this context uses for a
 * frame of w x h; equals max(w, h) when the frame is not split (and no
 * smaller edge was needed for memory). */
int vsr_engine_tile_size(const vsr_engine_ctx *ctx, int w, int h);

/* Readies ctx for w x h frames where the backend can (plans and buffers
 * for the tile size the frame gets, for batches of n frames where
 * vsr_engine_batch_fits), so that the first frame is not slower than the
 * rest. Optional: frames work without it. */
int vsr_engine_ctx_prepare(vsr_engine_ctx *ctx, int n, int w, int h, vsr_error *err);

/* Upscales in into out. out must have width and height = in's x scale and
 * its own format: RGB24 output is clamp(round(x * 255)), RGBF32 output is
 * clamped to [0, 1]. A tile the backend has no memory for (a GPU shared
 * with other contexts) is not an error: the frame is done again in tiles
 * of half the edge, down to 16 pixels, and the context keeps that edge. */
int vsr_engine_upscale(vsr_engine_ctx *ctx, const vsr_image *in, vsr_image *out, vsr_error *err);

/* As vsr_engine_upscale from an RGB24 frame, with the output converted to
 * YUV 4:2:0 (frame/yuv420.h) into out's planes: by the backend where it
 * can (on a GPU, so only the YUV frame comes back to the host), else here
 * from each RGB24 tile; the same bytes either way. */
int vsr_engine_upscale_yuv420(vsr_engine_ctx *ctx, const vsr_image *in, vsr_yuv420 *out,
                              const vsr_yuv_coeffs *k, vsr_error *err);

/* As vsr_engine_upscale_yuv420 from a decoded 4:2:0 frame, converted to
 * RGB with kin (frame/yuv_to_rgb.h) by the backend where it can: on a
 * GPU, from a frame NVDEC decoded there (it never crosses to the host), on
 * another GPU, or in host memory (half the bytes of RGB24 to upload, no
 * conversion on the CPU); for a backend that takes RGB only, here (the
 * frame must then be in host memory). The same bytes either way. */
int vsr_engine_upscale_from_yuv(vsr_engine_ctx *ctx, const vsr_yuv_in *in,
                                const vsr_rgb_coeffs *kin, vsr_yuv420 *out, const vsr_yuv_coeffs *k,
                                vsr_error *err);

/* Output at any size and detail (issue 18): as vsr_engine_upscale_yuv420
 * and vsr_engine_upscale_from_yuv, with out of any even size. The model
 * runs at its own scale; its output is resampled to out's size and
 * blended with the input resampled there, rs->detail x model + (1 -
 * rs->detail) x input (frame/resample.h; at detail 0 the model does not
 * run). On a backend with frame operations (a GPU: backend.h frame_tile)
 * all of it on the device, only out crossing to the host; elsewhere the
 * model's whole RGB24 frame here, then vsr_resample_yuv420: the same
 * arithmetic. At the model's own size and detail 1 (or rs NULL), exactly
 * the functions above. */
int vsr_engine_upscale_yuv420_to(vsr_engine_ctx *ctx, const vsr_image *in, vsr_yuv420 *out,
                                 const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err);
int vsr_engine_upscale_from_yuv_to(vsr_engine_ctx *ctx, const vsr_yuv_in *in,
                                   const vsr_rgb_coeffs *kin, vsr_yuv420 *out,
                                   const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err);

/* One frame of a batch: RGB24 in (rgb) or a decoded 4:2:0 frame (yuv,
 * its colour kin); YUV 4:2:0 out. */
typedef struct vsr_engine_frame {
    const vsr_image *rgb;
    const vsr_yuv_in *yuv;
    const vsr_rgb_coeffs *kin;
    vsr_yuv420 *out;
} vsr_engine_frame;

/* How many frames of w x h the engine's contexts take at once: the
 * options' batch, resolved (1 where the backend has no
 * run_batch_yuv420), where that many fit the memory budget whole (no
 * tiles), else 1. */
int vsr_engine_batch_for(const vsr_engine *engine, int w, int h);

/* Whether ctx runs frames of w x h in batches (vsr_engine_batch_for over
 * 1, unless ctx ran out of memory before). */
int vsr_engine_batch_fits(const vsr_engine_ctx *ctx, int w, int h);

/* Frames f[0..n) as n calls of vsr_engine_upscale_yuv420_to (f->rgb) or
 * vsr_engine_upscale_from_yuv_to (f->yuv) would do them, to the same
 * bytes. Where vsr_engine_batch_fits and the output is the model's own
 * (no resample, detail 1), frames of one size and kind go to the backend
 * in one run of vsr_engine_batch_for frames: the GPU's launches get the tiles
 * of all of them, and a short batch is filled with repeats of its last
 * frame, so that the context keeps one plan. */
int vsr_engine_upscale_batch(vsr_engine_ctx *ctx, int n, const vsr_engine_frame *f,
                             const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err);

/* The frames ctx ran in batches (vsr_engine_upscale_batch's one run) so
 * far. */
int64_t vsr_engine_ctx_batched_frames(const vsr_engine_ctx *ctx);

/* Whether the resample of vsr_engine_upscale_yuv420_to runs on the
 * backend's device (its frame operations) rather than here. */
int vsr_engine_resamples_on_device(const vsr_engine *engine);

/* 1 when the backend reads 4:2:0 frames in its device's memory (a GPU's:
 * a decoder may leave its frames there). */
int vsr_engine_reads_device_yuv(const vsr_engine *engine);

/* The device a hardware decoder should leave its frames on for this
 * engine (the backend reads decoder surfaces there: NVDEC's for the cuda
 * backend), or -1 when its backend takes no decoder surfaces. */
int vsr_engine_decoder_device(const vsr_engine *engine);

/* 1 when YUV output costs less than RGB24 plus a host conversion: the
 * backend converts on its own device (a GPU). */
int vsr_engine_prefers_yuv420(const vsr_engine *engine);

#endif
