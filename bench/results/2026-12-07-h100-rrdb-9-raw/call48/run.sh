#!/bin/bash
# Call 48 (2026-12-07, twentieth session): call 46's bundle again
# (build-dev-c46, this file copied in as run48.sh), for the frame-time
# A/B that call 46 left within noise: the wide 96 -> 32 pass on ("new")
# and off (VSR_CUDA_RRDB_OFF=256, main's bytes) and main (b7d968c), six
# rounds of --quick interleaved, and the per-class profile of each
# (serialized convs) in the same run.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3 4 5 6; do
  bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick
  VSR_CUDA_RRDB_OFF=256 bn new-off vsr_cuda_bench_new --quick
done
cls() { local name=$1 bin=$2; timeout 60 $B/$bin --quick --profile-classes $BO --size 960x540x1 $X 2>&1 | grep "rrdb\|in all" | sed "s/^/$name /"; }
for i in 1 2; do
  cls main vsr_cuda_bench_main; cls new vsr_cuda_bench_new
  VSR_CUDA_RRDB_OFF=256 cls new-off vsr_cuda_bench_new
done
echo "== end $(date -u '+%H:%M:%S')"
