#!/bin/bash
# Call 37 (2026-12-07, eighteenth session): what the 64-output convs'
# epilogue costs, before building it again (cuda_NOTES, tenth round, next
# step 2): the same binary with its stores dropped (VSR_CUDA_RRDB_OFF=64)
# and with the whole epilogue dropped (32); both leave last frame's outputs
# in place, so the frames after the first compute on the same values.
# First: this binary's outputs = main's, byte for byte (the knobs off).
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
img=ladybird_960x540
timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "make-ref"
n=$(cmp -l $OUT/main.ppm $OUT/new.ppm | wc -l); echo "$img against main: $n bytes differ"; rm -f $OUT/*.ppm
[ "$n" = 0 ] || stop "bytes"
bn() { local name=$1 bin=$2; shift 2; timeout 20 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do
  bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick
  VSR_CUDA_RRDB_OFF=64 bn no-stores vsr_cuda_bench_new --quick; VSR_CUDA_RRDB_OFF=32 bn no-epilogue vsr_cuda_bench_new --quick
done
NCU=/usr/local/cuda/bin/ncu
for off in 0 64 32; do
  VSR_CUDA_RRDB_OFF=$off timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_new --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$off.csv" 2>/dev/null
  echo "times off=$off rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$off.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
echo "== end $(date -u '+%H:%M:%S')"
