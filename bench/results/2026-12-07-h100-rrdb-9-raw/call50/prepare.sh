#!/bin/bash
# Call 50 (prepared in the twentieth session, not run: no device time
# left): the one-pass convs' rows prefetched into L2 as soon as the row
# producer has their tile (row_prefetch.patch beside this file, on main
# as the session ended; VSR_CUDA_RRDB_OFF=512 turns it off), against main
# before the session (b7d968c, built in the worktree /tmp/vsr-c38),
# bundled into build-dev-c50:
#   bench/results/2026-12-07-h100-rrdb-9-raw/call50/prepare.sh [REV]
# (REV: the main to patch, default HEAD), then
# run(command="bash build-dev-c50/run.sh", carry=["build-dev-c50"]).
# The patch must also be committed if it is kept (with its knob bit in
# backend_settings.c's mask, which it carries).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-9-raw/call50
REV=${1:-HEAD}
W=/tmp/vsr-c38 P=/tmp/vsr-c50
git -C $W checkout -q b7d968c -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench
git worktree prune
[ -d $P ] || git worktree add --detach $P "$REV"
git -C $P checkout -q --detach "$REV" && git -C $P checkout -q "$REV" -- src
git -C $P apply "$ROOT/$C/row_prefetch.patch"
cmake -S $P -B $P/build -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $P/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
rm -rf build-dev-c50
bench/device/bundle.sh --build $P/build --program cuda_psnr --program backend_ops_device \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --file build-cuda/gpu-testdata-rrdb:testdata --file $C/run.sh:run.sh build-dev-c50
