#!/usr/bin/python3
"""Writes the ONNX files the ONNX loader's tests read (run with Debian's
/usr/bin/python3: it needs python3-onnx and python3-numpy).

    make_onnx_models.py MODELS_DIR OUT_DIR

1. The Real-ESRGAN SRVGG models, converted from their ncnn .param/.bin in
   MODELS_DIR, each written the way a different exporter would:
     realesr-animevideov3-x4.onnx  opset 11, DepthToSpace CRD, Resize nearest
                                   (asymmetric, floor: PyTorch's export)
     realesr-animevideov3-x2.onnx  opset 13, fp16 convolution weights (ncnn
                                   stores them as fp16: no loss), then
                                   Resize cubic 0.5 (pytorch_half_pixel)
     realesr-general-x4v3.onnx     opset 17, pixel shuffle written as
                                   Reshape+Transpose+Reshape (export size
                                   baked in), Resize with ONNX's defaults
                                   (half_pixel, round_prefer_floor)
   The test compares their output with the ncnn files' through vsr.
2. Small graphs covering every supported op, with a random input and the
   expected output computed here with numpy (an oracle independent of
   vsr's kernels): NAME.onnx, NAME.in, NAME.out. .in/.out: int32 c, h, w,
   then c*h*w float32 (little-endian, planar).
3. Models the loader must refuse: refuse_*.onnx (and an external-data pair).
4. fuzz_seeds/: the small graphs again, as a seed corpus for the fuzzer.
"""
import os
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from ncnn_model import read_ncnn  # noqa: E402

RNG = np.random.default_rng(20261126)


# ---------------------------------------------------------------- ncnn ----

