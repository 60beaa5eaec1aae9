/* The CUDA backend: fp16 NHWC activations (channels padded to a multiple
 * of 8, pad channels kept at 0), fp32 accumulation.
 *
 * Weights (shared, immutable, one per device): the execution plan (which
 * nodes fuse, which kernel runs each step) and every step's parameters in
 * one device allocation. Context (one per worker): a stream, a cuDNN
 * handle, activation buffers planned for the current batch size and frame
 * size, pinned staging buffers for host transfers.
 *
 * Convolutions: Conv3x3 64->64 (+ PReLU/ReLU/leaky, fused with a following
 * activation node) runs a hand-written tensor-core kernel (cuda_conv3x3.cu;
 * on Hopper cuda_conv3x3_tma.cu); the SRVGG tail (Conv 64->48, PixelShuffle
 * 4, + nearest x4 of the input) is one kernel writing the fp32 output, or,
 * where a resize of that sum is the output (the x2 models), an fp32 scratch
 * that one resize step reads; a 3x3 conv from 16..64 to 1..4 channels (the
 * RRDB models' last) runs its own kernel (cuda_conv3x3_narrow.cu); the RRDB
 * convs on Hopper cuda_conv3x3_rrdb.cu; convolutions with
 * <= 8 input channels or asymmetric padding run a direct kernel; all others
 * go through cuDNN (legacy API, NHWC fp16, tensor-op math) plus a bias +
 * activation kernel. cuDNN is loaded at run time (dlopen libcudnn.so.9): a
 * machine without it still runs every model, through the direct kernel.
 * The CUDA runtime is linked statically; the driver is found at run time.
 *
 * This file holds the backend table and the extras of cuda_backend.h; the
 * loader is cuda_cudnn.cu, the planner cuda_plan.cu, the executor
 * cuda_exec.cu, the 8-bit paths cuda_io8.cu (shared types: cuda_plan.h). */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "engine/cuda/cuda_plan.h" /* first: the C headers with C linkage */

#include "engine/cuda/cuda_backend.h"

using namespace vsrcuda;

namespace
{

/* ------------------------------------------------------------------- table */

int cuda_available(vsr_error *err)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        void *drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
        if (!drv)
            drv = dlopen("libcuda.so.1", RTLD_NOW);
        if (!drv)
            vsr_error_set(
                err, VSR_ERR_UNSUPPORTED,
                "cuda backend: no NVIDIA driver on this machine (libcuda.so.1 not found)");
        else
            vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda backend: no usable GPU: %s (%s)",
                          cudaGetErrorString(e), cudaGetErrorName(e));
        if (drv)
            dlclose(drv);
        return 0;
    }
    if (count == 0) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda backend: no CUDA device found");
        return 0;
    }
    cudaDeviceProp p;
    bool any = false;
    for (int d = 0; d < count; ++d)
        if (cudaGetDeviceProperties(&p, d) == cudaSuccess && p.major >= 8)
            any = true;
    if (!any) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                      "cuda backend: needs compute capability 8.0 or newer (%s is %d.%d)", p.name,
                      p.major, p.minor);
        return 0;
    }
    return 1;
}

int cuda_device_count(vsr_error *err)
{
    if (!cuda_available(err))
        return err ? err->code : VSR_ERR_UNSUPPORTED;
    int count = 0;
    CU(cudaGetDeviceCount(&count), "counting devices");
    return count;
}

/* fp16, and the ops the planner (plan_graph) has steps for; what only the
 * device or the input's shapes tell (compute capability, memory, PReLU
 * slopes against the channels) is refused later, by weights_create or
 * run. Touches no GPU: "auto" asks it on machines without one. */
int cuda_supports(const vsr_graph *g, const vsr_backend_config *cfg, vsr_error *err)
{
    if (cfg && cfg->precision != VSR_PRECISION_FP16) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                      "the cuda backend computes in fp16 (tensor cores, fp32 "
                      "accumulation); fp32 and bf16 are the cpu backend's");
        return 0;
    }
    for (int i = 0; g && i < g->n_nodes; ++i) {
        const vsr_node &nd = g->nodes[i];
        switch (nd.type) {
        case VSR_OP_CONV:
        case VSR_OP_ACTIVATION:
        case VSR_OP_PIXEL_SHUFFLE:
        case VSR_OP_INTERP:
        case VSR_OP_BINARY:
        case VSR_OP_ELTWISE:
        case VSR_OP_CONCAT: break;
        default:
            vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda: layer %s: op %s not supported", nd.name,
                          vsr_op_name(nd.type));
            return 0;
        }
    }
    return 1;
}

