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
 * that one resize step reads; convolutions with
 * <= 8 input channels or asymmetric padding run a direct kernel; all others
 * go through cuDNN (legacy API, NHWC fp16, tensor-op math) plus a bias +
 * activation kernel. cuDNN is loaded at run time (dlopen libcudnn.so.9): a
 * machine without it still runs every model, through the direct kernel.
 * The CUDA runtime is linked statically; the driver is found at run time. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "engine/backend.h"
#include "engine/graph.h"
#include "util/error.h"
}
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_internal.h"

using namespace vsrcuda;

/* ------------------------------------------------------------------ errors */

static int cu_fail(vsr_error *err, cudaError_t e, const char *what, int line) {
    cudaGetLastError(); /* clear a non-sticky error so the process stays usable */
    return vsr_error_set(err, e == cudaErrorMemoryAllocation ? VSR_ERR_NOMEM : VSR_ERR_BACKEND,
                         "cuda: %s: %s (%s, cuda_backend.cu:%d)", what, cudaGetErrorString(e),
                         cudaGetErrorName(e), line);
}
#define CU(call, what)                                                                       \
    do {                                                                                     \
        cudaError_t e_ = (call);                                                             \
        if (e_ != cudaSuccess) return cu_fail(err, e_, what, __LINE__);                      \
    } while (0)

/* ------------------------------------------------------------------- cuDNN */

namespace {

struct CudnnApi {
    void *lib = nullptr;
    size_t version = 0;
#define VSR_CUDNN_FN(name) decltype(&::name) name = nullptr;
    VSR_CUDNN_FN(cudnnGetVersion)
    VSR_CUDNN_FN(cudnnGetErrorString)
    VSR_CUDNN_FN(cudnnCreate)
    VSR_CUDNN_FN(cudnnDestroy)
    VSR_CUDNN_FN(cudnnSetStream)
    VSR_CUDNN_FN(cudnnCreateTensorDescriptor)
    VSR_CUDNN_FN(cudnnSetTensor4dDescriptor)
    VSR_CUDNN_FN(cudnnDestroyTensorDescriptor)
    VSR_CUDNN_FN(cudnnCreateFilterDescriptor)
    VSR_CUDNN_FN(cudnnSetFilter4dDescriptor)
    VSR_CUDNN_FN(cudnnDestroyFilterDescriptor)
    VSR_CUDNN_FN(cudnnCreateConvolutionDescriptor)
    VSR_CUDNN_FN(cudnnSetConvolution2dDescriptor)
    VSR_CUDNN_FN(cudnnSetConvolutionMathType)
    VSR_CUDNN_FN(cudnnDestroyConvolutionDescriptor)
    VSR_CUDNN_FN(cudnnGetConvolutionForwardAlgorithm_v7)
    VSR_CUDNN_FN(cudnnGetConvolutionForwardWorkspaceSize)
    VSR_CUDNN_FN(cudnnConvolutionForward)
#undef VSR_CUDNN_FN
};

CudnnApi g_cudnn;
std::once_flag g_cudnn_once;
char g_cudnn_why[256] = "not loaded";

void cudnn_load() {
    const char *no = getenv("VSR_CUDA_NO_CUDNN");
    if (no && *no && strcmp(no, "0") != 0) {
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "disabled by VSR_CUDA_NO_CUDNN");
        return;
    }
    void *lib = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "dlopen libcudnn.so.9: %s", dlerror());
        return;
    }
    CudnnApi a;
    a.lib = lib;
    bool ok = true;
