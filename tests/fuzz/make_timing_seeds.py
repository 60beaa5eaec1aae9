#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_segment_timing.c: segment sequences as
encoders produce them (no reordering; x264/x265-style B-frame delay of 1 and
2; a short last segment; variable frame durations). Deterministic; the
output is committed under tests/fuzz/corpus/segment_timing.

    make_timing_seeds.py OUT_DIR
"""
import os
import struct
import sys


def segment(pts_list, delay, step):
    """Packets in decode order: B-frame style reordering by `delay`."""
    order = sorted(pts_list)
    # decode order: each group of delay+1 frames as P first, then the Bs
    dec = []
    i = 0
    while i < len(order):
        group = order[i:i + delay + 1]
        dec += [group[-1]] + group[:-1]
        i += delay + 1
    dts = [order[0] - (delay - k) * step for k in range(delay)] + order[:len(order) - delay]
    out = bytes([len(dec) - 1])
    for p, d in zip(dec, dts):
        out += struct.pack("<qq", p, d)
    return out


def clip(segment_sizes, delay, step=512, jitter=0):
    data, t = b"", 0
    for n in segment_sizes:
        pts = []
        for k in range(n):
            pts.append(t)
            t += step + (jitter if k % 3 == 0 else 0)
        data += segment(pts, delay, step)
    return data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        "no_reorder": clip([8, 8, 8], 0),
        "delay1": clip([9, 9, 5], 1),
        "delay2": clip([12, 12, 12, 3], 2),
        "vfr_delay2": clip([12, 12, 7], 2, step=1000, jitter=333),
        "one_frame_segments": clip([1, 1, 1, 1], 0),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
