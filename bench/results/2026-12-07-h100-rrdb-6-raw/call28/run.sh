#!/bin/bash
# Call 28 (2026-12-07, seventeenth session): the scheduler skips the wait
# for a tile's inputs once the launch before is all stored (its count
# acquired); call 22 found the flag waits ~1/3 of its time. Against v25
# (this session's kept build) and main.
#  1. frame time: --quick and full-length, main / v25 / new alternating
#  2. correctness of new: the fp32 oracle, overlapped launches against one
#     conv at a time (300 stalled runs at 500x270, 960x540 stalled and
#     not), the ops' conformance
#  3. ncu: kernel times of one RRDB, new and v25
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
NCU=/usr/local/cuda/bin/ncu
for v in new v25; do
  timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_$v --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$v.csv" 2>/dev/null
  echo "times $v rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$v.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
echo "== end $(date -u '+%H:%M:%S')"