def ncnn_to_onnx(layers, name, opset, d2s="crd", nearest="asymmetric", cubic="pytorch_half_pixel",
                 fp16_weights=False, export_hw=(64, 64)):
    """The ncnn layers as an ONNX graph, in the style the options pick."""
    nodes, inits = [], []
    alias = {}

    def src(b):
        return alias.get(b, "ncnn:" + b)

    def const(nm, arr, dtype=None):
        t = numpy_helper.from_array(np.asarray(arr, dtype=dtype) if dtype else np.asarray(arr), nm)
        inits.append(t)
        return nm

    def scales_input(nm, s):
        return const(nm, np.array([1, 1, s, s], np.float32))

    roi_needed = opset < 13
    H, W = export_hw
    for L in layers:
        t, p = L["type"], L["params"]
        if t == "Input":
            alias[L["outs"][0]] = "input"
            continue
        if t == "Split":
            for o in L["outs"]:
                alias[o] = src(L["ins"][0])
            continue
        ins = [src(b) for b in L["ins"]]
        out = "ncnn:" + L["outs"][0]
        n = L["name"]
        if t == "Convolution":
            w = L["weight"]
            wname = const(n + ".weight", w.astype(np.float16) if fp16_weights else w)
            inputs = [ins[0], wname]
            if L["bias"] is not None:
                inputs.append(const(n + ".bias", L["bias"]))
            k = p[1]
            pad = p.get(4, 0)
            nodes.append(helper.make_node("Conv", inputs, [out], name=n, kernel_shape=[k, k],
                                          pads=[pad] * 4, strides=[1, 1], dilations=[1, 1],
                                          group=1))
        elif t == "PReLU":
            s = L["slopes"].reshape(-1, 1, 1)
            nodes.append(helper.make_node("PRelu", [ins[0], const(n + ".slope", s)], [out], name=n))
        elif t == "PixelShuffle":
            r = p[0]
            if d2s == "crd":
                nodes.append(helper.make_node("DepthToSpace", [ins[0]], [out], name=n,
                                              blocksize=r, mode="CRD"))
            else:
                # PyTorch's pixel_shuffle written out (as older exporters did),
                # at the export size H x W.
                c = 3
                nodes.append(helper.make_node(
                    "Reshape", [ins[0], const(n + ".shape6", np.array([1, c, r, r, H, W], np.int64))],
                    [n + ".r6"], name=n + "/Reshape"))
                nodes.append(helper.make_node("Transpose", [n + ".r6"], [n + ".t6"],
                                              name=n + "/Transpose", perm=[0, 1, 4, 2, 5, 3]))
                nodes.append(helper.make_node(
                    "Reshape", [n + ".t6", const(n + ".shape4", np.array([1, c, H * r, W * r], np.int64))],
                    [out], name=n + "/Reshape_1"))
        elif t == "Interp":
            mode = {1: "nearest", 2: "linear", 3: "cubic"}[p[0]]
            s = p[1]
            attrs = dict(mode=mode)
            if mode == "nearest":
                if nearest == "asymmetric":
                    attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
                # else: ONNX's defaults, half_pixel + round_prefer_floor
            else:
                attrs.update(coordinate_transformation_mode=cubic, cubic_coeff_a=-0.75)
            roi = const(n + ".roi", np.array([], np.float32)) if roi_needed else ""
            nodes.append(helper.make_node("Resize", [ins[0], roi, scales_input(n + ".scales", s)],
                                          [out], name=n, **attrs))
        elif t == "BinaryOp":
            assert p.get(0, 0) == 0 and not p.get(1, 0)
            nodes.append(helper.make_node("Add", ins, [out], name=n))
        else:
            raise ValueError("layer type %s" % t)
    last = nodes[-1].output[0]
    nodes.append(helper.make_node("Identity", [last], ["output"], name="output_identity"))
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "height", "width"])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3, "out_h", "out_w"])
    g = helper.make_graph(nodes, name, [x], [y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="vsr tests/tools/make_onnx_models.py")
    m.ir_version = 7
    if not fp16_weights:
        onnx.checker.check_model(m)
    return m


# ----------------------------------------------------- numpy oracle ----

def conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1), group=1):
    c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((oc, oh, ow), np.float64)
    ocg = oc // group
    for o in range(oc):
        g = o // ocg
        for i in range(icg):
            for ky in range(kh):
                for kx in range(kw):
                    y0, x0 = ky * dil[0], kx * dil[1]
                    patch = xp[g * icg + i, y0:y0 + stride[0] * (oh - 1) + 1:stride[0],
                               x0:x0 + stride[1] * (ow - 1) + 1:stride[1]]
                    out[o] += w[o, i, ky, kx] * patch
        if b is not None:
            out[o] += b[o]
    return out


def conv_transpose2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), out_pad=(0, 0), group=1):
    c, h, wd = x.shape
    ic, ocg, kh, kw = w.shape
    oc = ocg * group
    full_h = (h - 1) * stride[0] + kh + out_pad[0]
    full_w = (wd - 1) * stride[1] + kw + out_pad[1]
    full = np.zeros((oc, full_h, full_w), np.float64)
    icg = ic // group
    for i in range(ic):
        g = i // icg
        for j in range(ocg):
            for ky in range(kh):
                for kx in range(kw):
                    full[g * ocg + j, ky:ky + stride[0] * (h - 1) + 1:stride[0],
                         kx:kx + stride[1] * (wd - 1) + 1:stride[1]] += w[i, j, ky, kx] * x[i]
    out = full[:, pads[0]:full_h - pads[2], pads[1]:full_w - pads[3]]
    if b is not None:
        out = out + b.reshape(-1, 1, 1)
    return out


def depth_to_space(x, r, mode):
    c, h, w = x.shape
    oc = c // (r * r)
    if mode == "DCR":
        t = x.reshape(r, r, oc, h, w).transpose(2, 3, 0, 4, 1)
    else:
        t = x.reshape(oc, r, r, h, w).transpose(0, 3, 1, 4, 2)
    return t.reshape(oc, h * r, w * r)


