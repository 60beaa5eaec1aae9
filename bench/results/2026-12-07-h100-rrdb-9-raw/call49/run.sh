#!/bin/bash
# Call 49 (2026-12-07, twentieth session), on one H100: the Cout-64 convs'
# last step split into one commit group per output row, so that row 0's
# epilogue runs while row 1's last MMAs do ("new", with the wide 96 -> 32
# pass; "new-off": VSR_CUDA_RRDB_OFF=256, the split alone, which must give
# main's bytes), against main (b7d968c): checks, interleaved --quick
# rounds, per-class profiles, batch 2 and the trace build's phase shares
# (the record, sustained and PyTorch, left out: the session's device time
# went to refused starts). Stops at the first failed check.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; ANIME=$B/models/realesr-animevideov3-x4.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
stop() { echo "FAILED: $*; stopping"; exit 1; }
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
for img in elephants_160x90 ladybird_480x270; do
  ref=$T/ref_x4plus_${img%_160x90}.ppm; [ -f $ref ] || ref=$T/ref_x4plus_$img.ppm
  timeout 30 $B/cuda_psnr check $X $T/$img.ppm $ref | sed "s/^/new: /" || stop "check $img"
done
for img in ladybird_960x540 ladybird_500x270; do
  timeout 20 $B/cuda_psnr_main make-ref $X $T/$img.ppm $OUT/main.ppm cuda > /dev/null 2>&1 || stop "main make-ref"
  timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || stop "new make-ref"
  VSR_CUDA_RRDB_OFF=256 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || stop "off make-ref"
  n=$(cmp -l $OUT/main.ppm $OUT/new-off.ppm | wc -l); echo "$img: new-off against main: $n bytes differ"
  [ "$n" = 0 ] || stop "new-off differs from main"
  echo "$img: new against main: $(python3 $D/ppm_psnr.py $OUT/main.ppm $OUT/new.ppm)"
done
rm -f $OUT/*.ppm
timeout 60 $B/cuda_psnr selftest $ANIME 100 75 | tail -2
ov() { local runs=$1 f=$2 ref=$3; shift 3; env "$@" VSR_PSNR_REF_OFF=$ref timeout 60 $B/cuda_psnr overlap $X $f $runs 2>&1 | grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" || stop "overlap $f $*"; }
ov 20 $T/ladybird_960x540.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 150 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm 20 VSR_CUDA_RRDB_OFF=128
bn() { local name=$1 bin=$2; shift 2; timeout 40 $B/$bin $BO "$@" $X 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"; }
S1="--size 960x540x1"
for i in 1 2 3 4; do
  bn main vsr_cuda_bench_main --quick $S1; bn new vsr_cuda_bench_new --quick $S1
  VSR_CUDA_RRDB_OFF=256 bn new-off vsr_cuda_bench_new --quick $S1
done
bn main-b2 vsr_cuda_bench_main --quick --size 960x540x2; bn new-b2 vsr_cuda_bench_new --quick --size 960x540x2
cls() { local name=$1 bin=$2; timeout 60 $B/$bin --quick --profile-classes $BO $S1 $X 2>&1 | grep "rrdb .*@\|in all" | sed "s/^/$name /"; }
cls main vsr_cuda_bench_main; VSR_CUDA_RRDB_OFF=256 cls new-off vsr_cuda_bench_new; cls new vsr_cuda_bench_new
echo "-- the trace build (phase shares; it synchronizes after each RRDB conv)"
timeout 120 $B/vsr_cuda_bench_trace --quick $BO $S1 $X 2>&1 | grep "rrdb-trace"
echo "== end $(date -u '+%H:%M:%S')"
