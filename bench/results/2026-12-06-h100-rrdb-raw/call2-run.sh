#!/bin/bash
# call 2 (reconstructed as it ran; carried in build-dev-models/ with vsr_cuda_bench,
# cuda_psnr, backend_ops_device built by tests/gpu/prepare.sh's cmake line, the
# realesrgan-x4plus model (.bin as .xz) and realesr-animevideov3-x4, the 160x90
# images and their ref-backend outputs from tests/gpu/prepare.sh)
D=$(dirname "$0")
export LD_LIBRARY_PATH=$D/lib
OUT=${OUT:-/tmp/out}
M=$D/models; T=$D/testdata
X=$M/realesrgan-x4plus.param
[ -f $M/realesrgan-x4plus.bin ] || xz -d -k $M/realesrgan-x4plus.bin.xz
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== conformance (test_backend_ops, cuda)"
timeout 120 $D/backend_ops_device cuda > $OUT/ops.txt 2>&1; echo "rc=$?"; grep -E "FAIL|rrdb|checks|covered" $OUT/ops.txt | head -20
echo "== x4plus accuracy vs ref (160x90)"
for img in ladybird elephants; do
  timeout 60 $D/cuda_psnr check $X $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm; echo "rc=$?"
done
for off in 32 64 1; do
  VSR_CUDA_NO_RRDB=$off timeout 60 $D/cuda_psnr check $X $T/ladybird_160x90.ppm $T/ref_x4plus_ladybird.ppm | sed "s/^/no-rrdb=$off: /"
done
echo "== SRVGG regression (selftest anime x4, 100x75)"
timeout 60 $D/cuda_psnr selftest $M/realesr-animevideov3-x4.param 100 75 2>&1 | tail -6
echo "== vsr x4plus 960x540: Hopper RRDB kernels (batch 2, then 1 with per-class profile)"
timeout 120 $D/vsr_cuda_bench --quick --profile-classes --no-host --no-cudnn --default-variant --size 960x540x2 --size 960x540x1 $X > $OUT/vsr-new.txt 2>&1
echo "rc=$?"; grep -v "^Conv\|^Concat\|^Resize\|^Add\|^Eltwise" $OUT/vsr-new.txt | grep -A40 -E "RESULT|step classes" | head -50
echo "== vsr x4plus 960x540: VSR_CUDA_NO_RRDB=1 (the path before)"
VSR_CUDA_NO_RRDB=1 timeout 60 $D/vsr_cuda_bench --quick --no-host --no-cudnn --default-variant --size 960x540x1 $X 2>&1 | grep RESULT
echo "== torch"
PYTHONUNBUFFERED=1 timeout 240 python3 $D/bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 $X 2>&1 | tee $OUT/torch.txt | grep -v Warning
echo "== end $(date -u '+%H:%M:%S')"
