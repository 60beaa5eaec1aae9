/* The backend interface: a small table of functions, in the manner of
 * ggml's backends. Adding a backend touches no other backend: write the
 * table and list it in backend_registry.c.
 *
 * A backend also says what it is and what it can run (device type,
 * capabilities, precisions, supports()), so that the layers above choose
 * and use one by what it can do, never by its name: only engine/ compares
 * names (vsr_backend_find, for --backend).
 *
 * Ownership (DESIGN.md §1): weights are prepared once per device by
 * weights_create and are read-only afterwards; any number of contexts share
 * them. A context belongs to one worker thread and holds only that worker's
 * mutable state (scratch buffers, cached primitives, streams). Contexts are
 * never shared between threads; weights may be. */
#ifndef VSR_ENGINE_BACKEND_H
#define VSR_ENGINE_BACKEND_H

#include <stddef.h>

#include "engine/backend_settings.h"
#include "engine/graph.h"
#include "frame/resample.h"
#include "frame/yuv420.h"
#include "frame/yuv_to_rgb.h"
#include "util/error.h"

typedef enum vsr_precision {
    VSR_PRECISION_FP32,
    VSR_PRECISION_BF16,
    VSR_PRECISION_FP16,
    VSR_PRECISION_AUTO, /* the backend's native_precision (the engine resolves it) */
} vsr_precision;

/* Where a backend computes. */
typedef enum vsr_device_type {
    VSR_DEVICE_CPU, /* the host's cores; its "devices" are virtual: each its own engine and
                       threads, any number of them */
    VSR_DEVICE_GPU, /* GPUs, device_count of them, each with its own memory */
} vsr_device_type;

/* What a backend can do beyond run(), as bits of vsr_backend_ops.caps. */
enum {
    /* run_from_yuv reads frames a hardware decoder (NVDEC) left in the
     * memory of the backend's device: the pipeline may decode there. */
    VSR_BACKEND_CAP_DECODER_SURFACES = 1u << 0,
    /* run on N > 1 images costs less per image than N runs (a GPU's
     * batched launches: more tiles for the SMs of each launch); every
     * backend accepts N > 1 in run, and one with this bit also has
     * run_batch_yuv420. */
    VSR_BACKEND_CAP_BATCH = 1u << 1,
};

/* The most frames one run_batch_yuv420 takes. */
#define VSR_MAX_BATCH 8

/* The bit of precision p in vsr_backend_ops.precisions. */
#define VSR_PRECISION_BIT(p) (1u << (p))

typedef struct vsr_backend_config {
    int threads;             /* CPU threads per context; 0 = backend default */
    vsr_precision precision; /* compute precision; storage may differ */
    int device;              /* GPU ordinal for GPU backends */
    /* The backends' knobs (backend_settings.h). Left zeroed (given 0), as
     * by a caller that builds this struct itself, the backend takes the
     * environment's at creation (vsr_backend_settings_of). */
    vsr_backend_settings settings;
} vsr_backend_config;

/* A batch of images in planar float layout: N x C x H x W, contiguous,
 * host memory. Model inputs are RGB in [0, 1]. */
typedef struct vsr_tensor {
    int n, c, h, w;
    float *data;
} vsr_tensor;

