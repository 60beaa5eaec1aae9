#!/bin/bash
# Call 1 (2026-12-06, eleventh session): consecutive RRDB convs overlapped
# (tiles claimed one at a time, a flag per tile, programmatic dependent
# launches); checked (conformance, the fp32 oracle, the same bytes as one
# conv at a time over repeated frames) and timed beside the base binary
# (bc166c9: static tile ranges, one conv at a time) and beside this tree
# with the overlap off (VSR_CUDA_RRDB_OFF=4: claims only).
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== conformance (test_backend_ops, cuda)"
timeout 90 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "rc=$?"; grep -E "FAIL|checks" $OUT/ops.txt | head -5
echo "== x4plus vs the fp32 oracle"
for img in ladybird elephants; do timeout 20 $B/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm; done
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
echo "== overlapped vs one conv at a time: same bytes, every frame"
timeout 30 $B/cuda_psnr overlap $X $T/ladybird_160x90.ppm 20; echo "rc=$?"
timeout 30 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 10; echo "rc=$?"
timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 10; echo "rc=$?"
echo "== animevideov3 regression (SRVGG selftest)"
timeout 20 $B/cuda_psnr selftest $B/models/realesr-animevideov3-x4.param 100 75 2>&1 | tail -3
BO="--profile-classes --no-host --no-cudnn --default-variant"
bench() { # label, then the command
  local lab=$1; shift
  timeout 40 "$@" > /tmp/cur.txt 2>&1; local rc=$?
  { echo "#### $lab (rc=$rc)"; cat /tmp/cur.txt; } >> $OUT/bench.txt
  echo "rc=$rc"; grep -E "RESULT|x conv|step classes" /tmp/cur.txt | sed 's/.*RESULT/RESULT/'
}
for r in 1 2; do
  echo "== round $r: base (bc166c9), batch 1"
  bench "base $r" $B/vsr_cuda_bench_base $BO --size 960x540x1 $X
  echo "== round $r: this tree, overlap off (claims only), batch 1"
  VSR_CUDA_RRDB_OFF=4 bench "claims $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
  echo "== round $r: this tree, batch 1"
  bench "new $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
done
echo "== batch 2: base, this tree"
bench "base b2" $B/vsr_cuda_bench_base --quick $BO --size 960x540x2 $X
bench "new b2" $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
echo "== end $(date -u '+%H:%M:%S')"
