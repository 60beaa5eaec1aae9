/* Small numeric helpers shared by the VMAF feature extractors: the mirror
 * rule libvmaf uses at picture borders, and its fast log2.
 *
 * Both follow libvmaf's float extractors exactly, because the model was
 * trained on features computed that way: a different border rule or a more
 * exact log2 moves the score (slightly, but the test vectors are matched to
 * 0.1). */
#ifndef VSR_QUALITY_VMAF_MATH_H
#define VSR_QUALITY_VMAF_MATH_H

#include <stdint.h>
#include <string.h>

/* libvmaf's border rule: index -k reads k (the edge is not repeated),
 * index n-1+k reads n-k (the edge is repeated). Valid for k <= n. */
static inline int vsr_vmaf_mirror(int i, int n)
{
    if (i < 0)
        return -i;
    if (i >= n)
        return 2 * n - i - 1;
    return i;
}

/* libvmaf's VIF_OPT_FAST_LOG2: exponent plus a degree-8 polynomial in the
 * mantissa (Horner's rule, the same steps as libvmaf's). Only called with
 * x >= 1 (VIF takes log2(1 + non-negative)). Written with no loop so that it vectorises inside the
 * VIF statistic. */
static inline float vsr_vmaf_log2f(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const int32_t exponent = (int32_t)((bits >> 23) & 0xFFu) - 127;
    const uint32_t mant_bits = (bits & 0x007FFFFFu) | 0x3F800000u;
    float mant;
    memcpy(&mant, &mant_bits, sizeof mant);
    const float t = mant - 1.0f;
    float p = -0.012671635276421f;
    p = p * t + 0.064841182402670f;
    p = p * t + -0.157048836463065f;
    p = p * t + 0.257167726303123f;
    p = p * t + -0.353800560300520f;
    p = p * t + 0.480131410397451f;
    p = p * t + -0.721314327952201f;
    p = p * t + 1.442694803896991f;
    p = p * t + 0.0f;
    return (float)exponent + p;
}

#endif
