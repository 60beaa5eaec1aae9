#!/bin/bash
# Call 46 (2026-12-07, twentieth session), on one H100:
# 1. call 45's overlap race test: the early-claim build (70dd073) as it is
#    and with a __threadfence() per consumer thread after its epilogue
#    stores, 150 stalled runs at 500x270 and 480x270 each (no stop: the
#    failures are the measurement);
# 2. the 96 -> 32 conv as one pass of 96-channel rows ("new"; off:
#    VSR_CUDA_RRDB_OFF=256, which must give main's bytes) against main
#    (b7d968c), with last session's two review items (wait_empty for the
#    producers' slot waits; run_step's Conv3x3Args filled once): conformance, oracle, PSNR against main, stalled overlap,
#    frame time (--quick), per-class profile;
# 3. the record, as call 43: sustained (the full loop five times, SM clock
#    and power logged) and PyTorch in the same run (the fp16 GEMM in a
#    burst and held, x4plus eager and torch.compile).
# Stops at the first failed check of parts 2 and 3.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
echo "-- part 1: the overlap race (call 45)"
ov45() { local bin=$1 runs=$2 f=$3; env VSR_CUDA_RRDB_OFF=128 VSR_PSNR_REF_OFF=20 timeout 60 $B/$bin overlap $X $f $runs 2>&1 | grep OVERLAP | tail -1 | sed "s/^/[$bin $(basename $f)] /"; }
for bin in cuda_psnr_early cuda_psnr_fenced; do
  ov45 $bin 150 $T/ladybird_500x270.ppm
  ov45 $bin 150 $T/ladybird_480x270.ppm
done
echo "-- part 2: wide rows for 96 -> 32"
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
grep -i "rrdb\|FAIL" $OUT/ops.txt | head -20
[ $rc = 0 ] || stop "backend_ops"
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref | sed "s/^/new: /" || stop "check $img"
  timeout 30 $B/cuda_psnr_main check $X $T/$img.ppm $ref | sed "s/^/main: /"
done
for img in ladybird_960x540 ladybird_500x270; do
  timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
  timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
  VSR_CUDA_RRDB_OFF=256 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || stop "off make-ref"
  n=$(cmp -l $OUT/main.ppm $OUT/new-off.ppm | wc -l); echo "$img: new with wide off against main: $n bytes differ"
  [ "$n" = 0 ] || stop "wide off differs from main"
  echo "$img: new against main: $(python3 $D/ppm_psnr.py $OUT/main.ppm $OUT/new.ppm)"
done
rm -f $OUT/*.ppm
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" --size 960x540x1 $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
for i in 1 2 3; do
  bn main vsr_cuda_bench_main --quick; bn new vsr_cuda_bench_new --quick
  VSR_CUDA_RRDB_OFF=256 bn new-off vsr_cuda_bench_new --quick
done
timeout 60 $B/vsr_cuda_bench_new --quick --profile-classes $BO --size 960x540x1 $X > $OUT/classes.txt 2>&1
grep -v "^Conv\|^Concat" $OUT/classes.txt | tail -18
echo "-- part 3: the record"
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
five() { for i in 1 2 3 4 5; do bn "$1" "$2"; done; }
bn main-full vsr_cuda_bench_main
logged new-sustained five new vsr_cuda_bench_new
logged torch env PYTHONUNBUFFERED=1 timeout 240 python3 bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X
echo "== end $(date -u '+%H:%M:%S')"
