#!/bin/bash
# Call 29 (2026-12-07, seventeenth session): the final tree (v25, the
# producers' take of a tile in one helper, no change meant) against main
# and v25: frame time (--quick, full), correctness (oracle, overlapped
# against one conv at a time, 300 stalled runs), conformance.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do for v in main v25 new; do bn $v vsr_cuda_bench_$v --quick; done; done
for i in 1 2; do for v in main v25 new; do bn $v-full vsr_cuda_bench_$v; done; done
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 120 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov 300 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=128
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 20 $T/ladybird_960x540.ppm
ov 50 $T/ladybird_500x270.ppm
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
echo "== end $(date -u '+%H:%M:%S')"
