#!/bin/bash
# Call 3 (2026-12-06, eleventh session): the order of the tiles the CTAs
# claim: down the columns (main since call 2) or across the rows
# (VSR_CUDA_RRDB_OFF=8, an experiment); beside the base binary (bc166c9);
# the trace build of this tree (phase shares, one conv at a time); PyTorch
# eager / torch.compile and the cuBLAS fp16 GEMM peak in the same call.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== x4plus vs the fp32 oracle, tiles across the rows"
for img in ladybird elephants; do VSR_CUDA_RRDB_OFF=8 timeout 20 $B/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm; done
VSR_CUDA_RRDB_OFF=8 timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
echo "== overlapped vs one conv at a time (columns)"
timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 10; echo "rc=$?"
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
  echo "== round $r: this tree, columns, batch 1"
  bench "columns $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
  echo "== round $r: this tree, rows, batch 1"
  VSR_CUDA_RRDB_OFF=8 bench "rows $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
  echo "== round $r: this tree, rows, overlap off, batch 1"
  VSR_CUDA_RRDB_OFF=12 bench "rows-claims $r" $B/vsr_cuda_bench $BO --size 960x540x1 $X
done
echo "== batch 2: columns, rows"
bench "columns b2" $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
VSR_CUDA_RRDB_OFF=8 bench "rows b2" $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
echo "== trace build of this tree, columns and rows (synchronizes after each RRDB conv)"
timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace.txt 2>&1; echo "rc=$?"
grep -E "rrdb-trace" $OUT/trace.txt
VSR_CUDA_RRDB_OFF=8 timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace8.txt 2>&1; echo "rc=$?"
grep -E "rrdb-trace" $OUT/trace8.txt
echo "== torch"
PYTHONUNBUFFERED=1 timeout 100 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X > $OUT/torch.txt 2>&1; echo "rc=$?"; grep -E "RESULT|^torch" $OUT/torch.txt
echo "== end $(date -u '+%H:%M:%S')"
