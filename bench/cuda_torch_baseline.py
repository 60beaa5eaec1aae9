#!/usr/bin/env python3
"""PyTorch fp16 baseline for the CUDA backend benchmark, run in the same
device call: the same weights (read from the ncnn .param/.bin) in the
network they come from, SRVGGNetCompact (realesr-animevideov3,
realesr-general-x4v3) or RRDBNet (realesrgan-x4plus and the other
ESRGAN-family models: told apart by their Concat layers), channels_last,
cudnn.benchmark, the same batch sizes; and the fp16 GEMM peak
(torch.matmul 8192^3) of the same card, in a burst and held for ~1.5 s
(the power cap's clock, as the models run).

    python3 bench/cuda_torch_baseline.py [--compile] [--quick] [--size WxHxN]...
                                         [--conv-shapes] MODEL.param...

--size (repeatable) replaces the default sizes. --compile adds
torch.compile for the first model (RRDBNet: each RRDB block compiled, one
graph reused by all 23, the few convolutions around them eager; compiling
the unrolled network whole takes minutes). --conv-shapes times each
convolution shape of RRDBNet alone (F.conv2d, cuDNN) at the first size.

Prints RESULT lines in the format of vsr_cuda_bench."""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from ncnn_model import read_ncnn  # noqa: E402

SIZES = [(8, 960, 540), (1, 1920, 1080), (1, 3840, 2160)]


def load_ncnn_srvgg(param_path):
    bin_path = param_path[: -len(".param")] + ".bin"
    layers = []  # ("conv", w, b) | ("prelu", slopes) | ("shuffle", r)
    for L in read_ncnn(param_path, bin_path):
        if L["type"] == "Convolution":
            w = L["weight"]
            b = L["bias"] if L["bias"] is not None else np.zeros(w.shape[0], np.float32)
            layers.append(("conv", w, b))
        elif L["type"] == "PReLU":
            layers.append(("prelu", L["slopes"]))
        elif L["type"] == "PixelShuffle":
            layers.append(("shuffle", int(L["params"][0])))
    return layers


class SRVGG(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.body = torch.nn.ModuleList()
        self.scale = 4
        for l in layers:
            if l[0] == "conv":
                w, b = l[1], l[2]
                c = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=w.shape[2] // 2)
                c.weight.data = torch.from_numpy(w)
                c.bias.data = torch.from_numpy(b)
                self.body.append(c)
            elif l[0] == "prelu":
                p = torch.nn.PReLU(len(l[1]))
                p.weight.data = torch.from_numpy(l[1])
                self.body.append(p)
            elif l[0] == "shuffle":
                self.scale = l[1]
                self.body.append(torch.nn.PixelShuffle(l[1]))

    def forward(self, x):
        out = x
        for m in self.body:
            out = m(out)
        return out + F.interpolate(x, scale_factor=self.scale, mode="nearest")


def is_rrdb(param_path):
    return any(l.split()[:1] == ["Concat"] for l in open(param_path).read().split("\n")[2:])


def conv_module(w, b):
    c = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=w.shape[2] // 2)
    c.weight.data = torch.from_numpy(w)
    c.bias.data = torch.from_numpy(b if b is not None else np.zeros(w.shape[0], np.float32))
    return c


class RDB(torch.nn.Module):
    """Residual dense block: five 3x3 convs on the growing concatenation,
    LeakyReLU 0.2 after the first four, output x5 * 0.2 + x."""

    def __init__(self, convs):
        super().__init__()
        self.convs = torch.nn.ModuleList(convs)

    def forward(self, x):
        feats = [x]
        for i, c in enumerate(self.convs):
            y = c(torch.cat(feats, 1))
            if i < 4:
                feats.append(F.leaky_relu(y, 0.2))
        return y * 0.2 + x


class RRDB(torch.nn.Module):
    def __init__(self, rdbs):
        super().__init__()
        self.rdbs = torch.nn.ModuleList(rdbs)

    def forward(self, x):
        out = x
        for r in self.rdbs:
            out = r(out)
        return out * 0.2 + x


class RRDBNet(torch.nn.Module):
    """basicsr's RRDBNet (scale 4): conv_first, RRDB blocks, conv_body
    (+ conv_first's output), two nearest-x2 + conv + LeakyReLU, conv_hr +
    LeakyReLU, conv_last; the convolutions in the order of the .param."""

    def __init__(self, convs):
        super().__init__()
        n_blocks = (len(convs) - 6) // 15
        assert len(convs) == 6 + 15 * n_blocks, len(convs)
        it = iter(convs)
        self.conv_first = conv_module(*next(it))
        self.body = torch.nn.ModuleList(
            RRDB([RDB([conv_module(*next(it)) for _ in range(5)]) for _ in range(3)])
            for _ in range(n_blocks))
        self.conv_body, self.conv_up1, self.conv_up2, self.conv_hr, self.conv_last = (
            conv_module(*next(it)) for _ in range(5))
        self.scale = 4

    def forward(self, x):
        feat = self.conv_first(x)
        b = feat
        for blk in self.body:
            b = blk(b)
        feat = feat + self.conv_body(b)
        feat = F.leaky_relu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        feat = F.leaky_relu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2))


def load_ncnn_rrdb(param_path):
    bin_path = param_path[: -len(".param")] + ".bin"
    return [(L["weight"], L["bias"]) for L in read_ncnn(param_path, bin_path)
            if L["type"] == "Convolution"]


