#!/usr/bin/env bash
# The self-similar check (soft-floor study, results/2026-12-06-soft-floor-2core.md):
# what a probe that sees only the input could measure of the NEG delta against
# the original. The input plays the original: it is scaled down by the task's
# factor as make_corpus.sh degrades a reference (FFmpeg's default bicubic scale,
# libx264 ultrafast CRF 23, 30 fps, keyframe every 30), brought back to the
# input's size by `vsr upscale` (each --input-filter at detail 0, and
# realesr-general-x4v3 blended at each detail over the Lanczos floor), and
# scored against the input with `vsr quality`. One row per task, clip and
# candidate in OUT/selfsim.tsv.
#
#   VSR=build/vsr bench/quality/selfsim_rows.sh CORPUS OUT
#
# Environment: FILTERS (default "lanczos3 bicubic"), DETAILS (default none,
# e.g. "0.05 0.1"), FACTOR (the scale down; default the task's), ONLY (a
# regex on "TASK/clip").
set -euo pipefail
(($# == 2)) || {
    echo "usage: selfsim_rows.sh CORPUS OUT" >&2
    exit 2
}
CORPUS=$1
OUT=$2
VSR=${VSR:-build/vsr}
FILTERS=${FILTERS:-lanczos3 bicubic}
DETAILS=${DETAILS:-}
mkdir -p "$OUT"
tsv=$OUT/selfsim.tsv
[[ -s $tsv ]] || printf 'task\tclip\tfactor\tcandidate\tvmaf\tneg\tneg_delta\n' >"$tsv"
while IFS=$'\t' read -r task scale clip input _ref; do
    [[ -z ${ONLY:-} || "$task/$clip" =~ $ONLY ]] || continue
    k=${FACTOR:-$scale}
    read -r w h < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
        -of csv=p=0 "$CORPUS/$input" | tr , ' ')
    dw=$(((w / k + 1) / 2 * 2)) dh=$(((h / k + 1) / 2 * 2))
    down=$OUT/$task-$clip-x$k-down.mp4
    ffmpeg -nostdin -v error -y -i "$CORPUS/$input" -vf "scale=$dw:$dh" -an -c:v libx264 \
        -preset ultrafast -crf 23 -r 30 -g 30 -threads 1 -pix_fmt yuv420p -colorspace bt709 \
        -color_primaries bt709 -color_trc bt709 -color_range tv "$down"
    cands=()
    for f in $FILTERS; do cands+=("$f:0"); done
    for d in $DETAILS; do cands+=("lanczos3:$d"); done
    for c in "${cands[@]}"; do
        f=${c%:*} d=${c#*:}
        name=$task-$clip-x$k-$f-d$d
        "$VSR" upscale -i "$down" -o "$OUT/$name.mp4" --size "${w}x$h" --model realesr-general-x4v3 \
            --detail "$d" --input-filter "$f" --progress none 2>"$OUT/$name.log"
        "$VSR" quality "$OUT/$name.mp4" --reference "$CORPUS/$input" --json >"$OUT/$name.json"
        jq -r --arg t "$task" --arg c "$clip" --arg k "$k" --arg n "$f:$d" \
            '[$t, $c, $k, $n, .pooled.vmaf.mean, .pooled.vmaf_neg.mean, .neg_delta] | @tsv' \
            "$OUT/$name.json" >>"$tsv"
        tail -n 1 "$tsv"
    done
done <"$CORPUS/corpus.tsv"