typedef struct vsr_backend_ops {
    const char *name;
    const char *description;

    /* 1 if the backend can run here (CPU features, a GPU present); if not,
     * why in err. */
    int (*available)(vsr_error *err);

    /* Whether the backend can run g at cfg's precision (resolved: not
     * AUTO), from the graph and the host alone (no device is touched): 1,
     * or 0 with why in err (the layer and op it lacks, the precisions it
     * has). g NULL: the precision only. Asked before a backend is chosen
     * (vsr_backend_auto) and by the engine before weights_create, which
     * may still refuse for what only the device tells (memory, compute
     * capability). */
    int (*supports)(const vsr_graph *g, const vsr_backend_config *cfg, vsr_error *err);

    /* Prepares g's weights for this backend (repacking, conversion, device
     * upload). g must outlive the result. */
    int (*weights_create)(const vsr_graph *g, const vsr_backend_config *cfg, void **weights,
                          vsr_error *err);
    void (*weights_destroy)(void *weights);

    /* One execution context for one worker. */
    int (*context_create)(const vsr_graph *g, const void *weights, const vsr_backend_config *cfg,
                          void **ctx, vsr_error *err);
    void (*context_destroy)(void *ctx);

    /* Runs g on in (N x in_channels x H x W) into out, which the caller
     * allocated as N x out_channels x (H*scale) x (W*scale). Values are not
     * clamped. Contexts may cache work per input size. */
    int (*run)(void *ctx, const vsr_tensor *in, vsr_tensor *out, vsr_error *err);

    /* Bytes of device or scratch memory a context needs per input pixel
     * beyond the graph's own estimate; 0 if none. May be NULL. */
    size_t (*extra_bytes_per_pixel)(const vsr_graph *g, const vsr_backend_config *cfg);
    /* Optional, the 8-bit path: runs g on in, packed RGB24 of w x h
     * (compact: stride w * 3; a region of the mirror-padded frame), and
     * writes the output region [ox, ox + ow) x [oy, oy + oh) (output
     * pixels) as clamp(round(v * 255)) packed RGB24 into out (compact:
     * stride ow * 3). The same values as run followed by the engine's host
     * conversion, without the host's float conversions and with a quarter
     * of the copies. NULL: the engine converts on the host. */
    int (*run_rgb24)(void *ctx, const unsigned char *in, int w, int h, int ox, int oy, int ow,
                     int oh, unsigned char *out, vsr_error *err);
    /* Optional: as run_rgb24, with the output region converted to YUV
     * 4:2:0 (vsr_yuv_block's arithmetic, blocks aligned to the region's
     * top-left; ow and oh even) and written as compact I420: ow x oh luma,
     * then (ow/2) x (oh/2) Cb, then Cr. NULL: the engine converts. */
    int (*run_yuv420)(void *ctx, const unsigned char *in, int w, int h, int ox, int oy, int ow,
                      int oh, const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err);
    /* Optional: as run_yuv420, with the input read from a 4:2:0 frame
     * (for a GPU: in its memory, another GPU's or the host's; see
     * vsr_yuv_in): region [x0, x0 + w) x [y0, y0 + h) of the frame
     * mirrored past its borders, converted to RGB24 with kin
     * (vsr_yuv_in_pixel's arithmetic). NULL: frames come as RGB24 only. */
    int (*run_from_yuv)(void *ctx, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0, int y0,
                        int w, int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                        unsigned char *out, vsr_error *err);
    /* Optional: readies ctx for batches of n inputs of w x h (plans,
     * buffers, the first launches), so that the first frame does not wait
     * for it; a worker calls it while the decoder starts. */
    int (*prepare)(void *ctx, int n, int w, int h, vsr_error *err);
    /* How many devices the backend has here (GPUs); NULL for a CPU
     * backend (device_type VSR_DEVICE_CPU: its devices are virtual). */
    int (*device_count)(vsr_error *err);
    /* What VSR_PRECISION_AUTO means here (fp32 on CPUs, fp16 on GPUs). */
    vsr_precision native_precision;
    vsr_device_type device_type;
    unsigned caps;       /* VSR_BACKEND_CAP_* */
    unsigned precisions; /* VSR_PRECISION_BIT of each precision it may compute in (the
                            host may still rule one out: supports() says) */

    /* Optional, both or neither: output at any size on the device (issue
     * 18), so that a frame never crosses to the host at the model's size.
     * frame_tile is run_rgb24 (yuv NULL: in is compact RGB24 of w x h) or
     * run_from_yuv (in NULL: region (x0, y0, w, h) of yuv, colour kin)
     * with the output region (ox, oy, ow, oh) kept in the context's frame
     * of fw x fh RGB24 pixels on the device, at (dx, dy). frame_yuv420
     * then resamples that frame (fw, fh: 0 when detail is 0 and no tile
     * ran) to out_w x out_h and blends it with the input resampled there
     * (frame/resample.h, the same arithmetic as vsr_resample_yuv420): the
     * input is in (in_w x in_h RGB24 on the host, rows in_stride bytes
     * apart) or, in NULL, the whole of yuv; not read at detail 1. out:
     * compact I420 of out_w x out_h on the host. */
    int (*frame_tile)(void *ctx, const unsigned char *in, const vsr_yuv_in *yuv,
                      const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h, int ox, int oy,
                      int ow, int oh, int fw, int fh, int dx, int dy, vsr_error *err);
    int (*frame_yuv420)(void *ctx, const unsigned char *in, size_t in_stride, const vsr_yuv_in *yuv,
                        const vsr_rgb_coeffs *kin, int in_w, int in_h, int fw, int fh,
                        const vsr_resample *rs, int out_w, int out_h, const vsr_yuv_coeffs *k,
                        unsigned char *out, vsr_error *err);

    /* Optional: run_yuv420 or run_from_yuv on n (1..VSR_MAX_BATCH)
     * inputs of one size in one run: input i is rgb[i] (compact RGB24 of
     * w x h) or, rgb NULL, region (x0, y0, w, h) of yuv[i] (colour kin);
     * output i, the same region of each, goes to out[i] (compact I420).
     * The same bytes as n single runs. Worth it where caps has
     * VSR_BACKEND_CAP_BATCH (ref has it too, so that CI tests batches). */
    int (*run_batch_yuv420)(void *ctx, int n, const unsigned char *const *rgb,
                            const vsr_yuv_in *yuv, const vsr_rgb_coeffs *kin, int x0, int y0, int w,
                            int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                            unsigned char *const *out, vsr_error *err);
} vsr_backend_ops;

/* The backends compiled into this build, NULL-terminated. */
const vsr_backend_ops *const *vsr_backend_list(void);

/* NULL (and a message listing the known names) when name is unknown. */
const vsr_backend_ops *vsr_backend_find(const char *name, vsr_error *err);

/* The backend "auto" stands for: the first of GPU, then the optimised CPU
 * backend, then ref, that is available here and, when g is given,
 * supports it at cfg's precision (cfg may be NULL: each backend's native
 * precision). ref supports every graph at fp32, so only an explicit
 * precision no available backend computes in leaves NULL, with why in
 * err. */
const vsr_backend_ops *vsr_backend_auto(const vsr_graph *g, const vsr_backend_config *cfg,
                                        vsr_error *err);

/* The backend name `name` stands for: an explicit one as is; "auto" (or
 * NULL) the name of vsr_backend_auto(g, cfg), or "ref" where none runs g
 * (ref's refusal then says why). For the pool and the server's settings,
 * which need a name before they make an engine. */
const char *vsr_backend_resolve(const char *name, const vsr_graph *g,
                                const vsr_backend_config *cfg);

/* supports() with the precision resolved as the engine resolves it (AUTO
 * or cfg NULL: the backend's native precision); g may be NULL. What every
 * caller outside a backend asks. */
int vsr_backend_supports(const vsr_backend_ops *be, const vsr_graph *g,
                         const vsr_backend_config *cfg, vsr_error *err);

#endif
