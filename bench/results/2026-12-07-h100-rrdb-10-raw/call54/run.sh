#!/bin/bash
# Call 54 (2026-12-07, twenty-first session), on one H100: the session's
# final tree. Conformance; on a 31-frame clip SD24K with realesrgan-x4plus
# at --batch 2 (the default for it, now chosen by the clip's size) against
# --batch 1, hashed; a 300-frame SD24K run with --dump-frames-hash, whose
# SHA-256 is now OpenSSL's (call 51: FFmpeg's cost the worker ~95 ms a 4K
# frame, 7.0 fps), and one without.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || rrdb_stop "backend_ops"
V="$B/vsr upscale --model realesrgan-x4plus --backend cuda --task SD24K -v"
for b in 1 0; do
  timeout 120 $V -i $B/short.mp4 -o $OUT/s$b.mp4 --batch $b --dump-frames-hash $OUT/s$b.sha > $OUT/s$b.txt 2>&1 ||
    rrdb_stop "short --batch $b: $(tail -3 $OUT/s$b.txt)"
  echo "--batch $b: $(grep -E "worker" $OUT/s$b.txt | head -1 | sed 's/.*; //')"
done
cmp -s $OUT/s1.sha $OUT/s0.sha && echo "default batch: the frames of --batch 1 ($(wc -l < $OUT/s1.sha))" ||
  rrdb_stop "default batch: frames differ from --batch 1"
for h in hash plain; do
  extra=(); [ $h = hash ] && extra=(--dump-frames-hash $OUT/long.sha)
  timeout 120 $V -i $B/sd.mp4 -o $OUT/long-$h.mp4 "${extra[@]}" > $OUT/long-$h.txt 2>&1 || rrdb_stop "long $h"
  echo "300 frames, $h: $(grep -E "frames in" $OUT/long-$h.txt | sed 's/^ *//') | upscale stage $(grep "stage upscale" $OUT/long-$h.txt | sed 's/.*busy *//') | $(grep "device cuda" $OUT/long-$h.txt | sed 's/.*frames, //')"
done
timeout 60 $B/vsr check $OUT/long-plain.mp4 --input $B/sd.mp4 --task SD24K 2>&1 | tail -1
rm -f $OUT/*.mp4
echo "== end $(date -u '+%H:%M:%S')"
