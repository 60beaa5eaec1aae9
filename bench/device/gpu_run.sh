#!/bin/bash
# GPU checks and benchmarks of the CUDA backend, run ON the device machine
# (not part of CTest: CI has no GPU and must not pretend to run these).
#
# Prepare here (development machine) with bench/device/gpu_prepare.sh, which
# builds build-cuda/ and bundles into build-cuda-dev/ (bench/device/bundle.sh:
# the tools and their libraries, models, test images and their ref-backend
# outputs, this script); then in the device call, carrying that directory:
#
#   bash build-cuda-dev/gpu_run.sh check   # accuracy vs the fp32 oracle + quick bench
#   ... gpu_run.sh bench     # full benchmark + PyTorch baseline + GEMM peak
#   ... gpu_run.sh all       # both
#   ... gpu_run.sh accuracy  # the accuracy part only
#   ... gpu_run.sh contexts  # a worker context's cost before its first frame
#   ... gpu_run.sh ops       # every op of the cuda backend vs ref (test_backend_ops);
#                            # also part of check, all and accuracy
#   ... gpu_run.sh vmaf      # VMAF on CUDA vs the CPU session on the same frames,
#                            # fps at 1080p and 2160p (vmaf_cuda_bench)
#   ... gpu_run.sh resample  # output at any size (issue 18): the GPU's resample and
#                            # blend vs the host's and the CPU path's (also part of
#                            # check, all and accuracy), and its speed at 4K output
#   bash build-cuda-rrdb/gpu_run.sh rrdb
#                            # realesrgan-x4plus (gpu_prepare.sh with VSR_GPU_SET=rrdb):
#                            # conformance, accuracy vs the fp32 oracle with and
#                            # without the Hopper RRDB kernels, SRVGG selftest,
#                            # overlapped convs and TMA stores vs one conv at a time,
#                            # fps at 960x540 (batch 1, 2; per-class profile; the
#                            # path without them), PyTorch eager / torch.compile
# Run from the repository (bench/device/gpu_run.sh MODE), it takes the bundle
# in VSR_DEV_DIR (default build-cuda-dev).
#
# Logs go to $OUT (or ./gpu-out). Exit status: nonzero if an accuracy check
# failed.
set -u -o pipefail
MODE=${1:-all}
D=$(dirname "$0")
[ -f "$D/setup.sh" ] || D=${VSR_DEV_DIR:-build-cuda-dev}
OUT=${OUT:-gpu-out}
# the tools and their libraries unpacked into $B, models and test data linked there
. "$D/setup.sh" || exit 1
mkdir -p "$OUT"
M=$B/models
ANIME=$M/realesr-animevideov3-x4.param
ANIME2=$M/realesr-animevideov3-x2.param
GENERAL=$M/realesr-general-x4v3.param
T=$B/testdata
fail=0

echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC') mode=$MODE"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader
ls /usr/lib/x86_64-linux-gnu/libcudnn.so.9* 2>/dev/null | head -1

if [ "$MODE" = check ] || [ "$MODE" = all ] || [ "$MODE" = accuracy ]; then
  {
    echo "== accuracy: CUDA vs ref (fp32 oracle), 8-bit output, threshold 45 dB"
    for m in "$ANIME" "$GENERAL" "$ANIME2"; do
      tag=anime; [ "$m" = "$GENERAL" ] && tag=general; [ "$m" = "$ANIME2" ] && tag=anime2
      for img in ladybird elephants; do
        $B/cuda_psnr check "$m" "$T/${img}_480x270.ppm" "$T/ref_${tag}_${img}.ppm" 128 100 || fail=1
      done
    done
    echo "== accuracy: synthetic frames, ref computed here, fused and cuDNN paths, whole and tiled"
    $B/cuda_psnr selftest "$ANIME" 100 75 || fail=1
    $B/cuda_psnr selftest "$GENERAL" 100 75 || fail=1
    $B/cuda_psnr selftest "$ANIME2" 100 75 || fail=1
    echo "== accuracy: every body-conv kernel variant (VSR_CUDA_VARIANT)"
    for v in 0 1 2; do
      VSR_CUDA_VARIANT=$v $B/cuda_psnr check "$ANIME" "$T/ladybird_480x270.ppm" "$T/ref_anime_ladybird.ppm" 100 | sed "s/^/variant $v: /" || fail=1
    done
    echo "== accuracy: every variant vs variant 0 on batches and odd sizes"
    $B/cuda_psnr variants "$ANIME" || fail=1
    $B/cuda_psnr variants "$GENERAL" || fail=1
    $B/cuda_psnr variants "$ANIME2" || fail=1
    echo "== accuracy: output at any size and detail (cuda_resample): GPU vs host, vs the CPU path"
    $B/cuda_resample check "$GENERAL" "$T/ladybird_480x270.ppm" "$T" || fail=1
    echo "== conformance: every op of the IR on the cuda backend vs ref (test_backend_ops)"
    $B/backend_ops_device cuda || fail=1
    echo "accuracy: $([ $fail = 0 ] && echo ALL OK || echo FAILURES)"
  } 2>&1 | tee "$OUT/accuracy.txt"
  grep -q "ALL OK" "$OUT/accuracy.txt" || fail=1
  if [ "$MODE" = check ]; then
    $B/vsr_cuda_bench --quick --profile "$ANIME" "$GENERAL" 2>&1 | tee "$OUT/bench-quick.txt"
    PYTHONUNBUFFERED=1 python3 $B/bench/cuda_torch_baseline.py --quick "$ANIME" 2>&1 | tee "$OUT/torch-quick.txt"
  fi
