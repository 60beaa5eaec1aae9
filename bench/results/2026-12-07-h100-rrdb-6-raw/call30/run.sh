#!/bin/bash
# Call 30 (prepared 2026-12-07, seventeenth session; not run): where the
# early claim's overlap failure lives (calls 23, 25, 27 of
# 2026-12-07-h100-rrdb-6.md). Every failing run's line is kept: it gives
# the box of input pixels that differ. Stalled runs (128) without the
# deeper ring (32), against one conv at a time with thread stores (20):
#  - sizes: partial tiles in x and y (500x270), in y only (480x270,
#    576x270), in x only (500x272), none (576x272, 960x540);
#  - the kept build (cuda_psnr) as the control at the failing size.
# Run in the eighteenth session with the tree's done-ring mend (the ring
# helpers in place of re-spelled barrier arithmetic, no change meant) as
# cuda_psnr, checked as call 29 checked the kept tree: oracle, overlap,
# and frame time against main's binary.
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
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2; do for v in main new; do bn $v vsr_cuda_bench_$v --quick; done; done
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
VSR_CUDA_RRDB_OFF=128 VSR_PSNR_REF_OFF=20 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 20 2>&1 | tail -1
VSR_PSNR_REF_OFF=20 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_500x270.ppm 50 2>&1 | tail -1
echo "== end $(date -u '+%H:%M:%S')"
