#!/bin/bash
# Call 55 (2026-12-07, twenty-second session), on one H100: issue 18 item
# 2's record, everything in one run. Checks (conformance, the fp32
# oracle); x4plus at 960x540, batch 1 and batch 2 (two frames a launch,
# what `vsr upscale` runs), --quick rounds interleaved; each sustained
# (the full loop five times, SM clock and power logged); then PyTorch
# 2.11 on the same card: the fp16 GEMM peak in a burst and held, x4plus
# eager and torch.compile at the same two sizes.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref || stop "check $img"
done
bn() { local name=$1; shift; timeout 60 $B/vsr_cuda_bench $BO "$@" $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do
  bn b1 --quick --size 960x540x1; bn b2 --quick --size 960x540x2
done
Q=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active
logged() { # name command...: runs the command with the GPU's clock and power logged
    local name=$1; shift
    nvidia-smi --query-gpu=$Q --format=csv,noheader,nounits -lms 100 > "$OUT/smi-$name.csv" &
    local smi=$!
    sleep 0.5
    "$@"
    kill $smi; wait $smi 2>/dev/null
    python3 bench/device/smi_sum.py "$name" "$OUT/smi-$name.csv"
}
five() { for i in 1 2 3 4 5; do bn "$@"; done; }
logged b1-sustained five b1-full --size 960x540x1
logged b2-sustained five b2-full --size 960x540x2
logged torch env PYTHONUNBUFFERED=1 timeout 300 python3 bench/cuda_torch_baseline.py --compile --quick \
  --size 960x540x1 --size 960x540x2 $X
echo "== end $(date -u '+%H:%M:%S')"
