#!/bin/bash
# vsr quality against libvmaf 3.2.0 (the validators' generation) on the 14
# test vectors of tests/data/vmaf_vectors (lossless reference/distorted
# pairs; scores.json holds libvmaf's per-frame and pooled scores): with
# --model both, the pooled VMAF v0.6.1 (key "vmaf") and v0.6.1neg (key
# "vmaf_neg"), mean and harmonic mean, within 0.1; every frame within 0.5;
# the frame counts equal; neg_delta = |vmaf mean - vmaf_neg mean|; and with
# --features float --model vmaf, libvmaf's float extractors (key
# "vmaf_float") within the same bounds. Prints a table.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_SOURCE_DIR:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/quality_vectors"
rm -rf "$T" && mkdir -p "$T"
V="$VSR_SOURCE_DIR/tests/data/vmaf_vectors"
POOLED_TOL=0.1
FRAME_TOL=0.5

command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is needed (scripts/install-deps.sh)" >&2; exit 1; }
[ -f "$V/scores.json" ] || { echo "FAIL: $V/scores.json missing" >&2; exit 1; }

fail=0
die() { echo "FAIL: $*" >&2; fail=1; }
names=$(python3 -c 'import json, sys; print("\n".join(sorted(json.load(open(sys.argv[1]))["scores"])))' \
    "$V/scores.json") || { echo "FAIL: cannot read $V/scores.json" >&2; exit 1; }
[ "$(wc -w <<<"$names")" = 14 ] || die "scores.json has $(wc -w <<<"$names") pairs, not 14"

start=$(date +%s)
for name in $names; do
    ref=${name%%_*}_ref.mkv
    for f in "$name.mkv" "$ref"; do
        [ -f "$V/$f" ] || die "$V/$f missing"
    done
    "$VSR_BIN" quality "$V/$name.mkv" --reference "$V/$ref" --model both --json \
        >"$T/$name.json" 2>"$T/$name.err"
    rc=$?
    [ $rc = 0 ] || { die "$name: vsr quality exit $rc"; cat "$T/$name.err" >&2; }
    "$VSR_BIN" quality "$V/$name.mkv" --reference "$V/$ref" --model vmaf --features float \
        --json >"$T/$name.float.json" 2>"$T/$name.float.err"
    rc=$?
    [ $rc = 0 ] || { die "$name: vsr quality --features float exit $rc"; cat "$T/$name.float.err" >&2; }
done
echo "vsr quality on $(wc -w <<<"$names") pairs in $(($(date +%s) - start)) s"

python3 - "$T" "$V/scores.json" "$POOLED_TOL" "$FRAME_TOL" <<'EOF' || fail=1
import json, sys

work, scores_path, ptol, ftol = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
scores = json.load(open(scores_path))["scores"]
bad = 0
print(f"{'pair':16} {'model':10} {'mean':>9} {'vsr':>9} {'diff':>8} {'h.mean':>9} {'vsr':>9} {'diff':>8} {'max frame diff':>14}")
for name in sorted(scores):
    want = scores[name]
    try:
        got = json.load(open(f"{work}/{name}.json"))
    except (OSError, ValueError) as e:
        print(f"{name:16} no score ({e})   FAIL")
        bad += 1
        continue
    problems = []  # besides those printed on a model's line
    shown = 0
    try:
        if got["frame_count"] != len(want["frames"]) or len(got["frames"]) != len(want["frames"]):
            problems.append(f"{got['frame_count']} frames ({len(got['frames'])} listed), "
                            f"libvmaf {len(want['frames'])}")
        flt = json.load(open(f"{work}/{name}.float.json"))
        # (libvmaf's key, vsr's answer, vsr's key in it)
        for model, answer, key in (("vmaf", got, "vmaf"), ("vmaf_neg", got, "vmaf_neg"),
                                   ("vmaf_float", flt, "vmaf")):
            w, g = want["pooled"][model], answer["pooled"][key]
            dm = g["mean"] - w["mean"]
            dh = g["harmonic_mean"] - w["harmonic_mean"]
            fd = [abs(gf[key] - wf[model]) for gf, wf in zip(answer["frames"], want["frames"])]
            worst = max(range(len(fd)), key=fd.__getitem__) if fd else None
            line_bad = []
            if not abs(dm) <= ptol:
                line_bad.append(f"mean off by more than {ptol}")
            if not abs(dh) <= ptol:
                line_bad.append(f"harmonic mean off by more than {ptol}")
            if worst is not None and not fd[worst] <= ftol:
                line_bad.append(f"frame {worst} off by more than {ftol}")
            print(f"{name:16} {model:10} {w['mean']:9.4f} {g['mean']:9.4f} {dm:+8.4f} "
                  f"{w['harmonic_mean']:9.4f} {g['harmonic_mean']:9.4f} {dh:+8.4f} "
                  f"{(fd[worst] if fd else float('nan')):14.4f}"
                  + ("   FAIL: " + "; ".join(line_bad) if line_bad else ""))
            shown += len(line_bad)
        delta = abs(got["pooled"]["vmaf"]["mean"] - got["pooled"]["vmaf_neg"]["mean"])
        if not abs(abs(got["neg_delta"]) - delta) <= 1e-3:
            problems.append(f"neg_delta {got['neg_delta']} is not |vmaf - vmaf_neg| = {delta:.6f}")
    except (OSError, KeyError, TypeError, ValueError) as e:
        problems.append(f"vsr's JSON lacks {e!r}")
    if problems:
        print(f"{name:16} FAIL: " + "; ".join(problems))
    bad += bool(problems or shown)
print(f"{bad} of {len(scores)} pairs failed" if bad
      else f"all {len(scores)} pairs: pooled within {ptol}, every frame within {ftol} of libvmaf 3.2.0")
sys.exit(1 if bad else 0)
EOF

[ $fail = 0 ] && echo "test_quality_vectors: ok"
exit $fail
