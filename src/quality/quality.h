/* Scoring a distorted clip against its reference, picture by picture:
 * VMAF v0.6.1 and v0.6.1neg (what the Vidaio validators score), PSNR and
 * SSIM, with per-frame scores and pooled means (arithmetic and libvmaf's
 * harmonic mean).
 *
 * A session belongs to one thread (the caller's); inside, each picture is
 * scored with `threads` OpenMP threads. Pictures are 8-bit 4:2:0 of the
 * session's size, given in display order: the temporal feature needs every
 * picture even when only every Nth is scored (subsample). */
#ifndef VSR_QUALITY_QUALITY_H
#define VSR_QUALITY_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum {
    VSR_QUALITY_VMAF = 1 << 0,
    VSR_QUALITY_VMAF_NEG = 1 << 1,
    VSR_QUALITY_PSNR = 1 << 2,
    VSR_QUALITY_SSIM = 1 << 3,
};

typedef struct vsr_quality_options {
    unsigned metrics;                /* VSR_QUALITY_* */
    int threads;                     /* >= 1 */
    int subsample;                   /* score pictures 0, N, 2N, ... (>= 1) */
    const char *vmaf_model_path;     /* NULL: the built-in vmaf_v0.6.1 */
    const char *vmaf_neg_model_path; /* NULL: the built-in vmaf_v0.6.1neg */
    int float_models;                /* the built-in models of libvmaf's float extractors
                                        (vmaf_float_v0.6.1*; libvmaf 1.x computed only these) */
    int use_cuda; /* 1: the VMAF features on CUDA device cuda_device (vmaf_cuda.h);
                     PSNR and SSIM stay on the CPU. A build without CUDA fails create */
    int cuda_device;
    int unclipped; /* 1: VMAF and NEG as the models predict them, not clipped to their
                      score_clip (0..100): an output sharper than its reference scores
                      over 100, and NEG discounts that gain (the detail probe) */
} vsr_quality_options;

typedef struct vsr_quality_picture {
    const uint8_t *data[3]; /* Y, U, V */
    ptrdiff_t stride[3];
} vsr_quality_picture;

typedef struct vsr_quality_frame {
    int64_t index; /* the picture's number in the clip */
    double vmaf, vmaf_neg;
    double psnr_y, psnr_u, psnr_v, psnr_yuv; /* psnr_yuv = (6 Y + U + V) / 8 */
    double ssim;
} vsr_quality_frame;

typedef struct vsr_quality_pooled {
    double mean, harmonic_mean, min, max;
} vsr_quality_pooled;

typedef struct vsr_quality_summary {
    int64_t pictures; /* given */
    int64_t scored;   /* scored (every subsample'th) */
    vsr_quality_pooled vmaf, vmaf_neg, psnr_y, psnr_yuv, ssim;
} vsr_quality_summary;

typedef struct vsr_quality vsr_quality;

int vsr_quality_create(const vsr_quality_options *opt, int width, int height, vsr_quality **out,
                       vsr_error *err);
void vsr_quality_free(vsr_quality *q);

/* Scores the next pair of pictures. */
int vsr_quality_add(vsr_quality *q, const vsr_quality_picture *ref, const vsr_quality_picture *dis,
                    vsr_error *err);

/* Scores the next pair from 8-bit luma planes in device memory (pitch in
 * bytes), ordered after the work on `stream` (a cudaStream_t, NULL: the
 * default stream): a session with use_cuda that measures VMAF only (PSNR
 * and SSIM need the host planes). dis_y may be NULL for a picture that
 * subsampling skips. Nothing waits on the device here. */
int vsr_quality_add_device(vsr_quality *q, const uint8_t *ref_y, size_t ref_pitch,
                           const uint8_t *dis_y, size_t dis_pitch, void *stream, vsr_error *err);

/* After the last picture: completes the VMAF scores (the last picture's
 * motion is known only then) and pools. Fails if no picture was given. */
int vsr_quality_finish(vsr_quality *q, vsr_quality_summary *summary, vsr_error *err);

/* The scored frames, valid after vsr_quality_finish. */
const vsr_quality_frame *vsr_quality_frames(const vsr_quality *q, int64_t *count);

/* Pools n values: mean, libvmaf's harmonic mean (n / sum 1/(x+1) - 1),
 * min, max. */
vsr_quality_pooled vsr_quality_pool(const double *values, int64_t n);

#endif
