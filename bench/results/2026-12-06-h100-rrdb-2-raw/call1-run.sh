#!/bin/bash
# prepared call, not run: no H100 came (see ../2026-12-06-h100-rrdb-2.md); carried in /work/main/build-dev-rrdb, packed by bench/device/bundle.sh:
# vsr_cuda_bench, cuda_psnr, backend_ops_device of this branch, vsr_cuda_bench and
# cuda_psnr of main 6e21ae4 as *_old, realesrgan-x4plus, realesr-animevideov3-x4, the 160x90
# images and their fp32 ref-backend outputs, bench/cuda_torch_baseline.py).
# Correctness, then speed: main vs this branch (each refinement off in turn,
# VSR_CUDA_RRDB_OFF), ncu of one RDB, PyTorch eager / torch.compile.
# Argument lean: one round of main vs branch, fewer accuracy variants, no ncu
# (a short call).
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
L=$OUT/log.txt
exec > >(tee "$L") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== conformance (test_backend_ops, cuda), this branch, default (then, full mode, all refinements off)"
timeout 40 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "rc=$?"; grep -E "FAIL|rrdb|checks|covered" $OUT/ops.txt | head -20
if [ "${1:-}" != lean ]; then
  VSR_CUDA_RRDB_OFF=7 timeout 40 $B/backend_ops_device cuda > /tmp/ops7.txt 2>&1; echo "off=7 rc=$?"
  grep -E "FAIL|checks" /tmp/ops7.txt | head -5; cat /tmp/ops7.txt >> $OUT/ops.txt
fi
echo "== x4plus accuracy vs the fp32 ref oracle (160x90)"
OFFS="0 1 2 4 7"; [ "${1:-}" = lean ] && OFFS="0 7"
for off in $OFFS; do for img in ladybird elephants; do
  VSR_CUDA_RRDB_OFF=$off timeout 15 $B/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm | sed "s/^/off=$off: /"; echo "rc=${PIPESTATUS[0]}"
done; done
for img in ladybird elephants; do timeout 15 $B/cuda_psnr_old check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm | sed "s/^/main: /"; done
# The 160x90 frames give one tile a CTA; what carries over between a CTA's
# tiles (stationary weights, the next tile's prefetch) needs a larger frame.
echo "== multi-tile: x4plus on 960x540 (1350 tiles a conv, 10-11 a CTA), main's output vs the branch's (same bytes expected: same arithmetic)"
timeout 30 $B/cuda_psnr_old make-ref $X $T/ladybird_960x540.ppm /tmp/main540.ppm cuda; echo "rc=$?"
for off in 0 7; do
  VSR_CUDA_RRDB_OFF=$off timeout 30 $B/cuda_psnr make-ref $X $T/ladybird_960x540.ppm /tmp/br540-$off.ppm cuda >/dev/null; echo "rc=$?"
  if cmp -s /tmp/main540.ppm /tmp/br540-$off.ppm; then echo "off=$off: the same bytes as main"; else
    echo "off=$off: differs from main:"; VSR_CUDA_RRDB_OFF=$off timeout 30 $B/cuda_psnr check $X $T/ladybird_960x540.ppm /tmp/main540.ppm; fi
done
if [ -f $T/ref_x4plus_ladybird_480x270.ppm ]; then
  echo "== multi-tile vs the fp32 oracle: x4plus 480x270 (340 tiles a conv, 2-3 a CTA)"
  for off in 0 7; do VSR_CUDA_RRDB_OFF=$off timeout 30 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm | sed "s/^/off=$off: /"; done
  timeout 30 $B/cuda_psnr_old check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm | sed "s/^/main: /"
fi
echo "== SRVGG regression (selftest anime x4, 100x75)"
timeout 15 $B/cuda_psnr selftest $B/models/realesr-animevideov3-x4.param 100 75 2>&1 | tail -4
BO="--profile-classes --no-host --no-cudnn --default-variant"
# every vsr_cuda_bench output goes to $OUT/bench.txt, after a header
bench() { # label, then the command
  local lab=$1; shift
  timeout 30 "$@" > /tmp/cur.txt 2>&1; local rc=$?
  { echo "#### $lab (rc=$rc)"; cat /tmp/cur.txt; } >> $OUT/bench.txt
  echo "rc=$rc"; grep -o "RESULT.*" /tmp/cur.txt
}
ROUNDS="1 2"; [ "${1:-}" = lean ] && ROUNDS=1
for r in $ROUNDS; do
  echo "== round $r: main 6e21ae4 (batch 2, 1)"
  bench "main round $r" $B/vsr_cuda_bench_old $BO --size 960x540x2 --size 960x540x1 $X
  [ $r = 1 ] && grep -E "step classes|conv3x3-rrdb|conv3x3-mma|conv-cudnn|interp" /tmp/cur.txt | grep -v "^[A-Z]"
  echo "== round $r: this branch (batch 2, 1)"
  bench "branch round $r" $B/vsr_cuda_bench $BO --size 960x540x2 --size 960x540x1 $X
  [ $r = 1 ] && grep -E "step classes|conv3x3-rrdb|conv3x3-mma|conv-cudnn|interp" /tmp/cur.txt | grep -v "^[A-Z]"
done
for off in 1 2 4 7; do
  echo "== this branch, VSR_CUDA_RRDB_OFF=$off (batch 1)"
  VSR_CUDA_RRDB_OFF=$off bench "branch off=$off" $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X
  grep "conv3x3-rrdb" /tmp/cur.txt | grep -v "^[A-Z]"
done
echo "== torch"
PYTHONUNBUFFERED=1 timeout 75 python3 $B/bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X > $OUT/torch.txt 2>&1; echo "rc=$?"; grep -E "RESULT|^torch" $OUT/torch.txt
if [ "${1:-}" != lean ]; then
echo "== ncu: the second RDB's five convolutions (this branch)"
timeout 60 ncu --kernel-name regex:conv3x3_rrdb --launch-skip 5 --launch-count 5 --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats $B/vsr_cuda_bench --one 960x540 $X > $OUT/ncu.txt 2>&1
echo "ncu rc=$?"; grep -E "conv3x3_rrdb_kernel|Duration|Compute \(SM\) Throughput|DRAM Throughput|L2 Cache Throughput|L1/TEX Cache Throughput|Warp Cycles Per Issued" $OUT/ncu.txt | cut -c1-110 | head -40
fi
echo "== end $(date -u '+%H:%M:%S')"
