/* The CUDA backend's executor: a context's buffers, cuDNN descriptors and
 * resize tables planned for one batch and frame size, the steps enqueued
 * on its stream, and the pinned, double-buffered host transfers. */
#include <math.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "engine/cuda/cuda_plan.h"

namespace vsrcuda
{

void release_plan(Ctx *c)
{
    const CudnnApi *d = g_cudnn.lib ? &g_cudnn : nullptr;
    for (StepRT &r : c->rt) {
        if (d) {
            if (r.dnn.x)
                d->cudnnDestroyTensorDescriptor(r.dnn.x);
            if (r.dnn.y)
                d->cudnnDestroyTensorDescriptor(r.dnn.y);
            if (r.dnn.w)
                d->cudnnDestroyFilterDescriptor(r.dnn.w);
            if (r.dnn.conv)
                d->cudnnDestroyConvolutionDescriptor(r.dnn.conv);
        }
        if (r.tables)
            cudaFree(r.tables);
    }
    c->rt.clear();
    for (void *b : c->bufs)
        cudaFree(b);
    c->bufs.clear();
    cudaFree(c->d_in);
    cudaFree(c->d_out);
    cudaFree(c->d_tail);
    cudaFree(c->ws);
    cudaFree(c->d_sched);
    c->d_in = c->d_out = c->d_tail = nullptr;
    c->ws = nullptr;
    c->ws_bytes = 0;
    c->d_sched = nullptr;
    c->d_tile_flags = c->d_tile_stored = nullptr;
    c->sched_bytes = 0;
    c->planned = false;
}

namespace
{

/* Resize coefficient tables, exactly as the ref backend (ref_ops.c) builds
 * them from ncnn's linear_coeffs() / cubic_coeffs(); ofs already includes
 * the first tap's offset (-1 for bicubic); the kernel clamps indices. */
void interp_tables(int mode, float scale_param, int in, int out, int align, std::vector<int> &ofs,
                   std::vector<float> &alpha, int &taps)
{
    ofs.resize(out);
    if (mode == VSR_INTERP_NEAREST) {
        taps = 1;
        alpha.assign(out, 1.f);
        const float hs = 1.f / scale_param; /* ncnn uses 1/scale, not the size ratio */
        for (int d = 0; d < out; ++d)
            ofs[d] = std::min(std::max((int)(d * hs), 0), in - 1);
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
            if (sx < 0) {
                sx = 0;
                f = 0.f;
            }
            if (sx >= in - 1) {
                sx = in > 1 ? in - 2 : 0;
                f = in > 1 ? 1.f : 0.f;
            }
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
        if (sx <= -1) {
            sx = 1;
            a[0] = 1.f - a[3];
            a[1] = a[3];
            a[2] = a[3] = 0.f;
        }
        if (sx == 0) {
            sx = 1;
            a[0] = a[0] + a[1];
            a[1] = a[2];
            a[2] = a[3];
            a[3] = 0.f;
        }
        if (sx == in - 2) {
            sx = in - 3;
            a[3] = a[2] + a[3];
            a[2] = a[1];
            a[1] = a[0];
            a[0] = 0.f;
        }
        if (sx >= in - 1) {
            sx = in - 3;
            a[3] = 1.f - a[0];
            a[2] = a[0];
            a[1] = a[0] = 0.f;
        }
        ofs[d] = sx - 1;
    }
}

int plan_for(Ctx *c, int n, int h, int w, vsr_error *err)
{
    if (c->planned && c->n == n && c->h == h && c->w == w)
        return 0;
    release_plan(c);
    const Weights *W = c->W;
    const vsr_graph *g = W->g;
    c->shapes.resize(g->n_blobs);
    int rc = vsr_graph_infer_shapes(g, h, w, c->shapes.data(), err);
    if (rc < 0)
        return rc;
    c->cp.resize(g->n_blobs);
    for (int b = 0; b < g->n_blobs; ++b)
        c->cp[b] = round_up8(c->shapes[b].c);

    /* blobs planned as channel slices share their root's buffer, which
     * lives from the first write of any of them to the last read */
    auto root = [&](int b) { return W->alias_root.empty() ? b : W->alias_root[b]; };
    c->choff.assign(g->n_blobs, 0);
    for (int b = 0; b < g->n_blobs && !W->alias_off.empty(); ++b)
        c->choff[b] = W->alias_off[b];
    /* last step reading each blob (each root) */
    const int ns = (int)W->steps.size();
    std::vector<int> last(g->n_blobs, -1);
    for (int s = 0; s < ns; ++s)
        for (int b : W->steps[s].in_blobs)
            last[root(b)] = std::max(last[root(b)], s);
    if (!W->tail_writes_output)
        last[root(g->output_blob)] = ns;
    /* greedy buffer assignment: slot sizes */
    std::vector<size_t> slot_bytes;
    std::vector<char> slot_free;
    c->buf_of_blob.assign(g->n_blobs, -1);
    auto bytes_of = [&](int b) {
        return (size_t)n * c->shapes[b].h * c->shapes[b].w * c->cp[b] * sizeof(__half);
    };
    auto take = [&](int b) {
        if (c->buf_of_blob[b] >= 0)
            return; /* a root, taken at an earlier slice's write */
        size_t need = bytes_of(b);
        /* the smallest free slot that fits, else the largest free one (grown) */
        int best = -1, big = -1;
        for (int k = 0; k < (int)slot_bytes.size(); ++k) {
            if (!slot_free[k])
                continue;
            if (slot_bytes[k] >= need && (best < 0 || slot_bytes[k] < slot_bytes[best]))
                best = k;
            if (big < 0 || slot_bytes[k] > slot_bytes[big])
                big = k;
        }
        if (best < 0)
            best = big;
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
        if (last[g->input_blob] < 0)
            slot_free[c->buf_of_blob[g->input_blob]] = 1;
    }
    for (int s = 0; s < ns; ++s) {
        const Step &st = W->steps[s];
        if (st.kind != S_CONV_TAIL && st.kind != S_RESIZE_OUT)
            take(root(st.out_blob));
        for (int b : st.in_blobs)
            if (last[root(b)] == s && c->buf_of_blob[root(b)] >= 0)
                slot_free[c->buf_of_blob[root(b)]] = 1;
    }
    for (int b = 0; b < g->n_blobs; ++b)
        if (root(b) != b)
            c->buf_of_blob[b] = c->buf_of_blob[root(b)];
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
#define DNN(call, what)                       \
    if ((e = (call)) != CUDNN_STATUS_SUCCESS) \
        return dnn_fail(err, e, what, nd.name);
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
                if (perf[k].status != CUDNN_STATUS_SUCCESS)
                    continue;
                size_t ws = 0;
                if (d->cudnnGetConvolutionForwardWorkspaceSize(c->dnn, r.dnn.x, r.dnn.w, r.dnn.conv,
                                                               r.dnn.y, perf[k].algo,
                                                               &ws) != CUDNN_STATUS_SUCCESS)
                    continue;
                if (ws > ((size_t)1 << 30))
                    continue;
                r.dnn.algo = perf[k].algo;
                r.dnn.ws = ws;
                found = true;
            }
            if (!found)
                return vsr_error_set(err, VSR_ERR_BACKEND,
                                     "cudnn: layer %s: no forward algorithm for this shape",
                                     nd.name);
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
            CU(cudaMemcpy(p + b1, ya.data(), b2, cudaMemcpyHostToDevice),
               "uploading resize tables");
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
            for (int b : st.in_blobs)
                ptrs.push_back(c->bufs[c->buf_of_blob[b]]);
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
    /* the RRDB steps in order: which follow one of the same size at once
     * (steps that launch nothing, the concatenations planned away, sit
     * between them), and the tiles of the largest */
    int n_rrdb = 0, prev_h = -1, prev_w = -1;
    size_t max_tiles = 0;
    for (int s = 0; s < ns; ++s) {
        const Step &st = W->steps[s];
        if (st.kind == S_CONCAT && st.concat_alias)
            continue;
        if (st.kind != S_CONV_RRDB) {
            prev_h = prev_w = -1;
            continue;
        }
        const vsr_shape &is = c->shapes[g->nodes[st.node].inputs[0]];
        c->rt[s].rrdb_ord = n_rrdb++;
        c->rt[s].rrdb_follows = is.h == prev_h && is.w == prev_w;
        prev_h = is.h;
        prev_w = is.w;
        max_tiles = std::max(max_tiles, conv3x3_rrdb_tiles(n, is.h, is.w));
    }
    if (n_rrdb) {
        /* a claim counter and a stored count per step, then the flags */
        c->sched_bytes = n_rrdb * (sizeof(unsigned long long) + sizeof(unsigned int)) +
                         max_tiles * sizeof(unsigned int);
        CU(cudaMalloc(&c->d_sched, c->sched_bytes), "allocating the RRDB steps' tile flags");
        c->d_tile_stored = (unsigned int *)(c->d_sched + n_rrdb);
        c->d_tile_flags = c->d_tile_stored + n_rrdb;
    }
    c->n = n;
    c->h = h;
    c->w = w;
    c->planned = true;
    return 0;
}

DevAct dev_act(const Weights *W, const Step &st)
{
    DevAct a;
    a.type = st.act.type;
    a.alpha = st.act.alpha;
    a.beta = st.act.beta;
    a.slopes = W->ptr<float>(st.off_slopes);
    return a;
}

/* The arguments of RRDB step s; overlap: it may overlap the RRDB step
 * before it (RrdbConvArgs). */
RrdbConvArgs rrdb_args(Ctx *c, int s, bool overlap)
{
    const Weights *W = c->W;
    const Step &st = W->steps[s];
    const vsr_node &nd = W->g->nodes[st.node];
    auto buf = [&](int b) { return (__half *)c->bufs[c->buf_of_blob[b]] + c->choff[b]; };
    auto stride = [&](int b) { return c->cp[W->alias_root.empty() ? b : W->alias_root[b]]; };
    const vsr_conv_params &cv = nd.p.conv;
    const vsr_shape &is = c->shapes[nd.inputs[0]];
    RrdbConvArgs a;
    a.in = buf(nd.inputs[0]);
    a.in_stride = stride(nd.inputs[0]);
    a.cin = cv.in_c;
    a.wt = W->ptr<__half>(st.off_w16);
    a.bias = W->ptr<float>(st.off_bias);
    a.slope = st.slope;
    a.cout = cv.out_c;
    a.out = buf(st.out_blob);
    a.out_stride = stride(st.out_blob);
    a.r1 = st.r1_blob >= 0 ? buf(st.r1_blob) : nullptr;
    a.r1_stride = st.r1_blob >= 0 ? stride(st.r1_blob) : 0;
    a.r2 = st.r2_blob >= 0 ? buf(st.r2_blob) : nullptr;
    a.r2_stride = st.r2_blob >= 0 ? stride(st.r2_blob) : 0;
    a.s0 = st.s0;
    a.s1 = st.s1;
    a.s2 = st.s2;
    a.n = c->n;
    a.h = is.h;
    a.w = is.w;
    const StepRT &r = c->rt[s];
    a.off = W->knobs.cuda_rrdb_off;
    a.trace = nullptr;
    a.claim = c->d_sched + r.rrdb_ord;
    a.flags = c->d_tile_flags;
    a.stored = c->d_tile_stored + r.rrdb_ord;
    a.wait_stored = r.rrdb_ord > 0 ? a.stored - 1 : nullptr;
    a.epoch = (unsigned)r.rrdb_ord + 1;
    a.wait_epoch = overlap && r.rrdb_follows ? (unsigned)r.rrdb_ord : 0;
    return a;
}

/* Enqueues step s on the context's stream; overlap: an RRDB conv may
 * overlap the one before (RrdbConvArgs). */
int run_step(Ctx *c, int s, bool overlap, vsr_error *err)
{
    const Weights *W = c->W;
    const vsr_graph *g = W->g;
    const Step &st = W->steps[s];
    const vsr_node &nd = g->nodes[st.node];
    cudaStream_t stream = c->stream;
    auto buf = [&](int b) { return (__half *)c->bufs[c->buf_of_blob[b]] + c->choff[b]; };
    /* channels a pixel apart in b's buffer */
    auto stride = [&](int b) { return c->cp[W->alias_root.empty() ? b : W->alias_root[b]]; };
    const int n = c->n;
    const vsr_shape &os = c->shapes[st.kind == S_CONV_TAIL ? nd.output : st.out_blob];
    const long long opix = (long long)n * os.h * os.w;
    /* a 3x3 conv of blob b on the tensor cores: the step's weights, no
     * output yet */
    auto conv_args = [&](int b) {
        const vsr_shape &is = c->shapes[b];
        Conv3x3Args a;
        a.in = buf(b);
        a.wt = W->ptr<__half>(st.off_w16);
        a.bias = W->ptr<float>(st.off_bias);
        a.slopes = W->ptr<float>(st.off_slopes);
        a.out = nullptr;
        a.resid = nullptr;
        a.out_f32 = nullptr;
        a.n = n;
        a.h = is.h;
        a.w = is.w;
        return a;
    };
    cudaError_t e = cudaSuccess;
    switch (st.kind) {
    case S_CONV_FIRST:
        if (W->first_fp32)
            launch_first_conv(c->d_in, buf(st.out_blob), stride(st.out_blob), n, c->h, c->w,
                              *st.first, stream);
        else
            launch_first_conv_tc(c->d_in, buf(st.out_blob), stride(st.out_blob), n, c->h, c->w,
                                 W->ptr<__half>(st.off_w16), W->ptr<float>(st.off_bias),
                                 W->ptr<float>(st.off_slopes), stream);
        break;
    case S_CONV_RRDB: {
        RrdbConvArgs a = rrdb_args(c, s, overlap);
        e = launch_conv3x3_rrdb(a, {W->num_sms, W->encode_tiled, stream});
        break;
    }
    case S_CONV_MMA:
    case S_CONV_TAIL: {
        Conv3x3Args a = conv_args(nd.inputs[0]);
        if (st.kind == S_CONV_MMA) {
            a.out = buf(st.out_blob);
            e = launch_conv3x3_body(c->variant, a, {W->num_sms, W->encode_tiled, stream});
        } else {
            a.resid = c->d_in;
            a.out_f32 = st.to_scratch ? c->d_tail : c->d_out;
            e = launch_conv3x3_tail48(c->variant, a, {W->num_sms, W->encode_tiled, stream});
        }
        break;
    }
    case S_CONV_UP2: {
        const vsr_shape &is = c->shapes[st.in_blobs[0]];
        if (os.h != 2 * is.h || os.w != 2 * is.w || c->cp[st.in_blobs[0]] != 64 ||
            c->cp[st.out_blob] != 64 || c->choff[st.in_blobs[0]] || c->choff[st.out_blob])
            return vsr_error_set(err, VSR_ERR_BACKEND,
                                 "cuda: layer %s: %s from %dx%d to %dx%d, or strided channels",
                                 nd.name, step_kind_name(st.kind), is.w, is.h, os.w, os.h);
        Conv3x3Args a = conv_args(st.in_blobs[0]);
        a.out = buf(st.out_blob);
        e = launch_conv3x3_up2(a, {W->num_sms, W->encode_tiled, stream});
        break;
    }
    case S_CONV_NARROW: {
        const vsr_conv_params &cv = nd.p.conv;
        const vsr_shape &is = c->shapes[nd.inputs[0]];
        /* the kernel takes dense pixels: cin channels in, 8 out (never
         * concat slices: those are planned only where S_CONV_RRDB reads) */
        if (stride(nd.inputs[0]) != cv.in_c || stride(st.out_blob) != 8 || c->choff[nd.inputs[0]] ||
            c->choff[st.out_blob])
            return vsr_error_set(err, VSR_ERR_BACKEND, "cuda: layer %s: strided channels for %s",
                                 nd.name, step_kind_name(st.kind));
        NarrowConvArgs a;
        a.in = buf(nd.inputs[0]);
        a.cin = cv.in_c;
        a.wt = W->ptr<__half>(st.off_w16);
        a.bias = W->ptr<float>(st.off_bias);
        a.slopes = W->ptr<float>(st.off_slopes);
        a.cout = cv.out_c;
        a.out = buf(st.out_blob);
        a.n = n;
        a.h = is.h;
        a.w = is.w;
        e = launch_conv3x3_narrow(a, stream);
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
        if (ds != CUDNN_STATUS_SUCCESS)
            return dnn_fail(err, ds, "convolution forward", nd.name);
        __half *y = buf(st.out_blob);
        launch_bias_act(y, y, opix, os.c, c->cp[st.out_blob], W->ptr<float>(st.off_bias),
                        dev_act(W, st), stream);
        break;
    }
    case S_ACT: {
        DevAct a = dev_act(W, st);
        if (a.type == VSR_ACT_PRELU && st.act.n_slopes != 1 && st.act.n_slopes != os.c)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "cuda: layer %s: %d PReLU slopes for %d channels", nd.name,
                                 st.act.n_slopes, os.c);
        launch_bias_act(buf(nd.inputs[0]), buf(st.out_blob), opix, os.c, c->cp[st.out_blob],
                        nullptr, a, stream);
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
        /* nearest x2 (the RRDB upsampling): each pixel copied to four */
        if (r.taps == 1 && nd.p.interp.scale_h == 2.f && nd.p.interp.scale_w == 2.f &&
            os.h == 2 * is.h && os.w == 2 * is.w && c->cp[nd.inputs[0]] == c->cp[st.out_blob])
            launch_nearest2x_nhwc(buf(nd.inputs[0]), buf(st.out_blob), n, is.h, is.w,
                                  c->cp[st.out_blob], stream);
        else
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
        launch_binary(buf(nd.inputs[0]), b.with_scalar ? nullptr : buf(nd.inputs[1]),
                      buf(st.out_blob), opix, os.c, c->cp[st.out_blob], (int)b.op, b.with_scalar,
                      b.scalar, stream);
        break;
    }
    case S_ELTWISE: {
        const vsr_eltwise_params &p = nd.p.eltwise;
        launch_eltwise((const __half *const *)c->rt[s].tables, nd.n_inputs, buf(st.out_blob), opix,
                       os.c, c->cp[st.out_blob], (int)p.op, W->ptr<float>(st.off_coeffs), stream);
        break;
    }
    case S_CONCAT: {
        if (st.concat_alias)
            break; /* its inputs were written in place */
        int off = 0;
        for (int k = 0; k < nd.n_inputs; ++k) {
            int b = nd.inputs[k];
            launch_concat_part(buf(b), c->shapes[b].c, c->cp[b], buf(st.out_blob),
                               c->cp[st.out_blob], off, opix, stream);
            off += c->shapes[b].c;
        }
        launch_zero_pad_channels(buf(st.out_blob), opix, os.c, c->cp[st.out_blob], stream);
        break;
    }
    }
    if (e == cudaSuccess)
        e = cudaGetLastError();
    if (e != cudaSuccess) {
        cu_fail(err, e, "launching a kernel", __FILE__, __LINE__);
        vsr_error_prefix(err, "layer %s (%s)", nd.name, step_kind_name(st.kind));
        return err ? err->code : VSR_ERR_BACKEND;
    }
    return 0;
}

} // namespace

