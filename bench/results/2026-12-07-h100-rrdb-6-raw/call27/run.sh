#!/bin/bash
# Call 27 (2026-12-07, seventeenth session): where the early claim's
# failure lives. cuda_psnr_early is call 25's build (70dd073: the early
# claim, 8 tiles in flight, the deeper ring); it failed the stalled overlap
# check at 500x270 there (30 and 39 of 150). Each line: 150 stalled runs
# against one conv at a time (VSR_PSNR_REF_OFF=20), with more turned off:
#   160 = stalls + no deeper ring (call 25's failing case, again)
#   164 = + no overlap of consecutive convs (4): fails => within a launch
#   176 = + no TMA stores (16)
#   161 = + no stationary weights (1)
# and this session's kept build (cuda_psnr) at 160-equivalent (128).
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name --format=csv,noheader
ov() { local bin=$1 off=$2 runs=$3; VSR_CUDA_RRDB_OFF=$off VSR_PSNR_REF_OFF=20 timeout 100 $B/$bin overlap $X $T/ladybird_500x270.ppm $runs 2>&1 | tail -1 | sed "s/^/$bin /"; }
ov cuda_psnr_early 160 150
ov cuda_psnr_early 164 150
ov cuda_psnr_early 176 150
ov cuda_psnr_early 161 150
ov cuda_psnr 128 150
echo "== end $(date -u '+%H:%M:%S')"
