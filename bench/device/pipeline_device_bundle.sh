#!/bin/bash
# Packs vsr and bench/pipeline_stages with the Debian FFmpeg and oneDNN
# libraries they load, the default models and test clips, for a device
# machine that has CUDA but no FFmpeg (the H100 hosts), through
# bench/device/bundle.sh: carry the output directory and source its
# setup.sh there.
#
#   bench/device/pipeline_device_bundle.sh BUILD_DIR OUT_DIR
#
# BUILD_DIR is a configured CUDA build (-DVSR_WITH_CUDA=ON); OUT_DIR must
# be an ignored path inside the tree (e.g. build-video/gpu/bundle) and
# stays under the 64 MiB carry limit (~60 MiB: the libraries, xz-packed).
# On the device:
#   . OUT_DIR/setup.sh               # unpacks into /tmp/vsr-bundle ($B), sets the paths
#   $B/vsr upscale -i $B/sd.mp4 -o $OUT/x.mp4 --task SD2HD --backend cuda
#   $B/ps $B/sd.mp4 $B 2 cuda 4 fast 16
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUT=$2
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# pipeline_stages is built by CMake like every tool (the layers' libraries
# and their dependencies come with it)
cmake --build "$BUILD" --target vsr pipeline_stages -j"$(nproc)" >/dev/null

# Clips: pans over a Debian background photo, the validator's typical sizes.
. "$(dirname "$0")/../pan_clip.sh"
pan_photo
pan_clip 960 540 150 "$STAGE/sd.mp4" 18 2/1 fast
pan_clip 1920 1080 60 "$STAGE/hd.mp4" 18 2/1 fast
pan_clip 480 270 30 "$STAGE/qsd.mp4" 18 2/1 fast

# The FFmpeg libraries the runs never call are stubbed (a --selftest
# upscales a tiny clip with them), or the bundle passes the carry limit.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
    -c:v libx264 "$STAGE/tiny.mp4"
"$(dirname "$0")/bundle.sh" --build "$BUILD" --program vsr --program pipeline_stages:ps \
    --stub-ffmpeg-extras \
    --selftest "\"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
    --model realesr-animevideov3-x2 --model realesr-animevideov3-x4 \
    --file "$STAGE/sd.mp4" --file "$STAGE/hd.mp4" --file "$STAGE/qsd.mp4" "$OUT"
