#!/bin/bash
# Call 52 (2026-12-07, twenty-first session), on one H100: the product's
# x4plus speed at 960x540 with batches (--batch 2: a worker's two frames
# in one engine run). Checks first: conformance, then on a 31-frame clip
# (a short batch at its end) the frames of --batch 2 (one and two
# workers, host-decoded and NVDEC frames) against --batch 1, hashed.
# Then 300-frame SD24K runs without hashing (a frame's SHA-256 cost the
# worker 95 ms a 4K frame in call 51), the engine benchmark at the
# pre-padded size, and SD2HD (resampled: one at a time). Stops at the
# first failed check. (Prepared by prepare.sh beside this file.)
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || rrdb_stop "backend_ops"
V="$B/vsr upscale --model realesrgan-x4plus --backend cuda -v"
hashed() { # NAME ARGS...
  local name=$1; shift
  timeout 120 $V -i $B/short.mp4 -o $OUT/$name.mp4 --dump-frames-hash $OUT/$name.sha "$@" > $OUT/$name.txt 2>&1 ||
    rrdb_stop "$name: $(tail -3 $OUT/$name.txt)"
  echo "$name: $(grep -E "batches|worker" $OUT/$name.txt | head -1 | sed 's/.*; //')"
}
hashed b1 --task SD24K --batch 1
hashed b2 --task SD24K --batch 2
hashed b2w2 --task SD24K --batch 2 --workers 2
hashed b2nvdec --task SD24K --batch 2 --workers 2 --decode nvdec
for r in b2 b2w2 b2nvdec; do
  n=$(wc -l < $OUT/$r.sha)
  cmp -s $OUT/b1.sha $OUT/$r.sha && echo "$r: the frames of --batch 1 ($n hashes)" || rrdb_stop "$r: frames differ from --batch 1"
done
grep -h "decode:" $OUT/b2nvdec.txt
rm -f $OUT/*.mp4
timed() { # NAME ARGS...
  local name=$1; shift
  timeout 120 $V -i $B/sd.mp4 -o $OUT/$name.mp4 "$@" > $OUT/$name.txt 2>&1 || rrdb_stop "$name: $(tail -3 $OUT/$name.txt)"
  echo "$name: $(grep -E "frames in" $OUT/$name.txt) | $(grep -E "device cuda" $OUT/$name.txt | sed 's/.*: 300/300/')"
  rm -f $OUT/$name.mp4
}
echo "== 300 frames, SD24K (x4plus native: 3840x2160)"
for round in 1 2; do
  timed SD24K-b1-w1-$round --task SD24K --batch 1
  timed SD24K-b2-w1-$round --task SD24K --batch 2
done
timed SD24K-b1-w2 --task SD24K --batch 1 --workers 2
timed SD24K-b2-w2 --task SD24K --batch 2 --workers 2
timed SD24K-b2-w1-pad0 --task SD24K --batch 2 --pre-pad 0
timed SD24K-b1-w1-pad0 --task SD24K --batch 1 --pre-pad 0
timed SD2HD-w1 --task SD2HD
timed SD2HD-w2 --task SD2HD --workers 2
echo "== the engine alone at 960x540 and the pre-padded 980x560"
BO="--no-host --no-cudnn --default-variant"
for s in 960x540x1 960x540x2 980x560x1 980x560x2; do rrdb_bench engine vsr_cuda_bench --quick --size $s; done
echo "== end $(date -u '+%H:%M:%S')"
