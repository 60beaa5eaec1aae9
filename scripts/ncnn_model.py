"""The one Python module for ncnn models (.param/.bin) in vsr's tools: its
reader serves tests/tools/make_onnx_models.py, bench/pytorch_baseline.py and
bench/cuda_torch_baseline.py, its writing helpers the fuzzer's seeds
(tests/fuzz/make_ncnn_seeds.py); the C reader is src/model/.

    sys.path.insert(0, "<repo>/scripts"); from ncnn_model import read_ncnn

.param: magic 7767517, then layer and blob counts, then one layer a line:
type name n_in n_out inputs... outputs... key=value... (a value with '.'
or 'e' is a float, else an int; an array, key -23300 - k, is
"count,v1,v2..." and reads as the list of its values).
.bin: per layer in .param order; Convolution: weight blob with a 4-byte
tag (0x01306B47: fp16 data, padded to 4 bytes; 0: raw fp32), then bias
fp32 (if param 5); PReLU: slopes fp32 (untagged)."""
import struct

MAGIC = "7767517"
TAG_FP32, TAG_FP16 = 0, 0x01306B47


def number(v):
    """A .param value: a float if it has '.' or 'e', else an int."""
    return float(v) if ("." in v or "e" in v) else int(v)


def read_ncnn(param_path, bin_path):
    """Layers of an ncnn model, in order, as dicts: type, name, ins, outs,
    params {key: int or float}; Convolution adds weight (oc x ic x k x k
    float32) and bias (or None), PReLU slopes. Every byte of the .bin must
    be used."""
    import numpy as np  # here: the writing helpers below run without it

    lines = open(param_path).read().split("\n")
    assert lines[0].strip() == MAGIC, param_path
    blob = open(bin_path, "rb").read()
    pos = 0

    def take_tagged(n):
        nonlocal pos
        tag = struct.unpack_from("<I", blob, pos)[0]
        pos += 4
        if tag == TAG_FP16:
            v = np.frombuffer(blob, "<f2", n, pos).astype(np.float32)
            pos += (2 * n + 3) // 4 * 4
        elif tag == TAG_FP32:
            v = np.frombuffer(blob, "<f4", n, pos).copy()
            pos += 4 * n
        else:
            raise ValueError("unsupported ncnn weight tag %#x" % tag)
        return v

    def take_raw(n):
        nonlocal pos
        v = np.frombuffer(blob, "<f4", n, pos).copy()
        pos += 4 * n
        return v

    layers = []
    for line in lines[2:]:
        tok = line.split()
        if not tok:
            continue
        typ, name, nin, nout = tok[0], tok[1], int(tok[2]), int(tok[3])
        ins, outs = tok[4:4 + nin], tok[4 + nin:4 + nin + nout]
        params = {}
        for kv in tok[4 + nin + nout:]:
            k, v = kv.split("=", 1)
            params[int(k)] = [number(x) for x in v.split(",")[1:]] if int(k) <= -23300 else number(v)
        L = dict(type=typ, name=name, ins=ins, outs=outs, params=params)
        if typ == "Convolution":
            oc, k, size = params[0], params[1], params[6]
            ic = size // (oc * k * k)
            L["weight"] = take_tagged(size).reshape(oc, ic, k, k)
            L["bias"] = take_raw(oc) if params.get(5, 0) else None
        elif typ == "PReLU":
            L["slopes"] = take_raw(params[0])
        layers.append(L)
    assert pos == len(blob), "%s: %d bytes left" % (bin_path, len(blob) - pos)
    return layers


def param_text(layers, blob_count):
    """A .param file's text: the magic, the counts, then the layer lines
    ("type name n_in n_out inputs... outputs... key=value...")."""
    return f"{MAGIC}\n{len(layers)} {blob_count}\n" + "\n".join(layers) + "\n"


def tagged_weights(values, fp16=False):
    """A Convolution weight blob as the .bin holds it: the tag, then fp16
    values padded to 4 bytes, or fp32 values."""
    n = len(values)
    if fp16:
        return struct.pack("<I", TAG_FP16) + struct.pack(f"<{n}e", *values) + b"\0\0" * ((2 * n) % 4 // 2)
    return struct.pack("<I", TAG_FP32) + struct.pack(f"<{n}f", *values)


def raw_floats(values):
    """Untagged fp32 values (a bias, PReLU slopes)."""
    return struct.pack(f"<{len(values)}f", *values)
