#!/usr/bin/env bash
# The quality study (issue 18, bench/quality/README.md): for each task and
# clip of a corpus (bench/quality/make_corpus.sh), each model, detail
# strength and encoder profile, the output vsr makes and what the validators
# would measure of it.
#
#   bench/quality/run_study.sh CORPUS_DIR WORK_DIR
#
# Per task and clip:
#   - the Lanczos floor: the input Lanczos-scaled, encoded as vsr encodes
#     (detail_encode at detail 0);
#   - per model: `vsr upscale -v` once, its frames kept losslessly (x264
#     CRF 0; the upscale's device busy time is read from -v), then
#     detail_encode makes every detail x profile from them: the model output
#     Lanczos-resampled to the task's size where the model's scale is larger
#     (an x4 model on an x2 task), blended with the input Lanczos-scaled,
#     encoded with vsr's encoder (what `vsr upscale --size --detail
#     --profile` makes; the first native run is checked against `vsr
#     upscale` itself: the same bytes);
#   - per output: `vsr quality` against the reference (VMAF v0.6.1 and NEG,
#     their delta, PSNR, SSIM) and against the input (vsr quality scales it
#     with Lanczos: the NEG delta `vsr check --reference` computes).
# One row per output in WORK_DIR/results.tsv; summarize.py makes the tables.
#
# Environment (defaults in brackets):
#   VSR [build/vsr]; DETAIL_ENCODE [detail_encode beside VSR]
#   MODELS  installed model names, tried in this order [realesr-animevideov3-x2
#           realesr-animevideov3-x4 realesr-general-x4v3 realesrgan-x4plus];
#           a model runs on a task whose scale is its own or smaller
#   DETAILS [1,0.75,0.5,0.25] for every model (detail 0, the floor, once)
#   PROFILES [balanced]; EXTRA_PROFILES [fast,quality] at EXTRA_DETAILS [1,0.5]
#   TASKS, CLIPS  regular expressions selecting corpus rows [all]
#   SKIP    a regular expression on TASK/CLIP/MODEL: model runs left out
#           (e.g. a heavy model on some clips) [none]
#   BACKEND [auto]; UPSCALE_ARGS (more vsr upscale options)
#   QUALITY_ARGS (more vsr quality options, e.g. --cuda-device 0)
#   JOBS    outputs being encoded and scored at a time (units of a model
#           or floor on one clip) [2]; ENCODE_JOBS encoders a unit runs at
#           once [2]
#   DEADLINE  seconds after which no new model run starts [none]; the runs
#           left are listed as skipped
#   KEEP=1  keep the outputs (default: deleted once scored)
#   FLOORS=0  no Lanczos floors (when merging with a run that has them)
set -uo pipefail

die() {
    echo "run_study: $*" >&2
    exit 1
}
(($# == 2)) || die "usage: run_study.sh CORPUS_DIR WORK_DIR"
CORPUS=$(cd "$1" && pwd) || die "no corpus directory $1"
mkdir -p "$2" || die "cannot make $2"
WORK=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
VSR=${VSR:-$HERE/../../build/vsr}
DETAIL_ENCODE=${DETAIL_ENCODE:-$(dirname "$VSR")/detail_encode}
MODELS=${MODELS:-realesr-animevideov3-x2 realesr-animevideov3-x4 realesr-general-x4v3 realesrgan-x4plus}
DETAILS=${DETAILS:-1,0.75,0.5,0.25}
PROFILES=${PROFILES:-balanced}
EXTRA_PROFILES=${EXTRA_PROFILES-fast,quality}
EXTRA_DETAILS=${EXTRA_DETAILS:-1,0.5}
TASKS=${TASKS:-.}
CLIPS=${CLIPS:-.}
BACKEND=${BACKEND:-auto}
JOBS=${JOBS:-2}
ENCODE_JOBS=${ENCODE_JOBS:-2}
DEADLINE=${DEADLINE:-0}
KEEP=${KEEP:-0}
[[ -x $VSR ]] || die "no vsr at $VSR (set VSR)"
[[ -x $DETAIL_ENCODE ]] || die "no detail_encode at $DETAIL_ENCODE (cmake --build BUILD --target detail_encode)"
[[ -f $CORPUS/corpus.tsv ]] || die "$CORPUS/corpus.tsv missing (bench/quality/make_corpus.sh)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
QTHREADS=$(($(nproc) / JOBS + 1))
((QTHREADS > 0)) || QTHREADS=1
START=$(date +%s)
mkdir -p "$WORK/out" "$WORK/logs"
RESULTS=$WORK/results.tsv
printf 'task\tscale\tclip\tmodel\tmodel_scale\tdetail\tprofile\tpreset\tcrf\tframes\tbytes\tvmaf\tvmaf_hmean\tvmaf_min\tneg\tneg_delta\tpsnr_y\tssim\tvmaf_in\tneg_in\tneg_delta_in\tupscale_busy_s\tupscale_fps\tstatus\n' >"$RESULTS"
echo "# run_study: $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n), $(nproc) cores; vsr $("$VSR" --version 2>&1 | head -1)" >"$WORK/run.txt"
echo "# MODELS=$MODELS DETAILS=$DETAILS PROFILES=$PROFILES EXTRA_PROFILES=$EXTRA_PROFILES EXTRA_DETAILS=$EXTRA_DETAILS BACKEND=$BACKEND JOBS=$JOBS" >>"$WORK/run.txt"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >>"$WORK/run.txt" 2>&1

log() { echo "run_study: [$(($(date +%s) - START)) s] $*" >&2; }

# The model's own scale, from its name (installed models say it: -x2, -x4; the x4 families).
model_scale() {
    case $1 in
    *-x2 | *x2plus*) echo 2 ;;
    *-x3) echo 3 ;;
    *) echo 4 ;;
    esac
}

