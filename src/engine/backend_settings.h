/* The backends' tuning and debugging knobs as typed settings, read from
 * the environment in one place (vsr_backend_settings_from_env, called by
 * the command line and the server at their edge) and handed to a backend
 * in its vsr_backend_config: no backend reads the environment itself.
 *
 * The variables keep their names (device scripts and benchmarks set
 * them):
 *   VSR_CPU_CONV=direct        cpu: direct convolutions, not Winograd
 *   VSR_CPU_PRELU=onednn       cpu: PReLU through oneDNN, not vsr's loop
 *   VSR_VERBOSE=N              cpu: per-layer timings at N >= 1
 *   VSR_REF_FAIL_ABOVE_PIXELS  ref: a run over this many input pixels fails
 *                              as out of memory (tests of the tiling's
 *                              fallback); 0 = never
 *   VSR_REF_STORE=F[:C]        ref: every layer's output (but the
 *                              model's; with :C only those of C channels)
 *                              rounded to format F (fp16, e5m2, e4m3), as a
 *                              backend that stored activations in it would
 *                              (a study of what 8-bit storage would cost)
 *   VSR_CUDA_NO_CUDNN=1        cuda: no cuDNN (its own kernels only)
 *   VSR_CUDA_VARIANT=N         cuda: body-convolution kernel variant N
 *   VSR_CUDA_FUSED=0           cuda: no fused kernels
 *   VSR_CUDA_FIRST_FP32=1      cuda: the first layer on fp32 FMA
 *   VSR_CUDA_SPIN=1            cuda: waits spin (the runtime's default)
 *   VSR_CUDA_NO_RRDB=1|32|64   cuda: no RRDB kernels, or not the one for
 *                              that many output channels
 *   VSR_CUDA_RRDB_OFF=N        cuda: the RRDB kernels' refinements in the
 *                              bit mask N off (1 stationary weights, 2
 *                              residual prefetch, 4 consecutive convs
 *                              overlapped, 8 the residual folded into the
 *                              MMAs, 16 stores by the copy engine, 256
 *                              96 -> 32 in one pass of 96 channels; to
 *                              measure what each brings;
 *                              128 adds stalls before the tiles, to test
 *                              the overlap; 32 and 64 drop the 64-output
 *                              convs' epilogue or its stores, to time
 *                              them: wrong outputs)
 *   VSR_CUDA_NO_TAIL=1, VSR_CUDA_NO_FIRST=1  cuda: those fused steps off
 *   VSR_CUDA_NO_UPCONV=1       cuda: nearest x2 and the 3x3 conv after it
 *                              as two steps, not one */
#ifndef VSR_ENGINE_BACKEND_SETTINGS_H
#define VSR_ENGINE_BACKEND_SETTINGS_H

typedef struct vsr_backend_settings {
    int given; /* 0: not filled in (a zeroed vsr_backend_config): see vsr_backend_settings_of */

    int cpu_conv_direct;
    int cpu_prelu_onednn;
    int verbose;
    long ref_fail_above_pixels;
    int ref_store;          /* a vsr_ref_format: activations rounded to it; 0: fp32 */
    int ref_store_channels; /* only outputs of this many channels; 0: all */

    int cuda_no_cudnn;
    int cuda_variant; /* -1: the device's default */
    int cuda_fused;
    int cuda_first_fp32;
    int cuda_spin;
    int cuda_no_rrdb;  /* 0: RRDB kernels on; -1: all off; 32 or 64: that one off */
    int cuda_rrdb_off; /* bit mask of the RRDB kernels' refinements turned off */
    int cuda_no_tail;
    int cuda_no_first;
    int cuda_no_upconv;
} vsr_backend_settings;

/* The defaults: every knob off, fused kernels on, the default variant. */
void vsr_backend_settings_default(vsr_backend_settings *s);

/* The defaults overridden by the environment's variables (above). */
void vsr_backend_settings_from_env(vsr_backend_settings *s);

/* The settings a backend runs with: given, or, for a caller that filled
 * none in (a test or benchmark that builds its vsr_backend_config itself
 * and sets the variables), the environment's at this moment. */
void vsr_backend_settings_of(const vsr_backend_settings *given, vsr_backend_settings *s);

#endif
