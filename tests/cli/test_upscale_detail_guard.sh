#!/bin/bash
# The self-similar guard of --detail auto (issue 18, item 5;
# pipeline/detail_guard.h), end to end on the CPU: --detail-guard forces
# each branch on a small x2 clip and the output is byte-identical to the
# run the branch stands for (the search: the guard off; the floor:
# --detail 0; the soft floor: --detail 0 --input-filter bicubic; the
# softer floor: --input-filter mitchell; each keeping a softer filter the
# caller gave); s is reported, the same whatever the
# branch, and plausible; at x4 the guard measures its own s under
# --detail-guard-x4's thresholds; an x3 output and `off` do not run the
# guard, nor does a check the run's encoder cannot take (the search then
# decides, with a warning); bad values are refused.
#
# Clip: the 96x54 input of test_upscale_detail_auto (6 frames, one window).
source "$(dirname "$0")/cli_lib.sh"
source "$(dirname "$0")/video_lib.sh"
need ffmpeg
need ffprobe
need jq

pristine_and_input
M=(--models-dir "$VSR_MODELS_DIR" --progress json)
done_line() { grep '"event":"done"' <<<"$OUT" | head -n 1; }
# run NAME ARGS...: vsr upscale x2 into $WORK/NAME.mp4; its done line in $DONE
run() {
    local name=$1
    shift
    expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/$name.mp4" --task SD2HD "$@"
    DONE=$(done_line)
}
not() { ! "$@"; }
same() { cmp -s "$WORK/$1.mp4" "$WORK/$2.mp4"; }

# 1. The search (s <= T1 = 100): as with the guard off, which reports it
# did not run.
run search --model auto --detail-guard 100,100
SEARCH=$DONE
echo "guard: $(jq -c '.detail_auto.guard' <<<"$SEARCH"); detail $(jq '.detail' <<<"$SEARCH")"
check "search: the action, the thresholds" \
    jq -e '.detail_auto.guard | .action == "search" and .t1 == 100 and .t2 == 100 and
           .input_filter == "lanczos3"' <<<"$SEARCH"
check "s is reported: finite, > 0, < 100, from the 5 scored frames (6 sampled, the first out)" \
    jq -e '.detail_auto.guard | (.self_similar | isinfinite | not) and
           (.self_similar | isnan | not) and .self_similar > 0 and .self_similar < 100 and
           .frames_scored == 5 and
           ((((.vmaf - .vmaf_neg) | fabs) - .self_similar | fabs) < 0.001)' <<<"$SEARCH"
check "search: candidates measured" jq -e '(.detail_auto.candidates | length) >= 1' <<<"$SEARCH"
S=$(jq '.detail_auto.guard.self_similar' <<<"$SEARCH")
run off --model auto --detail-guard off
check "off: not run, no s" \
    jq -e '.detail_auto.guard | .action == "not_run" and (has("self_similar") | not)' <<<"$DONE"
check "search: the same detail as the guard off" \
    test "$(jq '.detail' <<<"$SEARCH")" = "$(jq '.detail' <<<"$DONE")"
check "search: byte-identical to the guard off" same search off

# 2. The floor (T1 < s <= T2): detail 0 over Lanczos-3, the model not run.
run floor --model auto --detail-guard 0,100
check "floor: detail 0 over lanczos3, no candidate, s as before" jq -e --argjson s "$S" '
    .detail == 0 and .detail_auto.guard.action == "floor" and
    .detail_auto.guard.input_filter == "lanczos3" and .detail_auto.guard.self_similar == $s and
    (.detail_auto.candidates | length) == 0 and .detail_auto.model_s == 0' <<<"$DONE"
run d0 --model realesr-general-x4v3 --detail 0
check "floor: byte-identical to --detail 0" same floor d0

# 3. The soft floor (T2 < s <= T3): detail 0 over bicubic.
run soft --model auto --detail-guard 0,0,100 -v
check "soft floor: reported with -v" grep -q "self-similar guard: s [0-9.]* .*: soft_floor" <<<"$OUT"
check "soft floor: the output line names bicubic" grep -q "resampled (bicubic)" <<<"$OUT"
SOFT=$(done_line)
check "soft floor: detail 0 over bicubic, s as before" jq -e --argjson s "$S" '
    .detail == 0 and .detail_auto.guard.action == "soft_floor" and
    .detail_auto.guard.input_filter == "bicubic" and .detail_auto.guard.self_similar == $s' \
    <<<"$SOFT"
run d0b --model realesr-general-x4v3 --detail 0 --input-filter bicubic
check "soft floor: byte-identical to --detail 0 --input-filter bicubic" same soft d0b
check "soft floor: not the Lanczos floor's bytes" not same soft d0
# only ever softer: a softer floor given is kept (and s measured over it)
run softm --model auto --detail-guard 0,0,100 --input-filter mitchell
check "soft floor over --input-filter mitchell: mitchell kept" \
    jq -e '.detail == 0 and .detail_auto.guard.input_filter == "mitchell"' <<<"$DONE"