def resize_coords(out_len, in_len, scale, ctm):
    x = np.arange(out_len, dtype=np.float64)
    if ctm == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if ctm == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_len > 1 else np.zeros(out_len)
    if ctm == "align_corners":
        return x * (in_len - 1) / (out_len - 1) if out_len > 1 else np.zeros(out_len)
    if ctm == "asymmetric":
        return x / scale
    raise ValueError(ctm)


def resize_axis(x, axis, scale, mode, ctm, nearest_mode, a=-0.75):
    """ONNX Resize along one axis (edge values outside, exclude_outside 0)."""
    n = x.shape[axis]
    out_len = int(np.floor(n * scale))
    xo = resize_coords(out_len, n, scale, ctm)
    data = np.moveaxis(x, axis, 0)
    res = []
    for v in xo:
        if mode == "nearest":
            if nearest_mode == "floor":
                i = np.floor(v)
            elif nearest_mode == "round_prefer_floor":
                i = np.ceil(v - 0.5)
            else:
                i = np.floor(v + 0.5)
            res.append(data[int(np.clip(i, 0, n - 1))])
            continue
        i0 = int(np.floor(v))
        t = v - i0
        if mode == "linear":
            taps = {i0: 1 - t, i0 + 1: t}
        else:
            def k(d):
                d = abs(d)
                if d <= 1:
                    return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
                if d < 2:
                    return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
                return 0.0
            taps = {i0 + j: k(t - j) for j in (-1, 0, 1, 2)}
        acc = 0
        for i, wgt in taps.items():
            acc = acc + wgt * data[int(np.clip(i, 0, n - 1))]
        res.append(acc)
    return np.moveaxis(np.stack(res), 0, axis)


def resize(x, sh, sw, mode, ctm="half_pixel", nearest_mode="round_prefer_floor"):
    return resize_axis(resize_axis(x, 1, sh, mode, ctm, nearest_mode), 2, sw, mode, ctm,
                       nearest_mode)


def prelu(x, s):
    return np.where(x > 0, x, x * s.reshape(-1, 1, 1))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------- small op graphs ----

class G:
    """A small graph under construction plus its numpy evaluation."""

    def __init__(self, name, in_c, opset=13):
        self.name, self.opset = name, opset
        self.nodes, self.inits = [], []
        self.count = 0
        self.in_c = in_c

    def rnd(self, *shape, scale=0.5):
        return (RNG.standard_normal(shape) * scale).astype(np.float32)

    def init(self, arr, dtype=None):
        nm = "c%d" % len(self.inits)
        a = np.asarray(arr)
        if dtype is not None:
            a = a.astype(dtype)
        self.inits.append(numpy_helper.from_array(a, nm))
        return nm

    def node(self, op, inputs, _unused=None, name=None, **attrs):
        self.count += 1
        out = "t%d" % self.count
        self.nodes.append(helper.make_node(op, inputs, [out], name=name or "%s_%d" % (op, self.count),
                                           **attrs))
        return out

    def model(self, out, in_type=TensorProto.FLOAT):
        self.nodes.append(helper.make_node("Identity", [out], ["y"], name="final"))
        x = helper.make_tensor_value_info("x", in_type, [1, self.in_c, "h", "w"])
        y = helper.make_tensor_value_info("y", in_type, [1, None, None, None])
        g = helper.make_graph(self.nodes, self.name, [x], [y], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)])
        m.ir_version = 7
        return m


def write_case(out_dir, name, model, x, y, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))
    for ext, arr in ((".in", x), (".out", y)):
        arr = np.asarray(arr, np.float32)
        with open(os.path.join(out_dir, name + ext), "wb") as f:
            f.write(struct.pack("<3i", *arr.shape))
            f.write(arr.astype("<f4").tobytes())


