#!/usr/bin/env python3
"""The quality study's tables (bench/quality/run_study.sh): from results.tsv,
one Markdown document on stdout.

    bench/quality/summarize.py results.tsv [--margin 2.5] [--per-clip]

Per task, one row per configuration (model, detail, profile), pooled over the
task's clips: mean VMAF v0.6.1 against the reference, its lowest clip, the
NEG delta (VMAF - VMAF NEG) against the reference and against the input
Lanczos-scaled (the largest over the clips: the gate is per clip), PSNR Y,
SSIM, bytes, the change of VMAF from the Lanczos floor at the same profile
(mean of per-clip differences), and the upscale's frames/s (device busy
time). A configuration passes when every clip of the task was scored and
each has VMAF >= 50 and both deltas <= the margin (2.5 by default: the
validators' gate is 3, issue 18 asks for a margin). Then per task the
passing configuration of the highest mean VMAF."""
import argparse
import csv
import math
import sys
from collections import defaultdict


def num(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def fmt(v, nd=2):
    return "—" if v is None else f"{v:.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--margin", type=float, default=2.5)
    ap.add_argument("--per-clip", action="store_true", help="also every row as measured")
    a = ap.parse_args()

    rows = list(csv.DictReader(open(a.results), delimiter="\t"))
    ok = [r for r in rows if r["status"] == "ok" and num(r["vmaf"]) is not None]
    bad = [r for r in rows if r not in ok]
    task_order = []
    clips = defaultdict(set)
    for r in rows:
        if r["task"] not in task_order:
            task_order.append(r["task"])
        clips[r["task"]].add(r["clip"])

    # The floor per (task, clip, profile), for the differences.
    floor = {(r["task"], r["clip"], r["profile"]): num(r["vmaf"]) for r in ok if r["model"] == "lanczos"}

    groups = defaultdict(list)
    for r in ok:
        groups[(r["task"], r["model"], r["detail"], r["profile"])].append(r)

    out = []
    w = out.append
    w(f"Gates: VMAF >= 50 against the reference; |VMAF - NEG| <= {a.margin} against the reference "
      "and against the input Lanczos-scaled, on every clip of the task (validators: 3).\n")
    best = {}
    for task in task_order:
        n_clips = len(clips[task])
        w(f"### {task} ({n_clips} clip{'s' if n_clips != 1 else ''}: {', '.join(sorted(clips[task]))})\n")
        w("| model | detail | profile | clips | VMAF | min VMAF | vs Lanczos | NEG delta ref (max) "
          "| NEG delta in (max) | PSNR Y | SSIM | bytes | upscale fps | gates |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        entries = []
        for (t, model, detail, profile), rs in groups.items():
            if t != task:
                continue
            vm = [num(r["vmaf"]) for r in rs]
            dref = [abs(num(r["neg_delta"])) for r in rs if num(r["neg_delta"]) is not None]
            din = [abs(num(r["neg_delta_in"])) for r in rs if num(r["neg_delta_in"]) is not None]
            diffs = [num(r["vmaf"]) - floor[(task, r["clip"], profile)] for r in rs
                     if floor.get((task, r["clip"], profile)) is not None]
            mean = lambda xs: sum(xs) / len(xs) if xs else None
            fps = [num(r["upscale_fps"]) for r in rs if num(r["upscale_fps"]) is not None]
            complete = len(rs) == n_clips and len(dref) == n_clips and len(din) == n_clips
            passes = (complete and min(vm) >= 50 and max(dref) <= a.margin and max(din) <= a.margin)
            strict = (complete and min(vm) >= 50 and max(dref) <= 3 and max(din) <= 3)
            e = dict(model=model, detail=detail, profile=profile, n=len(rs), vmaf=mean(vm),
                     vmin=min(vm), diff=mean(diffs), dref=max(dref) if dref else None,
                     din=max(din) if din else None,
                     psnr=mean([num(r["psnr_y"]) for r in rs if num(r["psnr_y"]) is not None]),
                     ssim=mean([num(r["ssim"]) for r in rs if num(r["ssim"]) is not None]),
                     bytes=mean([num(r["bytes"]) for r in rs if num(r["bytes"]) is not None]),
                     fps=mean(fps), passes=passes, strict=strict, complete=complete)
            entries.append(e)
        entries.sort(key=lambda e: (e["profile"] != "balanced", -(e["vmaf"] or 0)))
        for e in entries:
            gate = "pass" if e["passes"] else ("pass at 3" if e["strict"] else
                                                ("incomplete" if not e["complete"] else "FAIL"))
            w(f"| {e['model']} | {e['detail']} | {e['profile']} | {e['n']} | {fmt(e['vmaf'])} | "
              f"{fmt(e['vmin'])} | {fmt(e['diff'])} | {fmt(e['dref'])} | {fmt(e['din'])} | "
              f"{fmt(e['psnr'])} | {fmt(e['ssim'], 4)} | {fmt(e['bytes'], 0)} | {fmt(e['fps'], 1)} | {gate} |")
        passing = [e for e in entries if e["passes"]]
        if passing:
            b = max(passing, key=lambda e: e["vmaf"])
            best[task] = b
        w("")

    w("### Best passing configuration per task\n")
    w("| task | model | detail | profile | VMAF | vs Lanczos | NEG delta ref / in (max) |")
    w("|---|---|---|---|---|---|---|")
    for task in task_order:
        b = best.get(task)
        if b:
            w(f"| {task} | {b['model']} | {b['detail']} | {b['profile']} | {fmt(b['vmaf'])} | "
              f"{fmt(b['diff'])} | {fmt(b['dref'])} / {fmt(b['din'])} |")
        else:
            w(f"| {task} | none passes | | | | | |")
    w("")
    if bad:
        w("### Rows not scored\n")
        for r in bad:
            w(f"- {r['task']} {r['clip']} {r['model']} detail {r['detail'] or '—'} "
              f"{r['profile'] or ''}: {r['status']}")
        w("")
    if a.per_clip:
        w("### Every row\n")
        cols = ["task", "clip", "model", "detail", "profile", "preset", "crf", "bytes", "vmaf",
                "neg", "neg_delta", "neg_delta_in", "psnr_y", "ssim", "upscale_fps", "status"]
        w("| " + " | ".join(cols) + " |")
        w("|" + "---|" * len(cols))
        for r in rows:
            w("| " + " | ".join(r[c] or "" for c in cols) + " |")
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