fi

if [ "$MODE" = bench ] || [ "$MODE" = all ]; then
  echo "== benchmark: vsr cuda backend" | tee "$OUT/bench.txt"
  $B/vsr_cuda_bench --profile "$ANIME" "$GENERAL" 2>&1 | tee -a "$OUT/bench.txt"
  echo "== baseline: PyTorch (same call, same card)" | tee "$OUT/torch.txt"
  PYTHONUNBUFFERED=1 python3 $B/bench/cuda_torch_baseline.py ${VSR_TORCH_COMPILE:+--compile} "$ANIME" "$GENERAL" 2>&1 | tee -a "$OUT/torch.txt"
fi
if [ "$MODE" = rrdb ]; then
  X=$M/realesrgan-x4plus.param
  {
    echo "== conformance: every op of the IR on the cuda backend vs ref (test_backend_ops)"
    $B/backend_ops_device cuda || fail=1
    echo "== accuracy: realesrgan-x4plus 160x90 vs the fp32 oracle, whole frame; then without the RRDB kernels"
    for img in ladybird elephants; do
      $B/cuda_psnr check "$X" "$T/${img}_160x90.ppm" "$T/ref_x4plus_${img}.ppm" || fail=1
      VSR_CUDA_NO_RRDB=1 $B/cuda_psnr check "$X" "$T/${img}_160x90.ppm" "$T/ref_x4plus_${img}.ppm" | sed "s/^/no-rrdb: /" || fail=1
    done
    $B/cuda_psnr selftest "$ANIME" 100 75 || fail=1
    echo "== the overlapped convs and the TMA stores: the bytes of one conv at a time with"
    echo "   thread stores (VSR_PSNR_REF_OFF=20), with stalls before the tiles (128) and without"
    VSR_PSNR_REF_OFF=20 VSR_CUDA_RRDB_OFF=128 $B/cuda_psnr overlap "$X" "$T/ladybird_500x270.ppm" 150 |
      tail -1 || fail=1
    VSR_PSNR_REF_OFF=20 $B/cuda_psnr overlap "$X" "$T/ladybird_960x540.ppm" 20 | tail -1 || fail=1
    echo "rrdb accuracy: $([ $fail = 0 ] && echo ALL OK || echo FAILURES)"
  } 2>&1 | tee "$OUT/rrdb-accuracy.txt"
  grep -q "ALL OK" "$OUT/rrdb-accuracy.txt" || fail=1
  $B/vsr_cuda_bench --quick --profile-classes --no-host --no-cudnn --default-variant \
    --size 960x540x2 --size 960x540x1 "$X" >"$OUT/rrdb-bench.txt" 2>&1 || fail=1
  VSR_CUDA_NO_RRDB=1 $B/vsr_cuda_bench --quick --no-host --no-cudnn --default-variant \
    --size 960x540x1 "$X" >>"$OUT/rrdb-bench.txt" 2>&1 || fail=1
  grep -o "RESULT.*" "$OUT/rrdb-bench.txt"
  PYTHONUNBUFFERED=1 python3 $B/bench/cuda_torch_baseline.py --compile --quick --size 960x540x1 "$X" 2>&1 |
    tee "$OUT/rrdb-torch.txt" | grep RESULT
fi
if [ "$MODE" = ops ]; then
  $B/backend_ops_device cuda 2>&1 | tee "$OUT/backend-ops.txt"
  [ "${PIPESTATUS[0]}" = 0 ] || fail=1
fi
if [ "$MODE" = resample ]; then
  {
    $B/cuda_resample check "$GENERAL" "$T/ladybird_480x270.ppm" "$T" || fail=1
    $B/cuda_resample bench "$M" || fail=1
  } 2>&1 | tee "$OUT/resample.txt"
  grep -q "resample check: ALL OK" "$OUT/resample.txt" && ! grep -q "^bench " "$OUT/resample.txt" || fail=1
fi
if [ "$MODE" = vmaf ]; then
  $B/vmaf_cuda_bench --threads "$(nproc)" 2>&1 | tee "$OUT/vmaf.txt" || fail=1
fi

if [ "$MODE" = contexts ]; then
  # 4 workers at once (the pipeline's default on one GPU), 3 clips in a row
  {
    VSR_MODELS_DIR=$M $B/context_cost cuda realesr-animevideov3 2 960x540 4 3
    VSR_MODELS_DIR=$M $B/context_cost cuda realesr-animevideov3 2 1920x1080 4 3
    VSR_MODELS_DIR=$M $B/context_cost cuda realesr-animevideov3 4 960x540 4 3
  } 2>&1 | tee "$OUT/contexts.txt"
fi
exit $fail
