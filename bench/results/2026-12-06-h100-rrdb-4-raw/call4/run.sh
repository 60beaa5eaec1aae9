#!/bin/bash
# Call 4 (2026-12-06, eleventh session): call 3 saw elephants 160x90 at
# 50.4 dB (max |diff| 43) with the tiles claimed across the rows
# (VSR_CUDA_RRDB_OFF=8). Which part is wrong: the row order alone (12: no
# overlap), the overlap in that order (8), or the overlap in any order
# (0, columns) seldom; and does a fence in every consumer warp before the
# tile's "done" (16) change it. Many frames on one context each.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== elephants 160x90 vs the fp32 oracle, per VSR_CUDA_RRDB_OFF"
for k in 0 4 8 12 16 24; do echo "-- $k"; VSR_CUDA_RRDB_OFF=$k timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm; done
echo "== overlapped vs one conv at a time, many frames"
for k in 0 8 16 24; do
  for img in elephants ladybird; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/${img}_160x90.ppm 300 | tail -4; done
  VSR_CUDA_RRDB_OFF=$k timeout 60 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 60 | tail -4
done
echo "== end $(date -u '+%H:%M:%S')"
