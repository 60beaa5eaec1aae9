#!/bin/bash
# Output at any size and the detail strength (issue 18), end to end on the
# CPU: vsr upscale --size/--task with a model of another scale, --detail,
# vsr image --size/--detail, and the values they refuse.
#
# Clips: a 192x108 "pristine" crop of the sample pan, 6 frames, and the
# input the validators would make of it (bicubic /2, libx264 ultrafast).
# Outputs compared frame by frame are encoded losslessly (libx264 crf 0)
# so that what is measured is the resampling, not the encoder.
source "$(dirname "$0")/cli_lib.sh"
source "$(dirname "$0")/video_lib.sh"
need ffmpeg
need ffprobe

pristine_and_input
LOSSLESS=(--codec h264 --crf 0 --no-size-cap)
M=(--models-dir "$VSR_MODELS_DIR")

size_of() { ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$1"; }
# psnr_y A B: vsr quality's mean PSNR of Y of A against B
psnr_y() { "$VSR_BIN" quality "$1" --reference "$2" | awk '$1 == "PSNR" && $2 == "Y" {print $4}'; }
# gt A B: A > B, both decimal numbers (an empty or odd value fails)
gt() {
    [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ && $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] &&
        awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'
}

# 1. An x4 model serves an x2 task: the task's size, every frame, the gates.
expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/x4-for-x2.mp4" --task SD2HD \
    --model realesr-general-x4v3 -v
check "x4 model for SD2HD says it resampled" grep -q "model output 384x216" <<<"$OUT"
check "x4 model for SD2HD: 192x108" test "$(size_of "$WORK/x4-for-x2.mp4")" = 192x108
check "x4 model for SD2HD: 6 frames" test "$(frames "$WORK/x4-for-x2.mp4")" = 6
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/x4-for-x2.mp4" --input "$IN" --task SD2HD
# any size, not a multiple of the input's
expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/any.mp4" --size 250x142 --model realesr-animevideov3-x2
check "--size 250x142: that size" test "$(size_of "$WORK/any.mp4")" = 250x142
check "--size 250x142: 6 frames" test "$(frames "$WORK/any.mp4")" = 6

# 2. --detail 0: the input Lanczos-scaled, as ffmpeg's scaler makes it.
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/d0.mp4" --scale 2 --detail 0
ffmpeg -v error -y -i "$IN" -vf scale=192:108:flags=lanczos -c:v libx264 -qp 0 -pix_fmt yuv420p \
    "$WORK/lanczos.mp4" || fail "ffmpeg lanczos"
# measured 56.9 dB (the rest: vsr goes through RGB, ffmpeg scales the YUV
# planes); the model's output (detail 1) against detail 0: 33.9 dB
db=$(psnr_y "$WORK/d0.mp4" "$WORK/lanczos.mp4")
echo "detail 0 against ffmpeg's Lanczos: PSNR Y $db dB"
check "detail 0 = Lanczos (PSNR Y $db > 45 dB)" gt "$db" 45

# 2b. --input-filter: the floor's filter (test_resample checks each
# kernel against the C resampler's). Another filter gives another floor,
# and the engine's resampler and swscale's apply the same one in a blend.
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/d0-bic.mp4" --scale 2 --detail 0 \
    --input-filter bicubic -v
check "-v names the floor's filter" grep -q "input alone (detail 0), resampled (bicubic)" <<<"$OUT"
differ() { ! cmp -s "$1" "$2"; }
check "--input-filter bicubic: another floor than Lanczos" differ "$WORK/d0-bic.mp4" "$WORK/d0.mp4"
for path in swscale engine; do
    expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/m-$path.mp4" --size 250x142 \
        --detail 0.3 --model realesr-general-x4v3 --input-filter mitchell --colour-path $path -v
    check "-v names the blend's filter ($path)" grep -q "input resampled (mitchell)" <<<"$OUT"
done
m=$(psnr_y "$WORK/m-engine.mp4" "$WORK/m-swscale.mp4")
echo "mitchell blend, engine against swscale: $m dB"
check "mitchell blend: engine = swscale (PSNR Y $m > 45 dB)" gt "$m" 45
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/l-engine.mp4" --size 250x142 \
    --detail 0.3 --model realesr-general-x4v3 --colour-path engine
check "the engine's blend takes the filter" differ "$WORK/m-engine.mp4" "$WORK/l-engine.mp4"

# 3. --detail 1 at the model's own size: the plain run's frames, exactly
# (hashes of the frames before encoding), on both colour paths.
for path in swscale engine; do
    expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/plain-$path.mp4" --scale 2 --colour-path $path \
        --dump-frames-hash "$WORK/plain-$path.txt"
    expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/same-$path.mp4" --scale 2 --colour-path $path \
        --size 192x108 --detail 1 --dump-frames-hash "$WORK/same-$path.txt"
    check "detail 1 at the model's size = the plain run ($path)" \
        cmp -s "$WORK/plain-$path.txt" "$WORK/same-$path.txt"
    check "6 frame hashes ($path)" test "$(wc -l <"$WORK/same-$path.txt")" = 6
done

# 4. --detail 0.5 lies between the two: closer to each than the other is.
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/d1.mp4" --scale 2 --detail 1
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/d05.mp4" --scale 2 --detail 0.5
a=$(psnr_y "$WORK/d05.mp4" "$WORK/d1.mp4")
b=$(psnr_y "$WORK/d0.mp4" "$WORK/d1.mp4")
c=$(psnr_y "$WORK/d05.mp4" "$WORK/d0.mp4")
echo "PSNR Y: detail 0.5 vs 1: $a, 0 vs 1: $b, 0.5 vs 0: $c dB"
b3=$(awk -v b="$b" 'BEGIN { print b + 3 }')
check "detail 0.5 nearer detail 1 ($a dB) than detail 0 is ($b dB)" gt "$a" "$b3"
check "detail 0.5 nearer detail 0 ($c dB) than detail 1 is ($b dB)" gt "$c" "$b3"
# the engine's resampler (the GPU's arithmetic, on the host here) against
# swscale's on the workers, at another size and detail
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/e-sws.mp4" --size 250x142 \
    --detail 0.6 --model realesr-general-x4v3 --colour-path swscale
expect 0 "" up "${M[@]}" "${LOSSLESS[@]}" -i "$IN" -o "$WORK/e-eng.mp4" --size 250x142 \
    --detail 0.6 --model realesr-general-x4v3 --colour-path engine -v
check "the engine resampled" grep -q "by the engine" <<<"$OUT"
e=$(psnr_y "$WORK/e-eng.mp4" "$WORK/e-sws.mp4")
echo "engine resampler against swscale's: PSNR Y $e dB"
check "engine resampler = swscale's (PSNR Y $e > 45 dB)" gt "$e" 45

# 5. The detail strength moves the NEG delta (the gate GAN output fails):
# against the input Lanczos-scaled it falls as detail falls.
negd() {
    "$VSR_BIN" check "$1" --input "$IN" --task SD2HD --reference "$P" |
        sed -n 's/.*neg_delta .*= \([0-9.]*\) against.*/\1/p'
}
expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/g1.mp4" --task SD2HD --model realesr-general-x4v3
expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/g05.mp4" --task SD2HD --model realesr-general-x4v3 \
    --detail 0.5
expect 0 "" up "${M[@]}" -i "$IN" -o "$WORK/g0.mp4" --task SD2HD --model realesr-general-x4v3 \
    --detail 0
n1=$(negd "$WORK/g1.mp4") n05=$(negd "$WORK/g05.mp4") n0=$(negd "$WORK/g0.mp4")
echo "NEG delta against the input Lanczos-scaled: detail 1 $n1, 0.5 $n05, 0 $n0"
check "NEG delta falls with detail ($n1 > $n05 > $n0)" gt "$n1" "$n05"
check "NEG delta falls with detail ($n05 > $n0)" gt "$n05" "$n0"
expect 0 "all 13 gates passed" "$VSR_BIN" check "$WORK/g0.mp4" --input "$IN" --task SD2HD \
    --reference "$P"

# 6. Values refused, before any work, with what was wrong; no output left.
bad() {
    expect 2 "$1" up "${M[@]}" -i "$IN" -o "$WORK/bad.mp4" "${@:2}"
    check "no output after ${*:2}" test ! -e "$WORK/bad.mp4"
}
bad "both sides must be even" --size 193x108
bad "both sides must be positive" --size 0x0
bad "over 8192 pixels a side" --size 9000x10
bad "67108864 pixels, over 33554432" --size 8192x8192
bad "expected WIDTHxHEIGHT" --size 1920
bad "expected WIDTHxHEIGHT" --size 1920x1080x3
bad "expected a detail strength of 0..1" --scale 2 --detail 1.5
bad "expected a detail strength of 0..1" --scale 2 --detail nan
bad "expected a detail strength of 0..1" --scale 2 --detail -0.1
bad "give --task .*--size WxH" --detail 0.5
bad "lanczos3, bicubic, mitchell" --scale 2 --input-filter gauss

# vsr image: the same options on one picture (any size: PNG has no 4:2:0)
ffmpeg -v error -y -i "$P" -frames:v 1 "$WORK/frame.png" || fail "ffmpeg frame"
expect 0 "resampled \(Lanczos-3\) to 301x171" "$VSR_BIN" image "${M[@]}" -i "$WORK/frame.png" \
    -o "$WORK/i.png" --model realesr-animevideov3-x4 --size 301x171 --detail 0.8 -v
check "vsr image --size 301x171" test "$(image_size "$WORK/i.png")" = 301x171
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$WORK/frame.png" -o "$WORK/i0.png" --scale 2 \
    --size 301x171 --detail 0
ffmpeg -v error -y -i "$WORK/frame.png" -vf scale=301:171:flags=lanczos "$WORK/i-lanczos.png" ||
    fail "ffmpeg image lanczos"
# the same swscale filter on RGB: measured identical
expect 0 "" "$VSR_TOOLS_DIR/imgcmp" --min-psnr 45 "$WORK/i0.png" "$WORK/i-lanczos.png"
echo "vsr image --detail 0 against ffmpeg's Lanczos: $OUT"
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$WORK/frame.png" -o "$WORK/i1.png" --scale 2 \
    --size 384x216 --detail 1
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$WORK/frame.png" -o "$WORK/own.png" --scale 2
expect 0 "psnr=inf" "$VSR_TOOLS_DIR/imgcmp" "$WORK/i1.png" "$WORK/own.png"
expect 2 "expected sides of 1..16384" "$VSR_BIN" image -i "$WORK/frame.png" -o "$WORK/b.png" \
    --size 0x5
expect 2 "expected a detail strength" "$VSR_BIN" image -i "$WORK/frame.png" -o "$WORK/b.png" \
    --detail 2
check "no image after bad values" test ! -e "$WORK/b.png"
finish