#define VSR_CUDNN_SYM(name)                                                                  \
    a.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, #name));                        \
    if (!a.name) {                                                                           \
        snprintf(g_cudnn_why, sizeof g_cudnn_why, "libcudnn.so.9 lacks %s", #name);          \
        ok = false;                                                                          \
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

const CudnnApi *cudnn() {
    std::call_once(g_cudnn_once, cudnn_load);
    return g_cudnn.lib ? &g_cudnn : nullptr;
}

int dnn_fail(vsr_error *err, cudnnStatus_t st, const char *what, const char *node) {
    return vsr_error_set(err, VSR_ERR_BACKEND, "cudnn: %s (layer %s): %s", what, node,
                         g_cudnn.cudnnGetErrorString ? g_cudnn.cudnnGetErrorString(st) : "?");
}

/* -------------------------------------------------------------------- plan */

enum StepKind {
    S_CONV_FIRST,  /* 3x3 3->64 from the fp32 graph input, bias + PReLU fused */
    S_CONV_MMA,    /* 3x3 64->64 hand kernel, bias + PReLU fused */
    S_CONV_TAIL,   /* 3x3 64->48 + shuffle 4 + nearest-x4 residual, fp32 output */
    S_RESIZE_OUT,  /* the tail's fp32 output resized into the graph output (x2 models) */
    S_CONV_DIRECT, /* direct kernel, bias + act fused */
    S_CONV_CUDNN,  /* cuDNN + bias/act kernel */
    S_ACT,
    S_SHUFFLE,
    S_INTERP,
    S_BINARY,
    S_ELTWISE,
    S_CONCAT,
};

const char *step_kind_name(StepKind k) {
    switch (k) {
    case S_CONV_FIRST: return "conv3x3-first(fp32 in)";
    case S_CONV_MMA: return "conv3x3-mma";
    case S_CONV_TAIL: return "conv3x3-tail(shuffle+residual)";
    case S_RESIZE_OUT: return "interp(fp32, to output)";
    case S_CONV_DIRECT: return "conv-direct";
    case S_CONV_CUDNN: return "conv-cudnn";
    case S_ACT: return "activation";
    case S_SHUFFLE: return "pixelshuffle";
    case S_INTERP: return "interp";
    case S_BINARY: return "binary";
    case S_ELTWISE: return "eltwise";
    case S_CONCAT: return "concat";
    }
    return "?";
}

struct Step {
    StepKind kind;
    int node;      /* the main node */
    int act_node;  /* fused activation node, or -1 */
    int out_blob;  /* blob written (graph output for the tail) */
    bool to_scratch = false; /* the tail: into Ctx::d_tail, for an S_RESIZE_OUT step */
    std::vector<int> in_blobs;
    vsr_activation act; /* effective activation */
    /* offsets into the weights' device block (-1: none) */
    long long off_w16 = -1, off_w32 = -1, off_bias = -1, off_slopes = -1, off_coeffs = -1;
    int slopes_len = 0;
    double flops_per_out_pixel = 0; /* for profiling */
    std::shared_ptr<FirstConvParams> first; /* S_CONV_FIRST: launch parameters */
};

struct Weights {
    const vsr_graph *g = nullptr;
    int device = 0;
    int num_sms = 0;
    TensorMapEncodeTiledFn encode_tiled = nullptr; /* from the driver; NULL: no TMA kernel */
    std::vector<Step> steps;
    bool tail_writes_output = false;
    bool input_f16_needed = true; /* some step reads the input blob as fp16 NHWC */
    bool fused = true;
    bool spin = false; /* VSR_CUDA_SPIN: waits spin (the runtime's default), for measuring */
    bool first_fp32 = false; /* VSR_CUDA_FIRST_FP32=1: first layer on fp32 FMA, not tensor cores */
    unsigned char *dev = nullptr;
    size_t dev_bytes = 0;
    template <class T> T *ptr(long long off) const {
        return off < 0 ? nullptr : reinterpret_cast<T *>(dev + off);
    }
};

/* Host staging of the weight block. */
struct Blob {
    std::vector<unsigned char> bytes;
    long long add(const void *p, size_t n) {
        size_t off = (bytes.size() + 255) & ~(size_t)255;
        bytes.resize(off + n);
        memcpy(bytes.data() + off, p, n);
        return (long long)off;
    }
};

bool conv_is_3x3_same(const vsr_conv_params &c) {
    return c.kernel_h == 3 && c.kernel_w == 3 && c.stride_h == 1 && c.stride_w == 1 &&
           c.dilation_h == 1 && c.dilation_w == 1 && c.pad_top == 1 && c.pad_left == 1 &&
           c.pad_bottom == 1 && c.pad_right == 1;
}

/* Per-channel slope table (length n) that expresses act for the fused
 * kernels: PReLU slopes, 0 for ReLU, alpha for leaky, 1 for none. */
bool act_as_slopes(const vsr_activation &a, int n, std::vector<float> &s) {
    s.assign(n, 1.f);
    switch (a.type) {
    case VSR_ACT_NONE: return true;
    case VSR_ACT_RELU: std::fill(s.begin(), s.end(), 0.f); return true;
    case VSR_ACT_LEAKY: std::fill(s.begin(), s.end(), a.alpha); return true;
    case VSR_ACT_PRELU:
        for (int i = 0; i < n; ++i) s[i] = a.n_slopes == 1 ? a.slopes[0] : a.slopes[i];
        return a.n_slopes == 1 || a.n_slopes == n;
    default: return false;
    }
}

bool env_flag(const char *name, bool dflt) {
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    return strcmp(v, "0") != 0 && strcmp(v, "off") != 0 && strcmp(v, "no") != 0;
}

/* Slopes table for a standalone / cuDNN / direct activation: padded length. */
long long add_act_slopes(Blob &b, const vsr_activation &a, int cp) {
    if (a.type != VSR_ACT_PRELU) return -1;
    std::vector<float> s(cp, 0.f);
    int n = a.n_slopes;
    for (int i = 0; i < cp; ++i) s[i] = n == 1 ? a.slopes[0] : (i < n ? a.slopes[i] : 0.f);
    return b.add(s.data(), s.size() * sizeof(float));
}

int build_plan(const vsr_graph *g, Weights *W, Blob &blob, vsr_error *err) {
    const int nn = g->n_nodes;
    std::vector<int> consumers(g->n_blobs, 0), producer(g->n_blobs, -1);
    for (int i = 0; i < nn; ++i) {
        for (int k = 0; k < g->nodes[i].n_inputs; ++k) consumers[g->nodes[i].inputs[k]]++;
        producer[g->nodes[i].output] = i;
    }
    consumers[g->output_blob]++;
    std::vector<char> done(nn, 0);
    const bool fused = W->fused;

    for (int i = 0; i < nn; ++i) {
        if (done[i]) continue;
        const vsr_node &nd = g->nodes[i];
        Step st;
        st.node = i;
        st.act_node = -1;
        st.out_blob = nd.output;
        st.in_blobs.assign(nd.inputs, nd.inputs + nd.n_inputs);
        memset(&st.act, 0, sizeof st.act);
        switch (nd.type) {
        case VSR_OP_CONV: {
            const vsr_conv_params &c = nd.p.conv;
            st.act = c.act;
            /* fuse a following activation node that is the only consumer */
            if (c.act.type == VSR_ACT_NONE && i + 1 < nn && !done[i + 1] &&
                g->nodes[i + 1].type == VSR_OP_ACTIVATION && g->nodes[i + 1].n_inputs == 1 &&
                g->nodes[i + 1].inputs[0] == nd.output && consumers[nd.output] == 1) {
                st.act_node = i + 1;
                st.act = g->nodes[i + 1].p.act;
                st.out_blob = g->nodes[i + 1].output;
                done[i + 1] = 1;
            }
            /* SRVGG tail: conv 64->48 -> PixelShuffle(4) -> add(., nearest x4 (input)) = output */
            if (fused && !env_flag("VSR_CUDA_NO_TAIL", false) && st.act_node < 0 &&
                c.act.type == VSR_ACT_NONE && conv_is_3x3_same(c) &&
                c.in_c == 64 && c.out_c == 48 && consumers[nd.output] == 1) {
                int ps = -1, add = -1, interp = -1, resize = -1;
                for (int j = i + 1; j < nn; ++j)
                    if (g->nodes[j].n_inputs >= 1 && g->nodes[j].inputs[0] == nd.output) ps = j;
                if (ps >= 0 && g->nodes[ps].type == VSR_OP_PIXEL_SHUFFLE &&
                    g->nodes[ps].p.shuffle_factor == 4 && consumers[g->nodes[ps].output] == 1) {
                    int pso = g->nodes[ps].output;
                    for (int j = ps + 1; j < nn; ++j)
                        for (int k = 0; k < g->nodes[j].n_inputs; ++k)
                            if (g->nodes[j].inputs[k] == pso) add = j;
                    if (add >= 0) {
                        const vsr_node &ad = g->nodes[add];
                        /* the sum is the output, or is resized into it (the x2
                         * models: the x4 network, then bicubic x0.5) */
                        for (int j = add + 1; j < nn && ad.output != g->output_blob; ++j)
                            if (g->nodes[j].type == VSR_OP_INTERP && g->nodes[j].n_inputs == 1 &&
                                g->nodes[j].inputs[0] == ad.output &&
                                g->nodes[j].output == g->output_blob &&
                                consumers[ad.output] == 1)
                                resize = j;
                        if (ad.type == VSR_OP_BINARY && ad.p.binary.op == VSR_BIN_ADD &&
                            !ad.p.binary.with_scalar && ad.n_inputs == 2 &&
                            (ad.output == g->output_blob || resize >= 0)) {
                            int other = ad.inputs[0] == pso ? ad.inputs[1] : ad.inputs[0];
                            int pr = producer[other];
                            if (pr >= 0 && g->nodes[pr].type == VSR_OP_INTERP &&
                                g->nodes[pr].p.interp.mode == VSR_INTERP_NEAREST &&
                                g->nodes[pr].p.interp.scale_h == 4.f &&
                                g->nodes[pr].p.interp.scale_w == 4.f &&
                                g->nodes[pr].inputs[0] == g->input_blob && g->in_channels == 3)
                                interp = pr;
                        }
                    }
                }
                if (interp >= 0) {
                    st.kind = S_CONV_TAIL;
                    st.out_blob = g->output_blob;
                    st.to_scratch = resize >= 0;
                    done[ps] = done[add] = 1;
                    /* the interp node runs only if something else reads it */
                    if (consumers[g->nodes[interp].output] == 1) done[interp] = 1;
                    std::vector<__half> w16((size_t)48 * 576);
                    for (int o = 0; o < 48; ++o)
                        for (int t = 0; t < 9; ++t)
                            for (int ci = 0; ci < 64; ++ci)
                                w16[(size_t)o * 576 + t * 64 + ci] =
                                    __float2half_rn(c.weight[((size_t)o * 64 + ci) * 9 + t]);
                    st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                    std::vector<float> bias(48, 0.f);
                    if (c.bias) memcpy(bias.data(), c.bias, 48 * sizeof(float));
                    st.off_bias = blob.add(bias.data(), bias.size() * 4);
                    st.flops_per_out_pixel = 2.0 * 48 * 576;
                    W->tail_writes_output = true;
                    W->steps.push_back(st);
                    if (resize >= 0) {
                        Step rs;
                        rs.kind = S_RESIZE_OUT;
                        rs.node = resize;
                        rs.act_node = -1;
                        rs.out_blob = g->output_blob;
                        memset(&rs.act, 0, sizeof rs.act);
                        W->steps.push_back(rs);
                        done[resize] = 1;
                    }
                    break;
                }
            }
            std::vector<float> slopes;
            if (fused && !env_flag("VSR_CUDA_NO_FIRST", false) && conv_is_3x3_same(c) &&
                c.in_c == 3 && c.out_c == 64 &&
                nd.inputs[0] == g->input_blob && act_as_slopes(st.act, 64, slopes)) {
                st.kind = S_CONV_FIRST;
                st.first = std::make_shared<FirstConvParams>();
                memcpy(st.first->w, c.weight, sizeof st.first->w); /* OIHW = [oc][ci*9+tap] */
                for (int o = 0; o < 64; ++o) {
                    st.first->bias[o] = c.bias ? c.bias[o] : 0.f;
                    st.first->slope[o] = slopes[o];
                }
                std::vector<__half> w16(64 * 32, __float2half_rn(0.f));
                for (int o = 0; o < 64; ++o)
                    for (int k = 0; k < 27; ++k) w16[o * 32 + k] = __float2half_rn(c.weight[o * 27 + k]);
                st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                st.off_bias = blob.add(st.first->bias, sizeof st.first->bias);
                st.off_slopes = blob.add(st.first->slope, sizeof st.first->slope);
                st.flops_per_out_pixel = 2.0 * 64 * 27;
                W->steps.push_back(st);
                break;
            }
            if (fused && conv_is_3x3_same(c) && c.in_c == 64 && c.out_c == 64 &&
                act_as_slopes(st.act, 64, slopes)) {
                st.kind = S_CONV_MMA;
                std::vector<__half> w16((size_t)64 * 576);
                for (int o = 0; o < 64; ++o)
                    for (int t = 0; t < 9; ++t)
                        for (int ci = 0; ci < 64; ++ci)
                            w16[(size_t)o * 576 + t * 64 + ci] =
                                __float2half_rn(c.weight[((size_t)o * 64 + ci) * 9 + t]);
                st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                std::vector<float> bias(64, 0.f);
                if (c.bias) memcpy(bias.data(), c.bias, 64 * sizeof(float));
                st.off_bias = blob.add(bias.data(), bias.size() * 4);
                st.off_slopes = blob.add(slopes.data(), slopes.size() * 4);
                st.flops_per_out_pixel = 2.0 * 64 * 576;
                W->steps.push_back(st);
                break;
            }
            const int cip = round_up8(c.in_c), cop = round_up8(c.out_c);
            const int kh = c.kernel_h, kw = c.kernel_w;
            const bool sym = c.pad_top == c.pad_bottom && c.pad_left == c.pad_right;
            st.kind = (c.in_c <= 8 || !sym || !cudnn()) ? S_CONV_DIRECT : S_CONV_CUDNN;
            std::vector<float> bias(cop, 0.f);
            if (c.bias) memcpy(bias.data(), c.bias, c.out_c * sizeof(float));
            st.off_bias = blob.add(bias.data(), bias.size() * 4);
            if (st.act.type == VSR_ACT_PRELU && !(st.act.n_slopes == 1 || st.act.n_slopes == c.out_c))
                return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                     "cuda: layer %s: PReLU with %d slopes for %d channels",
                                     nd.name, st.act.n_slopes, c.out_c);
            st.off_slopes = add_act_slopes(blob, st.act, cop);
            if (st.kind == S_CONV_DIRECT) {
                /* [kh][kw][cin][cop] fp32 */
                std::vector<float> w((size_t)kh * kw * c.in_c * cop, 0.f);
                for (int o = 0; o < c.out_c; ++o)
                    for (int ci = 0; ci < c.in_c; ++ci)
                        for (int y = 0; y < kh; ++y)
                            for (int x = 0; x < kw; ++x)
                                w[(((size_t)y * kw + x) * c.in_c + ci) * cop + o] =
                                    c.weight[(((size_t)o * c.in_c + ci) * kh + y) * kw + x];
                st.off_w32 = blob.add(w.data(), w.size() * 4);
            } else {
                /* [cop][kh][kw][cip] fp16 (cuDNN NHWC filter) */
                std::vector<__half> w((size_t)cop * kh * kw * cip, __float2half_rn(0.f));
                for (int o = 0; o < c.out_c; ++o)
                    for (int ci = 0; ci < c.in_c; ++ci)
                        for (int y = 0; y < kh; ++y)
                            for (int x = 0; x < kw; ++x)
                                w[(((size_t)o * kh + y) * kw + x) * cip + ci] = __float2half_rn(
                                    c.weight[(((size_t)o * c.in_c + ci) * kh + y) * kw + x]);
                st.off_w16 = blob.add(w.data(), w.size() * 2);
            }
            st.flops_per_out_pixel = 2.0 * c.out_c * c.in_c * kh * kw;
            W->steps.push_back(st);
            break;
        }
        case VSR_OP_ACTIVATION: {
            st.kind = S_ACT;
            st.act = nd.p.act;
            if (st.act.type == VSR_ACT_PRELU) {
                int n = st.act.n_slopes;
                st.slopes_len = round_up8(n);
                st.off_slopes = add_act_slopes(blob, st.act, std::max(8, st.slopes_len));
            }
            W->steps.push_back(st);
            break;
        }
        case VSR_OP_PIXEL_SHUFFLE: st.kind = S_SHUFFLE; W->steps.push_back(st); break;
        case VSR_OP_INTERP: st.kind = S_INTERP; W->steps.push_back(st); break;
        case VSR_OP_BINARY: st.kind = S_BINARY; W->steps.push_back(st); break;
        case VSR_OP_ELTWISE: {
            st.kind = S_ELTWISE;
            if (nd.p.eltwise.n_coeffs > 0)
                st.off_coeffs = blob.add(nd.p.eltwise.coeffs, nd.p.eltwise.n_coeffs * sizeof(float));
            W->steps.push_back(st);
            break;
        }
        case VSR_OP_CONCAT: st.kind = S_CONCAT; W->steps.push_back(st); break;
        default:
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda: layer %s: op %s not supported",
                                 nd.name, vsr_op_name(nd.type));
        }
        done[i] = 1;
    }
    W->input_f16_needed = false;
    for (const Step &st : W->steps)
        if (st.kind != S_CONV_FIRST && st.kind != S_CONV_TAIL)
            for (int b : st.in_blobs) W->input_f16_needed |= b == g->input_blob;
    return 0;
}

