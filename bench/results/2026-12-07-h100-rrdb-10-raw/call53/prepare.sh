#!/bin/bash
# Call 53: vsr and vsr_cuda_bench of the tree (build-cuda) with Debian's
# FFmpeg (bundle.sh --stub-ffmpeg-extras, and x264, which the run never
# calls), the compact models, a 10 s 960x540 pan and a 4 s 1920x1080 one:
#   bench/results/2026-12-07-h100-rrdb-10-raw/call53/prepare.sh
# then run(command="bash build-dev-c53/run.sh", carry=["build-dev-c53"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-10-raw/call53
cmake --build build-cuda -j"$(nproc)" --target vsr vsr_cuda_bench
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
pan() { # W H FRAMES NAME
  ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
    -vf "scale=$(($1 * 2)):-2,crop=$1:$2:x='t*$(($1 / 16))':y=(ih-$2)/2,format=yuv420p" \
    -frames:v "$3" -c:v libx264 -crf 18 -preset fast "$STAGE/$4"
}
pan 960 540 300 sd.mp4
pan 1920 1080 120 hd.mp4
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
  -c:v libx264 "$STAGE/tiny.mp4"
rm -rf build-dev-c53
bench/device/bundle.sh --build build-cuda --program vsr --program vsr_cuda_bench \
  --selftest "\"\$B/vsr\" --version >/dev/null && \"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
  --stub-ffmpeg-extras --stub libx264.so.164 --xz-level 9 \
  --model realesr-animevideov3-x2 --model realesr-general-x4v3 \
  --file "$STAGE/sd.mp4:sd.mp4" --file "$STAGE/hd.mp4:hd.mp4" --file $C/run.sh:run.sh build-dev-c53
