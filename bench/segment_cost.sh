#!/bin/bash
# The cost of segment-parallel encoding, and of the alternative it avoids
# (no B-frames): 1080p output, 120 frames (4 s at 30 fps), libx265 with the
# balanced profile (CRF 20; veryfast when the recorded results were made,
# superfast since; the ffmpeg CLI rows stay veryfast), no bitrate cap, so that size and
# PSNR show the encoder's choices alone. Compares one encoder, 2 s segments
# (the default length) joined, and one encoder without B-frames (bframes=0,
# the configuration that would need no DTS repair at joins).
#
#   bench/segment_cost.sh [--build DIR] [--frames N] [--segment-frames N]
set -euo pipefail
. "$(dirname "$0")/encoder_lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-enc-rel
N=120
SEG=60
while [ $# -gt 0 ]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --frames) N=$2; shift 2 ;;
        --segment-frames) SEG=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
encoder_bench_setup "$BUILD"
encoder_pan_clip 960 540 "$N" "$OUT/in.mp4"
lanczos_ref "$OUT/in.mp4" 1920 1080 "$OUT/ref.mkv"
echo "| configuration | encode fps | size KiB | PSNR dB | SSIM |"
echo "|---|---|---|---|---|"
for k in 1 2; do
    line=$("$BUILD/encoder_encode" "$OUT/ref.mkv" "$OUT/seg$k.mp4" hevc balanced "$k" "$SEG" 0)
    echo "raw: segments=$k: $line" >&2
    read -r _ _ _ _ _ fps _ <<<"$line"
    read -r psnr ssim <<<"$(psnr_ssim "$OUT/seg$k.mp4" "$OUT/ref.mkv")"
    echo "| one encoder$([ "$k" = 1 ] || echo ", $k encoders, segments of $SEG frames") | $fps | $(( $(stat -c %s "$OUT/seg$k.mp4") / 1024 )) | $psnr | $ssim |"
done
for bf in default 0; do
    params="log-level=error"
    [ "$bf" = default ] || params="$params:bframes=0"
    t0=$(date +%s.%N)
    ffmpeg -v error -y -i "$OUT/ref.mkv" -c:v libx265 -preset veryfast -crf 20 -x265-params "$params" "$OUT/bf$bf.mp4"
    t1=$(date +%s.%N)
    read -r psnr ssim <<<"$(psnr_ssim "$OUT/bf$bf.mp4" "$OUT/ref.mkv")"
    echo "| ffmpeg CLI libx265 veryfast CRF 20, bframes $bf (includes FFV1 decoding) | $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.3f", n / (b - a) }') | $(( $(stat -c %s "$OUT/bf$bf.mp4") / 1024 )) | $psnr | $ssim |"
done