# score OUT TASK SCALE CLIP MODEL MSCALE DETAIL PROFILE PRESET CRF BYTES BUSY FPS (one row)
score() {
    local out=$1 task=$2 clip=$3 in=$4 ref=$5 base=${1%.mp4}
    shift 5
    local status=ok
    "$VSR" quality "$out" --reference "$ref" --ssim --json --threads "$QTHREADS" ${QUALITY_ARGS:-} \
        >"$base.ref.json" 2>"$base.ref.err" || status=quality-ref-failed
    "$VSR" quality "$out" --reference "$in" --json --threads "$QTHREADS" ${QUALITY_ARGS:-} \
        >"$base.in.json" 2>"$base.in.err" || status=quality-in-failed
    python3 - "$base" "$status" "$@" <<'EOF' >>"$RESULTS"
import json, sys
base, status, task, scale, clip, model, mscale, detail, profile, preset, crf, nbytes, busy, fps = sys.argv[1:]
def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
r, i = load(base + ".ref.json"), load(base + ".in.json")
def g(d, *k):
    try:
        for x in k:
            d = d[x]
        return f"{float(d):.4f}"
    except (KeyError, TypeError, ValueError):
        return "NA"
print("\t".join([task, scale, clip, model, mscale, detail, profile, preset, crf,
                 str(r["frame_count"]) if r else "NA", nbytes,
                 g(r, "pooled", "vmaf", "mean"), g(r, "pooled", "vmaf", "harmonic_mean"),
                 g(r, "pooled", "vmaf", "min"), g(r, "pooled", "vmaf_neg", "mean"), g(r, "neg_delta"),
                 g(r, "pooled", "psnr_y", "mean"), g(r, "pooled", "ssim", "mean"),
                 g(i, "pooled", "vmaf", "mean"), g(i, "pooled", "vmaf_neg", "mean"), g(i, "neg_delta"),
                 busy, fps, status]))
EOF
    [[ $KEEP == 1 ]] || rm -f "$out"
}

# Waits until fewer than JOBS background jobs run.
throttle() {
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n; done
}

# unit TASK SCALE CLIP IN REF W H MODEL MSCALE INTER BUSY FPS: one model's
# (or the floor's, INTER '-') outputs encoded and scored, run in the
# background, JOBS units at a time (the GPU's part, the upscale, is done
# before, in the foreground: it is short; the encoding, x265 on the CPU, is
# not). INTER, the lossless network output, is deleted at the end.
unit() {
    local task=$1 scale=$2 clip=$3 in=$4 ref=$5 w=$6 h=$7 model=$8 mscale=$9 inter=${10}
    local busy=${11} fps=${12}
    local prefix=$WORK/out/$task-$clip-$model sets
    if [[ $inter == - ]]; then
        sets=("0 $PROFILES${EXTRA_PROFILES:+,$EXTRA_PROFILES}")
    else
        sets=("$DETAILS $PROFILES")
        [[ -n $EXTRA_PROFILES ]] && sets+=("$EXTRA_DETAILS $EXTRA_PROFILES")
    fi
    : >"$prefix.encode.txt"
    for set in "${sets[@]}"; do
        read -r details profiles <<<"$set"
        if ! "$DETAIL_ENCODE" "$in" "$inter" "${w}x$h" "$prefix" "$details" "$profiles" \
            "$ENCODE_JOBS" >>"$prefix.encode.txt" 2>>"$prefix.encode.err"; then
            log "$task $clip $model: detail_encode failed: $(tail -1 "$prefix.encode.err")"
            printf '%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t%s\t%s\tencode-failed\n' \
                "$task" "$scale" "$clip" "$model" "$mscale" "$busy" "$fps" >>"$RESULTS"
        fi
    done
    [[ $inter == - ]] || rm -f "$inter"
    while read -r _ file _ d _ p _ _ _ preset _ crf _ bytes _; do
        score "$file" "$task" "$clip" "$in" "$ref" "$task" "$scale" "$clip" "$model" "$mscale" \
            "$d" "$p" "$preset" "$crf" "$bytes" "$busy" "$fps"
    done <"$prefix.encode.txt"
}

