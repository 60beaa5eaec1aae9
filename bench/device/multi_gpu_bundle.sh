#!/bin/bash
# Packs what the GPU device runs need (bench/device/multi_gpu_run.sh,
# gpu_8bit_run.sh, e2e_tasks_run.sh) through bench/device/bundle.sh: vsr,
# device_pool_bench, context_cost, encoder_encode and cuda_psnr from a CUDA
# build, the libraries they load (FFmpeg, oneDNN, ...; the device has none
# of them), the animevideov3 models and validator-shaped clips (sd.mp4,
# hd.mp4: CLIPS_DIR is OUT_DIR). The run scripts unpack it with
# device_lib.sh's unpack_bundle.
#
#   bench/device/multi_gpu_bundle.sh BUILD_DIR OUT_DIR    (OUT_DIR: an ignored path)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUT=$2
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

TOOLS=(vsr device_pool_bench context_cost encoder_encode)
# cuda_psnr (bench/device) when the build has it: the 8-bit path's device check.
[ -x "$BUILD/cuda_psnr" ] && TOOLS+=(cuda_psnr)
cmake --build "$BUILD" --target "${TOOLS[@]}" -j"$(nproc)" >/dev/null

# Clips: 2 s pans over a Debian photo, 30 fps, H.264, the SD2HD and HD24K sizes.
. "$(dirname "$0")/../pan_clip.sh"
pan_photo
pan_clip 960 540 60 "$STAGE/sd.mp4" 23 2/1 fast
pan_clip 1920 1080 60 "$STAGE/hd.mp4" 23 2/1 fast

# The FFmpeg libraries the runs never call are stubbed (a --selftest
# upscales a tiny clip with them), or the bundle passes the carry limit.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
    -c:v libx264 "$STAGE/tiny.mp4"
args=(--build "$BUILD" --model realesr-animevideov3-x2 --model realesr-animevideov3-x4
    --file "$STAGE/sd.mp4" --file "$STAGE/hd.mp4" --stub-ffmpeg-extras
    --selftest "\"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1")
for t in "${TOOLS[@]}"; do args+=(--program "$t"); done
"$(dirname "$0")/bundle.sh" "${args[@]}" "$OUT"
