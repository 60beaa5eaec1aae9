#!/bin/bash
# Call 50 (twentieth session): this checkout's build-cuda (the one-pass
# convs' rows prefetched into L2) against main before the session
# (b7d968c, built in the worktree /tmp/vsr-c38), bundled into build-dev-c50:
#   bench/results/2026-12-07-h100-rrdb-9-raw/call50/prepare.sh
# then run(command="bash build-dev-c50/run.sh", carry=["build-dev-c50"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-9-raw/call50
W=/tmp/vsr-c38
git -C $W checkout -q b7d968c -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c50
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c50
