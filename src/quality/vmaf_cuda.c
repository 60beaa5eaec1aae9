/* The parts of vmaf_cuda.h that need no CUDA: the model features from a
 * frame's sums, and, in a build without CUDA, the entry points that say
 * so. The kernels and the context are in cuda/vmaf_cuda.cu. */
#include "quality/vmaf_cuda.h"

void vsr_vmaf_cuda_model_features(const vsr_vmaf_cuda_features *f, int v, int width, int height,
                                  double *adm2, double vif[VSR_VMAF_CUDA_SCALES])
{
    double num = 0.0, den = 0.0;
    for (int s = 0; s < VSR_VMAF_CUDA_SCALES; s++) {
        num += f->adm_num[v][s];
        den += f->adm_den[s];
        vif[s] = f->vif_den[s] == 0.0 ? 1.0 : f->vif_num[v][s] / f->vif_den[s];
    }
    /* as adm.c: sums below this are taken as 0 (and 0/0 as a perfect 1) */
    const double limit = 1e-10 * ((double)width * height) / (1920.0 * 1080.0);
    den = den < limit ? 0.0 : den;
    num = num < limit ? 0.0 : num;
    *adm2 = den == 0.0 ? 1.0 : num / den;
}

#ifndef VSR_HAVE_CUDA
static int no_cuda(vsr_error *err)
{
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "VMAF on CUDA: built without CUDA");
}

int vsr_vmaf_cuda_create(const vsr_vmaf_cuda_options *opt, vsr_vmaf_cuda **out, vsr_error *err)
{
    (void)opt;
    *out = NULL;
    return no_cuda(err);
}

void vsr_vmaf_cuda_free(vsr_vmaf_cuda *c)
{
    (void)c;
}

int vsr_vmaf_cuda_submit(vsr_vmaf_cuda *c, const uint8_t *ref, size_t ref_pitch, const uint8_t *dis,
                         size_t dis_pitch, void *stream, vsr_error *err)
{
    (void)c, (void)ref, (void)ref_pitch, (void)dis, (void)dis_pitch, (void)stream;
    return no_cuda(err);
}

int vsr_vmaf_cuda_submit_host(vsr_vmaf_cuda *c, const uint8_t *ref, ptrdiff_t ref_stride,
                              const uint8_t *dis, ptrdiff_t dis_stride, vsr_error *err)
{
    (void)c, (void)ref, (void)ref_stride, (void)dis, (void)dis_stride;
    return no_cuda(err);
}

int vsr_vmaf_cuda_flush(vsr_vmaf_cuda *c, vsr_error *err)
{
    (void)c;
    return no_cuda(err);
}

int vsr_vmaf_cuda_collect(vsr_vmaf_cuda *c, vsr_vmaf_cuda_features *out, int max, int wait,
                          vsr_error *err)
{
    (void)c, (void)out, (void)max, (void)wait;
    return no_cuda(err);
}

int64_t vsr_vmaf_cuda_pending(const vsr_vmaf_cuda *c)
{
    (void)c;
    return 0;
}
#endif
