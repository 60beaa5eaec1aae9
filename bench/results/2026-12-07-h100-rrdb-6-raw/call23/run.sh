#!/bin/bash
# Call 23 (2026-12-07, seventeenth session) on call 22's "new" (v25: the
# step loops unrolled; its 64 -> 32 conv's consumers still waited for a
# tile's first row 20% of their time, the row producer for the scheduler,
# the scheduler for its claim, its inputs' flags and the finisher):
#   new: the scheduler claims the next tile as soon as the producers have
#        been given the last; the finisher's fence a release one.
#  1. frame time: main (vsr_cuda_bench_main), v25, new; three times each
#  2. correctness: the fp32 oracle (160x90, 480x270), overlapped launches
#     against one conv at a time (stalled and not), the ops' conformance
#  3. ncu: per-kernel times of one RRDB (new, main); stall sampling per
#     SASS instruction of the 64 -> 32 and the 192 -> 64 conv
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin --quick $BO "$@" $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do for v in main v25 new; do bn $v vsr_cuda_bench_$v --size 960x540x1; done; done
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=128
ov 50 $T/ladybird_500x270.ppm
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
NCU=/usr/local/cuda/bin/ncu
for v in new v25 main; do
  timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_$v --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$v.csv" 2>/dev/null
  echo "times $v rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$v.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"
done
for k in 376 380; do
  timeout 100 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip $k --launch-count 1 \
    --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
    $B/vsr_cuda_bench_new --quick $BO --size 960x540x1 $X > "$OUT/source-$k.csv" 2> "$OUT/source-$k.err"
  echo "source $k rc=$? lines $(wc -l < "$OUT/source-$k.csv")"
done
echo "== end $(date -u '+%H:%M:%S')"