int cuda_weights_create(const vsr_graph *g, const vsr_backend_config *cfg, void **out,
                        vsr_error *err)
{
    *out = nullptr;
    if (!cuda_supports(g, cfg, err))
        return err ? err->code : VSR_ERR_UNSUPPORTED;
    if (!cuda_available(err))
        return err ? err->code : VSR_ERR_UNSUPPORTED;
    Weights *W = new (std::nothrow) Weights();
    if (!W)
        return vsr_error_set(err, VSR_ERR_NOMEM, "cuda: out of host memory");
    W->g = g;
    W->device = cfg ? cfg->device : 0;
    vsr_backend_settings_of(cfg ? &cfg->settings : nullptr, &W->knobs);
    W->fused = W->knobs.cuda_fused;
    W->first_fp32 = W->knobs.cuda_first_fp32;
    int rc;
    {
        cudaError_t e = cudaSetDevice(W->device);
        /* Threads waiting for the GPU sleep instead of spinning: a worker
         * waits for most of a frame, and in a video pipeline the CPU cores
         * belong to the encoders. (Also the flags FFmpeg's NVDEC asks of
         * the primary context it shares with us.) VSR_CUDA_SPIN=1 keeps
         * the runtime's default, for measuring. */
        W->spin = W->knobs.cuda_spin;
        if (e == cudaSuccess && !W->spin)
            e = cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync);
        if (e != cudaSuccess) {
            delete W;
            rc = cu_fail(err, e, "selecting the device", __FILE__, __LINE__);
            vsr_error_prefix(err, "device %d", cfg ? cfg->device : 0);
            return rc;
        }
        cudaDeviceProp p;
        e = cudaGetDeviceProperties(&p, W->device);
        if (e != cudaSuccess) {
            delete W;
            return cu_fail(err, e, "reading device properties", __FILE__, __LINE__);
        }
        if (p.major < 8) {
            rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                               "cuda: device %d (%s) is compute capability %d.%d; need 8.0+",
                               W->device, p.name, p.major, p.minor);
            delete W;
            return rc;
        }
        W->num_sms = p.multiProcessorCount;
        W->cc_major = p.major;
        /* the TMA kernel's tensor maps are encoded by the driver; without
         * the entry point the other kernels serve */
        void *fn = nullptr;
        cudaDriverEntryPointQueryResult q;
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000,
                                             cudaEnableDefault, &q) == cudaSuccess &&
            q == cudaDriverEntryPointSuccess)
            W->encode_tiled = reinterpret_cast<TensorMapEncodeTiledFn>(fn);
        else
            cudaGetLastError();
    }
    Blob blob;
    rc = build_plan(g, W, blob, err);
    if (rc < 0) {
        delete W;
        return rc;
    }
    W->dev_bytes = std::max<size_t>(blob.bytes.size(), 256);
    cudaError_t e = cudaMalloc(&W->dev, W->dev_bytes);
    if (e == cudaSuccess && !blob.bytes.empty())
        e = cudaMemcpy(W->dev, blob.bytes.data(), blob.bytes.size(), cudaMemcpyHostToDevice);
    if (e != cudaSuccess) {
        cudaFree(W->dev);
        delete W;
        return cu_fail(err, e, "uploading the weights", __FILE__, __LINE__);
    }
    *out = W;
    return 0;
}

void cuda_weights_destroy(void *p)
{
    Weights *W = (Weights *)p;
    if (!W)
        return;
    cudaSetDevice(W->device);
    cudaFree(W->dev);
    delete W;
}

void cuda_context_destroy(void *p);

