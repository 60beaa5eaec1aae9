#!/bin/bash
# Call 18, fourth part: main's RRDB convs (one dense block of the third
# RRDB, serialized): per-instruction warp-stall samples (SourceCounters,
# SASS, -lineinfo), and the clocks / throttle reasons while the frames run.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
BO="--no-host --no-cudnn --default-variant"
NCU=/usr/local/cuda/bin/ncu
(for i in 1 2 3 4 5 6; do sleep 1.5; nvidia-smi --query-gpu=clocks.sm,clocks.mem,power.draw,power.limit,temperature.gpu,clocks_throttle_reasons.active,clocks_event_reasons.sw_power_cap,clocks_event_reasons.hw_slowdown --format=csv,noheader; done) &
VSR_CUDA_RRDB_BAND=0 timeout 40 $B/vsr_cuda_bench $BO --size 960x540x1 $X 2>&1 | grep RESULT
wait
VSR_CUDA_RRDB_BAND=0 timeout 150 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 5 --section SourceCounters --section WarpStateStats --page source --print-source sass --csv $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/ncu-source.csv" 2> "$OUT/ncu-source.err"
echo "rc=$? lines $(wc -l < "$OUT/ncu-source.csv")"; tail -3 "$OUT/ncu-source.err"
VSR_CUDA_RRDB_BAND=0 timeout 100 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 5 --section WarpStateStats --page raw --csv $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/ncu-stalls.csv" 2> "$OUT/ncu-stalls.err"
echo "rc=$? lines $(wc -l < "$OUT/ncu-stalls.csv")"; tail -3 "$OUT/ncu-stalls.err"
echo "== end $(date -u +%H:%M:%S)"
