/* The VMAF features (VIF at 4 scales, ADM2 at 4 scales, the motion SAD) on
 * a CUDA device, for 8-bit luma planes already in device memory (decoder or
 * engine output): no round trip through the host. The same arithmetic as
 * the CPU extractors (vif.h, adm.h, motion.h; libvmaf's float ones), in
 * another summation order; the SVM prediction stays on the host
 * (vmaf_model.h, quality.h).
 *
 * Frames are gathered into batches (opt.batch frames per kernel launch)
 * and scored asynchronously on the context's own stream: submit() only
 * enqueues a device-to-device copy of the two planes (so the caller may
 * reuse its buffers as soon as its stream passes that copy) and, when a
 * batch is full, the batch's kernels; results land in pinned host memory
 * and collect() hands them back in submission order. No call waits on the
 * device except collect(wait = 1) and, when more batches are in flight
 * than the context keeps result slots for, the submit that needs the
 * oldest slot.
 *
 * Plain C: streams are passed as void* (a cudaStream_t, or NULL for the
 * legacy default stream). Built without CUDA, create() fails with "built
 * without CUDA". One context belongs to one thread. */
#ifndef VSR_QUALITY_VMAF_CUDA_H
#define VSR_QUALITY_VMAF_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define VSR_VMAF_CUDA_SCALES 4
#define VSR_VMAF_CUDA_MAX_LIMITS 2
#define VSR_VMAF_CUDA_MAX_BATCH 32

typedef struct vsr_vmaf_cuda vsr_vmaf_cuda;

typedef struct vsr_vmaf_cuda_options {
    int device;        /* CUDA device number */
    int width, height; /* of the luma planes, each at least 32 */
    int n_limits;      /* gain-limit variants computed per frame: 1 or 2 */
    double adm_gain_limits[VSR_VMAF_CUDA_MAX_LIMITS]; /* >= 1 (100 default, 1 NEG) */
    double vif_gain_limits[VSR_VMAF_CUDA_MAX_LIMITS];
    int batch; /* frames per kernel launch, 1..VSR_VMAF_CUDA_MAX_BATCH; 0: 8 */
} vsr_vmaf_cuda_options;

/* One submitted frame's features, as the CPU extractors give them. */
typedef struct vsr_vmaf_cuda_features {
    int64_t index; /* submission order, from 0 */
    int scored;    /* 0: submitted without a distorted plane (motion only) */
    double motion; /* mean |blur(ref) - blur(previous ref)|; 0 for the first frame */
    /* VIF per variant and scale: num / den is the feature (den 0: 1) */
    double vif_num[VSR_VMAF_CUDA_MAX_LIMITS][VSR_VMAF_CUDA_SCALES];
    double vif_den[VSR_VMAF_CUDA_SCALES];
    /* ADM per scale: the sum over the three orientations of the cube-root
     * pooled value plus the noise floor (what adm.c adds per scale) */
    double adm_num[VSR_VMAF_CUDA_MAX_LIMITS][VSR_VMAF_CUDA_SCALES];
    double adm_den[VSR_VMAF_CUDA_SCALES];
} vsr_vmaf_cuda_features;

int vsr_vmaf_cuda_create(const vsr_vmaf_cuda_options *opt, vsr_vmaf_cuda **out, vsr_error *err);
void vsr_vmaf_cuda_free(vsr_vmaf_cuda *c);

/* Enqueues the next frame pair: ref and dis are device pointers to 8-bit
 * luma planes (width x height, pitch in bytes), ordered after the work
 * already on `stream`. dis NULL: the frame counts for motion only (a
 * subsampled session still gives every reference picture). */
int vsr_vmaf_cuda_submit(vsr_vmaf_cuda *c, const uint8_t *ref, size_t ref_pitch, const uint8_t *dis,
                         size_t dis_pitch, void *stream, vsr_error *err);

/* The same from host memory (uploaded by the context; for tools and for
 * clips decoded on the host). */
int vsr_vmaf_cuda_submit_host(vsr_vmaf_cuda *c, const uint8_t *ref, ptrdiff_t ref_stride,
                              const uint8_t *dis, ptrdiff_t dis_stride, vsr_error *err);

/* Launches a partly filled batch now (collect(wait = 1) does it too). */
int vsr_vmaf_cuda_flush(vsr_vmaf_cuda *c, vsr_error *err);

/* Copies up to max finished frames' features into out, in submission
 * order, and returns how many (or a negative vsr_status). wait = 0 takes
 * only what is finished; wait = 1 first launches any partial batch and
 * waits for every submitted frame. */
int vsr_vmaf_cuda_collect(vsr_vmaf_cuda *c, vsr_vmaf_cuda_features *out, int max, int wait,
                          vsr_error *err);

/* Frames submitted and not yet collected. */
int64_t vsr_vmaf_cuda_pending(const vsr_vmaf_cuda *c);

/* The model features of variant v of f: adm2 and vif_scale0..3, with the
 * CPU path's rules (ADM sums under libvmaf's floor count as 0, 0/0 is 1;
 * VIF den 0 gives 1). width and height: the context's. */
void vsr_vmaf_cuda_model_features(const vsr_vmaf_cuda_features *f, int v, int width, int height,
                                  double *adm2, double vif[VSR_VMAF_CUDA_SCALES]);

#endif
