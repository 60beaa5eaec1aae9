#!/bin/bash
# Call 51: call 50's prefetch A/B (row_prefetch.patch beside this file on
# main, built in the worktree /tmp/vsr-c50; main before the twentieth
# session, b7d968c, in /tmp/vsr-c38) plus vsr of main (build-cuda) with
# Debian's FFmpeg (the libraries the run never calls stubbed, as
# bench/quality/device_bundle.sh does) and a 10 s 960x540 pan:
#   bench/results/2026-12-07-h100-rrdb-10-raw/call51/prepare.sh
# then run(command="bash build-dev-c51/run.sh", carry=["build-dev-c51"]).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$ROOT"
C=bench/results/2026-12-07-h100-rrdb-10-raw/call51
W=/tmp/vsr-c38 P=/tmp/vsr-c50
git -C $W checkout -q b7d968c -- src
cmake --build $W/build -j"$(nproc)" --target vsr_cuda_bench
git worktree prune
[ -d $P ] || git worktree add --detach $P HEAD
git -C $P checkout -q --detach HEAD && git -C $P checkout -q HEAD -- src
git -C $P apply "$ROOT/$C/row_prefetch.patch"
cmake -S $P -B $P/build -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=ON -DVSR_WITH_ONEDNN=OFF \
  -DVSR_BUILD_TESTS=OFF >/dev/null
cmake --build $P/build -j"$(nproc)" --target vsr_cuda_bench cuda_psnr backend_ops_device
cmake --build build-cuda -j"$(nproc)" --target vsr
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PHOTO=/usr/share/backgrounds/mate/nature/RainDrops.jpg
ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
  -vf "scale=1920:-2,crop=960:540:x='t*60':y=(ih-540)/2,format=yuv420p" \
  -frames:v 300 -c:v libx264 -crf 18 -preset fast "$STAGE/sd.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30 -frames:v 3 -pix_fmt yuv420p \
  -c:v libx264 "$STAGE/tiny.mp4"
mkdir "$STAGE/testdata"
cp build-cuda/gpu-testdata-rrdb/ladybird_960x540.ppm build-cuda/gpu-testdata-rrdb/ladybird_500x270.ppm "$STAGE/testdata/"
STUBS="libcodec2.so.1.0 librsvg-2.so.2 libaom.so.3 libSvtAv1Enc.so.1 librav1e.so.0 libvpx.so.7
libjxl.so.0.7 libicudata.so.72 libdav1d.so.6 libzvbi.so.0 libbluray.so.2
libchromaprint.so.1 libssh-gcrypt.so.4 librabbitmq.so.4 libzmq.so.5 libsrt-gnutls.so.1.5
libcairo.so.2 libxml2.so.2 libglib-2.0.so.0 libgobject-2.0.so.0 libX11.so.6
libx264.so.164"
args=()
for lib in $STUBS; do args+=(--stub "$lib"); done
rm -rf build-dev-c51
bench/device/bundle.sh --build $P/build --program cuda_psnr --program backend_ops_device \
  --program vsr_cuda_bench:vsr_cuda_bench_new \
  --program $W/build/vsr_cuda_bench:vsr_cuda_bench_main --program "$ROOT/build-cuda/vsr:vsr" \
  --selftest "\"\$B/vsr\" --version >/dev/null && \"\$B/vsr\" upscale -i '$STAGE/tiny.mp4' -o '$STAGE/t.mp4' --scale 2 --backend ref >/dev/null 2>&1" \
  "${args[@]}" --xz-level 9 --model-xz realesrgan-x4plus \
  --file "$STAGE/testdata:testdata" --file "$STAGE/sd.mp4:sd.mp4" --file $C/run.sh:run.sh build-dev-c51