int cuda_context_create(const vsr_graph *g, const void *weights, const vsr_backend_config *cfg,
                        void **out, vsr_error *err)
{
    (void)g;
    *out = nullptr;
    const Weights *W = (const Weights *)weights;
    vsr_backend_settings knobs;
    vsr_backend_settings_of(cfg ? &cfg->settings : nullptr, &knobs);
    Ctx *c = new (std::nothrow) Ctx();
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "cuda: out of host memory");
    c->W = W;
    c->device = W->device;
    c->variant = knobs.cuda_variant >= 0 ? knobs.cuda_variant : conv3x3_default_variant(c->device);
    if (c->variant < 0 || c->variant >= conv3x3_num_variants())
        c->variant = 0;
    int rc = 0;
    cudaError_t e = cudaSetDevice(c->device);
    if (e == cudaSuccess)
        e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
    /* The events a worker waits on for its frame: sleeping, like the
     * device's other waits (an event spins unless made blocking). Measured
     * on HD24K against spinning and against polling with sched_yield: the
     * fastest of the three, and the least CPU. */
    const unsigned ev_flags = cudaEventDisableTiming | (W->spin ? 0 : cudaEventBlockingSync);
    for (int k = 0; k < 2 && e == cudaSuccess; ++k)
        e = cudaEventCreateWithFlags(&c->ev[k], ev_flags);
    if (e == cudaSuccess)
        e = cudaEventCreateWithFlags(&c->ev_frame, cudaEventDisableTiming);
    if (e == cudaSuccess)
        e = cudaEventCreate(&c->t0);
    if (e == cudaSuccess)
        e = cudaEventCreate(&c->t1);
    for (int k = 0; k < 2 && e == cudaSuccess; ++k)
        e = cudaMallocHost(&c->pinned[k], STAGE_CHUNK);
    if (e != cudaSuccess) {
        rc = cu_fail(err, e, "creating an execution context (stream, events, pinned memory)",
                     __FILE__, __LINE__);
        cuda_context_destroy(c);
        return rc;
    }
    /* A cuDNN handle costs tens of milliseconds a context (the server
     * makes contexts per job): only for plans with a cuDNN step. */
    bool needs_dnn = false;
    for (const Step &st : W->steps)
        needs_dnn |= st.kind == S_CONV_CUDNN;
    if (const CudnnApi *d = needs_dnn ? cudnn() : nullptr) {
        cudnnStatus_t s = d->cudnnCreate(&c->dnn);
        if (s == CUDNN_STATUS_SUCCESS)
            s = d->cudnnSetStream(c->dnn, c->stream);
        if (s != CUDNN_STATUS_SUCCESS) {
            rc = dnn_fail(err, s, "creating a handle", "-");
            cuda_context_destroy(c);
            return rc;
        }
    }
    if (needs_dnn && !c->dnn) {
        cuda_context_destroy(c);
        return vsr_error_set(err, VSR_ERR_BACKEND, "cuda: cuDNN needed but unavailable: %s",
                             g_cudnn_why);
    }
    *out = c;
    return 0;
}

void cuda_context_destroy(void *p)
{
    Ctx *c = (Ctx *)p;
    if (!c)
        return;
    cudaSetDevice(c->device);
    if (c->stream)
        cudaStreamSynchronize(c->stream);
    release_plan(c);
    resample_free(c);
    if (c->dnn)
        g_cudnn.cudnnDestroy(c->dnn);
    for (int k = 0; k < 2; ++k) {
        if (c->pinned[k])
            cudaFreeHost(c->pinned[k]);
        if (c->ev[k])
            cudaEventDestroy(c->ev[k]);
    }
    cudaFree(c->d_u8_in);
    cudaFree(c->d_u8_out);
    if (c->ev_frame)
        cudaEventDestroy(c->ev_frame);
    if (c->t0)
        cudaEventDestroy(c->t0);
    if (c->t1)
        cudaEventDestroy(c->t1);
    if (c->stream)
        cudaStreamDestroy(c->stream);
    delete c;
}

int cuda_run(void *p, const vsr_tensor *in, vsr_tensor *out, vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    const vsr_graph *g = c->W->g;
    if (in->c != g->in_channels)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: input has %d channels, model wants %d",
                             in->c, g->in_channels);
    int rc = select_and_plan(c, in->n, in->h, in->w, err);
    if (rc < 0)
        return rc;
    const vsr_shape &os = c->shapes[g->output_blob];
    if (out->n != in->n || out->c != os.c || out->h != os.h || out->w != os.w)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cuda: output tensor is %dx%dx%dx%d, graph gives %dx%dx%dx%d", out->n,
                             out->c, out->h, out->w, in->n, os.c, os.h, os.w);
    rc = h2d_staged(c, c->d_in, in->data, c->in_count * sizeof(float), err);
    if (rc == 0)
        rc = run_graph(c, nullptr, err);
    if (rc == 0)
        rc = d2h_staged(c, out->data, c->d_out, c->out_count * sizeof(float), err);
    if (rc < 0) {
        cudaStreamSynchronize(c->stream);
        cudaGetLastError();
    }
    return rc;
}

