#!/bin/bash
# Call 9 (2026-12-06, twelfth session). Call 8: maps in device memory do not
# help (stalls: 67 of 250 at 160x90 differ; the control 65), while 480x270
# never differs (0 of 200 with stalls, 0 of 300 without). At 160x90 a conv is
# 46 tiles = 46 CTAs, so three launches run at once; at 480x270 (340 tiles)
# two at most. Which is it: three at once (512: a CTA lets the next launch
# start only as it ends, so at most two run at once), the flags the steps
# share (1024: each step its own array), or the flags at all (2048: the
# dependent waits for the launch before with griddepcontrol.wait, only its
# prologue overlapping)?
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
for k in 128 4224 1152 2176; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 250 | tail -1; done
for k in 136 4232 1160; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 250 | tail -1; done
for k in 128 136; do for f in ladybird_192x88 ladybird_160x180; do
  VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $B/extra/$f.ppm 300 | tail -1; done; done
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
BO="--no-host --no-cudnn --default-variant"
timeout 30 $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed 's/.*RESULT/main RESULT/'
for k in 0 4096 4 1024 2048; do
  VSR_CUDA_RRDB_OFF=$k timeout 30 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed "s/.*RESULT/off=$k RESULT/"
done
timeout 30 $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed 's/.*RESULT/main RESULT/'
echo "== longer: the variants that held"
for k in 4224 4232 1152 2176; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 1000 | tail -1; done
VSR_CUDA_RRDB_OFF=4224 timeout 40 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 150 | tail -1
VSR_CUDA_RRDB_OFF=128 timeout 60 $B/cuda_psnr overlap $X $B/extra/ladybird_160x180.ppm 1500 | tail -1
echo "== end $(date -u '+%H:%M:%S')"
