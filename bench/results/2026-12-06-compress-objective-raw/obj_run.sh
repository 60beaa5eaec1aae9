#!/bin/bash
# compress --objective bytes vs score on the device's CPU cores (hd10.mp4).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/b && tar -C /tmp/b -xJf "$HERE/bundle.tar.xz"
export LD_LIBRARY_PATH=/tmp/b/lib
OUT=${OUT:-/tmp/out}
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1
  /tmp/b/vsr --version | head -1
} > "$OUT/times.txt" 2>&1
run() { # NAME ARGS...
  local name=$1; shift
  local t0=$(date +%s%N)
  /tmp/b/vsr compress -i "$HERE/hd10.mp4" -o "$OUT/$name.mp4" "$@" --json -v > "$OUT/$name.json" 2> "$OUT/$name.log"
  local rc=$?
  echo "$name rc=$rc wall=$(( ($(date +%s%N) - t0) / 1000000 )) ms: $*" >> "$OUT/times.txt"
  rm -f "$OUT/$name.mp4"
}
for T in 85 93; do
  for o in bytes score; do run hevc${T}_$o --vmaf $T --codec hevc --deadline 40 --objective $o; done
done
for o in bytes score; do run av189_$o --vmaf 89 --codec av1 --deadline 40 --objective $o; done
cat "$OUT/times.txt"
for f in "$OUT"/*.json; do
  python3 - "$f" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("%-16s crf %s bytes %d ratio %.4f vmaf %.3f neg_delta %.3f score %.5f encodes %d trials %d %.1f s" % (
    sys.argv[1].rsplit('/', 1)[1][:-5], j.get('crf'), j['bytes'], j['size_ratio'], j['vmaf'], j['neg_delta'],
    j['vidaio_score'], len(j['encodes']), len(j['trials']), j['seconds']))
PY
done