/* ------------------------------------------------------------------ context */

struct CudnnConv {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    size_t ws = 0;
};

struct StepRT {
    CudnnConv dnn;
    void *tables = nullptr; /* interp: yofs, ay, xofs, ax; eltwise: input pointers */
    int taps = 0;
    int *yofs = nullptr, *xofs = nullptr;
    float *ay = nullptr, *ax = nullptr;
};

/* Each context pins two chunks when it is made, before its clip's first
 * frame: 2 x 16 MiB took the four workers of one GPU 60-75 ms (pinning is
 * paid per page); the host-side memcpy, not the chunk count, bounds the
 * transfer, and double buffering overlaps it with the DMA. */
constexpr size_t STAGE_CHUNK = 4u << 20;

struct Ctx {
    const Weights *W = nullptr;
    int device = 0;
    int variant = 0;
    cudaStream_t stream = nullptr;
    cudnnHandle_t dnn = nullptr;
    cudaEvent_t ev[2] = {nullptr, nullptr};
    cudaEvent_t ev_frame = nullptr; /* a decoded frame's planes are written */
    cudaEvent_t t0 = nullptr, t1 = nullptr;
    void *pinned[2] = {nullptr, nullptr};
    /* per size */
    int n = 0, h = 0, w = 0;
    bool planned = false;
    std::vector<vsr_shape> shapes;
    std::vector<int> cp;
    std::vector<int> buf_of_blob;
    std::vector<void *> bufs;
    float *d_in = nullptr, *d_out = nullptr;
    float *d_tail = nullptr; /* the tail's fp32 output before S_RESIZE_OUT */
    size_t in_count = 0, out_count = 0;
    /* the 8-bit path's frames on the device (grown as needed) */
    unsigned char *d_u8_in = nullptr, *d_u8_out = nullptr;
    size_t u8_in_cap = 0, u8_out_cap = 0;
    void *ws = nullptr;
    size_t ws_bytes = 0;
    std::vector<StepRT> rt;
};

void release_plan(Ctx *c) {
    const CudnnApi *d = g_cudnn.lib ? &g_cudnn : nullptr;
    for (StepRT &r : c->rt) {
        if (d) {
            if (r.dnn.x) d->cudnnDestroyTensorDescriptor(r.dnn.x);
            if (r.dnn.y) d->cudnnDestroyTensorDescriptor(r.dnn.y);
            if (r.dnn.w) d->cudnnDestroyFilterDescriptor(r.dnn.w);
            if (r.dnn.conv) d->cudnnDestroyConvolutionDescriptor(r.dnn.conv);
        }
        if (r.tables) cudaFree(r.tables);
    }
    c->rt.clear();
    for (void *b : c->bufs) cudaFree(b);
    c->bufs.clear();
    cudaFree(c->d_in);
    cudaFree(c->d_out);
    cudaFree(c->d_tail);
    cudaFree(c->ws);
    c->d_in = c->d_out = c->d_tail = nullptr;
    c->ws = nullptr;
    c->ws_bytes = 0;
    c->planned = false;
}

/* Resize coefficient tables, exactly as the ref backend (ref_ops.c) builds
 * them from ncnn's linear_coeffs() / cubic_coeffs(); ofs already includes
 * the first tap's offset (-1 for bicubic); the kernel clamps indices. */
