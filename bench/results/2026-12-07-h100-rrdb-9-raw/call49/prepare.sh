#!/bin/bash
# Call 49 (twentieth session): this checkout's build-cuda (the wide 96 -> 32
# pass and the split last step of the Cout-64 convs) and its trace build
# (build-trace: -DVSR_RRDB_TRACE) against main before the session
# (b7d968c, built in the worktree /tmp/vsr-c38), bundled into build-dev-c49:
#   bench/results/2026-12-07-h100-rrdb-9-raw/call49/prepare.sh
# then run(command="bash build-dev-c49/run.sh", carry=["build-dev-c49"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-9-raw/call49
W=/tmp/vsr-c38
git -C $W checkout -q b7d968c -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr
cmake --build build-cuda -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
[ -d build-trace ] || cmake -S . -B build-trace -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON \
  -DVSR_WITH_ONEDNN=OFF -DVSR_BUILD_TESTS=OFF -DCMAKE_CUDA_FLAGS=-DVSR_RRDB_TRACE
cmake --build build-trace -j"$(nproc)" --target vsr_cuda_bench
rm -rf build-dev-c49
bench/device/bundle.sh --program cuda_psnr --program backend_ops_device \
  --program $W/build/cuda_psnr:cuda_psnr_main \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program build-trace/vsr_cuda_bench:vsr_cuda_bench_trace \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --model-xz realesr-animevideov3-x4 --file build-cuda/gpu-testdata-rrdb:testdata \
  --file $C/run.sh:run.sh --file bench/results/2026-12-07-h100-rrdb-9-raw/call46/ppm_psnr.py:ppm_psnr.py \
  build-dev-c49
