#!/bin/bash
# Packs what the GPU device runs need (bench/multi_gpu_run.sh,
# bench/gpu_8bit_run.sh, bench/e2e_tasks_run.sh): vsr, device_pool_bench, context_cost,
# encoder_encode and cuda_psnr from a CUDA build, the libraries they load (FFmpeg,
# oneDNN, ...; the device has none of them), the animevideov3 models and
# validator-shaped clips. The output stays under the 64 MiB carry limit.
#
#   bench/multi_gpu_bundle.sh BUILD_DIR OUT_DIR    (OUT_DIR: an ignored path)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUT=$2
MODELS=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

TOOLS=(vsr device_pool_bench context_cost encoder_encode)
# cuda_psnr (tests/gpu) when the build has it: the 8-bit path's device check.
[ -x "$BUILD/cuda_psnr" ] && TOOLS+=(cuda_psnr)
cmake --build "$BUILD" --target "${TOOLS[@]}" -j"$(nproc)" >/dev/null
mkdir -p "$STAGE/b/lib" "$STAGE/b/models"
# Every shared library but the C runtime's and CUDA's (the device has its own).
(cd "$BUILD" && ldd "${TOOLS[@]}") | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libcudart|libcudnn[^/]*|libstdc\+\+|libgcc_s)\.so' |
    xargs -I{} cp -L {} "$STAGE/b/lib/"
(cd "$BUILD" && cp "${TOOLS[@]}" "$STAGE/b/")
cp "$MODELS"/realesr-animevideov3-x2.* "$MODELS"/realesr-animevideov3-x4.* "$STAGE/b/models/"
tar -C "$STAGE/b" -cf - . | xz -T"$(nproc)" -6 >"$OUT/bundle.tar.xz"

# Clips: 2 s pans over a Debian photo, 30 fps, H.264, the SD2HD and HD24K sizes.
PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg | head -n 1)
pan() { # W H NAME
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=$(($1 * 2)):-2,crop=$1:$2:x='t*$(($1 / 16))':y=(ih-$2)/2,format=yuv420p" \
        -frames:v 60 -c:v libx264 -crf 23 -preset fast "$OUT/$3"
}
pan 960 540 sd.mp4
pan 1920 1080 hd.mp4
du -sh "$OUT"