void interp_tables(int mode, float scale_param, int in, int out, int align, std::vector<int> &ofs,
                   std::vector<float> &alpha, int &taps) {
    ofs.resize(out);
    if (mode == VSR_INTERP_NEAREST) {
        taps = 1;
        alpha.assign(out, 1.f);
        const float hs = 1.f / scale_param; /* ncnn uses 1/scale, not the size ratio */
        for (int d = 0; d < out; ++d) ofs[d] = std::min(std::max((int)(d * hs), 0), in - 1);
        return;
    }
    double scale = align && out > 1 ? (double)(in - 1) / (out - 1) : (double)in / out;
    if (mode == VSR_INTERP_BILINEAR) {
        taps = 2;
        alpha.resize(out * 2);
        for (int d = 0; d < out; ++d) {
            float f = align ? (float)(d * scale) : (float)((d + 0.5) * scale - 0.5);
            int sx = (int)floorf(f);
            f -= (float)sx;
            if (sx < 0) { sx = 0; f = 0.f; }
            if (sx >= in - 1) { sx = in > 1 ? in - 2 : 0; f = in > 1 ? 1.f : 0.f; }
            ofs[d] = sx;
            alpha[d * 2] = 1.f - f;
            alpha[d * 2 + 1] = f;
        }
        return;
    }
    taps = 4;
    alpha.resize(out * 4);
    const float A = -0.75f;
    for (int d = 0; d < out; ++d) {
        float f = align ? (float)(d * scale) : (float)((d + 0.5) * scale - 0.5);
        int sx = (int)floorf(f);
        f -= (float)sx;
        float *a = &alpha[d * 4];
        float f0 = f + 1, f1 = f, f2 = 1 - f;
        a[0] = A * f0 * f0 * f0 - 5 * A * f0 * f0 + 8 * A * f0 - 4 * A;
        a[1] = (A + 2) * f1 * f1 * f1 - (A + 3) * f1 * f1 + 1;
        a[2] = (A + 2) * f2 * f2 * f2 - (A + 3) * f2 * f2 + 1;
        a[3] = 1.f - a[0] - a[1] - a[2];
        if (sx <= -1) { sx = 1; a[0] = 1.f - a[3]; a[1] = a[3]; a[2] = a[3] = 0.f; }
        if (sx == 0) { sx = 1; a[0] = a[0] + a[1]; a[1] = a[2]; a[2] = a[3]; a[3] = 0.f; }
        if (sx == in - 2) { sx = in - 3; a[3] = a[2] + a[3]; a[2] = a[1]; a[1] = a[0]; a[0] = 0.f; }
        if (sx >= in - 1) { sx = in - 3; a[3] = 1.f - a[0]; a[2] = a[0]; a[1] = a[0] = 0.f; }
        ofs[d] = sx - 1;
    }
}

int plan_for(Ctx *c, int n, int h, int w, vsr_error *err) {
    if (c->planned && c->n == n && c->h == h && c->w == w) return 0;
    release_plan(c);
    const Weights *W = c->W;
    const vsr_graph *g = W->g;
    c->shapes.resize(g->n_blobs);
    int rc = vsr_graph_infer_shapes(g, h, w, c->shapes.data(), err);
    if (rc < 0) return rc;
    c->cp.resize(g->n_blobs);
    for (int b = 0; b < g->n_blobs; ++b) c->cp[b] = round_up8(c->shapes[b].c);

    /* last step reading each blob */
    const int ns = (int)W->steps.size();
    std::vector<int> last(g->n_blobs, -1);
    for (int s = 0; s < ns; ++s)
        for (int b : W->steps[s].in_blobs) last[b] = std::max(last[b], s);
    if (!W->tail_writes_output) last[g->output_blob] = ns;
    /* greedy buffer assignment: slot sizes */
    std::vector<size_t> slot_bytes;
    std::vector<char> slot_free;
    c->buf_of_blob.assign(g->n_blobs, -1);
    auto bytes_of = [&](int b) {
        return (size_t)n * c->shapes[b].h * c->shapes[b].w * c->cp[b] * sizeof(__half);
    };
    auto take = [&](int b) {
        size_t need = bytes_of(b);
        /* the smallest free slot that fits, else the largest free one (grown) */
        int best = -1, big = -1;
        for (int k = 0; k < (int)slot_bytes.size(); ++k) {
            if (!slot_free[k]) continue;
            if (slot_bytes[k] >= need && (best < 0 || slot_bytes[k] < slot_bytes[best])) best = k;
            if (big < 0 || slot_bytes[k] > slot_bytes[big]) big = k;
        }
        if (best < 0) best = big;
        if (best < 0) {
            slot_bytes.push_back(need);
            slot_free.push_back(0);
            best = (int)slot_bytes.size() - 1;
        }
        slot_bytes[best] = std::max(slot_bytes[best], need);
        slot_free[best] = 0;
        c->buf_of_blob[b] = best;
    };
    if (W->input_f16_needed) {
        take(g->input_blob);
        if (last[g->input_blob] < 0) slot_free[c->buf_of_blob[g->input_blob]] = 1;
    }
    for (int s = 0; s < ns; ++s) {
        const Step &st = W->steps[s];
        if (st.kind != S_CONV_TAIL && st.kind != S_RESIZE_OUT) take(st.out_blob);
        for (int b : st.in_blobs)
            if (last[b] == s && c->buf_of_blob[b] >= 0) slot_free[c->buf_of_blob[b]] = 1;
    }
    c->bufs.assign(slot_bytes.size(), nullptr);
    for (size_t k = 0; k < slot_bytes.size(); ++k)
        CU(cudaMalloc(&c->bufs[k], std::max<size_t>(slot_bytes[k], 256)), "allocating activations");
    c->in_count = (size_t)n * g->in_channels * h * w;
    const vsr_shape &os = c->shapes[g->output_blob];
    c->out_count = (size_t)n * os.c * os.h * os.w;
    CU(cudaMalloc(&c->d_in, c->in_count * sizeof(float)), "allocating the input buffer");
    CU(cudaMalloc(&c->d_out, c->out_count * sizeof(float)), "allocating the output buffer");

    /* per step: cuDNN descriptors, interp tables, eltwise pointer arrays */
    c->rt.assign(ns, StepRT());
    size_t ws_need = 0;
    for (int s = 0; s < ns; ++s) {
        const Step &st = W->steps[s];
        const vsr_node &nd = g->nodes[st.node];
        StepRT &r = c->rt[s];
        if (st.kind == S_CONV_CUDNN) {
            const CudnnApi *d = cudnn();
            const vsr_conv_params &cv = nd.p.conv;
            const vsr_shape &is = c->shapes[nd.inputs[0]], &ys = c->shapes[nd.output];
            int cip = c->cp[nd.inputs[0]], cop = c->cp[nd.output];
            cudnnStatus_t e;
#define DNN(call, what)                                                                      \
    if ((e = (call)) != CUDNN_STATUS_SUCCESS) return dnn_fail(err, e, what, nd.name);
            DNN(d->cudnnCreateTensorDescriptor(&r.dnn.x), "create tensor descriptor");
            DNN(d->cudnnCreateTensorDescriptor(&r.dnn.y), "create tensor descriptor");
            DNN(d->cudnnCreateFilterDescriptor(&r.dnn.w), "create filter descriptor");
            DNN(d->cudnnCreateConvolutionDescriptor(&r.dnn.conv), "create convolution descriptor");
            DNN(d->cudnnSetTensor4dDescriptor(r.dnn.x, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, cip,
                                              is.h, is.w),
                "input descriptor");
            DNN(d->cudnnSetTensor4dDescriptor(r.dnn.y, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, n, cop,
                                              ys.h, ys.w),
                "output descriptor");
            DNN(d->cudnnSetFilter4dDescriptor(r.dnn.w, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, cop, cip,
                                              cv.kernel_h, cv.kernel_w),
                "filter descriptor");
            DNN(d->cudnnSetConvolution2dDescriptor(r.dnn.conv, cv.pad_top, cv.pad_left, cv.stride_h,
                                                   cv.stride_w, cv.dilation_h, cv.dilation_w,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                "convolution descriptor");
            DNN(d->cudnnSetConvolutionMathType(r.dnn.conv, CUDNN_TENSOR_OP_MATH), "math type");
            cudnnConvolutionFwdAlgoPerf_t perf[16];
            int got = 0;
            DNN(d->cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, r.dnn.x, r.dnn.w, r.dnn.conv,
                                                          r.dnn.y, 16, &got, perf),
                "choose algorithm");
            bool found = false;
            for (int k = 0; k < got && !found; ++k) {
                if (perf[k].status != CUDNN_STATUS_SUCCESS) continue;
                size_t ws = 0;
                if (d->cudnnGetConvolutionForwardWorkspaceSize(c->dnn, r.dnn.x, r.dnn.w, r.dnn.conv,
                                                               r.dnn.y, perf[k].algo,
                                                               &ws) != CUDNN_STATUS_SUCCESS)
                    continue;
                if (ws > ((size_t)1 << 30)) continue;
                r.dnn.algo = perf[k].algo;
                r.dnn.ws = ws;
                found = true;
            }
            if (!found)
                return vsr_error_set(err, VSR_ERR_BACKEND,
                                     "cudnn: layer %s: no forward algorithm for this shape", nd.name);
            ws_need = std::max(ws_need, r.dnn.ws);
#undef DNN
        } else if (st.kind == S_INTERP || st.kind == S_RESIZE_OUT) {
            const vsr_shape &is = c->shapes[nd.inputs[0]], &os2 = c->shapes[nd.output];
            if (st.kind == S_RESIZE_OUT) /* the tail's fp32 output, which it resizes */
                CU(cudaMalloc(&c->d_tail, (size_t)n * is.c * is.h * is.w * sizeof(float)),
                   "allocating the tail's output");
            std::vector<int> yo, xo;
            std::vector<float> ya, xa;
            int taps = 1;
            interp_tables(nd.p.interp.mode, nd.p.interp.scale_h, is.h, os2.h,
                          nd.p.interp.align_corners, yo, ya, taps);
            interp_tables(nd.p.interp.mode, nd.p.interp.scale_w, is.w, os2.w,
                          nd.p.interp.align_corners, xo, xa, taps);
            r.taps = taps;
            size_t b1 = yo.size() * 4, b2 = ya.size() * 4, b3 = xo.size() * 4, b4 = xa.size() * 4;
            CU(cudaMalloc(&r.tables, b1 + b2 + b3 + b4), "allocating resize tables");
            char *p = (char *)r.tables;
            CU(cudaMemcpy(p, yo.data(), b1, cudaMemcpyHostToDevice), "uploading resize tables");
            CU(cudaMemcpy(p + b1, ya.data(), b2, cudaMemcpyHostToDevice), "uploading resize tables");
            CU(cudaMemcpy(p + b1 + b2, xo.data(), b3, cudaMemcpyHostToDevice),
               "uploading resize tables");
            CU(cudaMemcpy(p + b1 + b2 + b3, xa.data(), b4, cudaMemcpyHostToDevice),
               "uploading resize tables");
            r.yofs = (int *)p;
            r.ay = (float *)(p + b1);
            r.xofs = (int *)(p + b1 + b2);
            r.ax = (float *)(p + b1 + b2 + b3);
        } else if (st.kind == S_ELTWISE) {
            std::vector<const void *> ptrs;
            for (int b : st.in_blobs) ptrs.push_back(c->bufs[c->buf_of_blob[b]]);
            CU(cudaMalloc(&r.tables, ptrs.size() * sizeof(void *)), "allocating eltwise table");
            CU(cudaMemcpy(r.tables, ptrs.data(), ptrs.size() * sizeof(void *),
                          cudaMemcpyHostToDevice),
               "uploading eltwise table");
        }
    }
    if (ws_need) {
        CU(cudaMalloc(&c->ws, ws_need), "allocating cuDNN workspace");
        c->ws_bytes = ws_need;
    }
    c->n = n;
    c->h = h;
    c->w = w;
    c->planned = true;
    return 0;
}

