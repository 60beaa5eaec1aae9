#!/bin/bash
# Call 45 (prepared 2026-12-07, nineteenth session): the early-claim build
# (70dd073) as it is ("early") and with a __threadfence() by every
# consumer thread after its epilogue stores ("fenced"), each against one
# conv at a time, stalled, at the widths where the early claim failed
# (calls 23-30: 23-39 of 150 runs at 500x270). No stop on a failed
# check: the failures are the measurement. Each step bounded.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
ov() { local bin=$1 runs=$2 f=$3; env VSR_CUDA_RRDB_OFF=128 VSR_PSNR_REF_OFF=20 timeout 60 $B/$bin overlap $X $f $runs 2>&1 | grep OVERLAP | tail -1 | sed "s/^/[$bin] /"; }
for bin in cuda_psnr_early cuda_psnr_fenced; do
  ov $bin 150 $T/ladybird_500x270.ppm
  ov $bin 150 $T/ladybird_480x270.ppm
done
echo "== end $(date -u '+%H:%M:%S')"
