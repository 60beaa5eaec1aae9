#!/bin/bash
# Call 44 (2026-12-07, nineteenth session): the 64 -> 32 conv's two
# warpgroups in ping-pong (warpgroup 1 issues a tile's MMAs after
# warpgroup 0's, handed over by named barriers) instead of in step;
# VSR_CUDA_RRDB_OFF=256 turns it off. Stops at the first failed check: outputs = main's
# byte for byte, overlapped = one conv at a time; then frame and kernel
# times against main.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
for img in ladybird_960x540 ladybird_500x270; do
  timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/$img-main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
  for off in 0 256 4; do
    VSR_CUDA_RRDB_OFF=$off timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/$img-off$off.ppm cuda > /dev/null 2>&1 || stop "make-ref off=$off"
    n=$(cmp -l $OUT/$img-main.ppm $OUT/$img-off$off.ppm | wc -l); echo "$img off=$off against main: $n bytes differ"
    [ "$n" = 0 ] || stop "$img off=$off"
  done
done
rm -f $OUT/*.ppm
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 40 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=0
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
bn() { local name=$1 bin=$2; shift 2; timeout 20 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; VSR_CUDA_RRDB_OFF=256 bn new-off256 vsr_cuda_bench_new --quick; done
VSR_CUDA_RRDB_OFF=256 bn new-off256-full vsr_cuda_bench_new
bn main-full vsr_cuda_bench_main; bn new-full vsr_cuda_bench_new
NCU=/usr/local/cuda/bin/ncu
for bin in main new; do
  timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_$bin --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$bin.csv" 2>/dev/null
  echo "times $bin rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$bin.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
echo "== end $(date -u '+%H:%M:%S')"