DevAct dev_act(const Weights *W, const Step &st) {
    DevAct a;
    a.type = st.act.type;
    a.alpha = st.act.alpha;
    a.beta = st.act.beta;
    a.slopes = W->ptr<float>(st.off_slopes);
    return a;
}

/* Enqueues step s on the context's stream. */
int run_step(Ctx *c, int s, vsr_error *err) {
    const Weights *W = c->W;
    const vsr_graph *g = W->g;
    const Step &st = W->steps[s];
    const vsr_node &nd = g->nodes[st.node];
    cudaStream_t stream = c->stream;
    auto buf = [&](int b) { return (__half *)c->bufs[c->buf_of_blob[b]]; };
    const int n = c->n;
    const vsr_shape &os = c->shapes[st.kind == S_CONV_TAIL ? nd.output : st.out_blob];
    const long long opix = (long long)n * os.h * os.w;
    cudaError_t e = cudaSuccess;
    switch (st.kind) {
    case S_CONV_FIRST:
        if (W->first_fp32)
            launch_first_conv(c->d_in, buf(st.out_blob), n, c->h, c->w, *st.first, stream);
        else
            launch_first_conv_tc(c->d_in, buf(st.out_blob), n, c->h, c->w, W->ptr<__half>(st.off_w16),
                                 W->ptr<float>(st.off_bias), W->ptr<float>(st.off_slopes), stream);
        break;
    case S_CONV_MMA:
    case S_CONV_TAIL: {
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        Conv3x3Args a;
        a.in = buf(nd.inputs[0]);
        a.wt = W->ptr<__half>(st.off_w16);
        a.bias = W->ptr<float>(st.off_bias);
        a.slopes = W->ptr<float>(st.off_slopes);
        a.n = n;
        a.h = is.h;
        a.w = is.w;
        if (st.kind == S_CONV_MMA) {
            a.out = buf(st.out_blob);
            a.resid = nullptr;
            a.out_f32 = nullptr;
            e = launch_conv3x3_body(c->variant, a, {W->num_sms, W->encode_tiled, stream});
        } else {
            a.out = nullptr;
            a.resid = c->d_in;
            a.out_f32 = st.to_scratch ? c->d_tail : c->d_out;
            e = launch_conv3x3_tail48(c->variant, a, {W->num_sms, W->encode_tiled, stream});
        }
        break;
    }
    case S_CONV_DIRECT: {
        const vsr_conv_params &cv = nd.p.conv;
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        DirectConvArgs a;
        a.in = buf(nd.inputs[0]);
        a.n = n;
        a.h = is.h;
        a.w = is.w;
        a.cin = cv.in_c;
        a.cip = c->cp[nd.inputs[0]];
        a.wt = W->ptr<float>(st.off_w32);
        a.bias = W->ptr<float>(st.off_bias);
        a.cout = cv.out_c;
        a.cop = round_up8(cv.out_c);
        a.kh = cv.kernel_h;
        a.kw = cv.kernel_w;
        a.sh = cv.stride_h;
        a.sw = cv.stride_w;
        a.dh = cv.dilation_h;
        a.dw = cv.dilation_w;
        a.pt = cv.pad_top;
        a.pl = cv.pad_left;
        a.oh = os.h;
        a.ow = os.w;
        a.out = buf(st.out_blob);
        a.act = dev_act(W, st);
        launch_conv_direct(a, stream);
        break;
    }
    case S_CONV_CUDNN: {
        const CudnnApi *d = cudnn();
        const StepRT &r = c->rt[s];
        float one = 1.f, zero = 0.f;
        cudnnStatus_t ds = d->cudnnConvolutionForward(
            c->dnn, &one, r.dnn.x, buf(nd.inputs[0]), r.dnn.w, W->ptr<__half>(st.off_w16),
            r.dnn.conv, r.dnn.algo, c->ws, r.dnn.ws, &zero, r.dnn.y, buf(st.out_blob));
        if (ds != CUDNN_STATUS_SUCCESS) return dnn_fail(err, ds, "convolution forward", nd.name);
        __half *y = buf(st.out_blob);
        launch_bias_act(y, y, opix, os.c, c->cp[st.out_blob], W->ptr<float>(st.off_bias),
                        dev_act(W, st), stream);
        break;
    }
    case S_ACT: {
        DevAct a = dev_act(W, st);
        if (a.type == VSR_ACT_PRELU && st.act.n_slopes != 1 && st.act.n_slopes != os.c)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda: layer %s: %d PReLU slopes for %d channels",
                                 nd.name, st.act.n_slopes, os.c);
        launch_bias_act(buf(nd.inputs[0]), buf(st.out_blob), opix, os.c, c->cp[st.out_blob], nullptr,
                        a, stream);
        break;
    }
    case S_SHUFFLE: {
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        launch_pixel_shuffle(buf(nd.inputs[0]), c->cp[nd.inputs[0]], buf(st.out_blob), os.c,
                             c->cp[st.out_blob], n, is.h, is.w, nd.p.shuffle_factor, stream);
        break;
    }
    case S_INTERP: {
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        const StepRT &r = c->rt[s];
        launch_resize(buf(nd.inputs[0]), is.h, is.w, buf(st.out_blob), os.h, os.w, n, os.c,
                      c->cp[st.out_blob], r.taps, r.yofs, r.ay, r.xofs, r.ax, stream);
        break;
    }
    case S_RESIZE_OUT: {
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        const StepRT &r = c->rt[s];
        launch_resize_nchw_f32(c->d_tail, is.h, is.w, c->d_out, os.h, os.w, n * os.c, r.taps,
                               r.yofs, r.ay, r.xofs, r.ax, stream);
        break;
    }
    case S_BINARY: {
        const vsr_binary_params &b = nd.p.binary;
        const vsr_shape &s0 = c->shapes[nd.inputs[0]];
        if (!b.with_scalar) {
            const vsr_shape &s1 = c->shapes[nd.inputs[1]];
            if (s0.c != s1.c || s0.h != s1.h || s0.w != s1.w)
                return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                     "cuda: layer %s: binary op on shapes %dx%dx%d and %dx%dx%d",
                                     nd.name, s0.c, s0.h, s0.w, s1.c, s1.h, s1.w);
        }
        launch_binary(buf(nd.inputs[0]), b.with_scalar ? nullptr : buf(nd.inputs[1]), buf(st.out_blob),
                      opix, os.c, c->cp[st.out_blob], (int)b.op, b.with_scalar, b.scalar, stream);
        break;
    }
    case S_ELTWISE: {
        const vsr_eltwise_params &p = nd.p.eltwise;
        launch_eltwise((const __half *const *)c->rt[s].tables, nd.n_inputs, buf(st.out_blob), opix,
                       os.c, c->cp[st.out_blob], (int)p.op, W->ptr<float>(st.off_coeffs), stream);
        break;
    }
    case S_CONCAT: {
        int off = 0;
        for (int k = 0; k < nd.n_inputs; ++k) {
            int b = nd.inputs[k];
            launch_concat_part(buf(b), c->shapes[b].c, c->cp[b], buf(st.out_blob), c->cp[st.out_blob],
                               off, opix, stream);
            off += c->shapes[b].c;
        }
        launch_zero_pad_channels(buf(st.out_blob), opix, os.c, c->cp[st.out_blob], stream);
        break;
    }
    }
    if (e == cudaSuccess) e = cudaGetLastError();
    if (e != cudaSuccess) {
        cu_fail(err, e, "launching a kernel", __LINE__);
        vsr_error_prefix(err, "layer %s (%s)", nd.name, step_kind_name(st.kind));
        return err ? err->code : VSR_ERR_BACKEND;
    }
    return 0;
}

