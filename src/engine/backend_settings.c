#include "engine/backend_settings.h"

#include "engine/ref/ref_round.h"

#include <stdlib.h>
#include <string.h>

void vsr_backend_settings_default(vsr_backend_settings *s)
{
    memset(s, 0, sizeof *s);
    s->given = 1;
    s->cuda_variant = -1;
    s->cuda_fused = 1;
}

/* A flag: set, not empty and not "0", "off" or "no". */
static int env_flag(const char *name, int dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    return strcmp(v, "0") != 0 && strcmp(v, "off") != 0 && strcmp(v, "no") != 0;
}

void vsr_backend_settings_from_env(vsr_backend_settings *s)
{
    vsr_backend_settings_default(s);
    const char *v = getenv("VSR_CPU_CONV");
    s->cpu_conv_direct = v && strcmp(v, "direct") == 0;
    v = getenv("VSR_CPU_PRELU");
    s->cpu_prelu_onednn = v && strcmp(v, "onednn") == 0;
    v = getenv("VSR_VERBOSE");
    s->verbose = v ? atoi(v) : 0;
    v = getenv("VSR_REF_FAIL_ABOVE_PIXELS");
    s->ref_fail_above_pixels = v ? atol(v) : 0;
    v = getenv("VSR_REF_STORE");
    s->ref_store = v ? vsr_ref_format_named(v) : VSR_REF_FP32;
    const char *colon = v ? strchr(v, ':') : NULL;
    s->ref_store_channels = colon ? atoi(colon + 1) : 0;

    /* VSR_CUDA_NO_CUDNN: any value but empty and "0" */
    v = getenv("VSR_CUDA_NO_CUDNN");
    s->cuda_no_cudnn = v && *v && strcmp(v, "0") != 0;
    v = getenv("VSR_CUDA_VARIANT");
    s->cuda_variant = v && *v ? (atoi(v) < 0 ? 0 : atoi(v)) : -1; /* a negative one: variant 0 */
    s->cuda_fused = env_flag("VSR_CUDA_FUSED", 1);
    s->cuda_first_fp32 = env_flag("VSR_CUDA_FIRST_FP32", 0);
    s->cuda_spin = env_flag("VSR_CUDA_SPIN", 0);
    v = getenv("VSR_CUDA_NO_RRDB");
    const int n = v ? atoi(v) : 0;
    s->cuda_no_rrdb = n == 32 || n == 64 ? n : env_flag("VSR_CUDA_NO_RRDB", 0) ? -1 : 0;
    v = getenv("VSR_CUDA_RRDB_OFF");
    s->cuda_rrdb_off = v && atoi(v) > 0 ? atoi(v) & 511 : 0;
    s->cuda_no_tail = env_flag("VSR_CUDA_NO_TAIL", 0);
    s->cuda_no_first = env_flag("VSR_CUDA_NO_FIRST", 0);
    s->cuda_no_upconv = env_flag("VSR_CUDA_NO_UPCONV", 0);
}

void vsr_backend_settings_of(const vsr_backend_settings *given, vsr_backend_settings *s)
{
    if (given && given->given)
        *s = *given;
    else
        vsr_backend_settings_from_env(s);
}