def conv_shapes(dev, size, quick):
    """Each RRDBNet convolution shape alone through F.conv2d (cuDNN, fp16,
    channels_last), at the first benchmark size: what a per-layer library
    call reaches."""
    bn, w, h = size
    for cin, cout, act in [(64, 32, 1), (96, 32, 1), (128, 32, 1), (160, 32, 1), (192, 64, 0),
                           (64, 64, 0)]:
        x = torch.randn(bn, cin, h, w, device=dev, dtype=torch.float16).to(
            memory_format=torch.channels_last)
        wt = torch.randn(cout, cin, 3, 3, device=dev, dtype=torch.float16).to(
            memory_format=torch.channels_last) * 0.05
        bias = torch.randn(cout, device=dev, dtype=torch.float16)
        fn = (lambda: F.leaky_relu(F.conv2d(x, wt, bias, padding=1), 0.2)) if act else (
            lambda: F.conv2d(x, wt, bias, padding=1))
        with torch.inference_mode():
            for _ in range(3):
                fn()
            ms = time_it(fn, 5 if quick else 20)
        fl = 2.0 * bn * h * w * cout * cin * 9
        print(f"RESULT conv {cin}->{cout}{' +leaky' if act else ''} size={w}x{h} batch={bn} "
              f"ms={ms:.3f} tflops={fl / (ms * 1e-3) / 1e12:.1f}", flush=True)


def time_it(fn, iters):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(3):
        start.record()
        for _ in range(iters):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / iters)
    return sorted(times)[1]


def flops_per_pixel(layers):
    return sum(2.0 * l[1].size for l in layers if l[0] == "conv")


def rrdb_flops_per_pixel(convs):
    """Per input pixel: conv_up1 runs at 2x (4 pixels), conv_up2, conv_hr and
    conv_last at 4x (16)."""
    f = [2.0 * w.size for w, _ in convs]
    return sum(f[:-4]) + 4 * f[-4] + 16 * sum(f[-3:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--compile", action="store_true", help="also torch.compile (first model)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", action="append", default=[], help="WxHxN (repeatable)")
    ap.add_argument("--conv-shapes", action="store_true")
    a = ap.parse_args()
    sizes = SIZES
    if a.size:
        sizes = []
        for t in a.size:
            w, h, bn = (int(v) for v in t.split("x"))
            sizes.append((bn, w, h))
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)

    # fp16 GEMM peak
    n = 8192
    A = torch.randn(n, n, device=dev, dtype=torch.float16)
    B = torch.randn(n, n, device=dev, dtype=torch.float16)
    for _ in range(5):
        A @ B
    ms = time_it(lambda: A @ B, 10 if a.quick else 30)
    print(f"RESULT gemm fp16 8192^3 ms={ms:.3f} tflops={2 * n ** 3 / (ms * 1e-3) / 1e12:.1f}", flush=True)
    # and held for as long as vsr_cuda_bench times a model (~1.5 s): the
    # card's power cap lowers its clock after the first few tens of ms
    # (an H100 at 700 W: 1290 MHz in bench/results/2026-12-07-h100-rrdb-6.md),
    # and a model's rate is measured in that regime
    held = max(1, int(1.5e3 / ms))
    ms_held = time_it(lambda: A @ B, held // 3 + 1)
    print(f"RESULT gemm-held fp16 8192^3 ms={ms_held:.3f} "
          f"tflops={2 * n ** 3 / (ms_held * 1e-3) / 1e12:.1f} over ~1.5 s", flush=True)
    del A, B

    if a.conv_shapes:
        conv_shapes(dev, sizes[0], a.quick)

    for mi, path in enumerate(a.models):
        name = path.rsplit("/", 1)[-1][: -len(".param")]
        if is_rrdb(path):
            convs = load_ncnn_rrdb(path)
            fpp = rrdb_flops_per_pixel(convs)
            model = RRDBNet(convs).to(dev).half().to(memory_format=torch.channels_last).eval()
        else:
            layers = load_ncnn_srvgg(path)
            fpp = flops_per_pixel(layers)
            model = SRVGG(layers).to(dev).half().to(memory_format=torch.channels_last).eval()
        variants = [("torch-fp16-channels_last", model)]
        if a.compile and mi == 0:
            if isinstance(model, RRDBNet):
                # the same module, its blocks compiled: one graph for all 23
                cm = RRDBNet(load_ncnn_rrdb(path)).to(dev).half().to(
                    memory_format=torch.channels_last).eval()
                # parameters as graph inputs, so the 23 blocks share one graph
                if hasattr(torch._dynamo.config, "inline_inbuilt_nn_modules"):
                    torch._dynamo.config.inline_inbuilt_nn_modules = True
                for blk in cm.body:
                    blk.compile()
                variants.append(("torch-compile-fp16(per-RRDB)", cm))
            else:
                variants.append(("torch-compile-fp16", torch.compile(model)))
        for label, m in variants:
            for (bn, w, h) in sizes:
                if label.startswith("torch-compile") and w > 1920:
                    continue
                x = torch.rand(bn, 3, h, w, device=dev, dtype=torch.float16).to(
                    memory_format=torch.channels_last)
                tf = fpp * bn * w * h / 1e12
                iters = max(3, min(200, int((0.3 if a.quick else 1.0) * 130 / tf)))
                if isinstance(model, RRDBNet):
                    iters = max(3, min(iters, 10))
                with torch.inference_mode():
                    t0 = time.time()
                    for _ in range(3):
                        m(x)
                    torch.cuda.synchronize()
                    warm = time.time() - t0
                    ms = time_it(lambda: m(x), iters)
                print(f"RESULT model={name} path={label} size={w}x{h} batch={bn} "
                      f"ms_per_batch={ms:.3f} fps={bn * 1000 / ms:.1f} "
                      f"tflops={tf / (ms * 1e-3):.1f} (warmup {warm:.1f} s)", flush=True)
                del x
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