def case_conv_act(out_dir):
    """Conv (group 1, depthwise, strided, dilated, SAME_UPPER), ConvTranspose,
    PRelu, Relu, LeakyRelu, Sigmoid, Clip, Constant, Identity."""
    g = G("conv_act", 3, opset=11)
    x = g.rnd(3, 13, 17, scale=1.0)
    w1, b1 = g.rnd(8, 3, 3, 3), g.rnd(8)
    t = g.node("Conv", ["x", g.init(w1), g.init(b1)], None, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    v = conv2d(x, w1, b1, pads=(1, 1, 1, 1))
    s = (RNG.random(8) * 0.5).astype(np.float32).reshape(8, 1, 1)
    t = g.node("PRelu", [t, g.init(s)], None)
    v = prelu(v, s)
    wd, bd = g.rnd(8, 1, 3, 3), g.rnd(8)
    t = g.node("Conv", [t, g.init(wd), g.init(bd)], None, group=8, dilations=[2, 2],
               pads=[2, 2, 2, 2])
    v = conv2d(v, wd, bd, pads=(2, 2, 2, 2), dil=(2, 2), group=8)
    t = g.node("LeakyRelu", [t], None, alpha=0.2)
    v = np.where(v > 0, v, 0.2 * v)
    # a grouped transposed conv up (k3, s2, p1, output_padding 1: exactly x2),
    # then a stride-2 conv back down
    wt, bt = g.rnd(8, 3, 3, 3, scale=0.3), g.rnd(6)
    t = g.node("ConvTranspose", [t, g.init(wt), g.init(bt)], None, strides=[2, 2],
               pads=[1, 1, 1, 1], output_padding=[1, 1], group=2)
    v = conv_transpose2d(v, wt, bt, stride=(2, 2), pads=(1, 1, 1, 1), out_pad=(1, 1), group=2)
    t = g.node("Relu", [t], None)
    v = np.maximum(v, 0)
    ws, bs = g.rnd(8, 6, 3, 3, scale=0.3), g.rnd(8)
    t = g.node("Conv", [t, g.init(ws), g.init(bs)], None, strides=[2, 2], pads=[1, 1, 1, 1])
    v = conv2d(v, ws, bs, stride=(2, 2), pads=(1, 1, 1, 1))
    w3 = g.rnd(4, 8, 1, 1)
    t = g.node("Conv", [t, g.init(w3)], None, auto_pad="SAME_UPPER")
    v = conv2d(v, w3)
    t = g.node("Sigmoid", [t], None)
    v = sigmoid(v)
    lo = g.node("Constant", [], None, value=numpy_helper.from_array(np.array(0.3, np.float32)))
    hi = g.node("Identity", [g.init(np.array(0.7, np.float32))], None)
    t = g.node("Clip", [t, lo, hi], None)
    v = np.clip(v, 0.3, 0.7)
    write_case(out_dir, "op_conv_act", g.model(t), x, v)


def case_binary(out_dir):
    """Add/Sub/Mul/Div of tensors, scalars and per-channel constants (both
    orders), Concat."""
    g = G("binary", 3, opset=14)
    x = g.rnd(3, 9, 11, scale=1.0)
    w = g.rnd(3, 3, 3, 3)
    a = g.node("Conv", ["x", g.init(w)], None, pads=[1, 1, 1, 1])
    va = conv2d(x, w, pads=(1, 1, 1, 1))
    pc = g.rnd(1, 3, 1, 1) + 2.0
    pc3 = (g.rnd(3, 1, 1) + 2.0)
    r = []
    t = g.node("Add", [a, "x"], None); r.append(va + x)
    t = g.node("Sub", [t, "x"], None); r.append(va)
    t2 = g.node("Mul", ["x", a], None); r.append(x * va)
    t3 = g.node("Div", [t2, g.init(np.array([2.5], np.float32))], None); r.append(x * va / 2.5)
    t4 = g.node("Sub", [g.init(np.array(1.5, np.float32)), t3], None); r.append(1.5 - x * va / 2.5)
    t5 = g.node("Mul", [g.init(pc), "x"], None); r.append(pc[0] * x)
    t6 = g.node("Div", [t5, g.init(pc3)], None); r.append(pc[0] * x / pc3)
    t7 = g.node("Sub", [g.init(pc3), t6], None); r.append(pc3 - pc[0] * x / pc3)
    t8 = g.node("Add", [t7, g.init(np.array(0.25, np.float32))], None); r.append(r[-1] + 0.25)
    t9 = g.node("Sub", [t8, g.init(pc)], None); r.append(r[-1] - pc[0])
    t10 = g.node("Mul", [g.init(np.array([3.0], np.float32)), t9], None); r.append(3.0 * r[-1])
    t11 = g.node("Div", [t10, a], None); r.append(r[-1] / va)
    # keep the quotient tame: t11 can be large where va ~ 0; clip it
    t12 = g.node("Clip", [t11, g.init(np.array(-4, np.float32)), g.init(np.array(4, np.float32))], None)
    r.append(np.clip(r[-1], -4, 4))
    out = g.node("Concat", [t, t4, t12, "x"], None, axis=1)
    v = np.concatenate([r[1], r[4], r[-1], x], 0)
    write_case(out_dir, "op_binary", g.model(out), x, v)


def case_depth_to_space(out_dir):
    """DepthToSpace in both modes, and PyTorch-style Reshape+Transpose pixel
    shuffles in both orders, baked at an export size unlike the test's."""
    g = G("d2s", 3, opset=13)
    x = g.rnd(3, 10, 7, scale=1.0)
    w = g.rnd(12, 3, 3, 3)
    c = g.node("Conv", ["x", g.init(w)], None, pads=[1, 1, 1, 1])
    vc = conv2d(x, w, pads=(1, 1, 1, 1))
    d1 = g.node("DepthToSpace", [c], None, blocksize=2, mode="CRD")
    d2 = g.node("DepthToSpace", [c], None, blocksize=2)  # DCR, the default
    eh, ew = 16, 16  # export size
    r6 = g.node("Reshape", [c, g.init(np.array([1, 3, 2, 2, eh, ew], np.int64))], None)
    t6 = g.node("Transpose", [r6], None, perm=[0, 1, 4, 2, 5, 3])
    p1 = g.node("Reshape", [t6, g.init(np.array([1, 3, 2 * eh, 2 * ew], np.int64))], None)
    q6 = g.node("Reshape", [c, g.init(np.array([1, 2, 2, 3, eh, ew], np.int64))], None)
    u6 = g.node("Transpose", [q6], None, perm=[0, 3, 4, 1, 5, 2])
    p2 = g.node("Reshape", [u6, g.init(np.array([1, -1, 2 * eh, 2 * ew], np.int64))], None)
    out = g.node("Concat", [d1, d2, p1, p2], None, axis=1)
    crd, dcr = depth_to_space(vc, 2, "CRD"), depth_to_space(vc, 2, "DCR")
    v = np.concatenate([crd, dcr, crd, dcr], 0)
    write_case(out_dir, "op_depth_to_space", g.model(out), x, v)


def case_resize(out_dir):
    """Resize: nearest (asymmetric+floor, half_pixel+round), linear
    (half_pixel, align_corners), cubic (pytorch_half_pixel; x4 then 0.5),
    and Upsample; all to x2 or x4 overall."""
    cases = []
    g = G("resize", 3, opset=11)
    x = g.rnd(3, 8, 6, scale=1.0)
    roi = g.init(np.array([], np.float32))

    def rs(inp, s, **attrs):
        return g.node("Resize", [inp, roi, g.init(np.array([1, 1, s, s], np.float32))], None, **attrs)

    a = rs("x", 2, mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    cases.append(resize(x, 2, 2, "nearest", "asymmetric", "floor"))
    b = rs("x", 2, mode="nearest")
    cases.append(resize(x, 2, 2, "nearest", "half_pixel", "round_prefer_floor"))
    c = rs("x", 2, mode="linear", coordinate_transformation_mode="half_pixel")
    cases.append(resize(x, 2, 2, "linear", "half_pixel"))
    d = rs("x", 2, mode="linear", coordinate_transformation_mode="align_corners")
    cases.append(resize(x, 2, 2, "linear", "align_corners"))
    e = rs("x", 2, mode="cubic", coordinate_transformation_mode="pytorch_half_pixel",
           cubic_coeff_a=-0.75)
    cases.append(resize(x, 2, 2, "cubic", "pytorch_half_pixel"))
    f4 = rs("x", 4, mode="cubic", coordinate_transformation_mode="half_pixel", cubic_coeff_a=-0.75)
    f = rs(f4, 0.5, mode="cubic", coordinate_transformation_mode="half_pixel", cubic_coeff_a=-0.75)
    cases.append(resize(resize(x, 4, 4, "cubic", "half_pixel"), 0.5, 0.5, "cubic", "half_pixel"))
    h = g.node("Upsample", ["x", g.init(np.array([1, 1, 2, 2], np.float32))], None, mode="nearest")
    cases.append(resize(x, 2, 2, "nearest", "asymmetric", "floor"))
    out = g.node("Concat", [a, b, c, d, e, f, h], None, axis=1)
    # Upsample is deprecated from opset 10: the checker refuses it, the loader
    # takes it.
    write_case(out_dir, "op_resize", g.model(out), x, np.concatenate(cases, 0), check=False)

    # Opset 18 form: no roi, scales by the axes attribute; x3 nearest.
    g = G("resize18", 3, opset=18)
    y = g.node("Resize", ["x", "", g.init(np.array([3, 3], np.float32))], None, mode="nearest",
               axes=[2, 3], nearest_mode="round_prefer_ceil")
    # (opset 18 is newer than Debian's onnx 1.12: no checker)
    write_case(out_dir, "op_resize18", g.model(y), x,
               resize(x, 3, 3, "nearest", "half_pixel", "round_prefer_ceil"), check=False)


def case_pad_slice(out_dir):
    """Pad (reflect, edge, constant; opset 11 and 18 forms) and Slice (rows,
    columns, channels; negative and open ends)."""
    g = G("pad_slice", 3, opset=13)
    x = g.rnd(3, 12, 9, scale=1.0)
    p1 = g.node("Pad", ["x", g.init(np.array([0, 0, 2, 2, 0, 0, 2, 2], np.int64))], None,
                mode="reflect")
    w = g.rnd(4, 3, 5, 5, scale=0.2)
    c = g.node("Conv", [p1, g.init(w)], None)  # valid: back to 12x9
    vc = conv2d(np.pad(x, ((0, 0), (2, 2), (2, 2)), mode="reflect"), w)
    p2 = g.node("Pad", [c, g.init(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))], None, mode="edge")
    s2 = g.node("Slice", [p2, g.init(np.array([1, 1], np.int64)), g.init(np.array([-1, -1], np.int64)),
                          g.init(np.array([2, 3], np.int64)), g.init(np.array([1, 1], np.int64))], None)
    v2 = np.pad(vc, ((0, 0), (1, 1), (1, 1)), mode="edge")[:, 1:-1, 1:-1]
    p3 = g.node("Pad", [c, g.init(np.array([0, 0, 3, 0, 0, 0, 0, 2], np.int64)),
                        g.init(np.array(0.5, np.float32))], None)
    s3 = g.node("Slice", [p3, g.init(np.array([3, 0], np.int64)),
                          g.init(np.array([2**62, -2], np.int64)), g.init(np.array([-2, -1], np.int64))],
                None)
    v3 = np.pad(vc, ((0, 0), (3, 0), (0, 2)), constant_values=0.5)[:, 3:, :-2]
    s4 = g.node("Slice", [c, g.init(np.array([1], np.int64)), g.init(np.array([3], np.int64)),
                          g.init(np.array([1], np.int64))], None)
    v4 = vc[1:3]
    out = g.node("Concat", [s2, s3, s4], None, axis=1)
    write_case(out_dir, "op_pad_slice", g.model(out), x, np.concatenate([v2, v3, v4], 0))

    g = G("pad18", 3, opset=18)
    p = g.node("Pad", ["x", g.init(np.array([1, 2, 1, 2], np.int64)), "",
                       g.init(np.array([2, 3], np.int64))], None, mode="edge")
    w = g.rnd(3, 3, 3, 5, scale=0.3)
    c = g.node("Conv", [p, g.init(w)], None)
    v = conv2d(np.pad(x, ((0, 0), (1, 1), (2, 2)), mode="edge"), w)
    write_case(out_dir, "op_pad18", g.model(c), x, v, check=False)


def case_tiling(out_dir):
    """RGB to RGB x2 through the ops that shift coordinates or reach far
    (Pad, Slice, ConvTranspose, grouped Conv): the C test also runs it
    tiled and checks the engine's halo covers them."""
    g = G("tiling", 3, opset=13)
    x = g.rnd(3, 11, 14, scale=1.0)
    p = g.node("Pad", ["x", g.init(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))], None, mode="edge")
    w1 = g.rnd(6, 3, 3, 3, scale=0.4)
    c1 = g.node("Conv", [p, g.init(w1)], None)
    v = conv2d(np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge"), w1)
    wt = g.rnd(6, 2, 4, 4, scale=0.4)
    d = g.node("ConvTranspose", [c1, g.init(wt)], None, strides=[2, 2], pads=[1, 1, 1, 1], group=3)
    v = conv_transpose2d(v, wt, stride=(2, 2), pads=(1, 1, 1, 1), group=3)
    wd = g.rnd(6, 1, 5, 5, scale=0.3)
    q = g.node("Pad", [d, g.init(np.array([0, 0, 0, 0, 0, 0, 3, 3], np.int64))], None,
               mode="reflect")
    c2 = g.node("Conv", [q, g.init(wd)], None, group=6, pads=[2, 2, 0, 0])  # valid at bottom/right
    v = conv2d(np.pad(v, ((0, 0), (0, 3), (0, 3)), mode="reflect"), wd, pads=(2, 2, 0, 0), group=6)
    s = g.node("Slice", [c2, g.init(np.array([0, 0, 0], np.int64)),
                         g.init(np.array([3, -1, -1], np.int64)), g.init(np.array([1, 2, 3], np.int64))],
               None)
    v = v[0:3, :-1, :-1]
    write_case(out_dir, "op_tiling", g.model(s), x, v)


def case_fp16(out_dir):
    """A float16 model: fp16 input, output and initializers (vsr computes in
    fp32 with the fp16 weights)."""
    g = G("fp16", 3, opset=15)
    x = g.rnd(3, 7, 9, scale=1.0).astype(np.float16).astype(np.float32)
    w = g.rnd(12, 3, 3, 3).astype(np.float16)
    b = g.rnd(12).astype(np.float16)
    s = (RNG.random(12) * 0.3).astype(np.float16).reshape(12, 1, 1)
    c = g.node("Conv", ["x", g.init(w), g.init(b)], None, pads=[1, 1, 1, 1])
    p = g.node("PRelu", [c, g.init(s)], None)
    d = g.node("DepthToSpace", [p], None, blocksize=2, mode="CRD")
    v = depth_to_space(prelu(conv2d(x, w.astype(np.float32), b.astype(np.float32),
                                    pads=(1, 1, 1, 1)), s.astype(np.float32)), 2, "CRD")
    write_case(out_dir, "op_fp16", g.model(d, TensorProto.FLOAT16), x, v)


# ------------------------------------------------------- refusals ----

def small_model(nodes, inits, opset=13, outputs=("y",), domain_opsets=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])
    ys = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    g = helper.make_graph(nodes, "refuse", [x], ys, inits)
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in domain_opsets]
    m = helper.make_model(g, opset_imports=ops)
    m.ir_version = 7
    return m


