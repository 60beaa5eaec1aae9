/* Rounding fp32 values to narrower floating-point formats, for the ref
 * backend's storage study (VSR_REF_STORE): what a backend that stored its
 * activations in fp16 or in one of the 8-bit formats of Hopper's tensor
 * cores (OCP FP8: E5M2, E4M3) would read back. */
#ifndef VSR_ENGINE_REF_REF_ROUND_H
#define VSR_ENGINE_REF_REF_ROUND_H

#include <stddef.h>

typedef enum vsr_ref_format {
    VSR_REF_FP32 = 0, /* no rounding */
    VSR_REF_FP16,     /* IEEE binary16: 10 mantissa bits, max 65504 */
    VSR_REF_E5M2,     /* 2 mantissa bits, max 57344 */
    VSR_REF_E4M3,     /* 3 mantissa bits, max 448 (no infinities) */
} vsr_ref_format;

/* "fp16", "e5m2", "e4m3", alone or before a ':' (anything else:
 * VSR_REF_FP32). */
vsr_ref_format vsr_ref_format_named(const char *name);

/* x rounded to nearest (ties to even) in format f, subnormals kept,
 * saturating (infinities too) at the format's largest finite value; NaN
 * stays NaN. */
float vsr_ref_round_one(float x, vsr_ref_format f);

void vsr_ref_round(float *v, size_t n, vsr_ref_format f);

#endif
