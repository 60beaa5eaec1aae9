#!/bin/bash
# Call 19 (prepared 2026-12-07, sixteenth session; not run yet): where
# main's RRDB convs wait, and at what clock (call 18 found them
# latency-bound and the card at its power cap).
#  1. SM clock, power and throttle reasons logged every 100 ms through the
#     frame loop (vsr_cuda_bench, full length) and through
#     bench/cuda_torch_baseline.py (the fp16 GEMM in a burst and held
#     ~1.5 s, then PyTorch's x4plus): the "% of the GEMM peak" of issue 18
#     compares the two, so they should be at the same clock.
#  2. Nsight Compute's warp-stall sampling on one launch each of the
#     64 -> 32 and 192 -> 64 convs (third RRDB), raw stall counters and
#     per-SASS-instruction samples (-lineinfo is on).
# Bundle (git-ignored, rebuilt each session): see "Call 19" in
# ../../2026-12-07-h100-rrdb-6.md.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
Q=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active
logged() { # name command...: runs the command with the GPU's clock and power logged
    local name=$1; shift
    nvidia-smi --query-gpu=$Q --format=csv,noheader,nounits -lms 100 > "$OUT/smi-$name.csv" &
    local smi=$!
    sleep 0.5
    "$@"
    kill $smi; wait $smi 2>/dev/null
    python3 "$D/smi_sum.py" "$name" "$OUT/smi-$name.csv"
}
logged frames timeout 60 $B/vsr_cuda_bench $BO --size 960x540x1 $X
logged torch timeout 120 python3 bench/cuda_torch_baseline.py --quick --size 960x540x1 $X
NCU=/usr/local/cuda/bin/ncu
for k in 376 380; do
    timeout 120 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip $k --launch-count 1 \
        --section WarpStateStats --section SourceCounters --page raw --csv \
        $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/stalls-$k.csv" 2> "$OUT/stalls-$k.err"
    echo "stalls $k rc=$? lines $(wc -l < "$OUT/stalls-$k.csv")"
done
timeout 150 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 1 \
    --section SourceCounters --page source --print-source sass --csv \
    $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/source-376.csv" 2> "$OUT/source-376.err"
echo "source rc=$? lines $(wc -l < "$OUT/source-376.csv")"
echo "== end $(date -u '+%H:%M:%S')"
