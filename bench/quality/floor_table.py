#!/usr/bin/env python3
"""The soft-floor study's tables: auto_rows.sh outputs (auto.tsv) of the
same corpus made with different --input-filter (or details), side by side.

    floor_table.py LABEL=DIR/auto.tsv [LABEL=DIR/auto.tsv ...]

Per task: per clip, each label's VMAF against the original, its NEG delta
against the original and against the input Lanczos-scaled (vsr quality's
clipped scores, as vsr check gives them); then each label's mean VMAF,
its mean change against the first label, the worst clip's change, the
worst deltas and the clips over 2.5 against the original."""
import csv
import sys
from collections import defaultdict

MARGIN = 2.5


def load(path):
    with open(path) as f:
        return {(r["task"], r["clip"]): r for r in csv.DictReader(f, delimiter="\t")}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = []
    for arg in sys.argv[1:]:
        label, _, path = arg.partition("=")
        runs.append((label, load(path)))
    tasks = defaultdict(list)
    for task, clip in runs[0][1]:
        tasks[task].append(clip)
    for task in sorted(tasks, reverse=True):
        clips = [c for c in tasks[task] if all((task, c) in r for _, r in runs)]
        print(f"\n### {task}: VMAF / delta against the original (delta against the input)\n")
        print("| clip | " + " | ".join(l for l, _ in runs) + " |")
        print("|---" * (len(runs) + 1) + "|")
        for c in clips:
            cells = []
            for _, r in runs:
                x = r[(task, c)]
                d = float(x["neg_delta"])
                mark = "**" if d > MARGIN else ""
                cells.append(f"{float(x['vmaf']):.2f} / {mark}{d:.2f}{mark} ({float(x['neg_delta_in']):.2f})")
            print(f"| {c} | " + " | ".join(cells) + " |")
        print("\n| | " + " | ".join(l for l, _ in runs) + " |")
        print("|---" * (len(runs) + 1) + "|")
        base = runs[0][1]
        rows = {"mean VMAF": [], "mean change": [], "worst change": [], "worst delta ref": [],
                "worst delta in": [], f"clips over {MARGIN} (ref)": []}
        for _, r in runs:
            v = [float(r[(task, c)]["vmaf"]) for c in clips]
            ch = [float(r[(task, c)]["vmaf"]) - float(base[(task, c)]["vmaf"]) for c in clips]
            dr = [float(r[(task, c)]["neg_delta"]) for c in clips]
            di = [float(r[(task, c)]["neg_delta_in"]) for c in clips]
            worst = min(range(len(clips)), key=lambda i: ch[i])
            rows["mean VMAF"].append(f"{sum(v) / len(v):.2f}")
            rows["mean change"].append(f"{sum(ch) / len(ch):+.2f}")
            rows["worst change"].append(f"{ch[worst]:+.2f} ({clips[worst]})")
            rows["worst delta ref"].append(f"{max(dr):.2f}")
            rows["worst delta in"].append(f"{max(di):.2f}")
            over = [c for c, d in zip(clips, dr) if d > MARGIN]
            rows[f"clips over {MARGIN} (ref)"].append(", ".join(over) or "none")
        for k, cells in rows.items():
            print(f"| {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