def refusals(out_dir):
    w = numpy_helper.from_array(RNG.standard_normal((3, 3, 3, 3)).astype(np.float32), "w")
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv0", pads=[1, 1, 1, 1])
    save = lambda m, n: onnx.save(m, os.path.join(out_dir, n))

    save(small_model([conv, helper.make_node("Tanh", ["c"], ["y"], name="the_tanh")], [w]),
         "refuse_unknown_op.onnx")
    save(small_model([conv, helper.make_node("Relu", ["c"], ["y"], name="r")], [w], opset=9),
         "refuse_opset9.onnx")
    save(small_model([conv, helper.make_node("Relu", ["c"], ["y"], name="r")], [w], opset=21),
         "refuse_opset21.onnx")
    save(small_model([helper.make_node("Conv", ["x", "w_missing"], ["y"], name="conv_nw")], [w]),
         "refuse_missing_initializer.onnx")
    w4 = numpy_helper.from_array(RNG.standard_normal((3, 4, 3, 3)).astype(np.float32), "w4")
    save(small_model([helper.make_node("Conv", ["x", "w4"], ["y"], name="conv_4ch")], [w4]),
         "refuse_shape_mismatch.onnx")
    w8 = numpy_helper.from_array(RNG.standard_normal((8, 3, 1, 1)).astype(np.float32), "w8")
    save(small_model([helper.make_node("Conv", ["x", "w8"], ["c8"], name="conv8"),
                      helper.make_node("Add", ["c8", "x"], ["y"], name="add_3_to_8")], [w8]),
         "refuse_add_mismatch.onnx")
    save(small_model([conv, helper.make_node("Relu", ["c"], ["y"], name="custom_relu",
                                             domain="com.example")], [w],
                     domain_opsets=[("com.example", 1)]), "refuse_domain.onnx")
    sizes = numpy_helper.from_array(np.array([1, 3, 64, 64], np.int64), "sizes")
    save(small_model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="resize_sizes")],
                     [sizes]), "refuse_resize_sizes.onnx")
    # external data: the weights in a file beside the model
    m = small_model([conv, helper.make_node("Relu", ["c"], ["y"], name="r")], [w])
    onnx.save_model(m, os.path.join(out_dir, "refuse_external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="refuse_external.onnx.data",
                    size_threshold=0)


# ------------------------------------------------------------ main ----

def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_onnx_models.py MODELS_DIR OUT_DIR")
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)

    def ncnn(name):
        return read_ncnn(os.path.join(models, name + ".param"), os.path.join(models, name + ".bin"))

    onnx.save(ncnn_to_onnx(ncnn("realesr-animevideov3-x4"), "animevideov3-x4", 11),
              os.path.join(out, "realesr-animevideov3-x4.onnx"))
    onnx.save(ncnn_to_onnx(ncnn("realesr-animevideov3-x2"), "animevideov3-x2", 13, fp16_weights=True),
              os.path.join(out, "realesr-animevideov3-x2.onnx"))
    onnx.save(ncnn_to_onnx(ncnn("realesr-general-x4v3"), "general-x4v3", 17, d2s="reshape",
                           nearest="half_pixel"), os.path.join(out, "realesr-general-x4v3.onnx"))
    case_conv_act(out)
    case_binary(out)
    case_depth_to_space(out)
    case_resize(out)
    case_pad_slice(out)
    case_fp16(out)
    case_tiling(out)
    refusals(out)
    seeds = os.path.join(out, "fuzz_seeds")
    os.makedirs(seeds, exist_ok=True)
    for f in sorted(os.listdir(out)):
        if f.endswith(".onnx") and not f.startswith("realesr"):
            shutil.copy(os.path.join(out, f), os.path.join(seeds, f))
    print("make_onnx_models: wrote", out)


if __name__ == "__main__":
    main()
