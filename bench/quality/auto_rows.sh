#!/usr/bin/env bash
# `--model auto` (and `--detail auto` with a given model) on a corpus made
# by make_corpus.sh: per task and clip, the run's chosen detail, the
# candidates its probe measured, and the output scored as run_study.sh
# scores (vsr quality against the reference and against the input, which
# it Lanczos-scales), one row each in OUT/auto.tsv; logs beside it.
#
#   VSR=build/vsr bench/quality/auto_rows.sh CORPUS OUT
#
# Environment: MODEL (default auto), DETAIL (default auto), PROFILE
# (default balanced), UPSCALE_ARGS (more vsr upscale options, e.g.
# --backend cuda), QUALITY_ARGS (more vsr quality options), ONLY (a regex
# on "TASK/clip": the rows to run), TABULATE_ONLY=1 (only the table, from
# the files a run left: for runs where jq is missing, as on the device
# hosts, which then leave only the files).
set -euo pipefail
(($# == 2)) || {
    echo "usage: auto_rows.sh CORPUS OUT" >&2
    exit 2
}
CORPUS=$1
OUT=$2
VSR=${VSR:-build/vsr}
MODEL=${MODEL:-auto}
DETAIL=${DETAIL:-auto}
PROFILE=${PROFILE:-balanced}
mkdir -p "$OUT"
tsv=$OUT/auto.tsv
[[ -s $tsv ]] || ! command -v jq >/dev/null || printf 'task\tscale\tclip\tmodel\tdetail\tprofile\tbytes\tvmaf\tneg\tneg_delta\tpsnr_y\tvmaf_in\tneg_in\tneg_delta_in\tprobe_s\twall_s\tprobe_candidates\n' >"$tsv"
while IFS=$'\t' read -r task scale clip input ref; do
    [[ -z ${ONLY:-} || "$task/$clip" =~ $ONLY ]] || continue
    name=$task-$clip-$MODEL-$DETAIL-$PROFILE
    out=$OUT/$name.mp4
    if [[ -z ${TABULATE_ONLY:-} ]]; then
        # shellcheck disable=SC2086
        "$VSR" upscale -i "$CORPUS/$input" -o "$out" --scale "$scale" --model "$MODEL" \
        --detail "$DETAIL" --profile "$PROFILE" --progress json -v ${UPSCALE_ARGS:-} \
            >"$OUT/$name.progress.json" 2>"$OUT/$name.log"
        # shellcheck disable=SC2086
        "$VSR" quality "$out" --reference "$CORPUS/$ref" --json ${QUALITY_ARGS:-} >"$OUT/$name.ref.json"
        # shellcheck disable=SC2086
        "$VSR" quality "$out" --reference "$CORPUS/$input" --json ${QUALITY_ARGS:-} >"$OUT/$name.in.json"
        stat -c %s "$out" >"$OUT/$name.bytes"
    fi
    command -v jq >/dev/null || continue
    done_line=$(grep '"event":"done"' "$OUT/$name.progress.json")
    jq -r --arg task "$task" --arg scale "$scale" --arg clip "$clip" --arg model "$MODEL" \
        --arg profile "$PROFILE" --argjson done "$done_line" --arg bytes "$(cat "$OUT/$name.bytes")" \
        --slurpfile in "$OUT/$name.in.json" '
        [$task, $scale, $clip, $model, ($done.detail | tostring), $profile, $bytes,
         (.pooled.vmaf.mean | tostring), (.pooled.vmaf_neg.mean | tostring), (.neg_delta | tostring),
         (.pooled.psnr_y.mean | tostring),
         ($in[0].pooled.vmaf.mean | tostring), ($in[0].pooled.vmaf_neg.mean | tostring),
         ($in[0].neg_delta | tostring),
         (($done.detail_auto.seconds // "NA") | tostring), ($done.elapsed_s | tostring),
         (($done.detail_auto.candidates // []) | map("\(.detail):\(.neg_delta * 1000 | round / 1000)")
          | join(","))] | @tsv' "$OUT/$name.ref.json" >>"$tsv"
    tail -n 1 "$tsv"
done <"$CORPUS/corpus.tsv"
