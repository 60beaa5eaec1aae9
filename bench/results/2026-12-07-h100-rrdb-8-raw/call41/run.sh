#!/bin/bash
# Call 41 (2026-12-07, nineteenth session): the ping-pong kernel's body
# (SRVGG's layers, the RRDB models' high-resolution conv) and UP2 outputs
# by TMA stores, against main (7804bab: 16-byte stores by every thread).
# Stops at the first failed check: outputs = main's byte for byte (x4plus,
# animevideov3); then frame and per-class times against main.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
for m in $X $ANIME; do
  for img in ladybird_960x540 ladybird_500x270; do
    timeout 20 $B/cuda_psnr_main make-ref $m $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
    timeout 20 $B/cuda_psnr make-ref $m $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
    n=$(cmp -l $OUT/main.ppm $OUT/new.ppm | wc -l); echo "$(basename $m) $img against main: $n bytes differ"
    [ "$n" = 0 ] || stop "$m $img"
  done
done
rm -f $OUT/*.ppm
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
timeout 60 $B/cuda_psnr variants $ANIME 2>&1 | tail -4
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
bn() { local name=$1 bin=$2 m=$3 size=$4; shift 4; timeout 30 $B/$bin $BO "$@" --size $size $m 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do
  bn main vsr_cuda_bench_main $X 960x540x1 --quick; bn new vsr_cuda_bench_new $X 960x540x1 --quick
  bn main vsr_cuda_bench_main $ANIME 1920x1080x1 --quick; bn new vsr_cuda_bench_new $ANIME 1920x1080x1 --quick
done
bn main-full vsr_cuda_bench_main $X 960x540x1; bn new-full vsr_cuda_bench_new $X 960x540x1
for bin in main new; do
  timeout 60 $B/vsr_cuda_bench_$bin --quick --profile-classes $BO --size 960x540x1 $X > $OUT/classes-$bin.txt 2>&1
  grep "up2\|mma\|narrow" $OUT/classes-$bin.txt | sed "s/^/$bin /"
  timeout 60 $B/vsr_cuda_bench_$bin --quick --profile-classes $BO --size 1920x1080x1 $ANIME > $OUT/classes-anime-$bin.txt 2>&1
  grep "x conv" $OUT/classes-anime-$bin.txt | sed "s/^/$bin anime /"
done
echo "== end $(date -u '+%H:%M:%S')"
