"""PSNR and the largest difference between two binary PPMs of one size."""
import math
import sys


def pixels(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:  # P6, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    return fields[1:3], data[pos + 1:]


(sa, a), (sb, b) = pixels(sys.argv[1]), pixels(sys.argv[2])
if sa != sb or len(a) != len(b):
    sys.exit(f"sizes differ: {sa} {sb}")
try:
    import numpy as np
    d = np.frombuffer(a, np.uint8).astype(np.int32) - np.frombuffer(b, np.uint8)
    mse, mx = float((d * d).mean()), int(abs(d).max())
except ImportError:
    mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
    mx = max(abs(x - y) for x, y in zip(a, b))
psnr = 10 * math.log10(255 ** 2 / mse) if mse else float("inf")
print(f"PSNR {psnr:.2f} dB, max|diff| {mx}")
