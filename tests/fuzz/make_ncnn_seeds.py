#!/usr/bin/env python3
"""Writes the seed corpus of the ncnn loader's fuzzer (fuzz_ncnn_loader.c):
small, valid ncnn models that together use every layer type and weight
encoding the loader reads (fp32 and fp16 tagged weights, raw biases and
slopes). Each seed is the .param text, a NUL byte, then the .bin bytes.
Deterministic; the output is committed under tests/fuzz/corpus/ncnn_loader.

    make_ncnn_seeds.py OUT_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from ncnn_model import param_text, raw_floats, tagged_weights  # noqa: E402


class Model:
    def __init__(self):
        self.layers, self.bin, self.blobs = [], bytearray(), set()
        self.seed = 7

    def rand(self, n):
        out = []
        for _ in range(n):
            self.seed = (self.seed * 1664525 + 1013904223) % (1 << 32)
            out.append(((self.seed >> 9) / float(1 << 23) - 0.5) * 0.4)
        return out

    def layer(self, typ, name, bottoms, tops, params=""):
        self.layers.append(f"{typ} {name} {len(bottoms)} {len(tops)} "
                           f"{' '.join(bottoms + tops)} {params}".rstrip())
        self.blobs.update(tops)

    def weights(self, n, fp16=False):
        self.bin += tagged_weights(self.rand(n), fp16)

    def raw(self, n):
        self.bin += raw_floats(self.rand(n))

    def conv(self, name, bottom, top, cin, cout, k=3, pad=1, act="", fp16=False, dil=1):
        n = cin * cout * k * k
        extra = f" 2={dil}" if dil != 1 else ""
        self.layer("Convolution", name, [bottom], [top],
                   f"0={cout} 1={k}{extra} 4={pad} 5=1 6={n}{act}")
        self.weights(n, fp16)
        self.raw(cout)

    def data(self):
        return param_text(self.layers, len(self.blobs)).encode() + b"\0" + bytes(self.bin)


def srvgg(fp16, shuffle):
    m = Model()
    m.layer("Input", "in", [], ["data"], "0=0 1=0 2=3")
    m.layer("Split", "sp", ["data"], ["a", "b"])
    m.conv("c0", "a", "x0", 3, 4, fp16=fp16)
    m.layer("PReLU", "p0", ["x0"], ["x1"], "0=4")
    m.raw(4)
    m.conv("c1", "x1", "x2", 4, 3 * shuffle * shuffle, fp16=fp16)
    m.layer("PixelShuffle", "ps", ["x2"], ["x3"], f"0={shuffle}")
    m.layer("Interp", "up", ["b"], ["x4"], f"0=1 1={shuffle}.0 2={shuffle}.0")
    m.layer("BinaryOp", "add", ["x3", "x4"], ["x5"], "0=0")
    m.layer("Interp", "down", ["x5"], ["output"], "0=3 1=0.5 2=0.5")
    return m.data()


def rrdb_block(fp16):
    m = Model()
    m.layer("Input", "in", [], ["data"])
    m.conv("c0", "data", "f", 3, 4, fp16=fp16)
    m.layer("Split", "sp", ["f"], ["f0", "f1", "f2"])
    m.conv("d0", "f0", "g0", 4, 2, act=" 9=2 -23310=1,2.000000e-01", fp16=fp16)
    m.layer("Concat", "cat", ["f1", "g0"], ["h"], "0=0")
    m.conv("d1", "h", "g1", 6, 4, fp16=fp16)
    m.layer("BinaryOp", "scale", ["g1"], ["g2"], "0=2 1=1 2=2.000000e-01")
    m.layer("Eltwise", "res", ["g2", "f2"], ["r"], "0=1")
    m.layer("ReLU", "lrelu", ["r"], ["r1"], "0=2.000000e-01")
    m.layer("Interp", "up", ["r1"], ["u"], "0=1 1=2.0 2=2.0")
    m.conv("out", "u", "output", 4, 3, fp16=fp16)
    return m.data()


def activations():
    m = Model()
    m.layer("Input", "in", [], ["data"])
    m.conv("c0", "data", "x0", 3, 3, k=1, pad=0)
    m.layer("Sigmoid", "sig", ["x0"], ["x1"])
    m.layer("Clip", "clip", ["x1"], ["x2"], "0=0.0 1=1.0")
    m.layer("Noop", "nop", ["x2"], ["x3"])
    m.conv("c1", "x3", "x4", 3, 3, k=3, pad=2, dil=2)
    m.layer("Interp", "bil", ["x4"], ["output"], "0=2 1=2.0 2=2.0")
    return m.data()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        "srvgg_fp32_x4": srvgg(False, 4),
        "srvgg_fp16_x2": srvgg(True, 2),
        "rrdb_fp32": rrdb_block(False),
        "rrdb_fp16": rrdb_block(True),
        "activations": activations(),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