/* The plan for w x h and one run of the graph on zeros: buffers, cuDNN
 * choices and the kernels' first (lazy) loading, off the first frame. */
int cuda_prepare(void *p, int n, int w, int h, vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    /* a context kept from an earlier clip of this size has run already */
    if (c->planned && c->n == n && c->h == h && c->w == w)
        return 0;
    int rc = select_and_plan(c, n, h, w, err);
    if (rc < 0)
        return rc;
    CU(cudaMemsetAsync(c->d_in, 0, c->in_count * sizeof(float), c->stream), "clearing the input");
    rc = run_graph(c, nullptr, err);
    cudaError_t e = cudaStreamSynchronize(c->stream);
    if (rc == 0)
        CU(e, "preparing the context");
    return rc;
}

size_t cuda_extra_bytes_per_pixel(const vsr_graph *g, const vsr_backend_config *cfg)
{
    (void)cfg;
    /* fp32 input and output copies on the device */
    return (size_t)4 * g->in_channels + (size_t)4 * g->out_channels * g->scale * g->scale;
}

} // namespace

extern "C" {

const vsr_backend_ops vsr_backend_cuda = {
    "cuda",
    "NVIDIA GPU: fp16 tensor cores (fused SRVGG kernels, cuDNN for the rest)",
    cuda_available,
    cuda_supports,
    cuda_weights_create,
    cuda_weights_destroy,
    cuda_context_create,
    cuda_context_destroy,
    cuda_run,
    cuda_extra_bytes_per_pixel,
    cuda_run_rgb24,
    cuda_run_yuv420,
    cuda_run_from_yuv,
    cuda_prepare,
    cuda_device_count,
    VSR_PRECISION_FP16,
    VSR_DEVICE_GPU,
    /* NVDEC's frames are read where they lie; batches fill the GPU */
    VSR_BACKEND_CAP_DECODER_SURFACES | VSR_BACKEND_CAP_BATCH,
    VSR_PRECISION_BIT(VSR_PRECISION_FP16),
    /* output at any size on the device (cuda_resample.cu) */
    cuda_frame_tile,
    cuda_frame_yuv420,
    cuda_run_batch_yuv420,
};

int vsr_cuda_device_info(int device, char *buf, size_t len, vsr_error *err)
{
    cudaDeviceProp p;
    CU(cudaGetDeviceProperties(&p, device), "reading device properties");
    int drv = 0, rtv = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rtv);
    cudnn();
    snprintf(buf, len, "%s, cc %d.%d, %d SMs, %.1f GiB, L2 %d MiB, driver %d.%d, runtime %d.%d, %s",
             p.name, p.major, p.minor, p.multiProcessorCount,
             p.totalGlobalMem / (1024.0 * 1024 * 1024), p.l2CacheSize >> 20, drv / 1000,
             (drv % 1000) / 10, rtv / 1000, (rtv % 1000) / 10, g_cudnn_why);
    return 0;
}

int vsr_cuda_plan_describe(const void *weights, char *buf, size_t len)
{
    const Weights *W = (const Weights *)weights;
    std::string s;
    for (const Step &st : W->steps) {
        char line[320];
        const vsr_node &nd = W->g->nodes[st.node];
        char extra[200] = "";
        if (st.kind == S_CONV_RRDB && st.r1_blob >= 0)
            snprintf(extra, sizeof extra, " (%g x + %g %s%s%s)", st.s0, st.s1,
                     W->g->blob_names[st.r1_blob], st.r2_blob >= 0 ? " + x0 " : "",
                     st.r2_blob >= 0 ? W->g->blob_names[st.r2_blob] : "");
        if (st.kind == S_CONCAT && st.concat_alias)
            snprintf(extra, sizeof extra, " (planned away: channel slices)");
        snprintf(line, sizeof line, "%-14s %s%s%s%s\n", nd.name, step_kind_name(st.kind),
                 st.act_node >= 0 ? " +" : "",
                 st.act_node >= 0 ? W->g->nodes[st.act_node].name : "", extra);
        s += line;
    }
    snprintf(buf, len, "%s", s.c_str());
    return (int)W->steps.size();
}

