/* The VMAF model files built into vsr (data/vmaf/ JSON files, embedded by
 * cmake/embed_files.cmake into a generated C file), so that scoring needs
 * no file at run time. */
#ifndef VSR_QUALITY_VMAF_MODELS_DATA_H
#define VSR_QUALITY_VMAF_MODELS_DATA_H

#include <stddef.h>

typedef struct vsr_vmaf_builtin_model {
    const char *name; /* "vmaf_v0.6.1", "vmaf_float_v0.6.1neg", ... */
    const unsigned char *data;
    size_t size;
} vsr_vmaf_builtin_model;

extern const vsr_vmaf_builtin_model vsr_vmaf_builtin_models[];
extern const size_t vsr_vmaf_builtin_model_count;

#endif
