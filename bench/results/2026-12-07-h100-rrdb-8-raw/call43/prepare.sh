#!/bin/bash
# Call 43 (nineteenth session): this checkout's build-cuda against the
# binaries of main before the experiment (057a698's src, built in the
# worktree /tmp/vsr-c38), bundled into build-dev-c43:
#   bench/results/2026-12-07-h100-rrdb-8-raw/call43/prepare.sh
# then run(command="bash build-dev-c43/run.sh", carry=["build-dev-c43"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-8-raw/call43
W=/tmp/vsr-c38
git -C $W checkout -q 057a698 -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c43
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program $W/build/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus --model-xz realesr-animevideov3-x4 \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c43
