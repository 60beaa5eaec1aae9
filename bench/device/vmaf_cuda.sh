#!/bin/bash
# VMAF on CUDA against the CPU, on a GPU machine (no FFmpeg needed): the
# bench binary and the shared libraries it needs beside this script, in
# DIR/ and DIR/lib/ (see bench/results/*-vmaf-cuda.md for how it was
# bundled).
#   bash vmaf_cuda.sh [vmaf_cuda_bench options]
set -uo pipefail
D=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$D/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cpu cores: $(nproc)"
"$D/vmaf_cuda_bench" --threads 16 "$@"
