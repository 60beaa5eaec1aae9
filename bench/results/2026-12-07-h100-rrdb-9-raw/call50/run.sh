#!/bin/bash
# Call 50 (2026-12-07, twentieth session), on one H100: the one-pass
# convs' rows (64 -> 32, the wide 96 -> 32, the trunk) prefetched into L2
# as soon as the row producer has their tile ("new"; "new-off":
# VSR_CUDA_RRDB_OFF=512, main's kernels without it, which must give
# the same bytes) against main before the session (b7d968c): checks,
# interleaved --quick rounds, per-class profiles. Stops at the first
# failed check. (Prepared by prepare.sh beside this file.)
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
img=ladybird_960x540
timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
VSR_CUDA_RRDB_OFF=512 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || stop "off make-ref"
n=$(cmp -l $OUT/new.ppm $OUT/new-off.ppm | wc -l); echo "$img: new against new-off: $n bytes differ"
[ "$n" = 0 ] || stop "the prefetch changed the output"
rm -f $OUT/*.ppm
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 100 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3 4; do
  bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick
  VSR_CUDA_RRDB_OFF=512 bn new-off vsr_cuda_bench_new --quick
done
cls() { local name=$1 bin=$2; timeout 60 $B/$bin --quick --profile-classes $BO --size 960x540x1 $X 2>&1 | grep "rrdb .*@\|in all" | sed "s/^/$name /"; }
cls new vsr_cuda_bench_new; VSR_CUDA_RRDB_OFF=512 cls new-off vsr_cuda_bench_new
echo "== end $(date -u '+%H:%M:%S')"
