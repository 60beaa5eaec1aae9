#!/bin/bash
# call 3: variants of the RRDB kernels (MMA groups in flight, ring sizes): correctness
# (conformance, x4plus PSNR vs the fp32 oracle) and speed of each; ncu of one RDB's
# five convolutions; PyTorch again on the same card
D=$(dirname "$0")
export LD_LIBRARY_PATH=$D/lib
OUT=${OUT:-/tmp/out}
M=$D/models; T=$D/testdata
X=$M/realesrgan-x4plus.param
[ -f $M/realesrgan-x4plus.bin ] || xz -d -k $M/realesrgan-x4plus.bin.xz
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
for v in "1 0" "2 0" "1 1" "2 1"; do
  set -- $v
  export VSR_CUDA_RRDB_DEPTH=$1 VSR_CUDA_RRDB_RING=$2
  echo "== variant depth=$1 ring=$2"
  if [ "$1$2" != 10 ]; then timeout 60 $D/backend_ops_device cuda > $OUT/ops-$1$2.txt 2>&1; echo "ops rc=$?"; grep -E "FAIL|checks" $OUT/ops-$1$2.txt | head -5; fi
  for img in ladybird elephants; do timeout 60 $D/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm; done
  timeout 90 $D/vsr_cuda_bench --quick --profile-classes --no-host --no-cudnn --default-variant --size 960x540x2 --size 960x540x1 $X > $OUT/vsr-$1$2.txt 2>&1
  echo "bench rc=$?"; grep -o "RESULT.*" $OUT/vsr-$1$2.txt; grep "conv3x3-rrdb" $OUT/vsr-$1$2.txt | grep -v "^[A-Z]"
done
unset VSR_CUDA_RRDB_DEPTH VSR_CUDA_RRDB_RING
echo "== ncu: the second RDB's five convolutions (default variant)"
timeout 60 ncu --kernel-name regex:conv3x3_rrdb --launch-skip 5 --launch-count 5 --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats $D/vsr_cuda_bench --one 960x540 $X > $OUT/ncu.txt 2>&1
echo "ncu rc=$?"; grep -E "conv3x3_rrdb_kernel|Duration|Compute \(SM\) Throughput|Memory Throughput|L2 Cache Throughput|DRAM Throughput|L1/TEX Cache Throughput|Warp Cycles Per Issued|Stall" $OUT/ncu.txt | cut -c1-120 | head -60
echo "== torch"
PYTHONUNBUFFERED=1 timeout 60 python3 $D/bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X 2>&1 | tee $OUT/torch.txt | grep RESULT
echo "== end $(date -u '+%H:%M:%S')"
