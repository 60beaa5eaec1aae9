#!/bin/bash
# Call 43 (2026-12-07, nineteenth session): the session's record, on one
# H100: this session's kernels (main with ring_bar, "new") against main
# before it (057a698: without ring_bar and the merged output map) for bytes and the overlap, then the issue's
# comparison in one run: frame time (--quick, and sustained: the full
# loop five times, SM clock and power logged), the per-class profile,
# the fp32 oracle, and PyTorch (the fp16 GEMM in a burst and held, x4plus
# eager and torch.compile). Stops at the first failed check.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
for img in ladybird_960x540 ladybird_500x270; do
  timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
  timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
  n=$(cmp -l $OUT/main.ppm $OUT/new.ppm | wc -l); echo "$img against main: $n bytes differ"
  [ "$n" = 0 ] || stop "$img"
done
rm -f $OUT/*.ppm
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=0
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 300 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref || stop "oracle $img"
done
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
timeout 60 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
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
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick; done
five() { for i in 1 2 3 4 5; do bn "$1" "$2"; done; }
logged new-sustained five new vsr_cuda_bench_new
timeout 60 $B/vsr_cuda_bench_new --quick --profile-classes $BO --size 960x540x1 $X > $OUT/classes.txt 2>&1
grep -v "^Conv\|^Concat" $OUT/classes.txt | tail -18
logged torch env PYTHONUNBUFFERED=1 timeout 240 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X
echo "== end $(date -u '+%H:%M:%S')"
