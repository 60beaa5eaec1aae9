/* The CUDA backend's cuDNN: loaded at run time (dlopen libcudnn.so.9), so
 * that a machine without it still runs every model, through the direct
 * kernel. Also the backend's CUDA error helper. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mutex>

#include "engine/cuda/cuda_plan.h"

namespace vsrcuda
{

int cu_fail(vsr_error *err, cudaError_t e, const char *what, const char *file, int line)
{
    const char *base = strrchr(file, '/');
    cudaGetLastError(); /* clear a non-sticky error so the process stays usable */
    return vsr_error_set(err, e == cudaErrorMemoryAllocation ? VSR_ERR_NOMEM : VSR_ERR_BACKEND,
                         "cuda: %s: %s (%s, %s:%d)", what, cudaGetErrorString(e),
                         cudaGetErrorName(e), base ? base + 1 : file, line);
}

CudnnApi g_cudnn;
char g_cudnn_why[256] = "not loaded";

namespace
{

std::once_flag g_cudnn_once;

void cudnn_load()
{
    void *lib = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "dlopen libcudnn.so.9: %s", dlerror());
        return;
    }
    CudnnApi a;
    a.lib = lib;
    bool ok = true;
#define VSR_CUDNN_SYM(name)                                                         \
    a.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, #name));                \
    if (!a.name) {                                                                  \
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "libcudnn.so.9 lacks %s", #name); \
        ok = false;                                                                 \
    }
    VSR_CUDNN_SYM(cudnnGetVersion)
    VSR_CUDNN_SYM(cudnnGetErrorString)
    VSR_CUDNN_SYM(cudnnCreate)
    VSR_CUDNN_SYM(cudnnDestroy)
    VSR_CUDNN_SYM(cudnnSetStream)
    VSR_CUDNN_SYM(cudnnCreateTensorDescriptor)
    VSR_CUDNN_SYM(cudnnSetTensor4dDescriptor)
    VSR_CUDNN_SYM(cudnnDestroyTensorDescriptor)
    VSR_CUDNN_SYM(cudnnCreateFilterDescriptor)
    VSR_CUDNN_SYM(cudnnSetFilter4dDescriptor)
    VSR_CUDNN_SYM(cudnnDestroyFilterDescriptor)
    VSR_CUDNN_SYM(cudnnCreateConvolutionDescriptor)
    VSR_CUDNN_SYM(cudnnSetConvolution2dDescriptor)
    VSR_CUDNN_SYM(cudnnSetConvolutionMathType)
    VSR_CUDNN_SYM(cudnnDestroyConvolutionDescriptor)
    VSR_CUDNN_SYM(cudnnGetConvolutionForwardAlgorithm_v7)
    VSR_CUDNN_SYM(cudnnGetConvolutionForwardWorkspaceSize)
    VSR_CUDNN_SYM(cudnnConvolutionForward)
#undef VSR_CUDNN_SYM
    if (!ok) {
        dlclose(lib);
        return;
    }
    a.version = a.cudnnGetVersion();
    if (a.version < 90000 || a.version >= 100000) {
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "libcudnn.so.9 reports version %zu, need 9.x",
                 a.version);
        dlclose(lib);
        return;
    }
    g_cudnn = a;
    snprintf(g_cudnn_why, sizeof g_cudnn_why, "cuDNN %zu.%zu.%zu", a.version / 10000,
             (a.version / 100) % 100, a.version % 100);
}

} // namespace

const CudnnApi *cudnn()
{
    std::call_once(g_cudnn_once, cudnn_load);
    return g_cudnn.lib ? &g_cudnn : nullptr;
}

int dnn_fail(vsr_error *err, cudnnStatus_t st, const char *what, const char *node)
{
    return vsr_error_set(err, VSR_ERR_BACKEND, "cudnn: %s (layer %s): %s", what, node,
                         g_cudnn.cudnnGetErrorString ? g_cudnn.cudnnGetErrorString(st) : "?");
}

} // namespace vsrcuda
