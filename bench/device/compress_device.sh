#!/bin/bash
# vsr compress on a device machine's CPU cores (issue 16: "a 10 s 1080p clip
# done within 60 s on the device's 16 cores"), which has no FFmpeg.
#
#   bench/device/compress_device.sh pack BUILD_DIR OUT_DIR   # here
#   bash OUT_DIR/run.sh                               # there; writes to $OUT
#
# pack: BUILD_DIR is a Release build of vsr (CUDA and oneDNN may be off:
# -DVSR_WITH_CUDA=OFF -DVSR_WITH_ONEDNN=OFF keeps the bundle at ~52 MB);
# OUT_DIR an ignored path to carry (e.g. /work/main/build-dev-NAME). It
# gets bench/device/bundle.sh's bundle of vsr and its shared libraries,
# hd10.mp4 (10 s 1080p, two scenes, pans/zoom with shake and grain, x264
# medium CRF 20) and run.sh. run.sh unpacks into /tmp/b and runs vsr
# compress --vmaf 89 --deadline 60 for HEVC and AV1, writing the outputs,
# their JSON and -v logs and times.txt to $OUT.
# Results: bench/results/2026-12-06-compress-modes.md.
set -euo pipefail
[ "${1:-}" = pack ] || { echo "usage: $0 pack BUILD_DIR OUT_DIR" >&2; exit 2; }
BUILD=$2
OUT=$3
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

P=/usr/share/backgrounds/mate/nature
ff() { ffmpeg -nostdin -v error -y "$@"; }
ff -i "$P/Garden.jpg" -vf "zoompan=z=1.3:x='60+4*on+10*sin(on*1.7)+6*sin(on*4.1)':y='120+1*on+8*sin(on*2.3+1)':d=150:s=1920x1080:fps=30,format=yuv420p,noise=c0s=4:c0f=t" \
    -frames:v 150 -c:v libx264 -preset ultrafast -crf 10 "$STAGE/a.mp4"
ff -i "$P/LadyBird.jpg" -vf "zoompan=z='1.25+0.003*on':x='(iw-iw/zoom)/2+40+on+7*sin(on*2.9)':y='(ih-ih/zoom)/2+20+0.5*on+5*sin(on*1.3)':d=150:s=1920x1080:fps=30,format=yuv420p,noise=c0s=4:c0f=t" \
    -frames:v 150 -c:v libx264 -preset ultrafast -crf 10 "$STAGE/b.mp4"
printf "file '%s'\nfile '%s'\n" "$STAGE/a.mp4" "$STAGE/b.mp4" > "$STAGE/l.txt"
ff -f concat -safe 0 -i "$STAGE/l.txt" -c:v libx264 -preset medium -crf 20 -g 30 -pix_fmt yuv420p \
    -movflags +faststart -an "$STAGE/hd10.mp4"

cat > "$STAGE/run.sh" <<'RUN'
#!/bin/bash
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/setup.sh" || exit 1
OUT=${OUT:-/tmp/out}
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1
  $B/vsr --version | head -1
} > "$OUT/times.txt" 2>&1
run() { # NAME ARGS...
  local name=$1; shift
  local t0=$(date +%s%N)
  $B/vsr compress -i "$HERE/hd10.mp4" -o "$OUT/$name.mp4" "$@" --json -v > "$OUT/$name.json" 2> "$OUT/$name.log"
  local rc=$?
  echo "$name rc=$rc wall=$(( ($(date +%s%N) - t0) / 1000000 )) ms: $*" >> "$OUT/times.txt"
}
run hevc89 --vmaf 89 --codec hevc --deadline 60
run av189 --vmaf 89 --codec av1 --deadline 60
cat "$OUT/times.txt"
RUN
chmod +x "$STAGE/run.sh"
"$(dirname "$0")/bundle.sh" --build "$BUILD" --program vsr --unpack-to /tmp/b \
    --file "$STAGE/hd10.mp4" --file "$STAGE/run.sh" "$OUT"
