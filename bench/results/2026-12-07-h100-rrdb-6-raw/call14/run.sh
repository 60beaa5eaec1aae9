#!/bin/bash
# Call 14 (2026-12-07, fourteenth session): branch rrdb-reuse (on
# rrdb-tma64): a CTA claims strips of tiles down a column and a tile reuses
# the 2 input rows it shares with the one above (the passes go up the
# chunks in even tile rows, down them in odd ones). Against main (_land,
# 3a63d5b): oracle, conformance, bytes (overlap + TMA stores + reuse,
# stalled, against one conv at a time, thread stores, no reuse: REF 52),
# frame times by strip length; OFF=32 STRIP=1 is rrdb-tma64 with the
# serpentine order; the trace build's shares; torch in the same call.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1; shift; timeout 40 "$@" 2>&1 | grep RESULT | sed "s/.*RESULT/$name RESULT/"; }
for r in 1 2; do
  bn land $B/vsr_cuda_bench_land --quick $BO --size 960x540x1 $X
  VSR_CUDA_RRDB_OFF=32 VSR_CUDA_RRDB_STRIP=1 bn tma64 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
  bn reuse4 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
done
for s in 2 8 16; do VSR_CUDA_RRDB_STRIP=$s bn reuse$s $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X; done
bn land-b2 $B/vsr_cuda_bench_land --quick $BO --size 960x540x2 $X
bn reuse4-b2 $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
timeout 150 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
for f in $E/ladybird_192x88.ppm $E/ladybird_500x270.ppm $T/ladybird_480x270.ppm; do
  VSR_PSNR_REF_OFF=52 VSR_CUDA_RRDB_OFF=128 timeout 60 $B/cuda_psnr overlap $X $f 200 | tail -1; done
VSR_CUDA_RRDB_STRIP=64 VSR_PSNR_REF_OFF=52 VSR_CUDA_RRDB_OFF=128 timeout 60 $B/cuda_psnr overlap $X $E/ladybird_500x270.ppm 100 | tail -1
VSR_PSNR_REF_OFF=52 timeout 40 $B/cuda_psnr overlap $X $E/ladybird_500x270.ppm 100 | tail -1
VSR_PSNR_REF_OFF=52 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 20 | tail -1
VSR_PSNR_REF_OFF=20 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 10 | tail -1
for o in 0 32; do VSR_CUDA_RRDB_OFF=$o timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X 2>&1 | grep -E "rrdb-trace|RESULT" | sed "s/^/trace-off$o /"; done
PYTHONUNBUFFERED=1 timeout 120 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X > $OUT/torch.txt 2>&1; echo "torch rc=$?"; grep -E "RESULT|^torch|GEMM|gemm" $OUT/torch.txt
echo "== end $(date -u '+%H:%M:%S')"
