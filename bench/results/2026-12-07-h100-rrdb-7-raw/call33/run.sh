#!/bin/bash
# Call 33 (2026-12-07, eighteenth session): call 32 again, with its hang
# mended (warpgroup 1 frees the tile's first row, which it waits for, so
# that its slot cannot come round before it has seen it). Stops at the
# first failed check (call 32 hung through its 500 s).
# Tall tiles (8 output rows) for the 32-output convs with stationary
# weights (64, 96, 128 -> 32) and the rows one warpgroup reads freed by it
# for both, against main (c0f544f) and the same binary with tall tiles off
# (VSR_CUDA_RRDB_OFF=32).
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
bn() { local name=$1 bin=$2; shift 2; timeout 20 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for off in 0 32; do
  VSR_CUDA_RRDB_OFF=$off timeout 20 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm | sed "s/^/[off=$off] /" | grep ok || stop "oracle off=$off"
  VSR_CUDA_RRDB_OFF=$off timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm | sed "s/^/[off=$off] /" | grep ok || stop "oracle off=$off"
done
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -6 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 20 $T/ladybird_960x540.ppm 36 VSR_CUDA_RRDB_OFF=0
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 50 $T/ladybird_500x270.ppm 52 VSR_CUDA_RRDB_OFF=0
ov 50 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=160
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; VSR_CUDA_RRDB_OFF=32 bn new-4row vsr_cuda_bench_new --quick; done
for i in 1 2; do bn main-full vsr_cuda_bench_main; bn new-full vsr_cuda_bench_new; done
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
NCU=/usr/local/cuda/bin/ncu
for v in tall 4row main; do
  off=0; [ $v = 4row ] && off=32; bin=vsr_cuda_bench_new; [ $v = main ] && bin=vsr_cuda_bench_main
  VSR_CUDA_RRDB_OFF=$off timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/$bin --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$v.csv" 2>/dev/null
  echo "times $v rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$v.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
echo "== end $(date -u '+%H:%M:%S')"
