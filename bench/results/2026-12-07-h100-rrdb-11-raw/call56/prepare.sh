#!/bin/bash
# Call 56 (twenty-second session): this session's final tree on the GPU:
# vsr and backend_ops_device of build-cuda with Debian's FFmpeg, the
# models --model auto runs (realesr-general-x4v3), a 1080p and a 540p pan
# (bench/pan_clip.sh) and the 720p storm clip of the quality corpus
# (build-study/corpus720, bench/quality/make_corpus.sh):
#   bench/results/2026-12-07-h100-rrdb-11-raw/call56/prepare.sh
# then run(command="bash build-dev-c56/run.sh", carry=["build-dev-c56"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-11-raw/call56
cmake --build build-cuda -j"$(nproc)" --target vsr backend_ops_device
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
. bench/pan_clip.sh
pan_photo
pan_clip 1920 1080 60 "$STAGE/hd.mp4" 23 2/1 fast
pan_clip 960 540 60 "$STAGE/sd.mp4" 23 2/1 fast
pan_clip 960 540 600 "$STAGE/long.mp4" 23 2/1 fast
[ -f build-study/corpus720/storm/ref.mp4 ] ||
  FRAMES=16 bench/quality/make_corpus.sh build-study/corpus720 storm
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
  -c:v libx264 "$STAGE/tiny.mp4"
rm -rf build-dev-c56
bench/device/bundle.sh --build build-cuda --program vsr --program backend_ops_device \
  --selftest "\"\$B/vsr\" --version >/dev/null && \"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
  --stub-ffmpeg-extras --xz-level 9 --model realesr-general-x4v3 \
  --file "$STAGE/hd.mp4:hd.mp4" --file "$STAGE/sd.mp4:sd.mp4" --file "$STAGE/long.mp4:long.mp4" \
  --file build-study/corpus720/storm/in_x4.mp4:storm_x4.mp4 \
  --file build-study/corpus720/storm/ref.mp4:storm_ref.mp4 \
  --file $C/run.sh:run.sh build-dev-c56