/* Input (fp32 NCHW in d_in) -> graph -> fp32 NCHW in d_out, all enqueued. */
int run_graph(Ctx *c, std::vector<cudaEvent_t> *marks, vsr_error *err) {
    const vsr_graph *g = c->W->g;
    const int ib = g->input_blob;
    if (c->W->input_f16_needed)
        launch_nchw_f32_to_nhwc_f16(c->d_in, (__half *)c->bufs[c->buf_of_blob[ib]], c->n,
                                    g->in_channels, c->h, c->w, c->cp[ib], c->stream);
    if (marks) cudaEventRecord((*marks)[0], c->stream);
    for (int s = 0; s < (int)c->W->steps.size(); ++s) {
        int rc = run_step(c, s, err);
        if (rc < 0) return rc;
        if (marks) cudaEventRecord((*marks)[s + 1], c->stream);
    }
    if (!c->W->tail_writes_output) {
        const int ob = g->output_blob;
        const vsr_shape &os = c->shapes[ob];
        launch_nhwc_f16_to_nchw_f32((const __half *)c->bufs[c->buf_of_blob[ob]], c->d_out, c->n,
                                    os.c, os.h, os.w, c->cp[ob], c->stream);
    }
    CU(cudaGetLastError(), "launching a kernel");
    return 0;
}

int h2d_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err) {
    size_t off = 0;
    for (int k = 0; off < bytes; ++k, off += STAGE_CHUNK) {
        size_t len = std::min(STAGE_CHUNK, bytes - off);
        int b = k & 1;
        CU(cudaEventSynchronize(c->ev[b]), "waiting for a host-to-device copy");
        memcpy(c->pinned[b], (const char *)src + off, len);
        CU(cudaMemcpyAsync((char *)dst + off, c->pinned[b], len, cudaMemcpyHostToDevice, c->stream),
           "copying the input to the device");
        CU(cudaEventRecord(c->ev[b], c->stream), "recording an event");
    }
    return 0;
}

int d2h_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err) {
    size_t nchunks = (bytes + STAGE_CHUNK - 1) / STAGE_CHUNK;
    auto enqueue = [&](size_t k) -> int {
        size_t off = k * STAGE_CHUNK, len = std::min(STAGE_CHUNK, bytes - off);
        CU(cudaMemcpyAsync(c->pinned[k & 1], (const char *)src + off, len, cudaMemcpyDeviceToHost,
                           c->stream),
           "copying the output to the host");
        CU(cudaEventRecord(c->ev[k & 1], c->stream), "recording an event");
        return 0;
    };
    if (nchunks == 0) return 0;
    int rc = enqueue(0);
    if (rc < 0) return rc;
    for (size_t k = 0; k < nchunks; ++k) {
        if (k + 1 < nchunks && (rc = enqueue(k + 1)) < 0) return rc;
        CU(cudaEventSynchronize(c->ev[k & 1]), "waiting for the device (frame computation)");
        size_t off = k * STAGE_CHUNK, len = std::min(STAGE_CHUNK, bytes - off);
        memcpy((char *)dst + off, c->pinned[k & 1], len);
    }
    return 0;
}

/* ------------------------------------------------------------------- table */

int cuda_available(vsr_error *err) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        void *drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
        if (!drv) drv = dlopen("libcuda.so.1", RTLD_NOW);
        if (!drv)
            vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                          "cuda backend: no NVIDIA driver on this machine (libcuda.so.1 not found)");
        else
            vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda backend: no usable GPU: %s (%s)",
                          cudaGetErrorString(e), cudaGetErrorName(e));
        if (drv) dlclose(drv);
        return 0;
    }
    if (count == 0) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda backend: no CUDA device found");
        return 0;
    }
    cudaDeviceProp p;
    bool any = false;
    for (int d = 0; d < count; ++d)
        if (cudaGetDeviceProperties(&p, d) == cudaSuccess && p.major >= 8) any = true;
    if (!any) {
        vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                      "cuda backend: needs compute capability 8.0 or newer (%s is %d.%d)", p.name,
                      p.major, p.minor);
        return 0;
    }
    return 1;
}

int cuda_device_count(vsr_error *err) {
    if (!cuda_available(err)) return err ? err->code : VSR_ERR_UNSUPPORTED;
    int count = 0;
    CU(cudaGetDeviceCount(&count), "counting devices");
    return count;
}

/* fp16, and the ops the planner (plan_graph) has steps for; what only the
 * device or the input's shapes tell (compute capability, memory, PReLU
 * slopes against the channels) is refused later, by weights_create or
 * run. Touches no GPU: "auto" asks it on machines without one. */
int cuda_supports(const vsr_graph *g, const vsr_backend_config *cfg, vsr_error *err) {
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
                        vsr_error *err) {
    *out = nullptr;
    if (!cuda_supports(g, cfg, err)) return err ? err->code : VSR_ERR_UNSUPPORTED;
    if (!cuda_available(err)) return err ? err->code : VSR_ERR_UNSUPPORTED;
    Weights *W = new (std::nothrow) Weights();
    if (!W) return vsr_error_set(err, VSR_ERR_NOMEM, "cuda: out of host memory");
    W->g = g;
    W->device = cfg ? cfg->device : 0;
    W->fused = env_flag("VSR_CUDA_FUSED", true);
    W->first_fp32 = env_flag("VSR_CUDA_FIRST_FP32", false);
    int rc;
    {
        cudaError_t e = cudaSetDevice(W->device);
        /* Threads waiting for the GPU sleep instead of spinning: a worker
         * waits for most of a frame, and in a video pipeline the CPU cores
         * belong to the encoders. (Also the flags FFmpeg's NVDEC asks of
         * the primary context it shares with us.) VSR_CUDA_SPIN=1 keeps
         * the runtime's default, for measuring. */
        W->spin = env_flag("VSR_CUDA_SPIN", false);
        if (e == cudaSuccess && !W->spin) e = cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync);
        if (e != cudaSuccess) {
            delete W;
            rc = cu_fail(err, e, "selecting the device", __LINE__);
            vsr_error_prefix(err, "device %d", cfg ? cfg->device : 0);
            return rc;
        }
        cudaDeviceProp p;
        e = cudaGetDeviceProperties(&p, W->device);
        if (e != cudaSuccess) {
            delete W;
            return cu_fail(err, e, "reading device properties", __LINE__);
        }
        if (p.major < 8) {
            rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                               "cuda: device %d (%s) is compute capability %d.%d; need 8.0+",
                               W->device, p.name, p.major, p.minor);
            delete W;
            return rc;
        }
        W->num_sms = p.multiProcessorCount;
        /* the TMA kernel's tensor maps are encoded by the driver; without
         * the entry point the other kernels serve */
        void *fn = nullptr;
        cudaDriverEntryPointQueryResult q;
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault,
                                             &q) == cudaSuccess &&
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
        return cu_fail(err, e, "uploading the weights", __LINE__);
    }
    *out = W;
    return 0;
}

void cuda_weights_destroy(void *p) {
    Weights *W = (Weights *)p;
    if (!W) return;
    cudaSetDevice(W->device);
    cudaFree(W->dev);
    delete W;
}

void cuda_context_destroy(void *p);

