#!/bin/bash
# Call 30 (prepared 2026-12-07, seventeenth session; not run): where the
# early claim's overlap failure lives (calls 23, 25, 27 of
# 2026-12-07-h100-rrdb-6.md). Every failing run's line is kept: it gives
# the box of input pixels that differ. Stalled runs (128) without the
# deeper ring (32), against one conv at a time with thread stores (20):
#  - sizes: partial tiles in x and y (500x270), in y only (480x270,
#    576x270), in x only (500x272), none (576x272, 960x540);
#  - the kept build (cuda_psnr) as the control at the failing size.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name --format=csv,noheader
ov() { local bin=$1 size=$2 runs=$3; VSR_CUDA_RRDB_OFF=160 VSR_PSNR_REF_OFF=20 timeout 100 \
  $B/$bin overlap $X $T/ladybird_$size.ppm $runs 2>&1 | grep OVERLAP | tail -12 | sed "s/^/$bin /"; }
for s in 500x270 480x270 576x270 500x272 576x272; do ov cuda_psnr_early $s 150; done
ov cuda_psnr_early 960x540 40
ov cuda_psnr 500x270 150
echo "== end $(date -u '+%H:%M:%S')"
