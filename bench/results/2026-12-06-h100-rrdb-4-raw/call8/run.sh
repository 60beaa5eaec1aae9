#!/bin/bash
# Call 8 (2026-12-06, eleventh session): with stalls (128) the columns
# order differed too (call 7: 73 of 250; without the overlap 0): a race in
# the overlap. Hypothesis: the copy engine's tensor-map cache, the maps
# being kernel parameters at the same address in every launch of a kernel
# while launches overlap. Here each step's maps live in device memory, at
# addresses of their own (256 = back to parameters, the control).
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
for k in 128 136 384 8; do VSR_CUDA_RRDB_OFF=$k timeout 30 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 250 | tail -2; done
VSR_CUDA_RRDB_OFF=128 timeout 30 $B/cuda_psnr overlap $X $T/ladybird_160x90.ppm 250 | tail -2
timeout 30 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 30 | tail -2
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
BO="--no-host --no-cudnn --default-variant"
timeout 30 $B/vsr_cuda_bench_base --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed 's/.*RESULT/base RESULT/'
timeout 30 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed 's/.*RESULT/new RESULT/'
echo "== main's kernels, 2 and 3 contexts at once (the pipeline's two workers a GPU)"
timeout 60 $B/main_vsr_cuda_bench --quick $BO --contexts 2 --size 960x540x1 $X 2>&1 | grep -E "RESULT|contexts:"
timeout 60 $B/main_vsr_cuda_bench --quick $BO --contexts 3 --size 960x540x1 $X 2>&1 | grep -E "RESULT|contexts:"
timeout 60 $B/main_vsr_cuda_bench --quick $BO --contexts 2 --size 960x540x2 $X 2>&1 | grep -E "RESULT|contexts:"
echo "== main's kernels (bc166c9), conformance with the 10x200 rrdb case"
timeout 120 $B/main_backend_ops_device cuda 2>&1 | tail -4
echo "== long runs (the proof, if the above held)"
for k in 128 136; do VSR_CUDA_RRDB_OFF=$k timeout 90 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 2000 | tail -1; done
VSR_CUDA_RRDB_OFF=128 timeout 90 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 200 | tail -1
timeout 90 $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 300 | tail -1
echo "== end $(date -u '+%H:%M:%S')"
