#!/bin/bash
# Call 44 (nineteenth session): this checkout's build-cuda against the
# binaries of main before the experiment (891b14f's src, built in the
# worktree /tmp/vsr-c38), bundled into build-dev-c44:
#   bench/results/2026-12-07-h100-rrdb-8-raw/call44/prepare.sh
# then run(command="bash build-dev-c44/run.sh", carry=["build-dev-c44"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-8-raw/call44
W=/tmp/vsr-c38
git -C $W checkout -q 891b14f -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c44
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program $W/build/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c44
