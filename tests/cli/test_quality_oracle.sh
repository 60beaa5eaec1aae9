#!/bin/bash
# vsr quality against the VMAF oracle (libvmaf 1.3 in a static FFmpeg of
# 2018, installed by scripts/fetch-test-tools.sh; ../shared/vmaf/README.md):
# on natural clips with motion (tests/tools/make_quality_clips.sh: noise,
# blur, x264, x265 and SVT-AV1 at several CRFs, upscalers' outputs; 640x360
# and 1920x1080), vsr's pooled VMAF v0.6.1 (mean) is within 0.1 of the
# oracle's, with data/vmaf/vmaf_float_v0.6.1.pkl, and both scored the same
# frames. libvmaf 1.3 has only the float extractors, so vsr runs them too
# (--features float); the integer ones the validators run are checked
# against libvmaf 3.2 by test_quality_vectors.sh. Prints a table of both. No oracle: the test fails.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_SOURCE_DIR:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/quality_oracle"
rm -rf "$T" && mkdir -p "$T"
TOL=0.1
tools="$VSR_SOURCE_DIR/tests/tools"
oracle=${VSR_VMAF_ORACLE:-${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/vmaf-oracle}/ffmpeg}

for t in ffmpeg ffprobe python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "FAIL: $t is needed (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$oracle" ] || { echo "FAIL: the VMAF oracle $oracle is missing (run scripts/fetch-test-tools.sh)" >&2; exit 1; }

start=$(date +%s)
bash "$tools/make_quality_clips.sh" "$T/clips" || { echo "FAIL: make_quality_clips.sh failed" >&2; exit 1; }
echo "clips made in $(($(date +%s) - start)) s"

fail=0
die() { echo "FAIL: $*" >&2; fail=1; }
n=0
while read -r dist ref; do
    n=$((n + 1))
    name=${dist%.*}
    bash "$tools/vmaf_oracle.sh" "$T/clips/$dist" "$T/clips/$ref" >"$T/$name.oracle.json" ||
        { die "$dist: the oracle failed"; continue; }
    "$VSR_BIN" quality "$T/clips/$dist" --reference "$T/clips/$ref" --model vmaf --features float --json \
        >"$T/$name.vsr.json" 2>"$T/$name.vsr.err"
    rc=$?
    [ $rc = 0 ] || { die "$dist: vsr quality exit $rc"; cat "$T/$name.vsr.err" >&2; }
done <"$T/clips/pairs.txt"
[ "$n" -gt 0 ] || die "make_quality_clips.sh listed no pairs"
echo "oracle and vsr on $n pairs in $(($(date +%s) - start)) s"

# The table, and the checks: one line per pair.
python3 - "$T" "$T/clips/pairs.txt" "$TOL" <<'EOF' || fail=1
import json, sys

work, pairs, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
bad = 0
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return e

print(f"{'pair':24} {'frames':>6} {'oracle':>9} {'vsr':>9} {'diff':>8} {'max frame diff':>14}")
for line in open(pairs):
    dist, ref = line.split()
    name = dist.rsplit(".", 1)[0]
    o = load(f"{work}/{name}.oracle.json")
    v = load(f"{work}/{name}.vsr.json")
    if isinstance(o, Exception) or isinstance(v, Exception):
        print(f"{name:24} no score: oracle {'ok' if isinstance(o, dict) else o}, "
              f"vsr {'ok' if isinstance(v, dict) else v}   FAIL")
        bad += 1
        continue
    problems = []
    try:
        mean = float(v["pooled"]["vmaf"]["mean"])
        frames = [float(f["vmaf"]) for f in v["frames"]]
        if v["frame_count"] != o["frame_count"] or len(frames) != o["frame_count"]:
            problems.append(f"vsr scored {v['frame_count']} frames ({len(frames)} listed), "
                            f"the oracle {o['frame_count']}")
        if "vmaf_neg" in v["pooled"]:
            problems.append("vmaf_neg pooled although --model vmaf")
    except (KeyError, TypeError, ValueError) as e:
        print(f"{name:24} vsr's JSON lacks {e!r}   FAIL")
        bad += 1
        continue
    diff = mean - o["mean"]
    fdiff = max((abs(a - b) for a, b in zip(frames, o["frames"])), default=float("nan"))
    if not abs(diff) <= tol:
        problems.append(f"|diff| > {tol}")
    print(f"{name:24} {o['frame_count']:6d} {o['mean']:9.4f} {mean:9.4f} {diff:+8.4f} {fdiff:14.4f}"
          + ("   FAIL: " + "; ".join(problems) if problems else ""))
    bad += bool(problems)
print(f"{bad} of the pairs failed (pooled VMAF within {tol} of the oracle's)" if bad
      else f"every pair within {tol} of the oracle")
sys.exit(1 if bad else 0)
EOF

[ $fail = 0 ] && echo "test_quality_oracle: ok"
exit $fail
