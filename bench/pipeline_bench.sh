#!/bin/bash
# Pipeline benchmark (issue 3): per-stage throughput alone and end to end,
# the pipeline's efficiency (end-to-end time / slowest stage alone; target
# <= 1.15), and the seed's claim (one shared context fed frame by frame vs
# per-worker contexts), on a photo pan from Debian's gnome-backgrounds.
#
#   bench/pipeline_bench.sh [--build DIR] [--size WxH] [--frames N] [--scale S]
#                           [--backend B] [--workers "1 2 4"] [--preset P]
#
# Prints markdown tables. Not a test: numbers depend on the machine.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-video
SIZE=240x136
FRAMES=40
SCALE=2
BACKEND=cpu
WORKERS="1 2"
PRESET=fast
while [ $# -gt 0 ]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --frames) FRAMES=$2; shift 2 ;;
        --scale) SCALE=$2; shift 2 ;;
        --backend) BACKEND=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --preset) PRESET=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
W=${SIZE%x*}
H=${SIZE#*x}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# built by CMake like every tool: the libraries its layers need (oneDNN,
# OpenMP, protobuf-c, CUDA) come with it
cmake -S "$SRC" -B "$BUILD" > /dev/null # an existing build keeps its options
cmake --build "$BUILD" --target vsr pipeline_stages -j"$(nproc)" > /dev/null

# A slow pan over a photo: natural detail, motion the encoder must follow.
PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg /usr/share/backgrounds/gnome/*.webp 2>/dev/null | head -n 1 || true)
if [ -n "$PHOTO" ]; then
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=$((W * 2)):-2,crop=$W:$H:x='min(iw-$W\,t*60)':y=(ih-$H)/2,format=yuv420p" \
        -frames:v "$FRAMES" -c:v libx264 -crf 18 "$OUT/clip.mp4"
    echo "clip: $FRAMES frames of a pan over $(basename "$PHOTO"), ${W}x$H, H.264"
else
    ffmpeg -v error -y -f lavfi -i testsrc2=size=${W}x$H:rate=30 -frames:v "$FRAMES" -c:v libx264 "$OUT/clip.mp4"
    echo "clip: $FRAMES frames of testsrc2 (no Debian background photo found), ${W}x$H"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
echo

for n in $WORKERS; do
    echo "### $n worker(s)"
    "$BUILD/pipeline_stages" "$OUT/clip.mp4" "$OUT" "$SCALE" "$BACKEND" "$n" "$PRESET"
    echo
done

# Memory: bounded by the queue depths (dynamic), or by the clip (the seed's
# one run per worker), on a clip 3x as long.
ffmpeg -v error -y -stream_loop 2 -i "$OUT/clip.mp4" -c copy "$OUT/long.mp4"
n=$(echo $WORKERS | awk '{print $NF}')
echo "### peak memory, $((FRAMES * 3)) frames, $n workers"
for mode in "--schedule dynamic" "--schedule chunked --chunk-frames 8" "--schedule chunked --chunk-frames 0"; do
    line=$("$BUILD/vsr" upscale -i "$OUT/long.mp4" -o "$OUT/long_x.mp4" --scale "$SCALE" --backend "$BACKEND" \
        --workers "$n" $mode --preset "$PRESET" --progress none --verbose 2>&1 | grep "memory:")
    echo "$mode: $line"
done
