#!/bin/bash
# Call 12 (2026-12-06, thirteenth session): what lands (branch rrdb-land,
# 413b86a): call 11's kernels (the overlap with the stored-count trigger,
# the fold, the TMA stores), the overlap now only where a launch fills the
# GPU (192x88's 44 CTAs failed in call 11). Oracle, conformance, the bytes
# against one conv at a time with thread stores (REF 20), stalled (128) and
# not, with a partial tile across (500x270); frame times against main.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
timeout 150 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
for f in $E/ladybird_192x88.ppm $E/ladybird_500x270.ppm $T/ladybird_480x270.ppm; do
  VSR_PSNR_REF_OFF=20 VSR_CUDA_RRDB_OFF=128 timeout 60 $B/cuda_psnr overlap $X $f 300 | tail -1; done
VSR_PSNR_REF_OFF=20 timeout 40 $B/cuda_psnr overlap $X $E/ladybird_500x270.ppm 100 | tail -1
VSR_PSNR_REF_OFF=20 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 30 | tail -1
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1; shift; timeout 40 "$@" 2>&1 | grep RESULT | sed "s/.*RESULT/$name RESULT/"; }
for r in 1 2; do
  bn main $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X
  bn land $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
done
bn main-b2 $B/vsr_cuda_bench_main --quick $BO --size 960x540x2 $X
bn land-b2 $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
PYTHONUNBUFFERED=1 timeout 120 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X > $OUT/torch.txt 2>&1; echo "torch rc=$?"; grep -E "RESULT|^torch|GEMM|gemm" $OUT/torch.txt
echo "== end $(date -u '+%H:%M:%S')"
