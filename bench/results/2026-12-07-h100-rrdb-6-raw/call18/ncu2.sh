#!/bin/bash
# Call 18, third part: where main's RRDB convs spend their time (one dense
# block, steps 0-4 of the third RRDB, serialized): ncu's speed-of-light,
# warp-state, scheduler, compute and memory sections.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
BO="--no-host --no-cudnn --default-variant"
NCU=/usr/local/cuda/bin/ncu
VSR_CUDA_RRDB_BAND=0 timeout 150 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 5 --section SpeedOfLight --section WarpStateStats --section SchedulerStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section Occupancy --csv --page details $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/ncu-sections.csv" 2> "$OUT/ncu-sections.err"
echo "rc=$? lines $(wc -l < "$OUT/ncu-sections.csv")"; tail -3 "$OUT/ncu-sections.err"
echo "== end $(date -u +%H:%M:%S)"
