#!/bin/bash
# Call 26 (2026-12-07, seventeenth session): the record of this session's
# kernel (call 22's binary: flags by a finisher warp, rows and weights by
# two producers, descriptors by one add, step loops unrolled) against main
# (61853a8), on one H100:
#  1. frame time, --quick, main and new alternating, three times each
#  2. sustained: the full-length frame loop five times in a row, each of
#     main and new, SM clock and power logged every 100 ms
#  3. correctness: the fp32 oracle with and without the RRDB kernels,
#     the SRVGG selftest, overlapped launches against one conv at a time
#     (stalled and not, 300 stalled runs at 500x270), the ops' conformance
#  4. per-class profile (batch 1 and 2); PyTorch: the fp16 GEMM (burst and
#     held), eager and torch.compile x4plus, clock logged
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
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
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; done
five() { for i in 1 2 3 4 5; do bn "$1" "$2"; done; }
logged main-sustained five main vsr_cuda_bench_main
sleep 5
logged new-sustained five new vsr_cuda_bench_new
fail=0
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 120 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref || fail=1
  VSR_CUDA_NO_RRDB=1 timeout 60 $B/cuda_psnr check $X $T/$img.ppm $ref | sed "s/^/no-rrdb: /"
done
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 300 $T/ladybird_500x270.ppm VSR_CUDA_RRDB_OFF=128
ov 50 $T/ladybird_500x270.ppm
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "ops rc=$?"; tail -1 $OUT/ops.txt
timeout 60 $B/vsr_cuda_bench_new --quick --profile-classes $BO --size 960x540x2 --size 960x540x1 $X > $OUT/classes.txt 2>&1
grep -v "^Conv\|^Concat" $OUT/classes.txt | tail -30
logged torch env PYTHONUNBUFFERED=1 timeout 200 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X
echo "== end $(date -u '+%H:%M:%S')"
