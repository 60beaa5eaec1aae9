#!/bin/bash
# Call 53 (2026-12-07, twenty-first session), on one H100: whether batches
# of 2 should be the GPU's default (--batch 0) for the compact models too
# (realesr-animevideov3-x2, realesr-general-x4v3): the engine benchmark at
# batch 1 and 2, then `vsr upscale` at the model's own scale (detail 1:
# the only output that batches) with --batch 1 and 2, interleaved, and
# the frames of both compared (hashed, a separate short run).
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host"
for m in realesr-animevideov3-x2 realesr-general-x4v3; do
  X=$B/models/$m.param
  for s in 960x540x1 960x540x2 1920x1080x1 1920x1080x2; do rrdb_bench $m vsr_cuda_bench --quick --size $s; done
done
V="$B/vsr upscale --backend cuda -v"
timed() { # NAME IN ARGS...
  local name=$1 in=$2; shift 2
  timeout 120 $V -i $B/$in -o $OUT/$name.mp4 "$@" > $OUT/$name.txt 2>&1 || rrdb_stop "$name: $(tail -3 $OUT/$name.txt)"
  echo "$name: $(grep -E "frames in" $OUT/$name.txt | sed 's/^ *//') | $(grep -E "device cuda" $OUT/$name.txt | sed 's/.*frames, //')"
  rm -f $OUT/$name.mp4
}
for round in 1 2; do
  for b in 1 2; do
    timed SD2HD-anime-b$b-$round sd.mp4 --task SD2HD --model realesr-animevideov3-x2 --batch $b
    timed HD24K-anime-b$b-$round hd.mp4 --task HD24K --model realesr-animevideov3-x2 --batch $b
    timed SD24K-general-b$b-$round sd.mp4 --task SD24K --model realesr-general-x4v3 --batch $b --detail 1
  done
done
for b in 1 2; do
  timeout 120 $V -i $B/hd.mp4 -o $OUT/h$b.mp4 --task HD24K --model realesr-animevideov3-x2 --batch $b \
    --workers 2 --dump-frames-hash $OUT/h$b.sha > $OUT/h$b.txt 2>&1 || rrdb_stop "hashed b$b"
done
cmp -s $OUT/h1.sha $OUT/h2.sha && echo "HD24K anime: --batch 2 the frames of --batch 1 ($(wc -l < $OUT/h1.sha))" ||
  rrdb_stop "HD24K anime: frames of --batch 2 differ"
grep -h "batches of\|memory:" $OUT/h2.txt
rm -f $OUT/*.mp4
echo "== end $(date -u '+%H:%M:%S')"