run d0m --model realesr-general-x4v3 --detail 0 --input-filter mitchell
check "soft floor over mitchell: byte-identical to --detail 0 --input-filter mitchell" same softm d0m
# The softer floor (s > T3): detail 0 over Mitchell; a softer one given is kept.
run softer --model auto --detail-guard 0,0,0
check "softer floor: detail 0 over mitchell, s as before" jq -e --argjson s "$S" '
    .detail == 0 and .detail_auto.guard.action == "softer_floor" and .detail_auto.guard.t3 == 0 and
    .detail_auto.guard.input_filter == "mitchell" and .detail_auto.guard.self_similar == $s' \
    <<<"$DONE"
check "softer floor: byte-identical to --detail 0 --input-filter mitchell" same softer d0m
run softerb --model auto --detail-guard 0,0,0 --input-filter bilinear
check "softer floor over --input-filter bilinear: bilinear kept" \
    jq -e '.detail == 0 and .detail_auto.guard.input_filter == "bilinear"' <<<"$DONE"
# T3 left out: the default, above the given T2
run soft2 --model auto --detail-guard 0,0
check "T1,T2 alone: T3 the default" jq -e '.detail_auto.guard.t3 > 3 and
    .detail_auto.guard.action == (if .detail_auto.guard.self_similar > .detail_auto.guard.t3
    then "softer_floor" else "soft_floor" end)' <<<"$DONE"

# 4. x4: the guard runs at x4 (the input scaled down x4 and back), under
# --detail-guard-x4's thresholds, not --detail-guard's.
x4() { # NAME ARGS...: vsr upscale x4 into $WORK/NAME.mp4; its done line in $DONE
    local name=$1
    shift
    expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/$name.mp4" --scale 4 "$@"
    DONE=$(done_line)
}
x4 x4search --model auto --detail-guard 0,0 --detail-guard-x4 100,100
check "x4: its own thresholds, the search, s measured at x4" jq -e '.detail_auto.guard |
    .action == "search" and .factor == 4 and .t1 == 100 and .t2 == 100 and
    .self_similar > 0 and .self_similar < 100 and .frames_scored == 5' <<<"$DONE"
check "x4: s is not x2's" test "$(jq '.detail_auto.guard.self_similar' <<<"$DONE")" != "$S"
x4 x4off --model auto --detail-guard-x4 off
check "x4 off: not run" jq -e '.detail_auto.guard.action == "not_run"' <<<"$DONE"
check "x4: the search byte-identical to the guard off" same x4search x4off
x4 x4soft --model auto --detail-guard-x4 0,0,100 -v
check "x4 soft floor: reported with -v, at x4" \
    grep -q "self-similar guard: s [0-9.]* .*scaled down x4 .*: soft_floor" <<<"$OUT"
check "x4 soft floor: detail 0 over bicubic" jq -e '.detail == 0 and
    .detail_auto.guard.action == "soft_floor" and .detail_auto.guard.input_filter == "bicubic"' \
    <<<"$DONE"
x4 x4d0b --model realesr-general-x4v3 --detail 0 --input-filter bicubic
check "x4 soft floor: byte-identical to --detail 0 --input-filter bicubic" same x4soft x4d0b
# a check the run's encoder cannot take (SVT-AV1 refuses the 54-row input
# the check encodes): a warning, the search, the run done
x4 x4av1 --model auto --detail-guard-x4 0,0,0 --codec av1 -v
check "x4, AV1 at 96x54: the guard not run, with a warning" \
    grep -q "warning: self-similar guard not run: .*libsvtav1 for 96x54" <<<"$OUT"
check "x4, AV1: the search decided" jq -e '.detail_auto.guard.action == "not_run" and
    .detail_auto.guard.factor == 0 and (.detail_auto.candidates | length) >= 1' <<<"$DONE"
check "x4, AV1: -v says why" grep -q "self-similar guard: not run (the check could not" <<<"$OUT"
# neither x2 nor x4 (an output of 3x the input): not run
expect 0 "" "$VSR_BIN" upscale "${M[@]}" -i "$IN" -o "$WORK/x3.mp4" --size 288x162 \
    --model auto --detail auto --detail-guard 0,0,0 --detail-guard-x4 0,0,0
check "x3: the guard not run, the search as before" jq -e '
    .detail_auto.guard.action == "not_run" and (.detail_auto.guard | has("self_similar") | not) and
    .detail_auto.guard.input_filter == "lanczos3" and (.detail_auto.candidates | length) >= 1' \
    <<<"$(done_line)"

# 5. Refused, with the option named and nothing written.
for bad in 3,2 abc 2.5 -1,2 1,101 "" "2.5, 2.8" nan,nan 1,3,2 1,2,3,4; do
    expect 2 "detail-guard.*expected off, T1,T2 or T1,T2,T3" "$VSR_BIN" upscale -i "$IN" \
        -o "$WORK/bad.mp4" --scale 2 --detail auto --detail-guard "$bad"
    expect 2 "detail-guard-x4.*expected off, T1,T2 or T1,T2,T3" "$VSR_BIN" upscale -i "$IN" \
        -o "$WORK/bad.mp4" --scale 4 --detail auto --detail-guard-x4 "$bad"
done
check "no output after a bad value" test ! -e "$WORK/bad.mp4"
finish
