/* A VMAF model: libvmaf's JSON model format (model_dict) for the v0.6.1
 * family — six features (adm2, motion2, VIF at 4 scales), each rescaled
 * linearly, a libsvm nu-SVR with an RBF kernel, the output rescaled back,
 * an optional polynomial transform, and a clip. The feature options
 * (feature_opts_dicts) carry NEG's enhancement gain limits.
 *
 * Both the integer-extractor files (vmaf_v0.6.1*.json) and the float ones
 * (vmaf_float_v0.6.1*.json) load: they hold the same SVM; vsr computes the
 * features each names (they differ in VIF's roundings, vif.h). */
#ifndef VSR_QUALITY_VMAF_MODEL_H
#define VSR_QUALITY_VMAF_MODEL_H

#include <stddef.h>

#include "util/error.h"

typedef enum vsr_vmaf_feature {
    VSR_VMAF_ADM2,
    VSR_VMAF_MOTION2,
    VSR_VMAF_VIF0,
    VSR_VMAF_VIF1,
    VSR_VMAF_VIF2,
    VSR_VMAF_VIF3,
    VSR_VMAF_N_FEATURES
} vsr_vmaf_feature;

typedef struct vsr_vmaf_model vsr_vmaf_model;

/* Parses model JSON text; name says where it came from in errors. */
int vsr_vmaf_model_parse(const char *json, size_t len, const char *name, vsr_vmaf_model **out,
                         vsr_error *err);
int vsr_vmaf_model_load(const char *path, vsr_vmaf_model **out, vsr_error *err);
void vsr_vmaf_model_free(vsr_vmaf_model *m);

/* The enhancement gain limits the model's features are computed with
 * (100, libvmaf's default, unless the model sets them). */
double vsr_vmaf_model_adm_gain_limit(const vsr_vmaf_model *m);
double vsr_vmaf_model_vif_gain_limit(const vsr_vmaf_model *m);

/* Whether the model names libvmaf's integer extractors
 * (VMAF_integer_feature_*: vmaf_v0.6.1.json, what the validators run) or
 * its float ones (VMAF_feature_*: vmaf_float_v0.6.1.json). */
int vsr_vmaf_model_integer(const vsr_vmaf_model *m);

/* The score of one frame from its features (indexed by vsr_vmaf_feature). */
double vsr_vmaf_model_predict(const vsr_vmaf_model *m, const double features[VSR_VMAF_N_FEATURES],
                              int clip);

/* The models built into vsr (data/vmaf/): "vmaf_v0.6.1" and
 * "vmaf_v0.6.1neg" (libvmaf's defaults, integer extractors), and
 * "vmaf_float_v0.6.1" and "vmaf_float_v0.6.1neg" (float extractors). */
int vsr_vmaf_model_builtin(const char *name, vsr_vmaf_model **out, vsr_error *err);

#endif
