#!/bin/bash
# Call 25 (2026-12-07, seventeenth session): the scheduler claims the next
# tile as soon as the producers have been given the last (call 24: the
# 64 -> 32 conv's row producer waited for tiles ~30% of its time, the
# scheduler in its claim and its inputs' flags), and 8 tiles in flight
# between claim and flag (was 4). Call 23 tried the early claim with a
# fence.release in the finisher and failed the stalled overlap check; the
# finisher keeps its acq_rel fence here. VSR_CUDA_RRDB_OFF=32: without
# call 24's deeper row ring.
#  1. frame time: main, new with OFF=32, new; three times each
#  2. correctness of new: the fp32 oracle, overlapped launches against one
#     conv at a time (stalled and not, twice as many stalled runs), the ops
#  3. ncu: per-kernel times of one RRDB; stall sampling of the 64 -> 32 conv
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; env "$@" timeout 40 $B/$bin --quick $BO --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main; bn off32 vsr_cuda_bench_new VSR_CUDA_RRDB_OFF=32; bn new vsr_cuda_bench_new; done
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=160
ov 50 $T/ladybird_500x270.ppm
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
NCU=/usr/local/cuda/bin/ncu
nt() { local name=$1; shift; env "$@" timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_new --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-$name.csv" 2>/dev/null
  echo "times $name rc=$? $(grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-$name.csv" | sed 's/.*"ns","//; s/[",]//g' | tr '\n' ' ')"; }
nt new
nt off32 VSR_CUDA_RRDB_OFF=32
timeout 100 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 1 \
    --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
    $B/vsr_cuda_bench_new --quick $BO --size 960x540x1 $X > "$OUT/source-376.csv" 2> "$OUT/source-376.err"
echo "source 376 rc=$? lines $(wc -l < "$OUT/source-376.csv")"
echo "== end $(date -u '+%H:%M:%S')"
