#!/bin/bash
# Builds the CUDA tools (build-cuda/) and bundles what a GPU check run needs
# (bench/device/gpu_run.sh) through bench/device/bundle.sh: the tools, the
# models, test images and their outputs from the ref backend (the fp32
# oracle, computed here: it is slow, and the device's time is not; kept in
# build-cuda/gpu-testdata* for the next time), gpu_run.sh itself and the
# PyTorch baseline (the device's checkout may be older than this one).
#
#   bench/device/gpu_prepare.sh [MODELS_DIR]     # -> build-cuda-dev/
#   device call: carry build-cuda-dev, run `bash build-cuda-dev/gpu_run.sh check`
#
# VSR_DEV_DIR: the bundle's directory (default build-cuda-dev, or
# build-cuda-rrdb for the rrdb set); it must be git-ignored in the checkout
# the device call sends (e.g. /work/main/build-dev-NAME).
# VSR_GPU_SET=rrdb: instead, the set of gpu_run.sh's mode rrdb:
# realesrgan-x4plus (its .bin xz-packed: with the standard set it would pass
# the 64 MiB a device call carries), realesr-animevideov3-x4, 160x90 images
# and their x4plus oracle outputs (the ref backend takes minutes for each).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export VSR_MODELS_DIR=${1:-${VSR_MODELS_DIR:-$HOME/.cache/vsr/models}}
MODELS=$VSR_MODELS_DIR
B=build-cuda
SET=${VSR_GPU_SET:-standard}
if [ "$SET" = rrdb ]; then D=${VSR_DEV_DIR:-build-cuda-rrdb}; else D=${VSR_DEV_DIR:-build-cuda-dev}; fi
TOOLS=(vsr_cuda_bench cuda_psnr backend_ops_device cuda_resample context_cost vmaf_cuda_bench)
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $B -j"$(nproc)" --target "${TOOLS[@]}" resample_ref
T=$B/gpu-testdata
mkdir -p $T
# natural test images (Debian's mate-backgrounds photos), 480x270
[ -f $T/elephants_480x270.ppm ] || ffmpeg -loglevel error -y \
  -i /usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg -vf crop=480:270:1700:1000 \
  -frames:v 1 -vcodec ppm $T/elephants_480x270.ppm
[ -f $T/ladybird_480x270.ppm ] || ffmpeg -loglevel error -y \
  -i /usr/share/backgrounds/mate/nature/LadyBird.jpg -vf scale=480:270 \
  -frames:v 1 -vcodec ppm $T/ladybird_480x270.ppm
args=(--build $B --file bench/device/gpu_run.sh --file bench/cuda_torch_baseline.py:bench/cuda_torch_baseline.py
  --file scripts/ncnn_model.py:scripts/ncnn_model.py)
if [ "$SET" = rrdb ]; then
  R=$B/gpu-testdata-rrdb
  mkdir -p $R
  # the 480x270 images, area-scaled to 160x90 (as measured on 2026-12-06)
  for img in ladybird elephants; do
    [ -f $R/${img}_160x90.ppm ] || ffmpeg -loglevel error -y -i $T/${img}_480x270.ppm \
      -vf scale=160:90:flags=area -frames:v 1 -vcodec ppm $R/${img}_160x90.ppm
    [ -f $R/ref_x4plus_${img}.ppm ] || $B/cuda_psnr make-ref "$MODELS/realesrgan-x4plus.param" \
      $R/${img}_160x90.ppm $R/ref_x4plus_${img}.ppm
  done
  # frames whose convs fill an H100 (132 tiles or more: they overlap), one
  # with a partial tile across (500 = 5 x 96 + 20), for gpu_run.sh's check
  # against one conv at a time
  [ -f $R/ladybird_960x540.ppm ] || ffmpeg -loglevel error -y \
    -i /usr/share/backgrounds/mate/nature/LadyBird.jpg -vf scale=960:540 \
    -frames:v 1 -vcodec ppm $R/ladybird_960x540.ppm
  [ -f $R/ladybird_500x270.ppm ] || ffmpeg -loglevel error -y -i $R/ladybird_960x540.ppm \
    -vf crop=500:270:0:0 -frames:v 1 -vcodec ppm $R/ladybird_500x270.ppm
  for t in vsr_cuda_bench cuda_psnr backend_ops_device; do args+=(--program $t); done
  bench/device/bundle.sh "${args[@]}" --model realesr-animevideov3-x4 --model-xz realesrgan-x4plus \
    --file $R:testdata "$D"
  exit 0
fi
for tag in anime general anime2; do
  m=$MODELS/realesr-animevideov3-x4.param
  [ $tag = general ] && m=$MODELS/realesr-general-x4v3.param
  [ $tag = anime2 ] && m=$MODELS/realesr-animevideov3-x2.param
  for img in ladybird elephants; do
    [ -f $T/ref_${tag}_${img}.ppm ] || $B/cuda_psnr make-ref $m $T/${img}_480x270.ppm $T/ref_${tag}_${img}.ppm
  done
done
# the pipeline's CPU path (swscale) from the fp32 oracle's x4 output, for
# cuda_resample check (output at any size, issue 18)
$B/resample_ref $T/ref_general_ladybird.ppm $T/ladybird_480x270.ppm $T >/dev/null
for t in "${TOOLS[@]}"; do args+=(--program $t); done
bench/device/bundle.sh "${args[@]}" --model realesr-animevideov3-x4 --model realesr-animevideov3-x2 \
  --model realesr-general-x4v3 --file $T:testdata "$D"
