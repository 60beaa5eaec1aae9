#!/bin/bash
# Call 1 (2026-12-06, tenth session): the RRDB kernels' deferred stores and
# the narrow last conv (64->3), checked and timed, and where the time goes.
# The trace build (nvcc -DVSR_RRDB_TRACE) prints per conv shape the share of
# each phase (waits for rows, weights, MMAs, drain, epilogue) per warp.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== conformance (test_backend_ops, cuda), deferred stores on, then off"
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "rc=$?"; grep -E "FAIL|checks|narrow" $OUT/ops.txt | head -12
VSR_CUDA_RRDB_OFF=4 timeout 60 $B/backend_ops_device cuda > $OUT/ops4.txt 2>&1; echo "off=4 rc=$?"; grep -E "FAIL|checks" $OUT/ops4.txt | head -5
echo "== x4plus vs the fp32 oracle (160x90: one tile a CTA; 480x270: 2-3)"
for off in 0 4; do
  for img in ladybird elephants; do VSR_CUDA_RRDB_OFF=$off timeout 15 $B/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm | sed "s/^/off=$off $img: /"; done
  VSR_CUDA_RRDB_OFF=$off timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm | sed "s/^/off=$off 480x270: /"
done
echo "== 960x540 (10-11 tiles a CTA): deferred stores on vs off, the same bytes expected"
VSR_CUDA_RRDB_OFF=0 timeout 30 $B/cuda_psnr make-ref $X $T/ladybird_960x540.ppm /tmp/on.ppm cuda >/dev/null; echo "rc=$?"
VSR_CUDA_RRDB_OFF=4 timeout 30 $B/cuda_psnr make-ref $X $T/ladybird_960x540.ppm /tmp/off.ppm cuda >/dev/null; echo "rc=$?"
cmp -s /tmp/on.ppm /tmp/off.ppm && echo "same bytes" || { echo "DIFFERENT"; timeout 30 $B/cuda_psnr check $X $T/ladybird_960x540.ppm /tmp/off.ppm; }
BO="--profile-classes --no-host --no-cudnn --default-variant"
bench() { # label, then the command
  local lab=$1; shift
  timeout 40 "$@" > /tmp/cur.txt 2>&1; local rc=$?
  { echo "#### $lab (rc=$rc)"; cat /tmp/cur.txt; } >> $OUT/bench.txt
  echo "rc=$rc"; grep -E "RESULT|conv3x3-rrdb|conv3x3-narrow|conv-cudnn 64->3|step classes" /tmp/cur.txt | grep -v "^device"
}
for r in 1 2; do
  echo "== round $r: base = main ea4136e's kernels (the 13:32 call's branch binary with VSR_CUDA_RRDB_OFF=4), batch 1"
  VSR_CUDA_RRDB_OFF=4 bench "base $r" $B/vsr_cuda_bench_base $BO --size 960x540x1 $X
  echo "== round $r: deferred stores on (default), batch 1"
  bench "on $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
  echo "== round $r: deferred stores off (VSR_CUDA_RRDB_OFF=4)"
  VSR_CUDA_RRDB_OFF=4 bench "off4 $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
done
echo "== trace build (synchronizes after each RRDB conv), on, then off"
timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace.txt 2>&1; echo "rc=$?"
grep -E "RESULT|rrdb-trace" $OUT/trace.txt
VSR_CUDA_RRDB_OFF=4 timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace4.txt 2>&1; echo "rc=$?"
grep -E "rrdb-trace" $OUT/trace4.txt
echo "== end $(date -u '+%H:%M:%S')"
