#!/bin/bash
# --model auto and --detail auto (issue 18, items 4 and 5), end to end on
# the CPU: the detail chosen by measuring the clip, reported in the last
# JSON line and with -v; what the probe measured for a detail is what `vsr
# quality` then measures on the output made at that detail (the clip is
# shorter than the sample, so the probe sees all of it); explicit models
# keep detail 1; bad values refused; the probe's memory budget cuts its
# sample.
#
# Clip: the 192x108 crop of the sample pan, 6 frames, scaled down by 2
# (bicubic) and encoded as the validators do, as in test_upscale_size.
source "$(dirname "$0")/cli_lib.sh"
source "$(dirname "$0")/video_lib.sh"
need ffmpeg
need ffprobe
need jq

pristine_and_input
# no size cap: the probe encodes without it (detail_probe.c), so that the
# output is encoded exactly as the probe encoded its sample; the
# self-similar guard off: this clip's s (~2.59) is over its default T1,
# which would settle on detail 0 before the search this test is about
# (the guard's own test: test_upscale_detail_guard)
M=(--models-dir "$VSR_MODELS_DIR" --no-size-cap --progress json --detail-guard off)
done_line() { grep '"event":"done"' <<<"$OUT" | head -n 1; }
# pooled D: VMAF and NEG means of frames 1.. of D against the input,
# unclipped as the probe scores (it leaves out each window's first frame,
# whose motion is 0)
pooled() {
    "$VSR_BIN" quality "$1" --reference "$IN" --unclipped --json |
        jq -r '[.frames[1:][] | .vmaf] as $v | [.frames[1:][] | .vmaf_neg] as $n |
               "\($v | add / length) \($n | add / length)"'
}
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# 1. --model auto: the study's model, a detail chosen and reported.
expect 0 "detail auto: " "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/auto.mp4" --task SD2HD \
    --model auto -v
AUTO=$(done_line)
check "--model auto runs realesr-general-x4v3" grep -q "model realesr-general-x4v3" <<<"$OUT"
check "--model auto: the task's size" test "$(image_size "$WORK/auto.mp4")" = 192x108
chosen=$(jq -r '.detail_auto.chosen' <<<"$AUTO")
echo "chosen detail $chosen; detail 0: $(jq -c '.detail_auto.baseline' <<<"$AUTO");" \
    "measured: $(jq -c '.detail_auto.candidates' <<<"$AUTO")"
check "the detail used is the one chosen, in [0, 1]" \
    jq -e '.detail == .detail_auto.chosen and .detail >= 0 and .detail <= 1' <<<"$AUTO"
check "the whole 6-frame clip sampled, 5 frames scored, some candidates measured" \
    jq -e '.detail_auto.frames_sampled == 6 and .detail_auto.frames_scored == 5 and
           (.detail_auto.candidates | length) >= 1' <<<"$AUTO"
# the rule: against detail 0, the delta rises at most `rise` and VMAF
# falls at most `vmaf_drop`; the chosen detail passed and no higher
# measured one did; 0 when none passed
check "chosen = the highest measured detail that passes the rule (else 0)" jq -e '
    .detail_auto as $a | $a.baseline as $b |
    ([$a.candidates[] | select(.pass) | .detail] | max // 0) == $a.chosen and
    all($a.candidates[]; .pass == (.neg_delta <= $b.neg_delta + $a.rise and
                                   .vmaf >= $b.vmaf - $a.vmaf_drop))' <<<"$AUTO"

# 2. What the probe measured is what the output scores: detail 0 and each
# measured candidate made with --detail D and scored by vsr quality
# against the input (the highest that passed, and the lowest measured).
for d in 0 $(jq -r '[.detail_auto.candidates[] | select(.pass) | .detail] | max // empty' <<<"$AUTO") \
    $(jq -r '[.detail_auto.candidates[].detail] | min' <<<"$AUTO"); do
    expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/d$d.mp4" --task SD2HD \
        --model realesr-general-x4v3 --detail "$d"
    read -r v n <<<"$(pooled "$WORK/d$d.mp4")"
    read -r pv pn <<<"$(jq -r --argjson d "$d" '.detail_auto | (.candidates[] | select(.detail == $d)),
        (select($d == 0) | .baseline) | "\(.vmaf) \(.vmaf_neg)"' <<<"$AUTO")"
    echo "detail $d: probe VMAF $pv NEG $pn; output VMAF $v NEG $n"
    check "detail $d: the output's VMAF is the probe's ($v vs $pv)" near "$v" "$pv" 0.05
    check "detail $d: the output's NEG is the probe's ($n vs $pn)" near "$n" "$pn" 0.05
done

# 3. Explicit models as before: detail 1, no probe; --detail auto asks for one.
expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/plain.mp4" --scale 2 \
    --model realesr-animevideov3
check "an explicit model keeps detail 1" jq -e '.detail == 1 and (has("detail_auto") | not)' \
    <<<"$(done_line)"
expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/x2auto.mp4" --scale 2 \
    --model realesr-animevideov3-x2 --detail auto
check "--detail auto with an explicit model" \
    jq -e '.detail_auto.chosen == .detail and (.detail_auto.candidates | length) >= 1' \
    <<<"$(done_line)"
expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/auto1.mp4" --task SD2HD \
    --model auto --detail 1
check "--model auto --detail 1: that detail, no probe" \
    jq -e '.detail == 1 and (has("detail_auto") | not)' <<<"$(done_line)"

# 4. Refused.
expect 2 "expected a detail strength" "$VSR_BIN" upscale -i "$IN" -o "$WORK/bad.mp4" --scale 2 \
    --detail automatic
check "no output after a bad value" test ! -e "$WORK/bad.mp4"

# 5. The probe's memory (--probe-memory): room for 3 sampled frames of
# this clip (4:2:0, three at 192x108 and two at 96x54: 108,864 bytes
# each) cuts its sample to one window of 3, said in the log; 0 refused.
expect 0 "sampling 1 of 3" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/budget.mp4" \
    --task SD2HD --model auto --probe-memory 326592 -v
check "a budget of 3 frames: 3 sampled, 2 scored" \
    jq -e '.detail_auto.frames_sampled == 3 and .detail_auto.frames_scored == 2' <<<"$(done_line)"
expect 2 "probe-memory" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/budget0.mp4" \
    --task SD2HD --model auto --probe-memory 0
finish
