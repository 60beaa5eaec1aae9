#!/bin/bash
# Call 54: vsr and backend_ops_device of the tree (build-cuda) with
# Debian's FFmpeg (bundle.sh --stub-ffmpeg-extras, and x264),
# realesrgan-x4plus, a 10 s and a 31-frame 960x540 pan:
#   bench/results/2026-12-07-h100-rrdb-10-raw/call54/prepare.sh
# then run(command="bash build-dev-c54/run.sh", carry=["build-dev-c54"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-10-raw/call54
cmake --build build-cuda -j"$(nproc)" --target vsr backend_ops_device
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
pan() { # FRAMES NAME
  ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
    -vf "scale=1920:-2,crop=960:540:x='t*60':y=(ih-540)/2,format=yuv420p" \
    -frames:v "$1" -c:v libx264 -crf 18 -preset fast "$STAGE/$2"
}
pan 300 sd.mp4
pan 31 short.mp4
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
  -c:v libx264 "$STAGE/tiny.mp4"
rm -rf build-dev-c54
bench/device/bundle.sh --build build-cuda --program vsr \
  --program backend_ops_device \
  --selftest "\"\$B/vsr\" --version >/dev/null && \"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
  --stub-ffmpeg-extras --stub libx264.so.164 --xz-level 9 --model-xz realesrgan-x4plus \
  --file "$STAGE/sd.mp4:sd.mp4" --file "$STAGE/short.mp4:short.mp4" --file $C/run.sh:run.sh build-dev-c54