/* Input (fp32 NCHW in d_in) -> graph -> fp32 NCHW in d_out, all enqueued. */
int run_graph(Ctx *c, std::vector<cudaEvent_t> *marks, vsr_error *err)
{
    const vsr_graph *g = c->W->g;
    const int ib = g->input_blob;
    if (c->W->input_f16_needed)
        launch_nchw_f32_to_nhwc_f16(c->d_in, (__half *)c->bufs[c->buf_of_blob[ib]], c->n,
                                    g->in_channels, c->h, c->w, c->cp[ib], c->stream);
    /* fresh claim counters and tile flags for this run; a profile (marks
     * between the steps) times each step alone */
    if (c->d_sched)
        CU(cudaMemsetAsync(c->d_sched, 0, c->sched_bytes, c->stream), "clearing the tile flags");
    const bool overlap = !marks && !(c->W->knobs.cuda_rrdb_off & RRDB_OFF_STREAM);
    if (marks)
        cudaEventRecord((*marks)[0], c->stream);
    for (int s = 0; s < (int)c->W->steps.size(); ++s) {
        int rc = run_step(c, s, overlap, err);
        if (rc < 0)
            return rc;
        if (marks)
            cudaEventRecord((*marks)[s + 1], c->stream);
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

int h2d_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err)
{
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

int d2h_staged(Ctx *c, void *dst, const void *src, size_t bytes, vsr_error *err)
{
    size_t nchunks = (bytes + STAGE_CHUNK - 1) / STAGE_CHUNK;
    auto enqueue = [&](size_t k) -> int {
        size_t off = k * STAGE_CHUNK, len = std::min(STAGE_CHUNK, bytes - off);
        CU(cudaMemcpyAsync(c->pinned[k & 1], (const char *)src + off, len, cudaMemcpyDeviceToHost,
                           c->stream),
           "copying the output to the host");
        CU(cudaEventRecord(c->ev[k & 1], c->stream), "recording an event");
        return 0;
    };
    if (nchunks == 0)
        return 0;
    int rc = enqueue(0);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < nchunks; ++k) {
        if (k + 1 < nchunks && (rc = enqueue(k + 1)) < 0)
            return rc;
        CU(cudaEventSynchronize(c->ev[k & 1]), "waiting for the device (frame computation)");
        size_t off = k * STAGE_CHUNK, len = std::min(STAGE_CHUNK, bytes - off);
        memcpy((char *)dst + off, c->pinned[k & 1], len);
    }
    return 0;
}

/* Selects the context's device and plans for n x h x w; a failed plan is
 * released, leaving the context usable (e.g. for smaller tiles). */
int select_and_plan(Ctx *c, int n, int h, int w, vsr_error *err)
{
    CU(cudaSetDevice(c->device), "selecting the device");
    int rc = plan_for(c, n, h, w, err);
    if (rc < 0) {
        release_plan(c);
        vsr_error_prefix(err, "cuda: preparing %d x %dx%d", n, w, h);
    }
    return rc;
}

} // namespace vsrcuda
