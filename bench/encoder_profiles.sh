#!/bin/bash
# Encoder profiles (issue 5): for each profile and output size, the encode
# stage's speed (fps), the file's size against the validator's size gate,
# and PSNR / SSIM of the encoded video against the frames before encoding;
# then one encoder vs segment-parallel encoders.
#
#   bench/encoder_profiles.sh [--build DIR] [--sizes "1920x1080 3840x2160"]
#                             [--frames "30 12"] [--codecs "hevc"]
#                             [--segments "1 2"] [--segment-frames N]
#
# The task input is a pan over a Debian background photo at half the
# output size (H.264 CRF 23, like a typical clip; it sets the size gate and
# the pipeline's bitrate cap, half the gate); the frames before encoding are
# that input upscaled x2 (Lanczos, lossless FFV1) standing in for the
# network's output. Not a test: numbers depend
# on the machine. Prints markdown tables.
set -euo pipefail
. "$(dirname "$0")/encoder_lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-enc-rel
SIZES="1920x1080 3840x2160 7680x4320"
FRAMES="30 12 4"
CODECS="hevc"
PROFILES="fast balanced quality"
SEGMENTS="1 2"
SEG_FRAMES=10
while [ $# -gt 0 ]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --sizes) SIZES=$2; shift 2 ;;
        --frames) FRAMES=$2; shift 2 ;;
        --codecs) CODECS=$2; shift 2 ;;
        --profiles) PROFILES=$2; shift 2 ;;
        --segments) SEGMENTS=$2; shift 2 ;;
        --segment-frames) SEG_FRAMES=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
encoder_bench_setup "$BUILD"
echo "source: pan over $(basename "$PHOTO")"
echo

read -r -a NFRAMES <<<"$FRAMES"
i=0
echo "| codec | size | profile | preset | crf | encoders | frames | encode fps | size KiB | of the size gate | PSNR dB | SSIM |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
    n=${NFRAMES[$i]}; i=$((i + 1))
    W=${size%x*}; H=${size#*x}
    # The task's input: a slow pan over the photo at half the output size,
    # H.264 CRF 23 (a typical clip; it sets the size gate). The frames
    # before encoding: that input upscaled x2 with Lanczos, a stand-in for
    # the network's output (which is as smooth or smoother: these numbers
    # are, if anything, pessimistic), kept lossless (FFV1).
    encoder_pan_clip $((W / 2)) $((H / 2)) "$n" "$OUT/in_$size.mp4"
    lanczos_ref "$OUT/in_$size.mp4" "$W" "$H" "$OUT/ref_$size.mkv"
    in_bytes=$(stat -c %s "$OUT/in_$size.mp4")
    gate=$((in_bytes * 8))
    cap=$(awk -v b="$in_bytes" -v n="$n" 'BEGIN { printf "%d", 0.5 * 8 * b * 8 / (n / 30.0) }')
    for codec in $CODECS; do
        for prof in $PROFILES; do
            for k in $SEGMENTS; do
                o="$OUT/o_${size}_${codec}_${prof}_$k.mp4"
                line=$("$BUILD/encoder_encode" "$OUT/ref_$size.mkv" "$o" "$codec" "$prof" "$k" "$SEG_FRAMES" "$cap")
                echo "raw: $size $codec $prof segments=$k: $line" >&2
                read -r _ _ _ _ _ fps _ _ _ preset _ crf <<<"$line"
                bytes=$(stat -c %s "$o")
                read -r psnr ssim <<<"$(psnr_ssim "$o" "$OUT/ref_$size.mkv")"
                echo "| $codec | $size | $prof | $preset | $crf | $k | $n | $fps | $((bytes / 1024)) | $(awk -v a="$bytes" -v g="$gate" 'BEGIN { printf "%.1f%%", 100 * a / g }') | $psnr | $ssim |"
            done
        done
    done
done
