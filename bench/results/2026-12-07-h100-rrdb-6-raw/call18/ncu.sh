#!/bin/bash
# Call 18, second part (the machine still warm): batch 2, then ncu's HBM bytes of one RRDB, main vs bands.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 size=$2; shift 2; env "$@" timeout 40 $B/vsr_cuda_bench --quick $BO --size $size $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
S=960x540x1
bn main-b2 960x540x2 VSR_CUDA_RRDB_BAND=0
bn bands-b2 960x540x2
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU"
M=dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,gpu__time_duration.sum
nc() { local name=$1 skip=$2 count=$3; shift 3; env "$@" timeout 90 $NCU --clock-control none --cache-control none -k regex:conv3x3_rrdb --launch-skip $skip --launch-count $count --metrics $M --csv $B/vsr_cuda_bench --quick $BO --size $S $X > "$OUT/ncu-$name.csv" 2> "$OUT/ncu-$name.err"; echo "ncu $name rc=$? lines $(wc -l < "$OUT/ncu-$name.csv")"; tail -2 "$OUT/ncu-$name.err"; }
[ -n "$NCU" ] && nc main 376 15 VSR_CUDA_RRDB_BAND=0
[ -n "$NCU" ] && nc bands 2626 105
python3 "$D/ncu_sum.py" "$OUT"
echo "== end $(date -u +%H:%M:%S)"
