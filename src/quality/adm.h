/* ADM (additive detail measure, "adm2"), as libvmaf's float_adm extractor
 * computes it for VMAF: a 4-scale Daubechies-2 wavelet transform of both
 * pictures, the decoupling of the distorted detail into what the reference
 * explains (restored) and the rest (additive impairment), Watson's
 * contrast-sensitivity weights for a 3-picture-heights viewing distance on
 * a 1080-line display, contrast masking by the impairment's neighbourhood,
 * and a cubic (p = 3) pooling over the picture less a 10% border. The
 * enhancement gain limit (1.0 for VMAF NEG, 100 for the default model)
 * caps how much of a sharpened detail counts as restored.
 *
 * A context holds the scratch of one picture size and belongs to one
 * thread, like vif.h's. */
#ifndef VSR_QUALITY_ADM_H
#define VSR_QUALITY_ADM_H

#include "util/error.h"

#define VSR_ADM_SCALES 4
#define VSR_ADM_MAX_LIMITS 2

typedef struct vsr_adm vsr_adm;

/* Scratch for width x height pictures (each at least 32). */
int vsr_adm_create(int width, int height, vsr_adm **out, vsr_error *err);
void vsr_adm_free(vsr_adm *adm);

/* The adm2 score of ref/dis (floats, stride in floats) for each of
 * n_limits gain limits (>= 1): scores[l]. */
void vsr_adm_compute(vsr_adm *adm, const float *ref, const float *dis, int stride,
                     const double *gain_limits, int n_limits, double *scores);

/* Watson et al.'s DWT quantisation step for luma at scale lambda (0-3)
 * and orientation theta (1 horizontal/vertical, 2 diagonal), as libvmaf
 * computes it: its reciprocal is the CSF weight of that band (the CPU and
 * CUDA extractors both take it from here). */
float vsr_adm_quant_step(int lambda, int theta);

#endif
