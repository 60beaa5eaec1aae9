#!/bin/bash
# The CUDA 8-bit path on one GPU (device run), from the bundle of
# bench/device/multi_gpu_bundle.sh built with cuda_psnr:
#   1. accuracy: cuda (now through the 8-bit path) vs the ref oracle, >= 45 dB;
#   2. the 8-bit path against the host's float conversion: the same bytes,
#      and the fps of each (one context, frames in a row);
#   3. vsr upscale end to end (SD2HD, HD24K) with vsr check.
#   bench/device/gpu_8bit_run.sh BUNDLE_DIR OUT_DIR
set -uo pipefail
. "$(dirname "$0")/device_lib.sh"
device_run_start "$1" "$2"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
M2=$B/models/realesr-animevideov3-x2.param
M4=$B/models/realesr-animevideov3-x4.param
fail=0
echo "== accuracy vs ref (8-bit output)"
"$B/cuda_psnr" selftest "$M2" 200 150 || fail=1
"$B/cuda_psnr" selftest "$M4" 123 77 || fail=1
echo "== 8-bit path vs host conversion"
"$B/cuda_psnr" paths "$M2" 960 540 60 || fail=1
"$B/cuda_psnr" paths "$M2" 1920 1080 20 || fail=1
"$B/cuda_psnr" paths "$M4" 960 540 20 || fail=1
"$B/cuda_psnr" paths "$M2" 333 197 20 || fail=1
echo "== inference, 4 contexts on one GPU"
"$B/device_pool_bench" cuda realesr-animevideov3 2 960x540 0 4 6
echo "== end to end"
for c in "sd.mp4 SD2HD" "hd.mp4 HD24K"; do
    set -- $c
    "$B/vsr" upscale -i "$BUNDLE/$1" -o "/tmp/out_$2.mp4" --task "$2" --backend cuda --workers 4 -v \
        --progress none 2>&1 | grep -vE "^  (decode|encode) colour|bitrate cap"
    "$B/vsr" check "/tmp/out_$2.mp4" --input "$BUNDLE/$1" --task "$2" | tail -n 1
done
exit $fail
