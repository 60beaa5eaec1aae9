#!/usr/bin/env bash
# Scores a clip with the VMAF oracle (libvmaf 1.3 in the static FFmpeg of
# 2018 that scripts/fetch-test-tools.sh installs; ../shared/vmaf/README.md):
#
#   vmaf_oracle.sh [--threads N] [--model PKL] [--log FILE] DISTORTED REFERENCE
#
# Prints one JSON object on stdout:
#   {"libvmaf": "1.3.7", "frame_count": N, "mean": x, "harmonic_mean": y, "min": z,
#    "exec_fps": f, "wall_s": s, "cpu_s": c, "frames": [v0, v1, ...]}
# "mean" is libvmaf's own pooled score (its "VMAF score = " line); the rest
# come from its per-frame JSON log (5 decimals). Checked here, else exit 1:
# the log has as many frames as both inputs have packets (the filter would
# repeat the reference's last frame rather than stop), and the pooled score
# is the mean of the frames. exec_fps is libvmaf's own figure; wall_s and
# cpu_s (user + system) are the whole FFmpeg process's, decoding included.
# The model defaults to the project's data/vmaf/vmaf_float_v0.6.1.pkl (it
# needs its .pkl.model beside it). --threads is libvmaf's n_threads (0, the
# default: libvmaf picks). The oracle: $VSR_VMAF_ORACLE, else
# ${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/vmaf-oracle}/ffmpeg.
# Exit 0 ok, 1 failure, 2 usage.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
oracle=${VSR_VMAF_ORACLE:-${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/vmaf-oracle}/ffmpeg}
model=$src_dir/data/vmaf/vmaf_float_v0.6.1.pkl
threads=0
log=

usage() {
    echo "usage: vmaf_oracle.sh [--threads N] [--model PKL] [--log FILE] DISTORTED REFERENCE" >&2
    exit 2
}
die() {
    echo "vmaf_oracle: $*" >&2
    exit 1
}

args=()
while (($#)); do
    case $1 in
    --threads) (($# >= 2)) || usage; threads=$2; shift ;;
    --model) (($# >= 2)) || usage; model=$2; shift ;;
    --log) (($# >= 2)) || usage; log=$2; shift ;;
    -h | --help) usage ;;
    -*) echo "vmaf_oracle: unknown option $1" >&2; usage ;;
    *) args+=("$1") ;;
    esac
    shift
done
((${#args[@]} == 2)) || usage
dist=${args[0]} ref=${args[1]}
[[ $threads =~ ^[0-9]+$ ]] || { echo "vmaf_oracle: --threads wants a number, not '$threads'" >&2; usage; }

[[ -x $oracle ]] || die "the oracle $oracle is missing (run scripts/fetch-test-tools.sh)"
[[ -f $model && -f $model.model ]] || die "model $model (and $model.model) not found"
for f in "$dist" "$ref"; do
    [[ -f $f ]] || die "$f not found"
done
command -v python3 >/dev/null 2>&1 || die "python3 not found (run scripts/install-deps.sh)"
command -v ffprobe >/dev/null 2>&1 || die "ffprobe not found (run scripts/install-deps.sh)"

# The filter's options are separated by ':' and '\' escapes: refuse paths
# that would need escaping rather than mangle them.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsr-vmaf-oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[[ -n $log ]] || log=$tmp/log.json
for p in "$model" "$log"; do
    [[ $p != *[:\\\'\;,\[\]=]* ]] || die "path $p has a character the filter graph would need escaped"
done

packets() {
    ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
        -of csv=p=0 "$1"
}
n_dist=$(packets "$dist") || die "ffprobe cannot read $dist"
n_ref=$(packets "$ref") || die "ffprobe cannot read $ref"
[[ $n_dist == "$n_ref" ]] || die "$dist has $n_dist frames, $ref $n_ref"

if ! python3 "$src_dir/tests/tools/timed.py" "$tmp/time.txt" \
    "$oracle" -nostdin -hide_banner -v error -i "$dist" -i "$ref" -lavfi \
    "[0:v]format=yuv420p[d];[1:v]format=yuv420p[r];[d][r]libvmaf=model_path=$model:log_fmt=json:log_path=$log:n_threads=$threads" \
    -f null - >"$tmp/out.txt" 2>&1; then
    cat "$tmp/out.txt" >&2
    die "the oracle failed on $dist vs $ref"
fi

python3 - "$log" "$tmp/out.txt" "$n_dist" "$tmp/time.txt" "$dist" <<'EOF' || exit 1
import json, re, statistics, sys

log, out, n_want, timefile, dist = sys.argv[1:]
wall, cpu = (float(x) for x in open(timefile).read().split())
text = open(out).read()
def fail(msg):
    sys.stderr.write(text)
    sys.exit(f"vmaf_oracle: {dist}: {msg}")
m = re.search(r"VMAF score = ([0-9.]+)", text)
if not m:
    fail("no 'VMAF score = ' line in the oracle's output")
pooled = float(m.group(1))
fps = re.search(r"Exec FPS: ([0-9.]+)", text)
doc = json.load(open(log))
frames = [f["metrics"]["vmaf"] for f in doc["frames"]]
if len(frames) != int(n_want):
    fail(f"the oracle scored {len(frames)} frames, the clips have {n_want}")
if abs(statistics.fmean(frames) - pooled) > 1e-4:
    fail(f"pooled {pooled} is not the frames' mean {statistics.fmean(frames)}")
print(json.dumps({
    "libvmaf": doc.get("version"),
    "frame_count": len(frames),
    "mean": pooled,
    # libvmaf's harmonic mean: n / sum(1 / (x + 1)) - 1
    "harmonic_mean": round(len(frames) / sum(1.0 / (v + 1.0) for v in frames) - 1.0, 6),
    "min": min(frames),
    "exec_fps": float(fps.group(1)) if fps else None,
    "wall_s": wall,
    "cpu_s": cpu,
    "frames": frames,
}))
EOF