# The corpus rows selected.
mapfile -t ROWS < <(awk -F'\t' -v t="$TASKS" -v c="$CLIPS" '$1 ~ t && $3 ~ c' "$CORPUS/corpus.tsv")
((${#ROWS[@]} > 0)) || die "no corpus row matches TASKS=$TASKS CLIPS=$CLIPS"
ROWS_FLOOR=("${ROWS[@]}")
# The output size: the reference's, from its MP4 track header (tkhd; the
# device machines have no ffprobe).
ref_size() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"tkhd")
while i >= 0:
    ver = data[i + 4]
    off = i + 4 + 4 + (32 if ver == 1 else 20) + 8 + 8 + 36
    w, h = struct.unpack(">II", data[off:off + 8])
    if w and h:
        print(w >> 16, h >> 16)
        break
    i = data.find(b"tkhd", i + 4)
EOF
}

# 1. The floors (detail 0), every profile.
((${FLOORS:-1})) || ROWS_FLOOR=()
for row in "${ROWS_FLOOR[@]}"; do
    IFS=$'\t' read -r task scale clip in ref <<<"$row"
    read -r w h < <(ref_size "$CORPUS/$ref")
    log "$task $clip: Lanczos floor (${w}x$h)"
    throttle
    unit "$task" "$scale" "$clip" "$CORPUS/$in" "$CORPUS/$ref" "$w" "$h" lanczos 0 - NA NA &
done

# 2. The models: per row in corpus.tsv's order (clip by clip, so that a
# deadline leaves every model measured on the same clips), in MODELS' order.
checked=0
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r task scale clip in ref <<<"$row"
    for model in $MODELS; do
        mscale=$(model_scale "$model")
        ((mscale >= scale)) || continue
        if [[ -n ${SKIP:-} && $task/$clip/$model =~ $SKIP ]]; then
            log "$task $clip $model: skipped (SKIP)"
            continue
        fi
        if ((DEADLINE > 0 && $(date +%s) - START > DEADLINE)); then
            log "$task $clip $model: skipped (past the deadline)"
            printf '%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tskipped-deadline\n' \
                "$task" "$scale" "$clip" "$model" "$mscale" >>"$RESULTS"
            continue
        fi
        read -r w h < <(ref_size "$CORPUS/$ref")
        inter=$WORK/out/$task-$clip-$model.lossless.mp4
        ulog=$WORK/logs/$task-$clip-$model.upscale.txt
        log "$task $clip $model: upscale x$mscale"
        if ! "$VSR" upscale -i "$CORPUS/$in" -o "$inter" --model "$model" --scale "$mscale" --backend "$BACKEND" \
            --codec h264 --crf 0 --preset ultrafast --no-size-cap --encode-segments 1 \
            --progress none -v ${UPSCALE_ARGS:-} >"$ulog" 2>&1; then
            log "$task $clip $model: vsr upscale failed: $(tail -1 "$ulog")"
            printf '%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tupscale-failed\n' \
                "$task" "$scale" "$clip" "$model" "$mscale" >>"$RESULTS"
            continue
        fi
        # "device cuda:0: 150 frames, busy 3.21 s (46.7 fps), in rotation"
        read -r busy fps < <(sed -n 's/.*device [^ ]*: [0-9]* frames, busy \([0-9.]*\) s (\([0-9.]*\) fps).*/\1 \2/p' "$ulog" | head -1)
        # Once: detail 1 at the model's own scale must be what vsr upscale itself writes.
        if ((checked == 0 && mscale == scale)); then
            checked=1
            direct=$WORK/out/direct-check.mp4
            "$VSR" upscale -i "$CORPUS/$in" -o "$direct" --model "$model" --scale "$mscale" --backend "$BACKEND" \
                --encode-segments 1 --progress none ${UPSCALE_ARGS:-} >"$WORK/logs/direct-check.txt" 2>&1 &&
                "$DETAIL_ENCODE" "$CORPUS/$in" "$inter" "${w}x$h" "$WORK/out/direct-check-de" 1 \
                    "${PROFILES%%,*}" 1 >>"$WORK/logs/direct-check.txt" 2>&1 &&
                if cmp -s "$direct" "$WORK/out/direct-check-de-d1.00-${PROFILES%%,*}.mp4"; then
                    echo "direct check: $task $clip $model: detail_encode at detail 1 = vsr upscale, byte for byte" >>"$WORK/run.txt"
                else
                    echo "direct check: $task $clip $model: detail_encode at detail 1 DIFFERS from vsr upscale ($(stat -c %s "$direct") vs $(stat -c %s "$WORK/out/direct-check-de-d1.00-${PROFILES%%,*}.mp4") bytes)" >>"$WORK/run.txt"
                fi
            rm -f "$direct" "$WORK/out/direct-check-de-"*.mp4
        fi
        throttle
        unit "$task" "$scale" "$clip" "$CORPUS/$in" "$CORPUS/$ref" "$w" "$h" "$model" "$mscale" \
            "$inter" "${busy:-NA}" "${fps:-NA}" &
    done
done
wait
log "done: $(($(wc -l <"$RESULTS") - 1)) rows in $RESULTS"
python3 "$HERE/summarize.py" "$RESULTS" >"$WORK/summary.md" || die "summarize.py failed"
log "summary in $WORK/summary.md"
