#!/bin/bash
# The cost of segment-parallel encoding, and of the alternative it avoids
# (no B-frames): 1080p output, 120 frames (4 s at 30 fps), libx265 with the
# balanced profile (veryfast, CRF 20), no bitrate cap, so that size and
# PSNR show the encoder's choices alone. Compares one encoder, 2 s segments
# (the default length) joined, and one encoder without B-frames (bframes=0,
# the configuration that would need no DTS repair at joins).
#
#   bench/segment_cost.sh [--build DIR] [--frames N] [--segment-frames N]
set -euo pipefail
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
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cmake --build "$BUILD" --target encoder_encode -j"$(nproc)" >/dev/null
PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg 2>/dev/null | head -n 1 || true)
[ -n "$PHOTO" ] || { echo "no photo in /usr/share/backgrounds/mate/nature" >&2; exit 1; }
ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
    -vf "scale=1248:-2,crop=960:540:x='t*60':y=(ih-540)/2,format=yuv420p" -frames:v "$N" \
    -c:v libx264 -crf 23 "$OUT/in.mp4"
ffmpeg -v error -y -i "$OUT/in.mp4" -vf "scale=1920:1080:flags=lanczos,format=yuv420p" -c:v ffv1 "$OUT/ref.mkv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
quality() {
    ffmpeg -v info -i "$1" -i "$OUT/ref.mkv" -lavfi "[0:v]setpts=N/(30*TB),split[a][b];[1:v]setpts=N/(30*TB),split[c][d];[a][c]psnr;[b][d]ssim" \
        -f null - > "$OUT/q.txt" 2>&1
    echo "psnr $(grep -oE 'PSNR y.*average:[0-9.]+' "$OUT/q.txt" | sed 's/.*average://') ssim $(grep -oE 'SSIM Y.*All:[0-9.]+' "$OUT/q.txt" | sed 's/.*All://')"
}
echo "| configuration | encode fps | size KiB | PSNR dB | SSIM |"
echo "|---|---|---|---|---|"
for k in 1 2; do
    line=$("$BUILD/encoder_encode" "$OUT/ref.mkv" "$OUT/seg$k.mp4" hevc balanced "$k" "$SEG" 0)
    echo "raw: segments=$k: $line" >&2
    read -r _ _ _ _ _ fps _ <<<"$line"
    q=$(quality "$OUT/seg$k.mp4")
    echo "| one encoder$([ "$k" = 1 ] || echo ", $k encoders, segments of $SEG frames") | $fps | $(( $(stat -c %s "$OUT/seg$k.mp4") / 1024 )) | $(awk '{print $2}' <<<"$q") | $(awk '{print $4}' <<<"$q") |"
done
for bf in default 0; do
    params="log-level=error"
    [ "$bf" = default ] || params="$params:bframes=0"
    t0=$(date +%s.%N)
    ffmpeg -v error -y -i "$OUT/ref.mkv" -c:v libx265 -preset veryfast -crf 20 -x265-params "$params" "$OUT/bf$bf.mp4"
    t1=$(date +%s.%N)
    q=$(quality "$OUT/bf$bf.mp4")
    echo "| ffmpeg CLI libx265 veryfast CRF 20, bframes $bf (includes FFV1 decoding) | $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.3f", n / (b - a) }') | $(( $(stat -c %s "$OUT/bf$bf.mp4") / 1024 )) | $(awk '{print $2}' <<<"$q") | $(awk '{print $4}' <<<"$q") |"
done
