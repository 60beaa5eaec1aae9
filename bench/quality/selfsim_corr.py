#!/usr/bin/env python3
"""The soft-floor study's check of the self-similar signal: how well what a
probe could measure from the input alone predicts the NEG delta against the
original.

    selfsim_corr.py SELFSIM_TSV TRUTH_TSV [TRUTH_TSV ...]

SELFSIM_TSV: selfsim_rows.sh's rows (candidate FILTER:DETAIL). TRUTH_TSV:
auto_rows.sh rows of the same corpus made with `--input-filter F` (name the
file or its folder after F: lanczos3, bicubic, ...) or fixed details over
Lanczos (rows whose detail is above 0 are read as lanczos3:DETAIL). Per
task and self-similar factor: each candidate's self-similar delta, the
delta against the input Lanczos-scaled (today's probe signal) and the true
delta against the original; the correlation of each signal with the truth
and the spread of truth - self-similar."""
import csv
import os
import statistics as st
import sys

FILTERS = ("lanczos3", "bicubic", "mitchell", "bilinear")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    selfsim = {}
    for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
        f, d = r["candidate"].split(":")
        selfsim[(r["task"], r["clip"], r["factor"], f"{f}:{float(d):g}")] = float(r["neg_delta"])
    truth = {}
    for path in sys.argv[2:]:
        name = os.path.basename(path.rstrip("/")) + os.path.dirname(path)
        filt = next((f for f in FILTERS if f in name), "lanczos3")
        for r in csv.DictReader(open(path), delimiter="\t"):
            d = float(r["detail"])
            key = (r["task"], r["clip"], f"{'lanczos3' if d > 0 else filt}:{d:g}")
            truth[key] = (float(r["neg_delta"]), float(r["neg_delta_in"]))
    groups = sorted({(k[0], k[2]) for k in selfsim}, key=lambda g: (g[0] != "SD2HD", g[1]))
    for task, factor in groups:
        keys = sorted(k for k in selfsim if k[0] == task and k[2] == factor
                      and (k[0], k[1], k[3]) in truth)
        if len(keys) < 3:
            continue
        print(f"\n### {task}, scaled down x{factor}\n")
        print("| clip | candidate | self-similar delta | delta against the input | delta against the original |")
        print("|---|---|---|---|---|")
        xs, ins, ys = [], [], []
        for k in keys:
            y, i = truth[(k[0], k[1], k[3])]
            print(f"| {k[1]} | {k[3]} | {selfsim[k]:.2f} | {i:.2f} | {y:.2f} |")
            xs.append(selfsim[k])
            ins.append(i)
            ys.append(y)
        res = [y - x for x, y in zip(xs, ys)]
        print(f"\nn = {len(xs)}: correlation with the delta against the original: "
              f"self-similar {st.correlation(xs, ys):.2f}, against the input {st.correlation(ins, ys):.2f}; "
              f"original - self-similar: mean {st.mean(res):+.2f}, {min(res):+.2f} to {max(res):+.2f}")


if __name__ == "__main__":
    main()
