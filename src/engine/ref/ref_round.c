#include "engine/ref/ref_round.h"

#include <math.h>
#include <string.h>

vsr_ref_format vsr_ref_format_named(const char *name)
{
    static const char *names[] = {
        [VSR_REF_FP16] = "fp16", [VSR_REF_E5M2] = "e5m2", [VSR_REF_E4M3] = "e4m3"};
    const size_t len = strcspn(name, ":");
    for (int f = VSR_REF_FP16; f <= VSR_REF_E4M3; f++)
        if (len == strlen(names[f]) && !strncmp(name, names[f], len))
            return (vsr_ref_format)f;
    return VSR_REF_FP32;
}

float vsr_ref_round_one(float x, vsr_ref_format f)
{
    /* mantissa bits, the smallest normal's exponent, the largest value */
    static const struct {
        int mant, emin;
        float max;
    } fmt[] = {
        [VSR_REF_FP16] = {10, -14, 65504.f},
        [VSR_REF_E5M2] = {2, -14, 57344.f},
        [VSR_REF_E4M3] = {3, -6, 448.f},
    };
    if (f == VSR_REF_FP32 || x == 0.f || isnan(x))
        return x;
    const float a = fabsf(x);
    if (a >= fmt[f].max) /* and infinities */
        return x < 0.f ? -fmt[f].max : fmt[f].max;
    int e;
    frexpf(a, &e); /* a = m 2^e, m in [0.5, 1): its leading bit is 2^(e - 1) */
    const int lead = e - 1 > fmt[f].emin ? e - 1 : fmt[f].emin; /* subnormals: a fixed step */
    const float step = ldexpf(1.f, lead - fmt[f].mant);
    float r = rintf(a / step) * step; /* exact: a power-of-two step; rint ties to even */
    if (r > fmt[f].max)
        r = fmt[f].max;
    return x < 0.f ? -r : r;
}

void vsr_ref_round(float *v, size_t n, vsr_ref_format f)
{
    for (size_t i = 0; i < n; i++)
        v[i] = vsr_ref_round_one(v[i], f);
}
