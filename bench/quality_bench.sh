#!/usr/bin/env bash
# Quality benchmark: `vsr quality` against the VMAF oracle (libvmaf 1.3 in the
# static FFmpeg of 2018 that scripts/fetch-test-tools.sh installs), on the
# clips of tests/tools/make_quality_clips.sh --long (640x360 and 1920x1080,
# noise, blur, x264/x265/SVT-AV1, upscalers' outputs, and a 60-frame 1080p
# clip), with the same thread count (the oracle's libvmaf n_threads, vsr's
# --threads): the pooled VMAF v0.6.1 (mean) of both and their difference,
# frames/s of both and the ratio vsr/oracle, per pair and in total.
#
#   bench/quality_bench.sh
#   THREADS=1 bench/quality_bench.sh
#   ORACLE_ONLY=1 bench/quality_bench.sh     # the oracle alone, no vsr
#
# Environment: THREADS (default: all cores), BUILD_DIR (default build-bench;
# vsr is built there, Release), VSR_BIN (a vsr to use instead),
# CLIPS_DIR (default ${TMPDIR:-/tmp}/vsr-quality-bench; clips made there
# once and reused while their pairs.txt is there), PAIRS (a regex: only the
# pairs whose distorted file matches), ORACLE_ONLY=1.
# Both figures are end to end: one process per pair, decoding both clips
# included (the oracle decodes with its own FFmpeg 4.1-dev, vsr with the
# system's FFmpeg libraries). Wall-clock timings on a machine busy with other
# work are meaningless: the script prints the load average, and also frames
# per CPU-second of each process (user + system), which other work disturbs
# much less (comparable between the two with THREADS=1).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build-bench}
CLIPS_DIR=${CLIPS_DIR:-${TMPDIR:-/tmp}/vsr-quality-bench}
PAIRS=${PAIRS:-.}
ORACLE_ONLY=${ORACLE_ONLY:-0}

log() { echo "quality_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive number, not '$THREADS'"
command -v python3 >/dev/null 2>&1 || die "python3 not found (run scripts/install-deps.sh)"
oracle=${VSR_VMAF_ORACLE:-${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/vmaf-oracle}/ffmpeg}
if [[ ! -x $oracle ]]; then
    log "no VMAF oracle at $oracle: installing it"
    scripts/fetch-test-tools.sh
fi

# vsr.
if ((ORACLE_ONLY)); then
    VSR_BIN=
elif [[ -z ${VSR_BIN:-} ]]; then
    log "building vsr (Release) in $BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DVSR_BUILD_TESTS=OFF >/dev/null
    cmake --build "$BUILD_DIR" --target vsr -j"$(nproc)" >/dev/null
    VSR_BIN=$BUILD_DIR/vsr
fi
if [[ -n $VSR_BIN ]]; then
    [[ -x $VSR_BIN ]] || die "no vsr binary at $VSR_BIN"
    "$VSR_BIN" quality --help >/dev/null 2>&1 || die "$VSR_BIN has no working 'quality' command"
fi

# Clips.
if [[ ! -f $CLIPS_DIR/pairs.txt ]] || ! grep -q '^wood60_' "$CLIPS_DIR/pairs.txt"; then
    log "making the clips in $CLIPS_DIR"
    tests/tools/make_quality_clips.sh --long "$CLIPS_DIR" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vsr-quality-bench-run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# quality_bench: $(date -u +%Y-%m-%dT%H:%MZ), $cpu, $(nproc) cores, THREADS=$THREADS"
echo "# oracle: $oracle (static FFmpeg of 2018 with libvmaf 1.3), model data/vmaf/vmaf_float_v0.6.1.pkl"
[[ -n $VSR_BIN ]] && echo "# vsr: $VSR_BIN ($("$VSR_BIN" --version 2>&1 | head -1)), --model vmaf --features float (the oracle has only the float extractors)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

n=0
while read -r dist ref; do
    [[ $dist =~ $PAIRS ]] || continue
    n=$((n + 1))
    name=${dist%.*}
    log "$name: oracle"
    tests/tools/vmaf_oracle.sh --threads "$THREADS" "$CLIPS_DIR/$dist" "$CLIPS_DIR/$ref" \
        >"$TMP/$name.oracle.json" || die "the oracle failed on $dist"
    if [[ -n $VSR_BIN ]]; then
        log "$name: vsr"
        python3 tests/tools/timed.py "$TMP/$name.vsr.time" "$VSR_BIN" quality "$CLIPS_DIR/$dist" \
            --reference "$CLIPS_DIR/$ref" --model vmaf --features float --threads "$THREADS" --json \
            >"$TMP/$name.vsr.json" 2>"$TMP/$name.vsr.err" || {
            cat "$TMP/$name.vsr.err" >&2
            die "vsr quality failed on $dist"
        }
    fi
    echo "$name $(ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
        -of csv=s=x:p=0 "$CLIPS_DIR/$ref")" >>"$TMP/list.txt"
