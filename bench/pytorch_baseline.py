#!/usr/bin/python3
"""PyTorch CPU baseline for the SRVGGNetCompact models (realesr-animevideov3,
realesr-general-x4v3), with the weights read from the same ncnn .param/.bin
files vsr runs.

    pytorch_baseline.py --model-dir DIR [--model NAME] [--threads N]
                        [--precision fp32|bf16]... [--size WxH]... [--runs N]
    pytorch_baseline.py ... --input IN.f32 --output OUT.f32 --size WxH

Prints one line per (precision, size), in the same form as bench_engine:
"pytorch-cpu PREC WxH batch 1 threads N: X fps, Y ms/frame, Z GFLOP/s".
With --input, runs the fp32 model once on a raw float32 1x3xHxW image and
writes the raw float32 output (cpu_bench.sh checks that both engines agree,
which proves the weights are read the same way).

The network: Conv3x3 3->F + PReLU, N x (Conv3x3 F->F + PReLU), Conv3x3
F->3*s*s, PixelShuffle(s), plus the input upscaled by nearest neighbour;
the x2/x3 .param files add a bicubic Interp. Run channels_last, in
inference mode, with torch.set_num_threads(N).

The .param/.bin are read by scripts/ncnn_model.py."""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from ncnn_model import read_ncnn  # noqa: E402


class SRVGG(torch.nn.Module):
    """The graph of an SRVGG .param file, executed in order."""

    def __init__(self, param_path, bin_path):
        super().__init__()
        layers = read_ncnn(param_path, bin_path)
        self.steps = []
        self.flops_per_pixel = 0.0
        self.convs = torch.nn.ModuleList()
        self.prelus = torch.nn.ModuleList()
        self.input_blob = None
        for L in layers:
            typ, name, ins, outs, p = L["type"], L["name"], L["ins"], L["outs"], L["params"]
            if typ == "Input":
                self.input_blob = outs[0]
            elif typ == "Split":
                self.steps.append(("split", ins, outs, None))
            elif typ == "Convolution":
                cout, k = int(p[0]), int(p[1])
                cin = L["weight"].shape[1]
                if int(p.get(3, 1)) != 1 or int(p.get(2, 1)) != 1 or int(p.get(9, 0)) != 0:
                    raise ValueError(f"{name}: only stride 1, dilation 1, no fused activation")
                conv = torch.nn.Conv2d(cin, cout, k, padding=int(p.get(4, 0)),
                                       bias=int(p.get(5, 0)) == 1)
                conv.weight.data = torch.from_numpy(L["weight"])
                if conv.bias is not None:
                    conv.bias.data = torch.from_numpy(L["bias"])
                self.convs.append(conv)
                self.steps.append(("conv", ins, outs, len(self.convs) - 1))
                self.flops_per_pixel += 2.0 * cin * cout * k * k
            elif typ == "PReLU":
                n = int(p[0])
                pr = torch.nn.PReLU(n)
                pr.weight.data = torch.from_numpy(L["slopes"])
                self.prelus.append(pr)
                self.steps.append(("prelu", ins, outs, len(self.prelus) - 1))
            elif typ == "PixelShuffle":
                self.steps.append(("shuffle", ins, outs, int(p[0])))
            elif typ == "Interp":
                mode = {1: "nearest", 2: "bilinear", 3: "bicubic"}[int(p[0])]
                self.steps.append(("interp", ins, outs, (mode, float(p[1]), float(p[2]))))
            elif typ == "BinaryOp":
                if int(p.get(0, 0)) != 0:
                    raise ValueError(f"{name}: only add")
                self.steps.append(("add", ins, outs, None))
            else:
                raise ValueError(f"{name}: layer type {typ} is not part of SRVGG")
        self.output_blob = layers[-1]["outs"][0]

    def forward(self, x):
        blobs = {self.input_blob: x}
        for kind, ins, outs, arg in self.steps:
            a = blobs[ins[0]]
            if kind == "split":
                for o in outs:
                    blobs[o] = a
                continue
            if kind == "conv":
                y = self.convs[arg](a)
            elif kind == "prelu":
                y = self.prelus[arg](a)
            elif kind == "shuffle":
                y = F.pixel_shuffle(a, arg)
            elif kind == "interp":
                mode, sh, sw = arg
                y = F.interpolate(a, scale_factor=(sh, sw), mode=mode,
                                  **({} if mode == "nearest" else {"align_corners": False}))
            elif kind == "add":
                y = a + blobs[ins[1]]
            blobs[outs[0]] = y
        return blobs[self.output_blob]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--model", default="realesr-animevideov3-x4")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--precision", action="append", choices=["fp32", "bf16"])
    ap.add_argument("--size", action="append")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--input")
    ap.add_argument("--output")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base = os.path.join(a.model_dir, a.model)
    model = SRVGG(base + ".param", base + ".bin").eval()
    model = model.to(memory_format=torch.channels_last)
    sizes = [tuple(int(v) for v in s.split("x")) for s in (a.size or ["480x270"])]

    if a.input:
        w, h = sizes[0]
        x = torch.from_numpy(np.fromfile(a.input, dtype=np.float32).reshape(1, 3, h, w))
        with torch.inference_mode():
            y = model(x.contiguous(memory_format=torch.channels_last))
        y.contiguous().numpy().astype(np.float32).tofile(a.output)
        return 0

    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}", flush=True)
    for prec in a.precision or ["fp32"]:
        dtype = torch.bfloat16 if prec == "bf16" else torch.float32
        m = model.to(dtype)
        for w, h in sizes:
            x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(1))
            x = x.to(dtype).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                t0 = time.perf_counter()
                m(x)
                first = time.perf_counter() - t0
                times, cpu = [], []
                for _ in range(a.runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    m(x)
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
            t = statistics.median(times)
            gflop = model.flops_per_pixel * w * h * 1e-9
            print(f"pytorch-cpu {prec} {w}x{h} batch 1 threads {a.threads}: {1 / t:.3f} fps, "
                  f"{t * 1e3:.1f} ms/frame, {gflop / t:.1f} GFLOP/s (best {min(times) * 1e3:.1f} "
                  f"ms, first run {first * 1e3:.0f} ms, cpu {min(cpu) * 1e3:.1f} ms/frame = "
                  f"{gflop / min(cpu):.1f} GFLOP/cpu-s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
