#!/usr/bin/env bash
# The self-similar guard's s (pipeline/detail_guard.h) as `--detail auto`'s
# probe measures it, per x2 or x4 clip of a corpus made by make_corpus.sh:
# the guard forced to its detail-0 branch (--detail-guard 0,100 and
# --detail-guard-x4 0,100), so that the model runs neither on the sample
# nor on the clip and a row costs the probe's sampling, the guard and a
# Lanczos-3 floor run. One row per clip in OUT/s.tsv (s, its VMAF and NEG,
# frames scored, the guard's and the whole probe's seconds, the run's);
# logs beside it.
#
#   VSR=build/vsr bench/quality/guard_s_rows.sh CORPUS OUT
#
# Environment: ONLY (a regex on "TASK/clip"; default '^SD2HD/', '^X4HD/'
# for x4), UPSCALE_ARGS (more vsr upscale options, e.g. --input-filter bicubic).
set -euo pipefail
(($# == 2)) || {
    echo "usage: guard_s_rows.sh CORPUS OUT" >&2
    exit 2
}
CORPUS=$1
OUT=$2
VSR=${VSR:-build/vsr}
ONLY=${ONLY:-^SD2HD/}
mkdir -p "$OUT"
tsv=$OUT/s.tsv
[[ -s $tsv ]] || printf 'task\tclip\ts\tvmaf\tneg\tframes_scored\tguard_s\tprobe_s\twall_s\n' >"$tsv"
while IFS=$'\t' read -r task scale clip input _ref; do
    [[ "$task/$clip" =~ $ONLY ]] || continue
    name=$task-$clip
    # shellcheck disable=SC2086
    "$VSR" upscale -i "$CORPUS/$input" -o "$OUT/$name.mp4" --scale "$scale" --model auto \
        --detail-guard 0,100 --detail-guard-x4 0,100 --progress json -v ${UPSCALE_ARGS:-} >"$OUT/$name.progress.json" \
        2>"$OUT/$name.log"
    grep '"event":"done"' "$OUT/$name.progress.json" | jq -r --arg t "$task" --arg c "$clip" '
        .detail_auto as $a | $a.guard as $g |
        [$t, $c, $g.self_similar, $g.vmaf, $g.vmaf_neg, $g.frames_scored, $g.seconds, $a.seconds,
         .elapsed_s] | map(tostring) | @tsv' >>"$tsv"
    tail -n 1 "$tsv"
done <"$CORPUS/corpus.tsv"
