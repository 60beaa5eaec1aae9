/* The CUDA backend's planner: which nodes fuse, which kernel runs each
 * step, and every step's parameters laid out for one device allocation
 * (see cuda_backend.cu for the kernels each step kind stands for). */
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/cuda/cuda_plan.h"

namespace vsrcuda
{

const char *step_kind_name(StepKind k)
{
    switch (k) {
    case S_CONV_FIRST: return "conv3x3-first(fp32 in)";
    case S_CONV_MMA: return "conv3x3-mma";
    case S_CONV_UP2: return "conv3x3-up2 (nearest x2 + conv3x3-mma)";
    case S_CONV_TAIL: return "conv3x3-tail(shuffle+residual)";
    case S_RESIZE_OUT: return "interp(fp32, to output)";
    case S_CONV_RRDB: return "conv3x3-rrdb";
    case S_CONV_NARROW: return "conv3x3-narrow";
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

namespace
{

/* The conv's bias, out_c floats (zeros without one), into the blob; its offset. */
long long add_bias(Blob &blob, const vsr_conv_params &c)
{
    std::vector<float> bias(c.out_c, 0.f);
    if (c.bias)
        memcpy(bias.data(), c.bias, c.out_c * sizeof(float));
    return blob.add(bias.data(), bias.size() * 4);
}

bool conv_is_3x3_same(const vsr_conv_params &c)
{
    return c.kernel_h == 3 && c.kernel_w == 3 && c.stride_h == 1 && c.stride_w == 1 &&
           c.dilation_h == 1 && c.dilation_w == 1 && c.pad_top == 1 && c.pad_left == 1 &&
           c.pad_bottom == 1 && c.pad_right == 1;
}

/* Per-channel slope table (length n) that expresses act for the fused
 * kernels: PReLU slopes, 0 for ReLU, alpha for leaky, 1 for none. */
bool act_as_slopes(const vsr_activation &a, int n, std::vector<float> &s)
{
    s.assign(n, 1.f);
    switch (a.type) {
    case VSR_ACT_NONE: return true;
    case VSR_ACT_RELU: std::fill(s.begin(), s.end(), 0.f); return true;
    case VSR_ACT_LEAKY: std::fill(s.begin(), s.end(), a.alpha); return true;
    case VSR_ACT_PRELU:
        for (int i = 0; i < n; ++i)
            s[i] = a.n_slopes == 1 ? a.slopes[0] : a.slopes[i];
        return a.n_slopes == 1 || a.n_slopes == n;
    default: return false;
    }
}

/* The slope for x < 0 that expresses act, if one does (S_CONV_RRDB). */
bool act_as_slope(const vsr_activation &a, float *slope)
{
    switch (a.type) {
    case VSR_ACT_NONE: *slope = 1.f; return true;
    case VSR_ACT_RELU: *slope = 0.f; return true;
    case VSR_ACT_LEAKY: *slope = a.alpha; return true;
    case VSR_ACT_PRELU:
        if (a.n_slopes != 1)
            return false;
        *slope = a.slopes[0];
        return true;
    default: return false;
    }
}

/* Concatenations planned away (the RRDB dense blocks): each concat's
 * inputs become channel slices of one buffer, the biggest concat's output
 * (its root), which the later, smaller concats of the same block are
 * prefixes of; a conv then reads a channel prefix and writes its slice in
 * place. Concats are visited last first so the root is the widest. A
 * group is kept only where every step writing or reading one of its blobs
 * takes strided channels (S_CONV_RRDB; S_CONV_FIRST writing); otherwise
 * its concats run as copies, as before. */
void alias_concats(const vsr_graph *g, const std::vector<int> &chans, Weights *W)
{
    const int nb = g->n_blobs;
    std::vector<int> &root = W->alias_root, &off = W->alias_off;
    root.resize(nb);
    off.assign(nb, 0);
    for (int b = 0; b < nb; ++b)
        root[b] = b;
    std::vector<char> is_root(nb, 0);
    auto free_blob = [&](int b) { return root[b] == b && !is_root[b]; };
    std::vector<Step> &steps = W->steps;
    for (int si = (int)steps.size() - 1; si >= 0; --si) {
        Step &st = steps[si];
        if (st.kind != S_CONCAT)
            continue;
        const vsr_node &nd = g->nodes[st.node];
        const int O = nd.output;
        if (O == g->output_blob)
            continue;
        int R, o;
        if (root[O] != O) {
            R = root[O];
            o = off[O];
        } else if (root[nd.inputs[0]] != nd.inputs[0]) {
            R = root[nd.inputs[0]];
            o = off[nd.inputs[0]];
        } else {
            R = O;
            o = 0;
        }
        if (o + chans[O] > chans[R])
            continue;
        bool ok = true;
        for (int k = 0, run = 0; k < nd.n_inputs && ok; run += chans[nd.inputs[k]], ++k) {
            const int b = nd.inputs[k];
            for (int k2 = 0; k2 < k; ++k2)
                ok &= nd.inputs[k2] != b;
            ok &= b != g->input_blob && b != R && (o + run) % 8 == 0;
            ok &= free_blob(b) || (root[b] == R && off[b] == o + run);
        }
        if (!ok)
            continue;
        for (int k = 0, run = 0; k < nd.n_inputs; run += chans[nd.inputs[k]], ++k) {
            root[nd.inputs[k]] = R;
            off[nd.inputs[k]] = o + run;
        }
        if (O != R) {
            root[O] = R;
            off[O] = o;
        }
        is_root[R] = 1;
        st.concat_alias = true;
    }
    /* keep a group only if every step touching it takes strided channels */
    for (int R = 0; R < nb; ++R) {
        if (!is_root[R])
            continue;
        bool ok = R != g->output_blob;
        for (const Step &st : steps) {
            const bool writes = root[st.out_blob] == R;
            bool reads = false;
            for (int b : st.in_blobs)
                reads |= root[b] == R;
            if (st.kind == S_CONCAT && st.concat_alias)
                continue;
            if (writes && st.kind != S_CONV_RRDB && st.kind != S_CONV_FIRST)
                ok = false;
            if (reads && st.kind != S_CONV_RRDB)
                ok = false;
        }
        for (int b = 0; b < nb; ++b)
            ok &= !(root[b] == R && b == g->output_blob);
        if (ok)
            continue;
        for (Step &st : steps)
            if (st.kind == S_CONCAT && root[st.out_blob] == R)
                st.concat_alias = false;
        for (int b = 0; b < nb; ++b)
            if (root[b] == R) {
                root[b] = b;
                off[b] = 0;
            }
    }
}

/* Slopes table for a standalone / cuDNN / direct activation: padded length. */
long long add_act_slopes(Blob &b, const vsr_activation &a, int cp)
{
    if (a.type != VSR_ACT_PRELU)
        return -1;
    std::vector<float> s(cp, 0.f);
    int n = a.n_slopes;
    for (int i = 0; i < cp; ++i)
        s[i] = n == 1 ? a.slopes[0] : (i < n ? a.slopes[i] : 0.f);
    return b.add(s.data(), s.size() * sizeof(float));
}

} // namespace

int build_plan(const vsr_graph *g, Weights *W, Blob &blob, vsr_error *err)
{
    const int nn = g->n_nodes;
    /* channel counts (independent of the frame size); a graph whose shapes
     * do not work out at 16 x 16 gets no RRDB planning, the rest as before */
    std::vector<vsr_shape> shp(g->n_blobs);
    vsr_error shape_err;
    vsr_error_clear(&shape_err);
    const bool chans_known = vsr_graph_infer_shapes(g, 16, 16, shp.data(), &shape_err) >= 0;
    std::vector<int> chans(g->n_blobs);
    for (int b = 0; b < g->n_blobs; ++b)
        chans[b] = chans_known ? shp[b].c : 0;
    /* VSR_CUDA_NO_RRDB=1: none of the RRDB kernels; =32 or =64: not the
     * one for that many output channels (debugging) */
    const int rrdb_off = W->knobs.cuda_no_rrdb;
    const bool rrdb = chans_known && W->fused && W->cc_major == 9 && W->encode_tiled &&
                      rrdb_off >= 0 && conv3x3_rrdb_available();
    std::vector<int> consumers(g->n_blobs, 0), producer(g->n_blobs, -1);
    for (int i = 0; i < nn; ++i) {
        for (int k = 0; k < g->nodes[i].n_inputs; ++k)
            consumers[g->nodes[i].inputs[k]]++;
        producer[g->nodes[i].output] = i;
    }
    consumers[g->output_blob]++;
    std::vector<char> done(nn, 0);
    const bool fused = W->fused;

    for (int i = 0; i < nn; ++i) {
        if (done[i])
            continue;
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
            if (fused && !W->knobs.cuda_no_tail && st.act_node < 0 && c.act.type == VSR_ACT_NONE &&
                conv_is_3x3_same(c) && c.in_c == 64 && c.out_c == 48 && consumers[nd.output] == 1) {
                int ps = -1, add = -1, interp = -1, resize = -1;
                for (int j = i + 1; j < nn; ++j)
                    if (g->nodes[j].n_inputs >= 1 && g->nodes[j].inputs[0] == nd.output)
                        ps = j;
                if (ps >= 0 && g->nodes[ps].type == VSR_OP_PIXEL_SHUFFLE &&
                    g->nodes[ps].p.shuffle_factor == 4 && consumers[g->nodes[ps].output] == 1) {
                    int pso = g->nodes[ps].output;
                    for (int j = ps + 1; j < nn; ++j)
                        for (int k = 0; k < g->nodes[j].n_inputs; ++k)
                            if (g->nodes[j].inputs[k] == pso)
                                add = j;
                    if (add >= 0) {
                        const vsr_node &ad = g->nodes[add];
                        /* the sum is the output, or is resized into it (the x2
                         * models: the x4 network, then bicubic x0.5) */
                        for (int j = add + 1; j < nn && ad.output != g->output_blob; ++j)
                            if (g->nodes[j].type == VSR_OP_INTERP && g->nodes[j].n_inputs == 1 &&
                                g->nodes[j].inputs[0] == ad.output &&
                                g->nodes[j].output == g->output_blob && consumers[ad.output] == 1)
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
                    if (consumers[g->nodes[interp].output] == 1)
                        done[interp] = 1;
                    std::vector<__half> w16((size_t)48 * 576);
                    for (int o = 0; o < 48; ++o)
                        for (int t = 0; t < 9; ++t)
                            for (int ci = 0; ci < 64; ++ci)
                                w16[(size_t)o * 576 + t * 64 + ci] =
                                    __float2half_rn(c.weight[((size_t)o * 64 + ci) * 9 + t]);
                    st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                    std::vector<float> bias(48, 0.f);
                    if (c.bias)
                        memcpy(bias.data(), c.bias, 48 * sizeof(float));
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
            if (fused && !W->knobs.cuda_no_first && conv_is_3x3_same(c) && c.in_c == 3 &&
                c.out_c == 64 && nd.inputs[0] == g->input_blob &&
                act_as_slopes(st.act, 64, slopes)) {
                st.kind = S_CONV_FIRST;
                st.first = std::make_shared<FirstConvParams>();
                memcpy(st.first->w, c.weight, sizeof st.first->w); /* OIHW = [oc][ci*9+tap] */
                for (int o = 0; o < 64; ++o) {
                    st.first->bias[o] = c.bias ? c.bias[o] : 0.f;
                    st.first->slope[o] = slopes[o];
                }
                std::vector<__half> w16(64 * 32, __float2half_rn(0.f));
                for (int o = 0; o < 64; ++o)
                    for (int k = 0; k < 27; ++k)
                        w16[o * 32 + k] = __float2half_rn(c.weight[o * 27 + k]);
                st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                st.off_bias = blob.add(st.first->bias, sizeof st.first->bias);
                st.off_slopes = blob.add(st.first->slope, sizeof st.first->slope);
                st.flops_per_out_pixel = 2.0 * 64 * 27;
                W->steps.push_back(st);
                break;
            }
            /* RRDB convs: channel slices, bias + act + residuals fused. The
             * residual: the only consumer is a sum of this and one blob made
             * earlier (eltwise with coefficients, or add), and the same again
             * after it (an RRDB's last conv: 0.2 (0.2 conv + x) + x0). A 64 ->
             * 64 conv with nothing to fuse runs S_CONV_MMA (weights resident). */
            float slope = 1.f;
            if (rrdb && rrdb_off != c.out_c && conv_is_3x3_same(c) &&
                conv3x3_rrdb_supports(c.in_c, c.out_c) && act_as_slope(st.act, &slope)) {
                auto residual = [&](int blob, float &a, float &b, int &r) -> int {
                    if (consumers[blob] != 1 || blob == g->output_blob)
                        return -1;
                    for (int j = i + 1; j < nn; ++j) {
                        const vsr_node &nj = g->nodes[j];
                        int idx = -1;
                        for (int k = 0; k < nj.n_inputs; ++k)
                            if (nj.inputs[k] == blob)
                                idx = k;
                        if (idx < 0)
                            continue;
                        if (done[j] || nj.n_inputs != 2)
                            return -1;
                        r = nj.inputs[1 - idx];
                        if (nj.type == VSR_OP_ELTWISE && nj.p.eltwise.op == VSR_ELT_SUM &&
                            (nj.p.eltwise.n_coeffs == 0 || nj.p.eltwise.n_coeffs == 2)) {
                            a = nj.p.eltwise.n_coeffs ? nj.p.eltwise.coeffs[idx] : 1.f;
                            b = nj.p.eltwise.n_coeffs ? nj.p.eltwise.coeffs[1 - idx] : 1.f;
                        } else if (nj.type == VSR_OP_BINARY && nj.p.binary.op == VSR_BIN_ADD &&
                                   !nj.p.binary.with_scalar) {
                            a = b = 1.f;
                        } else
                            return -1;
                        if (r == blob || producer[r] < 0 || producer[r] >= i || chans[r] != c.out_c)
                            return -1;
                        return j;
                    }
                    return -1;
                };
                float a1 = 1.f, b1 = 0.f, a2 = 1.f, b2 = 0.f;
                int r1 = -1, r2 = -1;
                const int j1 = residual(st.out_blob, a1, b1, r1);
                const int j2 = j1 >= 0 ? residual(g->nodes[j1].output, a2, b2, r2) : -1;
                if (!(c.in_c == 64 && c.out_c == 64 && j1 < 0)) {
                    st.kind = S_CONV_RRDB;
                    st.slope = slope;
                    if (j1 >= 0) {
                        st.s0 = a1;
                        st.s1 = b1;
                        st.r1_blob = r1;
                        st.out_blob = g->nodes[j1].output;
                        st.in_blobs.push_back(r1);
                        done[j1] = 1;
                    }
                    if (j2 >= 0) {
                        st.s0 *= a2;
                        st.s1 *= a2;
                        st.s2 = b2;
                        st.r2_blob = r2;
                        st.out_blob = g->nodes[j2].output;
                        st.in_blobs.push_back(r2);
                        done[j2] = 1;
                    }
                    std::vector<__half> w16(conv3x3_rrdb_weight_bytes(c.in_c, c.out_c) / 2);
                    conv3x3_rrdb_pack_weights(c.weight, c.in_c, c.out_c, w16.data());
                    st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                    st.off_bias = add_bias(blob, c);
                    st.flops_per_out_pixel = 2.0 * c.out_c * c.in_c * 9;
                    W->steps.push_back(st);
                    break;
                }
            }
            /* Nearest x2 and then this conv (the RRDB models' upsampling)
             * as one step: the conv on the input before the upsampling,
             * 4 taps an output pixel (cuda_conv3x3_tma.cu, UP2). */
            const Step *prev = W->steps.empty() ? nullptr : &W->steps.back();
            const vsr_node *up = prev ? &g->nodes[prev->node] : nullptr;
            if (fused && !W->knobs.cuda_no_upconv && W->cc_major == 9 && W->encode_tiled && prev &&
                prev->kind == S_INTERP && prev->out_blob == nd.inputs[0] &&
                consumers[nd.inputs[0]] == 1 && up->p.interp.mode == VSR_INTERP_NEAREST &&
                up->p.interp.scale_h == 2.f && up->p.interp.scale_w == 2.f &&
                chans[up->inputs[0]] == 64 && conv_is_3x3_same(c) && c.in_c == 64 &&
                c.out_c == 64 && act_as_slopes(st.act, 64, slopes) && conv3x3_up2_available()) {
                st.kind = S_CONV_UP2;
                st.in_blobs.assign(1, up->inputs[0]);
                W->steps.pop_back();
                std::vector<__half> w16((size_t)2 * 64 * 8 * 64);
                conv3x3_up2_pack_weights(c.weight, w16.data());
                st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                st.off_bias = add_bias(blob, c);
                st.off_slopes = blob.add(slopes.data(), slopes.size() * 4);
                st.flops_per_out_pixel = 2.0 * 64 * 64 * 4; /* the MMAs it runs */
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
                st.off_bias = add_bias(blob, c);
                st.off_slopes = blob.add(slopes.data(), slopes.size() * 4);
                st.flops_per_out_pixel = 2.0 * 64 * 576;
                W->steps.push_back(st);
                break;
            }
            /* A 3x3 conv to a few channels (the RRDB models' last, 64 -> 3
             * at the output size): cuDNN took 1.7 ms at 2160p on an H100
             * for what reading the input once costs 0.35 ms. */
            if (fused && conv_is_3x3_same(c) && conv3x3_narrow_supports(c.in_c, c.out_c) &&
                act_as_slopes(st.act, c.out_c, slopes)) {
                st.kind = S_CONV_NARROW;
                std::vector<__half> w16(conv3x3_narrow_weight_bytes(c.in_c, c.out_c) / 2);
                conv3x3_narrow_pack_weights(c.weight, c.in_c, c.out_c, w16.data());
                st.off_w16 = blob.add(w16.data(), w16.size() * 2);
                st.off_bias = add_bias(blob, c);
                st.off_slopes = blob.add(slopes.data(), slopes.size() * 4);
                st.flops_per_out_pixel = 2.0 * c.out_c * c.in_c * 9;
                W->steps.push_back(st);
                break;
            }
            const int cip = round_up8(c.in_c), cop = round_up8(c.out_c);
            const int kh = c.kernel_h, kw = c.kernel_w;
            const bool sym = c.pad_top == c.pad_bottom && c.pad_left == c.pad_right;
            st.kind = (c.in_c <= 8 || !sym || W->knobs.cuda_no_cudnn || !cudnn()) ? S_CONV_DIRECT
                                                                                  : S_CONV_CUDNN;
            std::vector<float> bias(cop, 0.f);
            if (c.bias)
                memcpy(bias.data(), c.bias, c.out_c * sizeof(float));
            st.off_bias = blob.add(bias.data(), bias.size() * 4);
            if (st.act.type == VSR_ACT_PRELU &&
                !(st.act.n_slopes == 1 || st.act.n_slopes == c.out_c))
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
        case VSR_OP_PIXEL_SHUFFLE:
            st.kind = S_SHUFFLE;
            W->steps.push_back(st);
            break;
        case VSR_OP_INTERP:
            st.kind = S_INTERP;
            W->steps.push_back(st);
            break;
        case VSR_OP_BINARY:
            st.kind = S_BINARY;
            W->steps.push_back(st);
            break;
        case VSR_OP_ELTWISE: {
            st.kind = S_ELTWISE;
            if (nd.p.eltwise.n_coeffs > 0)
                st.off_coeffs =
                    blob.add(nd.p.eltwise.coeffs, nd.p.eltwise.n_coeffs * sizeof(float));
            W->steps.push_back(st);
            break;
        }
        case VSR_OP_CONCAT:
            st.kind = S_CONCAT;
            W->steps.push_back(st);
            break;
        default:
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "cuda: layer %s: op %s not supported",
                                 nd.name, vsr_op_name(nd.type));
        }
        done[i] = 1;
    }
    if (rrdb)
        alias_concats(g, chans, W);
    W->input_f16_needed = false;
    for (const Step &st : W->steps)
        if (st.kind != S_CONV_FIRST && st.kind != S_CONV_TAIL)
            for (int b : st.in_blobs)
                W->input_f16_needed |= b == g->input_blob;
    return 0;
}

} // namespace vsrcuda
