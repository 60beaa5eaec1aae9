#!/bin/bash
# Call 56 (2026-12-07, twenty-second session), on one H100: the session's
# final tree. Conformance; --model auto (the server's default) through
# the cuda backend at HD24K (1080p in: NVDEC decodes, the x2 guard) and
# SD24K (the x4 guard), each checked by `vsr check`; the 720p storm clip
# at x4, where the guard's softer level (detail 0 over Mitchell) must
# run and the GPU's resample of that floor must score as the CPU's did
# (80.92 / 1.95 against the original); a 600-frame run interrupted
# (SIGINT at 3 s) must end as cancelled, not as a corrupt input.
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
stop() { echo "FAILED: $*; stopping"; exit 1; }
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || stop "backend_ops"
V="$B/vsr upscale --backend cuda --model auto -v --progress json"
for t in HD24K:hd SD24K:sd; do
  task=${t%:*} clip=${t#*:}
  timeout 200 $V --task $task -i $B/$clip.mp4 -o $OUT/$clip-out.mp4 > $OUT/$clip.json 2> $OUT/$clip.txt ||
    stop "$task: $(tail -3 $OUT/$clip.txt)"
  echo "$task: $(grep -E "decode:|self-similar guard|detail auto:" $OUT/$clip.txt | sed 's/^ *//' | cut -c1-160 | tr '\n' '|')"
  echo "$task: $(grep -E " frames in " $OUT/$clip.txt | sed 's/^ *//')"
  timeout 120 $B/vsr check $OUT/$clip-out.mp4 --input $B/$clip.mp4 --task $task 2>&1 | tail -1
done
timeout 200 $V --scale 4 -i $B/storm_x4.mp4 -o $OUT/storm-out.mp4 > $OUT/storm.json 2> $OUT/storm.txt ||
  stop "storm: $(tail -3 $OUT/storm.txt)"
echo "storm x4: $(grep -E "self-similar guard" $OUT/storm.txt | sed 's/^ *//' | cut -c1-200)"
grep -q '"action":"softer_floor"' $OUT/storm.json || stop "storm: the guard did not take the softer floor"
timeout 120 $B/vsr quality $OUT/storm-out.mp4 --reference $B/storm_ref.mp4 --json > $OUT/storm-q.json 2>&1 ||
  stop "storm quality"
echo "storm x4 against the original: $(grep -o '"neg_delta":[0-9.]*' $OUT/storm-q.json | tail -1), VMAF $(grep -o '"vmaf":{"mean":[0-9.]*' $OUT/storm-q.json | head -1)"
timeout -s INT 3 $B/vsr upscale --backend cuda --model realesr-general-x4v3 --task SD24K -i $B/long.mp4 \
  -o $OUT/long.mp4 > $OUT/long.txt 2>&1; rc=$?
echo "interrupted at 3 s: rc=$rc; $(grep -iE "interrupt|cancel|corrupt|error" $OUT/long.txt | head -2 | tr '\n' '|')"
grep -qi "corrupt" $OUT/long.txt && stop "interrupted run reported a corrupt input"
[ ! -e $OUT/long.mp4 ] || stop "interrupted run left an output"
rm -f $OUT/*.mp4
echo "== end $(date -u '+%H:%M:%S')"