done <"$CLIPS_DIR/pairs.txt"
((n > 0)) || die "no pair matches PAIRS='$PAIRS'"

python3 - "$TMP" "$THREADS" <<'EOF'
import json, os, sys

tmp, threads = sys.argv[1], sys.argv[2]
rows = []
for line in open(f"{tmp}/list.txt"):
    name, size = line.split()
    o = json.load(open(f"{tmp}/{name}.oracle.json"))
    v = t = None
    if os.path.exists(f"{tmp}/{name}.vsr.json"):
        v = json.load(open(f"{tmp}/{name}.vsr.json"))
        t = [float(x) for x in open(f"{tmp}/{name}.vsr.time").read().split()]
    rows.append((name, size, o, v, t))

has_vsr = any(r[3] for r in rows)
def fps(frames, s):
    return frames / s if s > 0 else float("inf")

hdr = f"{'pair':22} {'size':>9} {'frames':>6} {'oracle':>9}"
if has_vsr:
    hdr += f" {'vsr':>9} {'diff':>8}"
hdr += f" {'oracle fps':>10} {'fps/cpu-s':>9}"
if has_vsr:
    hdr += f" {'vsr fps':>9} {'fps/cpu-s':>9} {'ratio':>7}"
print(f"\n{hdr}")
tot = {}
for name, size, o, v, t in rows:
    n = o["frame_count"]
    line = f"{name:22} {size:>9} {n:6d} {o['mean']:9.4f}"
    if v:
        vm = v["pooled"]["vmaf"]["mean"]
        line += f" {vm:9.4f} {vm - o['mean']:+8.4f}"
    elif has_vsr:
        line += f" {'':9} {'':8}"
    line += f" {fps(n, o['wall_s']):10.2f} {fps(n, o['cpu_s']):9.2f}"
    if v:
        line += f" {fps(n, t[0]):9.2f} {fps(n, t[1]):9.2f} {o['wall_s'] / t[0]:7.2f}"
    print(line)
    for key in (size, "all"):
        a = tot.setdefault(key, [0, 0.0, 0.0, 0.0, 0.0, 0.0])
        a[0] += n
        a[1] += o["wall_s"]
        a[2] += o["cpu_s"]
        if v:
            a[3] += t[0]
            a[4] += t[1]
            a[5] = max(a[5], abs(v["pooled"]["vmaf"]["mean"] - o["mean"]))

print(f"\n{'total':22} {'size':>9} {'frames':>6} {'oracle fps':>10} {'fps/cpu-s':>9}"
      + (f" {'vsr fps':>9} {'fps/cpu-s':>9} {'ratio':>7} {'max |diff|':>10}" if has_vsr else ""))
for key, a in sorted(tot.items(), key=lambda kv: (kv[0] == "all", kv[0])):
    line = f"{'':22} {key:>9} {a[0]:6d} {fps(a[0], a[1]):10.2f} {fps(a[0], a[2]):9.2f}"
    if has_vsr:
        line += f" {fps(a[0], a[3]):9.2f} {fps(a[0], a[4]):9.2f} {a[1] / a[3]:7.2f} {a[5]:10.4f}"
    print(line)
print(f"\noracle: libvmaf {rows[0][2].get('libvmaf', '?')}; threads: {threads} (oracle n_threads, vsr --threads); fps: frames / wall seconds of the "
      "whole process, decoding included; fps/cpu-s: frames / (user + system) CPU seconds; "
      "ratio: vsr fps / oracle fps (wall)")
EOF
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
