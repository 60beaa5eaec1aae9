#!/bin/bash
# Call 20 (2026-12-07, seventeenth session): the finisher warp (flags set
# off the scheduler's claim path; call 19 found the producer waiting for
# tiles 2/3 of the 64 -> 32 conv, the scheduler in fences and done waits).
#  1. frame time, new against main's binary (vsr_cuda_bench_main), A/B/A/B
#  2. correctness: the fp32 oracle (160x90, 480x270), overlapped launches
#     against one conv at a time (stalled and not), the ops' conformance
#  3. stall sampling of the 64 -> 32 conv again, per SASS instruction
#  4. per-class profile, batch 2; PyTorch eager and torch.compile
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin --quick $BO "$@" $X 2>&1 | grep -E "RESULT|rror" | sed "s/^/$name /"; }
for i in 1 2; do bn main vsr_cuda_bench_main --size 960x540x1; bn new vsr_cuda_bench --size 960x540x1; done
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
timeout 30 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=128
ov 50 $T/ladybird_500x270.ppm
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
NCU=/usr/local/cuda/bin/ncu
timeout 100 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 1 \
    --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
    $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/source-376.csv" 2> "$OUT/source-376.err"
echo "source rc=$? lines $(wc -l < "$OUT/source-376.csv")"
timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/ncu-times.csv" 2>/dev/null
echo "times rc=$?"; grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times.csv" | tr '\n' ' '; echo
timeout 60 $NCU --clock-control none -k regex:conv3x3_rrdb --launch-skip 376 --launch-count 15 \
    --metrics gpu__time_duration.sum --csv $B/vsr_cuda_bench_main --quick $BO --size 960x540x1 $X > "$OUT/ncu-times-main.csv" 2>/dev/null
echo "times main rc=$?"; grep -o '"gpu__time_duration.sum","ns","[0-9.,]*"' "$OUT/ncu-times-main.csv" | tr '\n' ' '; echo
bn new-classes vsr_cuda_bench --profile-classes --size 960x540x2 --size 960x540x1
bn main-b2 vsr_cuda_bench_main --size 960x540x2
PYTHONUNBUFFERED=1 timeout 200 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X > $OUT/torch.txt 2>&1; echo "torch rc=$?"; grep -E "RESULT|^torch" $OUT/torch.txt
echo "== end $(date -u '+%H:%M:%S')"
