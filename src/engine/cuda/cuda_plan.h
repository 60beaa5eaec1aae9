/* Internal declarations of the CUDA backend's host side, shared by
 * cuda_cudnn.cu (the cuDNN loader), cuda_plan.cu (the planner),
 * cuda_exec.cu (per-size buffers and the executor), cuda_io8.cu (the 8-bit
 * paths) and cuda_backend.cu (the backend table): the plan, the weights and
 * the context (CUDA C++; never include this from C). */
#ifndef VSR_ENGINE_CUDA_PLAN_H
#define VSR_ENGINE_CUDA_PLAN_H

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stddef.h>
#include <string.h>

#include <memory>
#include <vector>

extern "C" {
#include "engine/backend.h"
#include "engine/graph.h"
#include "util/error.h"
}
#include "engine/cuda/cuda_internal.h"

namespace vsrcuda
{

/* ------------------------------------------------------------------ errors */

/* Sets err from a CUDA error (clearing a non-sticky one); file and line
 * name the call site in the message. */
int cu_fail(vsr_error *err, cudaError_t e, const char *what, const char *file, int line);
#define CU(call, what)                                         \
    do {                                                       \
        cudaError_t e_ = (call);                               \
        if (e_ != cudaSuccess)                                 \
            return cu_fail(err, e_, what, __FILE__, __LINE__); \
    } while (0)

/* ------------------------------------------------------- cuDNN (cuda_cudnn.cu) */

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

extern CudnnApi g_cudnn;      /* loaded, or lib == nullptr */
extern char g_cudnn_why[256]; /* what was loaded, or why not */

/* cuDNN, loaded on first use; nullptr where it is not there. */
const CudnnApi *cudnn();
int dnn_fail(vsr_error *err, cudnnStatus_t st, const char *what, const char *node);

/* ------------------------------------------------------------ plan (cuda_plan.cu) */

enum StepKind {
    S_CONV_FIRST,  /* 3x3 3->64 from the fp32 graph input, bias + PReLU fused */
    S_CONV_MMA,    /* 3x3 64->64 hand kernel, bias + PReLU fused */
    S_CONV_UP2,    /* nearest x2, then S_CONV_MMA's conv, in one kernel (Hopper);
                      in_blobs[0]: the input before the upsampling */
    S_CONV_TAIL,   /* 3x3 64->48 + shuffle 4 + nearest-x4 residual, fp32 output */
    S_RESIZE_OUT,  /* the tail's fp32 output resized into the graph output (x2 models) */
    S_CONV_RRDB,   /* 3x3 cin 64..256 -> 32/64 on Hopper (cuda_conv3x3_rrdb.cu): channel
                      slices in and out, bias + act + up to two scaled residuals fused */
    S_CONV_NARROW, /* 3x3 cin 16..64 -> 1..4 (the RRDB's last conv, cuda_conv3x3_narrow.cu),
                      bias + act fused */
    S_CONV_DIRECT, /* direct kernel, bias + act fused */
    S_CONV_CUDNN,  /* cuDNN + bias/act kernel */
    S_ACT,
    S_SHUFFLE,
    S_INTERP,
    S_BINARY,
    S_ELTWISE,
    S_CONCAT,
};

const char *step_kind_name(StepKind k);

struct Step {
    StepKind kind;
    int node;                /* the main node */
    int act_node;            /* fused activation node, or -1 */
    int out_blob;            /* blob written (graph output for the tail) */
    bool to_scratch = false; /* the tail: into Ctx::d_tail, for an S_RESIZE_OUT step */
    std::vector<int> in_blobs;
    vsr_activation act; /* effective activation */
    /* offsets into the weights' device block (-1: none) */
    long long off_w16 = -1, off_w32 = -1, off_bias = -1, off_slopes = -1, off_coeffs = -1;
    int slopes_len = 0;
    double flops_per_out_pixel = 0;         /* for profiling */
    std::shared_ptr<FirstConvParams> first; /* S_CONV_FIRST: launch parameters */
    /* S_CONV_RRDB: out = s0 * act(conv + bias) + s1 * r1 + s2 * r2, act a
     * slope for x < 0 (the residual blobs are in in_blobs too) */
    float slope = 1.f, s0 = 1.f, s1 = 0.f, s2 = 0.f;
    int r1_blob = -1, r2_blob = -1;
    /* S_CONCAT: its inputs were planned as channel slices of its output's
     * buffer (see Weights::alias_root): nothing to do */
    bool concat_alias = false;
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
    bool spin = false;       /* VSR_CUDA_SPIN: waits spin (the runtime's default), for measuring */
    bool first_fp32 = false; /* VSR_CUDA_FIRST_FP32=1: first layer on fp32 FMA, not tensor cores */
    vsr_backend_settings knobs{}; /* the settings it was made with (plan choices) */
    int cc_major = 0;             /* the device's compute capability */
    /* Concatenations planned away: blob b lives in the buffer of blob
     * alias_root[b] (itself if not aliased), at channel alias_off[b]; a
     * pixel of it is then alias_root's channel count apart. Only steps that
     * take strides (S_CONV_RRDB, S_CONV_FIRST's output) touch such blobs. */
    std::vector<int> alias_root, alias_off;
    unsigned char *dev = nullptr;
    size_t dev_bytes = 0;
    template <class T> T *ptr(long long off) const
    {
        return off < 0 ? nullptr : reinterpret_cast<T *>(dev + off);
    }
};

/* Host staging of the weight block. */
struct Blob {
    std::vector<unsigned char> bytes;
    long long add(const void *p, size_t n)
    {
        size_t off = (bytes.size() + 255) & ~(size_t)255;
        bytes.resize(off + n);
        memcpy(bytes.data() + off, p, n);
        return (long long)off;
    }
};

/* The plan of g (fusions, a kernel per step) into W->steps, every step's
 * parameters staged into blob. */
int build_plan(const vsr_graph *g, Weights *W, Blob &blob, vsr_error *err);

/* ------------------------------------------------------- context (cuda_exec.cu) */

struct ResampleState; /* output at any size: cuda_resample.cu */

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
    /* S_CONV_RRDB: its place among the plan's RRDB steps (its claim
     * counter; its epoch is rrdb_ord + 1), and whether the step launched
     * before it is an RRDB conv of the same size, which it may overlap */
    int rrdb_ord = -1;
    bool rrdb_follows = false;
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
    std::vector<int> buf_of_blob; /* aliased blobs: their root's */
    std::vector<int> choff;       /* channel offset of a blob in its buffer */
    std::vector<void *> bufs;
    float *d_in = nullptr, *d_out = nullptr;
    float *d_tail = nullptr; /* the tail's fp32 output before S_RESIZE_OUT */
    size_t in_count = 0, out_count = 0;
    /* the 8-bit path's frames on the device (grown as needed) */
    unsigned char *d_u8_in = nullptr, *d_u8_out = nullptr;
    size_t u8_in_cap = 0, u8_out_cap = 0;
    void *ws = nullptr;
    size_t ws_bytes = 0;
    /* the RRDB steps' scheduling, zeroed before each run: a claim counter
     * and a stored-tile count per step, then a flag per tile (RrdbConvArgs) */
    unsigned long long *d_sched = nullptr;
    unsigned int *d_tile_flags = nullptr, *d_tile_stored = nullptr;
    size_t sched_bytes = 0;
    std::vector<StepRT> rt;
    ResampleState *resample = nullptr; /* made on first use; resample_free */
};

