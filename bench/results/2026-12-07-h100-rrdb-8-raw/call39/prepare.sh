#!/bin/bash
# Call 39 (nineteenth session): this checkout's build-cuda (the UP2 kernel)
# against main's binaries (da14992, built in the worktree /tmp/vsr-c38 by
# call 38's prepare.sh), bundled into build-dev-c39:
#   bench/results/2026-12-07-h100-rrdb-8-raw/call39/prepare.sh
# then run(command="bash build-dev-c39/run.sh", carry=["build-dev-c39"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-8-raw/call39
M=/tmp/vsr-c38/build
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c39
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program $M/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $M/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --model-xz realesr-animevideov3-x4 \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh \
  --file $C/ppm_psnr.py:ppm_psnr.py build-dev-c39
