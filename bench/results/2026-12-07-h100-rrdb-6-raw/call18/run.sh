#!/bin/bash
# Call 18 (2026-12-07, sixteenth session; replaces call 17, whose branches
# were lost with the fifteenth session's checkout): branch rrdb-band-land,
# rebuilt = main + RRDB convs in bands (on by default, K from the L2 size;
# VSR_CUDA_RRDB_BAND=0 is main's schedule in the same binary).
# Decides: (1) do bands pay (frame time against BAND=0, same binary, same
# call); (2) are they right (bytes against one conv at a time over the
# whole frame, stalled and not; the oracle; the ops' conformance;
# memcheck); (3) ncu: the HBM bytes of one RRDB, BAND=0 vs bands; (4)
# PyTorch eager / torch.compile in the same call.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 size=$2; shift 2; env "$@" timeout 40 $B/vsr_cuda_bench --quick $BO --size $size $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
S=960x540x1
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
bn band12 $S VSR_CUDA_RRDB_BAND=12
bn band24 $S VSR_CUDA_RRDB_BAND=24
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
ov 100 $E/ladybird_500x270.ppm VSR_CUDA_RRDB_BAND=14 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
ov 100 $E/ladybird_500x270.ppm VSR_CUDA_RRDB_BAND=5 VSR_CUDA_RRDB_GROUP=3
[ -f $T/ref_x4plus_ladybird_480x270.ppm ] && VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 20 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
bn main-b2 960x540x2 VSR_CUDA_RRDB_BAND=0
bn bands-b2 960x540x2
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU"
M=dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,gpu__time_duration.sum
nc() { local name=$1 skip=$2 count=$3; shift 3; env "$@" timeout 120 $NCU --clock-control none --cache-control none -k regex:conv3x3_rrdb --launch-skip $skip --launch-count $count --metrics $M --csv $B/vsr_cuda_bench --quick $BO --size $S $X > "$OUT/ncu-$name.csv" 2> "$OUT/ncu-$name.err"; echo "ncu $name rc=$? lines $(wc -l < "$OUT/ncu-$name.csv")"; tail -2 "$OUT/ncu-$name.err"; }
[ -n "$NCU" ] && nc main 376 15 VSR_CUDA_RRDB_BAND=0
[ -n "$NCU" ] && nc bands 2626 105
python3 "$D/ncu_sum.py" "$OUT"
PYTHONUNBUFFERED=1 timeout 150 python3 bench/cuda_torch_baseline.py --compile --quick --size $S $X > $OUT/torch.txt 2>&1; echo "torch rc=$?"; grep -E "RESULT|^torch|GEMM|gemm" $OUT/torch.txt
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
# memory errors in a banded run (slow: last)
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null | head -1)
VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 120 $CS --tool memcheck $B/cuda_psnr overlap $X $T/ladybird_480x270.ppm 1 2>&1 | tail -4
echo "== end $(date -u '+%H:%M:%S')"
