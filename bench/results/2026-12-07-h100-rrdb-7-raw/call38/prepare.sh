#!/bin/bash
# Call 38 (prepared 2026-12-07, eighteenth session; not run): builds main's
# binaries (this checkout's build-cuda) and, in a worktree, main with
# ac72ba1's src/ (the Cout-64 copy-engine stores), and bundles them with
# run.sh into build-dev-c38:
#   bench/results/2026-12-07-h100-rrdb-7-raw/call38/prepare.sh
# then run(command="bash build-dev-c38/run.sh", carry=["build-dev-c38"]).
# Needs build-cuda (Release CUDA) and the rrdb test set
# (VSR_GPU_SET=rrdb bench/device/gpu_prepare.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-7-raw/call38
W=/tmp/vsr-c38
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr
mkdir -p /tmp/vsr-c38-main
cp build-cuda/vsr_cuda_bench build-cuda/cuda_psnr /tmp/vsr-c38-main/
[ -d $W ] || git worktree add --detach $W HEAD
git -C $W checkout ac72ba1 -- src
cmake -S $W -B $W/build -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c38
bench/device/bundle.sh --build $W/build --program cuda_psnr --program backend_ops_device \
  --program /tmp/vsr-c38-main/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program /tmp/vsr-c38-main/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c38
