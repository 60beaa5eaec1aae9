#!/bin/bash
# Call 32 (2026-12-07, eighteenth session): call 31 again, with the rows one
# warpgroup reads freed by it for both (arrivals 2; were freed unread by the
# other warpgroup: at its pass end, warpgroup 0 held up the next pass), and
# the knob's mask letting 32 through (call 31's "4row" was tall). Tall tiles (8 output rows) for
# the 32-output convs with stationary weights (64, 96, 128 -> 32), against
# main (c0f544f) and the same binary with them off (VSR_CUDA_RRDB_OFF=32).
#  1. frame time: --quick and full-length, alternating
#  2. correctness: the fp32 oracle; overlapped launches against one conv
#     at a time (stalled and not, 500x270, 480x270, 960x540); tall against
#     4-row tiles without overlap (REF_OFF=36: must match byte for byte);
#     the ops' conformance
#  3. ncu: kernel times of one RRDB, tall and not
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 120 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -6 | sed "s/^/[$* ref=$ref] /"; }
ov 20 $T/ladybird_960x540.ppm 36 VSR_CUDA_RRDB_OFF=0
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 50 $T/ladybird_500x270.ppm 52 VSR_CUDA_RRDB_OFF=0
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; VSR_CUDA_RRDB_OFF=32 bn new-4row vsr_cuda_bench_new --quick; done
for i in 1 2; do bn main-full vsr_cuda_bench_main; bn new-full vsr_cuda_bench_new; done
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
NCU=/usr/local/cuda/bin/ncu
for v in tall 4row; do
  off=0; [ $v = 4row ] && off=32
  VSR_CUDA_RRDB_OFF=$off timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_new --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$v.csv" 2>/dev/null
  echo "times $v rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$v.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
echo "== end $(date -u '+%H:%M:%S')"
