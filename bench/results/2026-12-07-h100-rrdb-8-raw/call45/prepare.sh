#!/bin/bash
# Call 45 (prepared 2026-12-07, nineteenth session): the tenth round's
# one-call test of the overlap race (bench/cuda_NOTES.md, tenth round,
# next step 4): the early-claim build (70dd073), which fails the stalled
# overlap check at 480 and 500 pixels wide, as it is and with a
# __threadfence() by every consumer thread after its epilogue stores
# (threadfence.patch). If the fenced build passes, the hole is the
# finisher's fence not covering other warps' thread stores in flight,
# and main's thread-store paths (the 23 residual 192 -> 64 convs, the
# trunk conv) want the same fence.
#   bench/results/2026-12-07-h100-rrdb-8-raw/call45/prepare.sh
# then run(command="bash build-dev-c45/run.sh", carry=["build-dev-c45"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-8-raw/call45
W=/tmp/vsr-c45
git worktree prune
[ -d $W ] || git worktree add --detach $W 70dd073
git -C $W checkout -q 70dd073 -- src
cmake -S $W -B $W/build -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $W/build -j"$(nproc)" --target cuda_psnr
mkdir -p /tmp/vsr-c45-plain && cp $W/build/cuda_psnr /tmp/vsr-c45-plain/
git -C $W apply "$ROOT/$C/threadfence.patch"
cmake --build $W/build -j"$(nproc)" --target cuda_psnr
git -C $W checkout -q 70dd073 -- src
rm -rf build-dev-c45
bench/device/bundle.sh --build $W/build --program cuda_psnr:cuda_psnr_fenced \
  --program /tmp/vsr-c45-plain/cuda_psnr:cuda_psnr_early --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c45
