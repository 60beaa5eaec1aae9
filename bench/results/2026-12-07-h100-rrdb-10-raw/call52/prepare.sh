#!/bin/bash
# Call 52: vsr, vsr_cuda_bench and backend_ops_device of the tree (build-cuda)
# with Debian's FFmpeg (the libraries the run never calls stubbed, as
# bench/quality/device_bundle.sh does), realesrgan-x4plus, a 10 s and a
# 31-frame 960x540 pan:
#   bench/results/2026-12-07-h100-rrdb-10-raw/call52/prepare.sh
# then run(command="bash build-dev-c52/run.sh", carry=["build-dev-c52"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-10-raw/call52
cmake --build build-cuda -j"$(nproc)" --target vsr vsr_cuda_bench backend_ops_device
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
pan() { # FRAMES NAME
  ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
    -vf "scale=1920:-2,crop=960:540:x='t*60':y=(ih-540)/2,format=yuv420p" \
    -frames:v "$1" -c:v libx264 -crf 18 -preset fast "$STAGE/$2"
}
pan 300 sd.mp4
pan 31 short.mp4
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
  -c:v libx264 "$STAGE/tiny.mp4"
STUBS="libcodec2.so.1.0 librsvg-2.so.2 libaom.so.3 libSvtAv1Enc.so.1 librav1e.so.0 libvpx.so.7
libjxl.so.0.7 libicudata.so.72 libdav1d.so.6 libzvbi.so.0 libbluray.so.2
libchromaprint.so.1 libssh-gcrypt.so.4 librabbitmq.so.4 libzmq.so.5 libsrt-gnutls.so.1.5
libcairo.so.2 libxml2.so.2 libglib-2.0.so.0 libgobject-2.0.so.0 libX11.so.6
libx264.so.164"
args=()
for lib in $STUBS; do args+=(--stub "$lib"); done
rm -rf build-dev-c52
bench/device/bundle.sh --build build-cuda --program vsr --program vsr_cuda_bench \
  --program backend_ops_device \
  --selftest "\"\$B/vsr\" --version >/dev/null && \"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
  "${args[@]}" --xz-level 9 --model-xz realesrgan-x4plus \
  --file "$STAGE/sd.mp4:sd.mp4" --file "$STAGE/short.mp4:short.mp4" --file $C/run.sh:run.sh build-dev-c52