int cuda_context_create(const vsr_graph *g, const void *weights, const vsr_backend_config *cfg,
                        void **out, vsr_error *err) {
    (void)g;
    (void)cfg;
    *out = nullptr;
    const Weights *W = (const Weights *)weights;
    Ctx *c = new (std::nothrow) Ctx();
    if (!c) return vsr_error_set(err, VSR_ERR_NOMEM, "cuda: out of host memory");
    c->W = W;
    c->device = W->device;
    const char *v = getenv("VSR_CUDA_VARIANT");
    c->variant = v && *v ? atoi(v) : conv3x3_default_variant(c->device);
    if (c->variant < 0 || c->variant >= conv3x3_num_variants()) c->variant = 0;
    int rc = 0;
    cudaError_t e = cudaSetDevice(c->device);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
    /* The events a worker waits on for its frame: sleeping, like the
     * device's other waits (an event spins unless made blocking). Measured
     * on HD24K against spinning and against polling with sched_yield: the
     * fastest of the three, and the least CPU. */
    const unsigned ev_flags = cudaEventDisableTiming | (W->spin ? 0 : cudaEventBlockingSync);
    for (int k = 0; k < 2 && e == cudaSuccess; ++k) e = cudaEventCreateWithFlags(&c->ev[k], ev_flags);
    if (e == cudaSuccess) e = cudaEventCreateWithFlags(&c->ev_frame, cudaEventDisableTiming);
    if (e == cudaSuccess) e = cudaEventCreate(&c->t0);
    if (e == cudaSuccess) e = cudaEventCreate(&c->t1);
    for (int k = 0; k < 2 && e == cudaSuccess; ++k) e = cudaMallocHost(&c->pinned[k], STAGE_CHUNK);
    if (e != cudaSuccess) {
        rc = cu_fail(err, e, "creating an execution context (stream, events, pinned memory)", __LINE__);
        cuda_context_destroy(c);
        return rc;
    }
    /* A cuDNN handle costs tens of milliseconds a context (the server
     * makes contexts per job): only for plans with a cuDNN step. */
    bool needs_dnn = false;
    for (const Step &st : W->steps) needs_dnn |= st.kind == S_CONV_CUDNN;
    if (const CudnnApi *d = needs_dnn ? cudnn() : nullptr) {
        cudnnStatus_t s = d->cudnnCreate(&c->dnn);
        if (s == CUDNN_STATUS_SUCCESS) s = d->cudnnSetStream(c->dnn, c->stream);
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

void cuda_context_destroy(void *p) {
    Ctx *c = (Ctx *)p;
    if (!c) return;
    cudaSetDevice(c->device);
    if (c->stream) cudaStreamSynchronize(c->stream);
    release_plan(c);
    if (c->dnn) g_cudnn.cudnnDestroy(c->dnn);
    for (int k = 0; k < 2; ++k) {
        if (c->pinned[k]) cudaFreeHost(c->pinned[k]);
        if (c->ev[k]) cudaEventDestroy(c->ev[k]);
    }
    cudaFree(c->d_u8_in);
    cudaFree(c->d_u8_out);
    if (c->ev_frame) cudaEventDestroy(c->ev_frame);
    if (c->t0) cudaEventDestroy(c->t0);
    if (c->t1) cudaEventDestroy(c->t1);
    if (c->stream) cudaStreamDestroy(c->stream);
    delete c;
}

/* Selects the context's device and plans for n x h x w; a failed plan is
 * released, leaving the context usable (e.g. for smaller tiles). */
int select_and_plan(Ctx *c, int n, int h, int w, vsr_error *err) {
    CU(cudaSetDevice(c->device), "selecting the device");
    int rc = plan_for(c, n, h, w, err);
    if (rc < 0) {
        release_plan(c);
        vsr_error_prefix(err, "cuda: preparing %d x %dx%d", n, w, h);
    }
    return rc;
}

int cuda_run(void *p, const vsr_tensor *in, vsr_tensor *out, vsr_error *err) {
    Ctx *c = (Ctx *)p;
    const vsr_graph *g = c->W->g;
    if (in->c != g->in_channels)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: input has %d channels, model wants %d",
                             in->c, g->in_channels);
    int rc = select_and_plan(c, in->n, in->h, in->w, err);
    if (rc < 0) return rc;
    const vsr_shape &os = c->shapes[g->output_blob];
    if (out->n != in->n || out->c != os.c || out->h != os.h || out->w != os.w)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cuda: output tensor is %dx%dx%dx%d, graph gives %dx%dx%dx%d", out->n,
                             out->c, out->h, out->w, in->n, os.c, os.h, os.w);
    rc = h2d_staged(c, c->d_in, in->data, c->in_count * sizeof(float), err);
    if (rc == 0) rc = run_graph(c, nullptr, err);
    if (rc == 0) rc = d2h_staged(c, out->data, c->d_out, c->out_count * sizeof(float), err);
    if (rc < 0) {
        cudaStreamSynchronize(c->stream);
        cudaGetLastError();
    }
    return rc;
}

/* Grows a device byte buffer to at least bytes. */
int ensure_device_bytes(unsigned char **buf, size_t *cap, size_t bytes, vsr_error *err) {
    if (bytes <= *cap) return 0;
    cudaFree(*buf);
    *buf = nullptr;
    *cap = 0;
    CU(cudaMalloc((void **)buf, bytes), "allocating an 8-bit frame buffer");
    *cap = bytes;
    return 0;
}

/* The 8-bit paths: load (enqueues the graph's input, w x h, into d_in),
 * the graph, then convert (enqueues the conversion of output region (ox,
 * oy, ow, oh) into d_u8_out) and out_bytes copied back to out. */
template <class Load, class Convert>
int run_8bit(Ctx *c, int w, int h, int ox, int oy, int ow, int oh, size_t out_bytes,
             unsigned char *out, Load load, Convert convert, vsr_error *err) {
    const vsr_graph *g = c->W->g;
    if (g->in_channels != 3 || g->out_channels != 3)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: the 8-bit path needs an RGB model");
    int rc = select_and_plan(c, 1, h, w, err);
    if (rc < 0) return rc;
    const vsr_shape &os = c->shapes[g->output_blob];
    if (ox < 0 || oy < 0 || ow < 1 || oh < 1 || ox + ow > os.w || oy + oh > os.h)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: output region %dx%d at %d,%d outside %dx%d",
                             ow, oh, ox, oy, os.w, os.h);
    rc = ensure_device_bytes(&c->d_u8_out, &c->u8_out_cap, out_bytes, err);
    if (rc == 0) rc = load(err);
    if (rc == 0) rc = run_graph(c, nullptr, err);
    if (rc == 0) {
        convert(c->d_out, os.h, os.w, c->d_u8_out, c->stream);
        rc = d2h_staged(c, out, c->d_u8_out, out_bytes, err);
    }
    if (rc < 0) {
        cudaStreamSynchronize(c->stream);
        cudaGetLastError();
    }
    return rc;
}

/* Packed RGB24 from the host, through pinned staging. */
int load_rgb24(Ctx *c, const unsigned char *in, int w, int h, vsr_error *err) {
    const size_t bytes = (size_t)w * h * 3;
    int rc = ensure_device_bytes(&c->d_u8_in, &c->u8_in_cap, bytes, err);
    if (rc == 0) rc = h2d_staged(c, c->d_u8_in, in, bytes, err);
    if (rc == 0) launch_rgb24_to_nchw_f32(c->d_u8_in, c->d_in, h, w, c->stream);
    return rc;
}

/* Copies plane (cols x rows bytes, rows stride apart) from wherever it is
 * (host, this or another GPU) to dst, compact. */
int copy_plane(Ctx *c, unsigned char *dst, const unsigned char *src, size_t stride, size_t cols,
               size_t rows, vsr_error *err) {
    CU(cudaMemcpy2DAsync(dst, cols, src, stride, cols, rows, cudaMemcpyDefault, c->stream),
       "copying a decoded frame to the device");
    return 0;
}

/* A region of a decoded 4:2:0 frame. For a frame on this GPU, the decoder
 * enqueued the copy into it on its stream (NULL: the legacy default
 * stream) before handing it over: our stream waits for that on the GPU. A
 * frame on another GPU is waited for there, and its planes (or a frame's
 * in host memory, device -1) are copied here first. */
