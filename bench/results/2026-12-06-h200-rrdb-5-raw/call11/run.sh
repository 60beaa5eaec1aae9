#!/bin/bash
# Call 11 (2026-12-06, thirteenth session). Two builds beside main's:
#  *_c3: branch rrdb-overlap-3 (call 10, never run: the overlap with at most
#        two launches at once);
#  the plain names: branch rrdb-next on top of it: the dense block's residual
#        folded into the MMAs (off: 8) and Cout 32's stores by TMA from a
#        storer warp (off: 16).
# Correctness of rrdb-next first (oracle, conformance, the overlap and the
# TMA stores against one conv at a time with thread stores, stalled), then
# frame times, then call 10's race checks of rrdb-overlap-3.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
echo "== next: oracle, conformance"
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 20 $B/cuda_psnr check $X $T/ladybird_160x90.ppm $T/ref_x4plus_ladybird.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
VSR_CUDA_RRDB_OFF=24 timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 150 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -2 $OUT/ops.txt
echo "== next: same bytes as one conv at a time with thread stores (REF 20), stalled (128)"
for f in $T/elephants_160x90.ppm $E/ladybird_192x88.ppm $E/ladybird_160x180.ppm; do
  VSR_PSNR_REF_OFF=20 VSR_CUDA_RRDB_OFF=128 timeout 40 $B/cuda_psnr overlap $X $f 500 | tail -1; done
VSR_PSNR_REF_OFF=20 VSR_CUDA_RRDB_OFF=128 timeout 40 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 150 | tail -1
VSR_PSNR_REF_OFF=20 timeout 30 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 300 | tail -1
VSR_PSNR_REF_OFF=20 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 20 | tail -1
VSR_PSNR_REF_OFF=16 VSR_CUDA_RRDB_OFF=4 timeout 60 $B/cuda_psnr overlap $X $T/ladybird_960x540.ppm 5 | tail -1
echo "== frame times, 960x540"
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1; shift; timeout 40 "$@" 2>&1 | grep RESULT | sed "s/.*RESULT/$name RESULT/"; }
bn main $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X
bn c3 $B/vsr_cuda_bench_c3 --quick $BO --size 960x540x1 $X
bn next $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
for k in 8 16 24 4; do
  VSR_CUDA_RRDB_OFF=$k bn "next-off$k" $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X; done
bn main $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X
bn next $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
bn main-b2 $B/vsr_cuda_bench_main --quick $BO --size 960x540x2 $X
bn next-b2 $B/vsr_cuda_bench --quick $BO --size 960x540x2 $X
timeout 40 $B/vsr_cuda_bench --quick $BO --contexts 2 --size 960x540x1 $X 2>&1 | grep -E "contexts:" | sed 's/^/next /'
timeout 60 $B/vsr_cuda_bench --quick $BO --profile-classes --size 960x540x1 $X > $OUT/classes-next.txt 2>&1
timeout 60 $B/vsr_cuda_bench_main --quick $BO --profile-classes --size 960x540x1 $X > $OUT/classes-main.txt 2>&1
grep -A14 "step classes" $OUT/classes-next.txt | grep -v concat
echo "== trace build of next (synchronizes after each RRDB conv)"
timeout 60 $B/vsr_cuda_bench_trace --quick $BO --size 960x540x1 $X > $OUT/trace.txt 2>&1; echo "rc=$?"
grep -E "rrdb-trace" $OUT/trace.txt
echo "== c3 (call 10's race checks)"
for f in $T/elephants_160x90.ppm $E/ladybird_192x88.ppm $E/ladybird_160x180.ppm; do
  VSR_CUDA_RRDB_OFF=128 timeout 40 $B/cuda_psnr_c3 overlap $X $f 500 | tail -1; done
VSR_CUDA_RRDB_OFF=128 timeout 40 $B/cuda_psnr_c3 overlap $X $T/ladybird_480x270.ppm 150 | tail -1
timeout 60 $B/cuda_psnr_c3 overlap $X $T/ladybird_960x540.ppm 20 | tail -1
timeout 20 $B/cuda_psnr_c3 check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
echo "== end $(date -u '+%H:%M:%S')"
