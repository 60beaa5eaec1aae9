#!/bin/bash
# The multi-GPU device run (issue: all the GPUs of a host), on a machine with
# 2+ GPUs, from the bundle of bench/device/multi_gpu_bundle.sh:
#   1. inference throughput, first GPU alone vs all (device_pool_bench), at
#      960x540 and 1920x1080 (x2);
#   2. five clips at once (3 SD2HD + 2 HD24K) through `vsr serve`, end to
#      end (decode, upscale, x265 encode), on 1 GPU and on all; every output
#      checked with `vsr check`.
#   bench/device/multi_gpu_run.sh BUNDLE_DIR OUT_DIR
set -uo pipefail
. "$(dirname "$0")/device_lib.sh"
device_run_start "$1" "$2"
nvidia-smi -L
nproc
NGPU=$(nvidia-smi -L | wc -l)
ALL=$(seq -s, 0 $((NGPU - 1)))

if [ -z "${MG_SKIP_BENCH:-}" ]; then
    echo "== inference: device_pool_bench (fp16, 4 workers per GPU)"
    "$B/device_pool_bench" cuda realesr-animevideov3 2 960x540 "$ALL" 4 8
    "$B/device_pool_bench" cuda realesr-animevideov3 2 1920x1080 "$ALL" 4 8
fi

echo "== five clips at once through vsr serve, on the first GPU, then on all"
five_clips "$BUNDLE" --devices 0 --workers 2
five_clips "$BUNDLE" --devices "$ALL" --workers 4
