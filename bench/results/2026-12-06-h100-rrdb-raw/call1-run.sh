#!/bin/bash
# call 1: baseline of realesrgan-x4plus on the cuda backend as it is, PyTorch eager and
# torch.compile on the same card, the fp16 GEMM peak, and the wgmma shape probe
D=$(dirname "$0")
export LD_LIBRARY_PATH=$D/lib
OUT=${OUT:-/tmp/out}
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
echo "== wgmma probe"
timeout 60 $D/vsr_cuda_bench --probe 2>&1 | tee $OUT/probe.txt
echo "== vsr cuda, realesrgan-x4plus 960x540"
timeout 150 $D/vsr_cuda_bench --quick --profile-classes --no-host --no-cudnn --default-variant --size 960x540x1 $D/models/realesrgan-x4plus.param > $OUT/vsr.txt 2>&1
echo "rc=$?"; grep -v "^  *[0-9]*: " $OUT/vsr.txt | grep -A60 -E "RESULT|step classes" | head -80
echo "== torch"
PYTHONUNBUFFERED=1 timeout 300 python3 $D/bench/cuda_torch_baseline.py --compile --quick --conv-shapes --size 960x540x1 $D/models/realesrgan-x4plus.param 2>&1 | tee $OUT/torch.txt | grep -v Warning
echo "== end $(date -u '+%H:%M:%S')"
