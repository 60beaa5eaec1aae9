#!/bin/bash
# Packs vsr and bench/pipeline_stages with the Debian FFmpeg and oneDNN
# libraries they load, the default models and test clips, for a device
# machine that has CUDA but no FFmpeg (the H100 hosts): carry the output
# directory and run its setup.sh there.
#
#   bench/pipeline_device_bundle.sh BUILD_DIR OUT_DIR
#
# BUILD_DIR is a configured CUDA build (-DVSR_WITH_CUDA=ON); OUT_DIR must
# be an ignored path inside the tree (e.g. build-video/gpu/bundle) and
# stays under the 64 MiB carry limit (~60 MiB: the libraries, xz-packed).
# On the device:
#   bash OUT_DIR/setup.sh            # unpacks into /tmp/vsr-bundle
#   export LD_LIBRARY_PATH=/tmp/vsr-bundle/lib VSR_MODELS_DIR=/tmp/vsr-bundle/models
#   /tmp/vsr-bundle/vsr upscale -i /tmp/vsr-bundle/sd.mp4 -o $OUT/x.mp4 --task SD2HD --backend cuda
#   /tmp/vsr-bundle/ps /tmp/vsr-bundle/sd.mp4 /tmp/vsr-bundle 2 cuda 4 fast 16
set -euo pipefail
BUILD=$(cd "$1" && pwd)
OUT=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# pipeline_stages is built by CMake like every tool (the layers' libraries
# and their dependencies come with it)
cmake --build "$BUILD" --target vsr pipeline_stages -j"$(nproc)" > /dev/null
cp "$BUILD/pipeline_stages" "$STAGE/ps"

# Every shared library except the C runtime and CUDA's (the device has its own).
mkdir -p "$STAGE/b/lib" "$STAGE/b/models"
ldd "$BUILD/vsr" "$STAGE/ps" | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libcudart|libcudnn[^/]*|libstdc\+\+|libgcc_s)\.so' |
    xargs -I{} cp -L {} "$STAGE/b/lib/"
cp "$BUILD/vsr" "$STAGE/ps" "$STAGE/b/"
cp "$MODELS"/realesr-animevideov3-x2.* "$MODELS"/realesr-animevideov3-x4.* "$STAGE/b/models/"
tar -C "$STAGE/b" -cf - . | xz -T"$(nproc)" -6 > "$OUT/bundle.tar.xz"

# Clips: pans over a Debian background photo, the validator's typical sizes.
PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg | head -n 1)
pan() { # W H FRAMES NAME
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=$(($1 * 2)):-2,crop=$1:$2:x='t*$(($1 / 16))':y=(ih-$2)/2,format=yuv420p" \
        -frames:v "$3" -c:v libx264 -crf 18 -preset fast "$OUT/$4"
}
pan 960 540 150 sd.mp4
pan 1920 1080 60 hd.mp4
pan 480 270 30 qsd.mp4

cat > "$OUT/setup.sh" <<'SETUP'
#!/bin/bash
# Unpacks the bundle beside this script into /tmp/vsr-bundle.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/vsr-bundle
tar -C /tmp/vsr-bundle -xJf "$HERE/bundle.tar.xz"
cp "$HERE"/*.mp4 /tmp/vsr-bundle/
SETUP
chmod +x "$OUT/setup.sh"
du -sh "$OUT"
