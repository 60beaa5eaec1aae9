#!/bin/bash
# Call 34 (2026-12-07, eighteenth session): call 33 found tall tiles'
# output different from 4-row tiles' everywhere by up to 5 (both 59.03 dB
# against the fp32 oracle). Which one differs from main: each binary's
# whole-frame output written (cuda_psnr make-ref ... cuda) and compared
# byte for byte; then tall's own overlap check, frame times and kernel
# times as call 33 meant to.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
for img in ladybird_480x270 elephants_160x90; do
  timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/$img-main.ppm cuda > /dev/null 2>&1; echo "main rc=$?"
  for off in 32 0 36 4; do
    VSR_CUDA_RRDB_OFF=$off timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/$img-off$off.ppm cuda > /dev/null 2>&1
    echo "$img off=$off rc=$? against main: $(cmp -l $OUT/$img-main.ppm $OUT/$img-off$off.ppm | wc -l) bytes differ"
  done
  VSR_CUDA_RRDB_OFF=0 timeout 20 $B/cuda_psnr check $X $T/$img.ppm $OUT/$img-main.ppm | sed "s/^/[tall vs main] /"
done
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /"; }
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
bn() { local name=$1 bin=$2; shift 2; timeout 20 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; VSR_CUDA_RRDB_OFF=32 bn new-4row vsr_cuda_bench_new --quick; done
NCU=/usr/local/cuda/bin/ncu
for v in tall 4row main; do
  off=0; [ $v = 4row ] && off=32; bin=vsr_cuda_bench_new; [ $v = main ] && bin=vsr_cuda_bench_main
  VSR_CUDA_RRDB_OFF=$off timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/$bin --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$v.csv" 2>/dev/null
  echo "times $v rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$v.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
rm -f $OUT/*.ppm
echo "== end $(date -u '+%H:%M:%S')"