int load_yuv(Ctx *c, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h,
             vsr_error *err) {
    cudaStream_t ready = in->ready_stream ? (cudaStream_t)in->ready_stream : cudaStreamLegacy;
    vsr_yuv_in f = *in;
    if (in->device == c->device) {
        CU(cudaEventRecord(c->ev_frame, ready), "waiting for the decoded frame");
        CU(cudaStreamWaitEvent(c->stream, c->ev_frame, 0), "waiting for the decoded frame");
    } else {
        if (in->device >= 0) {
            CU(cudaSetDevice(in->device), "selecting the decoder's device");
            cudaError_t e = cudaStreamSynchronize(ready);
            cudaError_t e2 = cudaSetDevice(c->device);
            CU(e, "waiting for the decoded frame on its device");
            CU(e2, "selecting the device");
        }
        /* NV12: one interleaved plane; I420: Cb then Cr */
        const size_t luma = (size_t)in->width * in->height, ch = (size_t)(in->height + 1) / 2;
        const size_t row = (size_t)(in->width + 1) / 2 * in->chroma_step;
        const size_t chroma = in->chroma_step == 2 ? row * ch : 2 * row * ch;
        int rc = ensure_device_bytes(&c->d_u8_in, &c->u8_in_cap, luma + chroma, err);
        if (rc == 0)
            rc = copy_plane(c, c->d_u8_in, in->luma, in->luma_stride, in->width, in->height, err);
        if (rc == 0)
            rc = copy_plane(c, c->d_u8_in + luma, in->cb, in->chroma_stride, row, ch, err);
        if (rc == 0 && in->chroma_step != 2)
            rc = copy_plane(c, c->d_u8_in + luma + row * ch, in->cr, in->chroma_stride, row, ch,
                            err);
        if (rc < 0) return rc;
        f.luma = c->d_u8_in;
        f.luma_stride = in->width;
        f.cb = c->d_u8_in + luma;
        f.cr = in->chroma_step == 2 ? f.cb + 1 : f.cb + row * ch;
        f.chroma_stride = row;
        f.device = c->device;
    }
    launch_yuv_in_to_nchw_f32(f, *kin, x0, y0, w, h, c->d_in, c->stream);
    return 0;
}

int cuda_run_rgb24(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                   unsigned char *out, vsr_error *err) {
    Ctx *c = (Ctx *)p;
    return run_8bit(
        c, w, h, ox, oy, ow, oh, (size_t)ow * oh * 3, out,
        [&](vsr_error *e) { return load_rgb24(c, in, w, h, e); },
        [&](const float *src, int sh, int sw, unsigned char *dst, cudaStream_t st) {
            launch_nchw_f32_to_rgb24(src, sh, sw, ox, oy, ow, oh, dst, st);
        },
        err);
}

/* Only the encoder's YUV frame (half of RGB24's bytes) comes back. */
template <class Load>
int run_to_yuv420(Ctx *c, int w, int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                  unsigned char *out, Load load, vsr_error *err) {
    if (ow % 2 || oh % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: YUV 4:2:0 region %dx%d is odd", ow, oh);
    return run_8bit(
        c, w, h, ox, oy, ow, oh, (size_t)ow * oh * 3 / 2, out, load,
        [&](const float *src, int sh, int sw, unsigned char *dst, cudaStream_t st) {
            launch_nchw_f32_to_i420(src, sh, sw, ox, oy, ow, oh, *k, dst, st);
        },
        err);
}

int cuda_run_yuv420(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                    const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err) {
    Ctx *c = (Ctx *)p;
    return run_to_yuv420(
        c, w, h, ox, oy, ow, oh, k, out,
        [&](vsr_error *e) { return load_rgb24(c, in, w, h, e); }, err);
}

/* The decoder's frame never leaves the GPU: only the YUV output comes to
 * the host. */
int cuda_run_from_yuv(void *p, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0, int y0,
                      int w, int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                      unsigned char *out, vsr_error *err) {
    Ctx *c = (Ctx *)p;
    return run_to_yuv420(
        c, w, h, ox, oy, ow, oh, k, out,
        [&](vsr_error *e) { return load_yuv(c, in, kin, x0, y0, w, h, e); }, err);
}

/* The plan for w x h and one run of the graph on zeros: buffers, cuDNN
 * choices and the kernels' first (lazy) loading, off the first frame. */
int cuda_prepare(void *p, int w, int h, vsr_error *err) {
    Ctx *c = (Ctx *)p;
    /* a context kept from an earlier clip of this size has run already */
    if (c->planned && c->n == 1 && c->h == h && c->w == w) return 0;
    int rc = select_and_plan(c, 1, h, w, err);
    if (rc < 0) return rc;
    CU(cudaMemsetAsync(c->d_in, 0, c->in_count * sizeof(float), c->stream), "clearing the input");
    rc = run_graph(c, nullptr, err);
    cudaError_t e = cudaStreamSynchronize(c->stream);
    if (rc == 0) CU(e, "preparing the context");
    return rc;
}

size_t cuda_extra_bytes_per_pixel(const vsr_graph *g, const vsr_backend_config *cfg) {
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
};

int vsr_cuda_device_info(int device, char *buf, size_t len, vsr_error *err) {
    cudaDeviceProp p;
    CU(cudaGetDeviceProperties(&p, device), "reading device properties");
    int drv = 0, rtv = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rtv);
    cudnn();
    snprintf(buf, len,
             "%s, cc %d.%d, %d SMs, %.1f GiB, L2 %d MiB, driver %d.%d, runtime %d.%d, %s",
             p.name, p.major, p.minor, p.multiProcessorCount,
             p.totalGlobalMem / (1024.0 * 1024 * 1024), p.l2CacheSize >> 20, drv / 1000,
             (drv % 1000) / 10, rtv / 1000, (rtv % 1000) / 10, g_cudnn_why);
    return 0;
}

int vsr_cuda_plan_describe(const void *weights, char *buf, size_t len) {
    const Weights *W = (const Weights *)weights;
    std::string s;
    for (const Step &st : W->steps) {
        char line[256];
        const vsr_node &nd = W->g->nodes[st.node];
        snprintf(line, sizeof line, "%-14s %s%s%s\n", nd.name, step_kind_name(st.kind),
                 st.act_node >= 0 ? " +" : "",
                 st.act_node >= 0 ? W->g->nodes[st.act_node].name : "");
        s += line;
    }
    snprintf(buf, len, "%s", s.c_str());
    return (int)W->steps.size();
}

int vsr_cuda_num_variants(void) { return conv3x3_num_variants(); }
const char *vsr_cuda_variant_name(int v) { return conv3x3_variant_name(v); }
void vsr_cuda_ctx_set_variant(void *ctx, int variant) {
    Ctx *c = (Ctx *)ctx;
    if (variant >= 0 && variant < conv3x3_num_variants()) c->variant = variant;
}

int vsr_cuda_bench_device(void *ctx, int n, int h, int w, int warmup, int iters, int profile,
                          double *ms_per_batch, vsr_error *err) {
    Ctx *c = (Ctx *)ctx;
    int rc = select_and_plan(c, n, h, w, err);
    if (rc < 0) return rc;
    launch_fill_random(c->d_in, (long long)c->in_count, 12345u, c->stream);
    for (int i = 0; i < warmup; ++i)
        if ((rc = run_graph(c, nullptr, err)) < 0) return rc;
    CU(cudaEventRecord(c->t0, c->stream), "recording an event");
    for (int i = 0; i < iters; ++i)
        if ((rc = run_graph(c, nullptr, err)) < 0) return rc;
    CU(cudaEventRecord(c->t1, c->stream), "recording an event");
    CU(cudaEventSynchronize(c->t1), "running the graph");
    float ms = 0;
    CU(cudaEventElapsedTime(&ms, c->t0, c->t1), "reading the timer");
    *ms_per_batch = ms / std::max(iters, 1);
    if (profile) {
        const int ns = (int)c->W->steps.size();
        std::vector<cudaEvent_t> marks(ns + 1);
        for (auto &m : marks) CU(cudaEventCreate(&m), "creating an event");
        CU(cudaEventRecord(c->t0, c->stream), "recording an event");
        rc = run_graph(c, &marks, err);
        CU(cudaEventSynchronize(marks[ns]), "profiling");
        float prev = 0;
        cudaEventElapsedTime(&prev, c->t0, marks[0]);
        printf("    %-14s %-32s %9.3f ms\n", "(input)", "nchw->nhwc", prev);
        for (int s = 0; s < ns; ++s) {
            float t = 0;
            cudaEventElapsedTime(&t, marks[s], marks[s + 1]);
            const Step &st = c->W->steps[s];
            const vsr_shape &os = c->shapes[st.kind == S_CONV_TAIL ? c->W->g->nodes[st.node].output
                                                                   : st.out_blob];
            double fl = st.flops_per_out_pixel * (double)n * os.h * os.w;
            printf("    %-14s %-32s %9.3f ms %8.1f TFLOP/s\n", c->W->g->nodes[st.node].name,
                   step_kind_name(st.kind), t, fl > 0 ? fl / (t * 1e-3) / 1e12 : 0.0);
        }
        for (auto &m : marks) cudaEventDestroy(m);
    }
    return rc;
}

} /* extern "C" */
