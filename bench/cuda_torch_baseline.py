#!/usr/bin/env python3
"""PyTorch fp16 baseline for the CUDA backend benchmark, run in the same
device call: the same SRVGGNetCompact weights (read from the ncnn
.param/.bin), channels_last, cudnn.benchmark, the same batch sizes; and the
fp16 GEMM peak (torch.matmul 8192^3) of the same card.

    python3 bench/cuda_torch_baseline.py [--compile] [--quick] MODEL.param...

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--compile", action="store_true", help="also torch.compile (first model)")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
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
    del A, B

    for mi, path in enumerate(a.models):
        layers = load_ncnn_srvgg(path)
        fpp = flops_per_pixel(layers)
        name = path.rsplit("/", 1)[-1][: -len(".param")]
        model = SRVGG(layers).to(dev).half().to(memory_format=torch.channels_last).eval()
        variants = [("torch-fp16-channels_last", model)]
        if a.compile and mi == 0:
            variants.append(("torch-compile-fp16", torch.compile(model)))
        for label, m in variants:
            for (bn, w, h) in SIZES:
                if label.startswith("torch-compile") and w > 1920:
                    continue
                x = torch.rand(bn, 3, h, w, device=dev, dtype=torch.float16).to(
                    memory_format=torch.channels_last)
                tf = fpp * bn * w * h / 1e12
                iters = max(3, min(200, int((0.3 if a.quick else 1.0) * 130 / tf)))
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
