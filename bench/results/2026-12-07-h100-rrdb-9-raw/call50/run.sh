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
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || rrdb_stop "backend_ops"
img=ladybird_960x540
timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || rrdb_stop "new make-ref"
VSR_CUDA_RRDB_OFF=512 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || rrdb_stop "off make-ref"
n=$(cmp -l $OUT/new.ppm $OUT/new-off.ppm | wc -l); echo "$img: new against new-off: $n bytes differ"
[ "$n" = 0 ] || rrdb_stop "the prefetch changed the output"
rm -f $OUT/*.ppm
rrdb_overlap 100 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
S1="--size 960x540x1"
for i in 1 2 3 4; do
  rrdb_bench main vsr_cuda_bench_main --quick $S1; rrdb_bench new vsr_cuda_bench_new --quick $S1
  VSR_CUDA_RRDB_OFF=512 rrdb_bench new-off vsr_cuda_bench_new --quick $S1
done
rrdb_classes new vsr_cuda_bench_new $S1; VSR_CUDA_RRDB_OFF=512 rrdb_classes new-off vsr_cuda_bench_new $S1
echo "== end $(date -u '+%H:%M:%S')"
