#!/bin/bash
# Call 3 (2026-12-06, tenth session): what main keeps, checked and timed:
# the RRDB kernels of ea4136e (the deferred stores and extra row slots of
# calls 1-2 lost and are not kept) with the trace hooks (empty in this
# build), the narrow last conv; beside the base binary; then the trace
# build of the same kernels: where the time goes in what main runs.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== conformance (test_backend_ops, cuda)"
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "rc=$?"; grep -E "FAIL|checks" $OUT/ops.txt | head -5
echo "== x4plus vs the fp32 oracle"
for img in ladybird elephants; do timeout 15 $B/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm; done
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
echo "== animevideov3 regression (SRVGG selftest)"
timeout 15 $B/cuda_psnr selftest $B/models/realesr-animevideov3-x4.param 100 75 2>&1 | tail -3
BO="--profile-classes --no-host --no-cudnn --default-variant"
bench() { # label, then the command
  local lab=$1; shift
  timeout 40 "$@" > /tmp/cur.txt 2>&1; local rc=$?
  { echo "#### $lab (rc=$rc)"; cat /tmp/cur.txt; } >> $OUT/bench.txt
  echo "rc=$rc"; grep -E "RESULT|x conv|step classes" /tmp/cur.txt | sed 's/.*RESULT/RESULT/'
}
for r in 1 2; do
  echo "== round $r: base = main ea4136e (the 13:32 call's branch binary with VSR_CUDA_RRDB_OFF=4), batch 1"
  VSR_CUDA_RRDB_OFF=4 bench "base $r" $B/vsr_cuda_bench_base $BO --size 960x540x1 $X
  echo "== round $r: this tree, batch 1"
  bench "new $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
done
echo "== batch 2, this tree"
bench "new b2" $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
echo "== trace build of this tree (synchronizes after each RRDB conv)"
timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace.txt 2>&1; echo "rc=$?"
grep -E "rrdb-trace" $OUT/trace.txt
echo "== end $(date -u '+%H:%M:%S')"
