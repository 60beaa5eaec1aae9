#!/bin/bash
# Call 39 (2026-12-07, nineteenth session): nearest x2 and the conv after it
# as one kernel (S_CONV_UP2: 4 summed taps an output pixel, the upsampled
# activations never written), against main (da14992) and against itself
# with VSR_CUDA_NO_UPCONV=1. Stops at the first failed check.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
grep -i "rrdb\|FAIL" $OUT/ops.txt | head -20
[ $rc = 0 ] || stop "backend_ops"
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref | sed "s/^/new: /" || stop "check $img"
  timeout 30 $B/cuda_psnr_main check $X $T/$img.ppm $ref | sed "s/^/main: /"
done
img=ladybird_960x540
timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
VSR_CUDA_NO_UPCONV=1 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || stop "off make-ref"
n=$(cmp -l $OUT/main.ppm $OUT/new-off.ppm | wc -l); echo "new NO_UPCONV against main: $n bytes differ"
[ "$n" = 0 ] || stop "NO_UPCONV differs from main"
echo "new against main, $img: $(python3 $D/ppm_psnr.py $OUT/main.ppm $OUT/new.ppm)"
rm -f $OUT/*.ppm
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
timeout 60 $B/cuda_psnr overlap $X $T/ladybird_500x270.ppm 30 2>&1 | grep OVERLAP | tail -1
bn() { local name=$1 bin=$2; shift 2; timeout 30 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; VSR_CUDA_NO_UPCONV=1 bn new-off vsr_cuda_bench_new --quick; done
bn main-full vsr_cuda_bench_main; bn new-full vsr_cuda_bench_new; VSR_CUDA_NO_UPCONV=1 bn new-off-full vsr_cuda_bench_new
timeout 60 $B/vsr_cuda_bench_new --quick --profile-classes $BO --size 960x540x1 $X > $OUT/classes.txt 2>&1
grep -v "^Conv\|^Concat" $OUT/classes.txt | tail -16
VSR_CUDA_NO_UPCONV=1 timeout 60 $B/vsr_cuda_bench_new --quick --profile-classes $BO --size 960x540x1 $X > $OUT/classes-off.txt 2>&1
grep -v "^Conv\|^Concat" $OUT/classes-off.txt | tail -16
echo "== end $(date -u '+%H:%M:%S')"
