#!/bin/bash
# vsr quality and vsr check --reference on clips made here: the JSON
# answer's shape and sense (a clip against itself, a blurred copy, a
# reference of another size scaled first), and every bad input refused
# with a message that names it: different frame counts, 10-bit and 4:2:2
# pictures, a missing or malformed model file, wrong usage.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "to make the clips"
need python3 "to read the JSON answers"

ff() { ffmpeg -v error -y "$@"; }
SRC="-f lavfi -i testsrc2=size=160x96:rate=30"
ff $SRC -frames:v 10 -pix_fmt yuv420p -c:v ffv1 "$WORK/ref.mkv"
ff -i "$WORK/ref.mkv" -vf gblur=sigma=2 -c:v ffv1 "$WORK/blur.mkv"
ff -i "$WORK/ref.mkv" -vf unsharp=5:5:2.5 -c:v ffv1 "$WORK/sharp.mkv"
ff -i "$WORK/ref.mkv" -vf scale=80:48:flags=bicubic -c:v ffv1 "$WORK/small.mkv"
ff -i "$WORK/ref.mkv" -frames:v 7 -c:v ffv1 "$WORK/short.mkv"
ff -i "$WORK/ref.mkv" -pix_fmt yuv420p10le -c:v ffv1 "$WORK/ten.mkv"
ff -i "$WORK/ref.mkv" -pix_fmt yuv422p -c:v ffv1 "$WORK/422.mkv"
ff $SRC -frames:v 10 -vf scale=20:12 -pix_fmt yuv420p -c:v ffv1 "$WORK/tiny.mkv"

# field FILE EXPR: a value of the JSON answer in FILE (python expression on j)
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A clip against itself: PSNR at its cap, both models equal, 10 frames.
expect 0 '' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/ref.mkv" --json --ssim
echo "$OUT" > "$WORK/self.json"
check "self: 10 frames" [ "$(field "$WORK/self.json" "j['frame_count']")" = 10 ]
check "self: PSNR 60" [ "$(field "$WORK/self.json" "j['pooled']['psnr_y']['mean']")" = 60.0 ]
check "self: SSIM 1" [ "$(field "$WORK/self.json" "round(j['pooled']['ssim']['mean'], 6)")" = 1.0 ]
check "self: NEG = VMAF" [ "$(field "$WORK/self.json" "abs(j['neg_delta']) < 1e-9")" = True ]
check "self: 10 per-frame entries" [ "$(field "$WORK/self.json" "len(j['frames'])")" = 10 ]

# Blur scores lower; sharpening is discounted by NEG.
expect 0 '' "$VSR_BIN" quality "$WORK/blur.mkv" --reference "$WORK/ref.mkv" --json
echo "$OUT" > "$WORK/blur.json"
check "blur scores below itself" [ "$(field "$WORK/blur.json" "j['pooled']['vmaf']['mean'] < 90")" = True ]
expect 0 '' "$VSR_BIN" quality "$WORK/sharp.mkv" --reference "$WORK/ref.mkv" --json
echo "$OUT" > "$WORK/sharp.json"
check "sharpening: NEG below VMAF" [ "$(field "$WORK/sharp.json" "j['neg_delta'] > 1")" = True ]

# --model picks the models; --subsample scores every Nth frame.
expect 0 '' "$VSR_BIN" quality "$WORK/blur.mkv" --reference "$WORK/ref.mkv" --json --model vmaf --subsample 3
echo "$OUT" > "$WORK/sub.json"
check "vmaf only" [ "$(field "$WORK/sub.json" "'vmaf_neg' in j['pooled'] or 'vmaf' not in j['pooled']")" = False ]
check "subsample 3: frames 0 3 6 9" [ "$(field "$WORK/sub.json" "[f['frame'] for f in j['frames']]")" = "[0, 3, 6, 9]" ]

# A reference of another size is scaled to the distorted one (text mode).
expect 0 'reference scaled from 80x48' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/small.mkv"
expect 0 'reference scaled from 80x48' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/small.mkv" --reference-scale bicubic

# Bad input.
expect 1 'frame counts differ.*short.mkv has 7 frames.*has 10' \
    "$VSR_BIN" quality "$WORK/short.mkv" --reference "$WORK/ref.mkv"
expect 1 'ten.mkv.*yuv420p10le.*8-bit' "$VSR_BIN" quality "$WORK/ten.mkv" --reference "$WORK/ref.mkv"
expect 1 '422.mkv.*yuv422p' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/422.mkv"
expect 1 'tiny.mkv.*20x12' "$VSR_BIN" quality "$WORK/tiny.mkv" --reference "$WORK/tiny.mkv"
expect 1 'nothere.mkv' "$VSR_BIN" quality "$WORK/nothere.mkv" --reference "$WORK/ref.mkv"
head -c 3000 /dev/urandom > "$WORK/garbage.mkv"
expect 1 'garbage.mkv' "$VSR_BIN" quality "$WORK/garbage.mkv" --reference "$WORK/ref.mkv"
expect 1 'no-model.json' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/ref.mkv" --model-file "$WORK/no-model.json"
echo '{"model_dict": {"model_type": "LIBSVMNUSVR"' > "$WORK/broken.json"
expect 1 'broken.json.*not JSON' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/ref.mkv" --neg-model-file "$WORK/broken.json"
expect 2 'reference' "$VSR_BIN" quality "$WORK/ref.mkv"
expect 2 'expected both, vmaf, vmaf-neg or none' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/ref.mkv" --model vmaf4k
expect 2 'subsample' "$VSR_BIN" quality "$WORK/ref.mkv" --reference "$WORK/ref.mkv" --subsample 0

# vsr check --reference: the two quality gates, each able to fail. The
# input is the pristine clip scaled down; "outputs": the input scaled back
# with Lanczos (passes both), a heavy blur (fails VMAF against the
# pristine), a sharpened copy (fails the NEG delta), and the pristine clip
# itself, which fails the NEG delta too: against the input Lanczos-scaled,
# detail the input lacks counts as enhancement (what the validators do).
hevc() { ff -i "$1" ${3:+-vf "$3"} -c:v libx265 -x265-params log-level=error -crf 10 -pix_fmt yuv420p "$2"; }
ff -i "$WORK/small.mkv" -c:v libx264 -crf 10 -pix_fmt yuv420p "$WORK/in.mp4"
hevc "$WORK/in.mp4" "$WORK/out_lanczos.mp4" scale=160:96:flags=lanczos
hevc "$WORK/ref.mkv" "$WORK/out_blur.mp4" gblur=sigma=8
hevc "$WORK/sharp.mkv" "$WORK/out_sharp.mp4"
hevc "$WORK/ref.mkv" "$WORK/out_pristine.mp4"
gates() { "$VSR_BIN" check "$1" --input "$WORK/in.mp4" --scale 2 --reference "$WORK/ref.mkv"; }
expect 0 'PASS  vmaf .*' gates "$WORK/out_lanczos.mp4"
check "lanczos: neg_delta passes" grep -q 'PASS  neg_delta' <<<"$OUT"
expect 1 'FAIL  vmaf ' gates "$WORK/out_blur.mp4"
expect 1 'FAIL  neg_delta' gates "$WORK/out_sharp.mp4"
expect 1 'FAIL  neg_delta' gates "$WORK/out_pristine.mp4"
check "pristine: vmaf passes" grep -q 'PASS  vmaf ' <<<"$OUT"
expect 1 'pristine.*short.mkv' "$VSR_BIN" check "$WORK/out_lanczos.mp4" --input "$WORK/in.mp4" --scale 2 --reference "$WORK/short.mkv"
finish