void release_plan(Ctx *c);
/* Selects the context's device and plans for n x h x w; a failed plan is
 * released, leaving the context usable (e.g. for smaller tiles). */
int select_and_plan(Ctx *c, int n, int h, int w, vsr_error *err);
/* Input (fp32 NCHW in d_in) -> graph -> fp32 NCHW in d_out, all enqueued. */
int run_graph(Ctx *c, std::vector<cudaEvent_t> *marks, vsr_error *err);
int h2d_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err);
int d2h_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err);

/* ------------------------------------------------------ 8-bit paths (cuda_io8.cu) */

int cuda_run_rgb24(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                   unsigned char *out, vsr_error *err);
int cuda_run_yuv420(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                    const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err);
int cuda_run_from_yuv(void *p, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0, int y0,
                      int w, int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                      unsigned char *out, vsr_error *err);
int cuda_run_batch_yuv420(void *p, int n, const unsigned char *const *rgb, const vsr_yuv_in *yuv,
                          const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h, int ox, int oy,
                          int ow, int oh, const vsr_yuv_coeffs *k, unsigned char *const *out,
                          vsr_error *err);
/* A decoded 4:2:0 frame as one readable on this device (copied here from
 * the host or another GPU, into place slot of slots in d_u8_in; waited
 * for on its decoder's stream). */
int stage_yuv(Ctx *c, const vsr_yuv_in *in, int slot, int slots, vsr_yuv_in *out, vsr_error *err);
int cuda_frame_tile(void *p, const unsigned char *in, const vsr_yuv_in *yuv,
                    const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h, int ox, int oy, int ow,
                    int oh, int fw, int fh, int dx, int dy, vsr_error *err);

/* ------------------------------------------ output at any size (cuda_resample.cu) */

/* The context's RGB24 frame of fw x fh on the device (the model's output,
 * tile by tile), grown as needed. */
int resample_frame(Ctx *c, int fw, int fh, unsigned char **frame, vsr_error *err);
int cuda_frame_yuv420(void *p, const unsigned char *in, size_t in_stride, const vsr_yuv_in *yuv,
                      const vsr_rgb_coeffs *kin, int in_w, int in_h, int fw, int fh,
                      const vsr_resample *rs, int out_w, int out_h, const vsr_yuv_coeffs *k,
                      unsigned char *out, vsr_error *err);
/* Frees the context's resample state (buffers, tables). */
void resample_free(Ctx *c);

} // namespace vsrcuda

#endif
