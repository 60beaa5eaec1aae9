#!/bin/bash
# Builds the CUDA tools (build-cuda/) and fills build-cuda-dev/ with what a
# device run needs (tests/gpu/run_device.sh): the binaries, the models, test
# images and their outputs from the ref backend (the fp32 oracle, computed
# here: it is slow, and the device's time is not). Both directories must be
# git-ignored; name build-cuda-dev in the device call's carry.
#
#   tests/gpu/prepare.sh [MODELS_DIR]
#
# VSR_GPU_SET=rrdb: instead, the set of run_device.sh's mode rrdb, in
# ${VSR_DEV_DIR:-build-cuda-rrdb}: realesrgan-x4plus (its .bin xz-packed:
# with the standard set it would pass the 64 MiB a device call carries),
# realesr-animevideov3-x4, 160x90 images and their x4plus oracle outputs
# (the ref backend takes minutes for each here), the bench scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MODELS=${1:-${VSR_MODELS_DIR:-$HOME/.cache/vsr/models}}
B=build-cuda
SET=${VSR_GPU_SET:-standard}
if [ "$SET" = rrdb ]; then D=${VSR_DEV_DIR:-build-cuda-rrdb}; else D=${VSR_DEV_DIR:-build-cuda-dev}; fi
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $B -j"$(nproc)" --target vsr_cuda_bench cuda_psnr context_cost backend_ops_device \
  vmaf_cuda_bench cuda_resample resample_ref
mkdir -p $D/models $D/testdata
cp $B/vsr_cuda_bench $B/cuda_psnr $B/context_cost $B/backend_ops_device $B/vmaf_cuda_bench \
  $B/cuda_resample $D/
# the shared libraries the device lacks (protobuf-c, ...): all but the C
# runtime's and CUDA's; run_device.sh puts $D/lib on the library path
mkdir -p $D/lib
ldd $B/vsr_cuda_bench $B/cuda_psnr $B/context_cost $B/backend_ops_device $B/vmaf_cuda_bench \
  $B/cuda_resample | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libcudart|libcudnn[^/]*|libstdc\+\+|libgcc_s)\.so' |
  xargs -r -I{} cp -L {} $D/lib/
T=$D/testdata
if [ "$SET" = rrdb ]; then
  cp "$MODELS"/realesr-animevideov3-x4.* "$MODELS/realesrgan-x4plus.param" $D/models/
  [ -f $D/models/realesrgan-x4plus.bin.xz ] || xz -T0 -6 -c "$MODELS/realesrgan-x4plus.bin" >$D/models/realesrgan-x4plus.bin.xz
  mkdir -p $D/bench $D/scripts
  cp bench/cuda_torch_baseline.py $D/bench/ # the device's checkout may be older
  cp scripts/ncnn_model.py $D/scripts/
  # the 480x270 images below, area-scaled to 160x90 (as measured on 2026-12-06)
  [ -f $T/elephants_480x270.ppm ] || ffmpeg -loglevel error -y \
    -i /usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg -vf crop=480:270:1700:1000 \
    -frames:v 1 -vcodec ppm $T/elephants_480x270.ppm
  [ -f $T/ladybird_480x270.ppm ] || ffmpeg -loglevel error -y \
    -i /usr/share/backgrounds/mate/nature/LadyBird.jpg -vf scale=480:270 \
    -frames:v 1 -vcodec ppm $T/ladybird_480x270.ppm
  for img in ladybird elephants; do
    [ -f $T/${img}_160x90.ppm ] || ffmpeg -loglevel error -y -i $T/${img}_480x270.ppm \
      -vf scale=160:90:flags=area -frames:v 1 -vcodec ppm $T/${img}_160x90.ppm
    [ -f $T/ref_x4plus_${img}.ppm ] || $B/cuda_psnr make-ref "$MODELS/realesrgan-x4plus.param" \
      $T/${img}_160x90.ppm $T/ref_x4plus_${img}.ppm
  done
  rm -f $T/*_480x270.ppm
  rm -f $D/context_cost $D/vmaf_cuda_bench
  du -sh $D
  exit 0
fi
for m in realesr-animevideov3-x4 realesr-animevideov3-x2 realesr-general-x4v3; do
  for ext in param bin; do
    cp "$MODELS/$m.$ext" $D/models/ # scripts/fetch-models.sh puts them there
  done
done
# natural test images (Debian's mate-backgrounds photos), 480x270
[ -f $T/elephants_480x270.ppm ] || ffmpeg -loglevel error -y \
  -i /usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg -vf crop=480:270:1700:1000 \
  -frames:v 1 -vcodec ppm $T/elephants_480x270.ppm
[ -f $T/ladybird_480x270.ppm ] || ffmpeg -loglevel error -y \
  -i /usr/share/backgrounds/mate/nature/LadyBird.jpg -vf scale=480:270 \
  -frames:v 1 -vcodec ppm $T/ladybird_480x270.ppm
for tag in anime general anime2; do
  m=$D/models/realesr-animevideov3-x4.param
  [ $tag = general ] && m=$D/models/realesr-general-x4v3.param
  [ $tag = anime2 ] && m=$D/models/realesr-animevideov3-x2.param
  for img in ladybird elephants; do
    [ -f $T/ref_${tag}_${img}.ppm ] || $B/cuda_psnr make-ref $m $T/${img}_480x270.ppm $T/ref_${tag}_${img}.ppm
  done
done
# the pipeline's CPU path (swscale) from the fp32 oracle's x4 output, for
# cuda_resample check (output at any size, issue 18)
$B/resample_ref $T/ref_general_ladybird.ppm $T/ladybird_480x270.ppm $T >/dev/null
du -sh $D
