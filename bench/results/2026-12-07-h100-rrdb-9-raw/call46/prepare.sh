#!/bin/bash
# Call 46 (twentieth session): the 96 -> 32 conv as one pass of 96-channel
# rows (this checkout's build-cuda) against main (b7d968c, built in the
# worktree /tmp/vsr-c38), and call 45's overlap race test (its binaries,
# made by ../../2026-12-07-h100-rrdb-8-raw/call45/prepare.sh), in one bundle:
#   bench/results/2026-12-07-h100-rrdb-9-raw/call46/prepare.sh
# then run(command="bash build-dev-c46/run.sh", carry=["build-dev-c46"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-9-raw/call46
W=/tmp/vsr-c38
git -C $W checkout -q b7d968c -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c46
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program $W/build/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main \
  --program /tmp/vsr-c45/build/cuda_psnr:cuda_psnr_fenced \
  --program /tmp/vsr-c45-plain/cuda_psnr:cuda_psnr_early \
  --model-xz realesrgan-x4plus --model-xz realesr-animevideov3-x4 \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh \
  --file $C/ppm_psnr.py:ppm_psnr.py build-dev-c46