int vsr_cuda_num_variants(void)
{
    return conv3x3_num_variants();
}
const char *vsr_cuda_variant_name(int v)
{
    return conv3x3_variant_name(v);
}
void vsr_cuda_ctx_set_variant(void *ctx, int variant)
{
    Ctx *c = (Ctx *)ctx;
    if (variant >= 0 && variant < conv3x3_num_variants())
        c->variant = variant;
}

int vsr_cuda_bench_device(void *ctx, int n, int h, int w, int warmup, int iters, int profile,
                          double *ms_per_batch, vsr_error *err)
{
    Ctx *c = (Ctx *)ctx;
    int rc = select_and_plan(c, n, h, w, err);
    if (rc < 0)
        return rc;
    launch_fill_random(c->d_in, (long long)c->in_count, 12345u, c->stream);
    for (int i = 0; i < warmup; ++i)
        if ((rc = run_graph(c, nullptr, err)) < 0)
            return rc;
    CU(cudaEventRecord(c->t0, c->stream), "recording an event");
    for (int i = 0; i < iters; ++i)
        if ((rc = run_graph(c, nullptr, err)) < 0)
            return rc;
    CU(cudaEventRecord(c->t1, c->stream), "recording an event");
    CU(cudaEventSynchronize(c->t1), "running the graph");
    float ms = 0;
    CU(cudaEventElapsedTime(&ms, c->t0, c->t1), "reading the timer");
    *ms_per_batch = ms / std::max(iters, 1);
    if (profile) {
        const int ns = (int)c->W->steps.size();
        std::vector<cudaEvent_t> marks(ns + 1);
        for (auto &m : marks)
            CU(cudaEventCreate(&m), "creating an event");
        CU(cudaEventRecord(c->t0, c->stream), "recording an event");
        rc = run_graph(c, &marks, err);
        CU(cudaEventSynchronize(marks[ns]), "profiling");
        float prev = 0;
        cudaEventElapsedTime(&prev, c->t0, marks[0]);
        if (profile == 1)
            printf("    %-14s %-32s %9.3f ms\n", "(input)", "nchw->nhwc", prev);
        /* per class of step: kind, channels in -> out, output size */
        struct Cls {
            std::string key;
            int count;
            double ms, flop;
        };
        std::vector<Cls> cls;
        for (int s = 0; s < ns; ++s) {
            float t = 0;
            cudaEventElapsedTime(&t, marks[s], marks[s + 1]);
            const Step &st = c->W->steps[s];
            const vsr_node &nd = c->W->g->nodes[st.node];
            const vsr_shape &os = c->shapes[st.kind == S_CONV_TAIL ? nd.output : st.out_blob];
            double fl = st.flops_per_out_pixel * (double)n * os.h * os.w;
            if (profile == 1)
                printf("    %-14s %-32s %9.3f ms %8.1f TFLOP/s\n", nd.name, step_kind_name(st.kind),
                       t, fl > 0 ? fl / (t * 1e-3) / 1e12 : 0.0);
            char key[160];
            const int cin = nd.n_inputs > 0 ? c->shapes[nd.inputs[0]].c : 0;
            snprintf(key, sizeof key, "%s %d->%d @%dx%d", step_kind_name(st.kind), cin, os.c, os.w,
                     os.h);
            size_t k = 0;
            while (k < cls.size() && cls[k].key != key)
                ++k;
            if (k == cls.size())
                cls.push_back({key, 0, 0.0, 0.0});
            cls[k].count++;
            cls[k].ms += t;
            cls[k].flop += fl;
        }
        double total = prev;
        for (const Cls &k : cls)
            total += k.ms;
        printf("    step classes (%.3f ms in all, input conversion %.3f ms):\n", total, prev);
        for (const Cls &k : cls)
            printf("    %4d x %-48s %9.3f ms %5.1f%% %8.1f TFLOP/s\n", k.count, k.key.c_str(), k.ms,
                   100.0 * k.ms / total, k.flop > 0 ? k.flop / (k.ms * 1e-3) / 1e12 : 0.0);
        for (auto &m : marks)
            cudaEventDestroy(m);
    }
    return rc;
}

} /* extern "C" */
