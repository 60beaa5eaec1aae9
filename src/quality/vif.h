/* VIF (visual information fidelity) at four scales, as libvmaf computes it
 * for VMAF: float_vif's arithmetic, with or without the roundings of the
 * integer extractor the validators run (vif.c says which); Gaussian filters of widths 17, 9, 5, 3,
 * decimation by 2 between scales, the "matching_matlab" statistic with
 * sigma_nsq = 2, and the enhancement gain limit (1.0 for VMAF NEG, 100 for
 * the default model).
 *
 * A context holds the scratch buffers of one picture size and belongs to
 * one thread (a scoring worker); rows are summed in order, so a result
 * does not depend on which worker made it. */
#ifndef VSR_QUALITY_VIF_H
#define VSR_QUALITY_VIF_H

#include "util/error.h"

#define VSR_VIF_SCALES 4
#define VSR_VIF_MAX_LIMITS 2

typedef struct vsr_vif vsr_vif;

typedef struct vsr_vif_result {
    double num[VSR_VIF_MAX_LIMITS][VSR_VIF_SCALES]; /* per gain limit */
    double den[VSR_VIF_SCALES];                     /* the same for every limit */
} vsr_vif_result;

/* Scratch for width x height pictures (each at least 32). */
int vsr_vif_create(int width, int height, vsr_vif **out, vsr_error *err);
void vsr_vif_free(vsr_vif *vif);

/* Which of libvmaf's VIF extractors to follow: the integer one (its
 * roundings, what vmaf_v0.6.1.json names and the validators run) or the
 * float one (vmaf_float_v0.6.1.json; libvmaf 1.x had only this). */
typedef enum vsr_vif_flavour { VSR_VIF_INTEGER, VSR_VIF_FLOAT } vsr_vif_flavour;

/* ref and dis: width x height floats (pixel - 128), stride in floats.
 * gain_limits: n_limits (1..VSR_VIF_MAX_LIMITS) values >= 1. */
void vsr_vif_compute(vsr_vif *vif, const float *ref, const float *dis, int stride,
                     vsr_vif_flavour flavour, const double *gain_limits, int n_limits,
                     vsr_vif_result *out);

#endif
