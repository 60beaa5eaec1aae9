#!/bin/bash
# Call 55 (twenty-second session): issue 18 item 2's record on the final
# RRDB kernel, batch 1 and batch 2 in one run with PyTorch: this checkout's
# build-cuda (vsr_cuda_bench, cuda_psnr, backend_ops_device):
#   bench/results/2026-12-07-h100-rrdb-11-raw/call55/prepare.sh
# then run(command="bash build-dev-c55/run.sh", carry=["build-dev-c55"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-11-raw/call55
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c55
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device --program vsr_cuda_bench \
  --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c55
