#!/bin/bash
# Call 30 (prepared 2026-12-07, seventeenth session; not run): where the
# early claim's overlap failure lives. Builds the early-claim cuda_psnr
# (70dd073, in a worktree) beside this tree's, makes the test images and
# bundles them with run.sh into build-dev-c30.
#   bench/results/2026-12-07-h100-rrdb-6-raw/call30/prepare.sh
# MAIN_BENCH: main's vsr_cuda_bench (the eighteenth session built it from
# 1c3dde5), then run(command="bash build-dev-c30/run.sh", carry=["build-dev-c30"]).
# Needs build-cuda (Release CUDA) and the rrdb test set
# (VSR_GPU_SET=rrdb bench/device/gpu_prepare.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-6-raw/call30
W=/tmp/vsr-early-claim
[ -d $W ] || git worktree add --detach $W 70dd073
cmake -S $W -B $W/build -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $W/build -j"$(nproc)" --target cuda_psnr
cmake --build build-cuda -j"$(nproc)" --target cuda_psnr
R=build-cuda/gpu-testdata-rrdb
# sizes with and without partial tiles (tiles of 96 x 4 pixels): the
# early claim failed at 500x270 (partial both ways) and passed at 960x540
# (none)
for s in 500x270:0:0 480x270:0:0 576x272:0:0 500x272:0:0 576x270:0:0; do
  IFS=: read -r size x y <<<"$s"
  f=$R/ladybird_$size.ppm
  [ -f $f ] || ffmpeg -loglevel error -y -i $R/ladybird_960x540.ppm \
    -vf crop=${size%x*}:${size#*x}:$x:$y -frames:v 1 -vcodec ppm $f
done
bench/device/bundle.sh --build build-cuda --program cuda_psnr \
  --program $W/build/cuda_psnr:cuda_psnr_early --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program ${MAIN_BENCH:-/tmp/vsr_cuda_bench_main}:vsr_cuda_bench_main --model-xz realesrgan-x4plus \
  --file $R:testdata --file $C/run.sh:run.sh build-dev-c30
