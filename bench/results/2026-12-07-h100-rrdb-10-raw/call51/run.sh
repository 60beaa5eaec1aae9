#!/bin/bash
# Call 51 (2026-12-07, twenty-first session), on one H100: call 50 (the
# one-pass convs' rows prefetched into L2 as soon as the row producer has
# their tile: "new"; VSR_CUDA_RRDB_OFF=512 "new-off" must give main's
# bytes) against main before the twentieth session (b7d968c, "main"), then
# what the product gets: two and three contexts at once (the pipeline's
# workers) in the benchmark, and `vsr upscale` of a 10 s 960x540 clip with
# realesrgan-x4plus (SD2HD: x4, resampled to 1920x1080 on the GPU; SD24K:
# 3840x2160) with 1, 2 and 3 workers. Stops at the first failed check.
# (Prepared by prepare.sh beside this file.)
D=$(cd "$(dirname "$0")" && pwd)
. bench/device/device_lib.sh
device_run_start "$D" "${OUT:-/tmp/out}"
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,uuid,clocks.max.sm,power.limit --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
timeout 100 $B/backend_ops_device cuda > $OUT/ops.txt 2>&1; rc=$?; echo "ops rc=$rc"; tail -1 $OUT/ops.txt
[ $rc = 0 ] || rrdb_stop "backend_ops"
img=ladybird_960x540
timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new.ppm cuda > /dev/null 2>&1 || rrdb_stop "new make-ref"
VSR_CUDA_RRDB_OFF=512 timeout 20 $B/cuda_psnr make-ref $X $T/$img.ppm $OUT/new-off.ppm cuda > /dev/null 2>&1 || rrdb_stop "off make-ref"
n=$(cmp -l $OUT/new.ppm $OUT/new-off.ppm | wc -l); echo "$img: new against new-off: $n bytes differ"
[ "$n" = 0 ] || rrdb_stop "the prefetch changed the output"
rm -f $OUT/*.ppm
rrdb_overlap 100 $T/ladybird_500x270.ppm 20 VSR_CUDA_RRDB_OFF=128
S1="--size 960x540x1"
for i in 1 2 3 4; do
  rrdb_bench main vsr_cuda_bench_main --quick $S1; rrdb_bench new vsr_cuda_bench_new --quick $S1
  VSR_CUDA_RRDB_OFF=512 rrdb_bench new-off vsr_cuda_bench_new --quick $S1
done
echo "== contexts at once (main's kernels, then new's)"
for k in 2 3; do
  for bin in vsr_cuda_bench_main vsr_cuda_bench_new; do
    timeout 60 $B/$bin --quick $BO --contexts $k $S1 $X 2>&1 | grep -E "contexts:" | sed "s/^/$bin /"
  done
done
rrdb_classes new vsr_cuda_bench_new $S1; VSR_CUDA_RRDB_OFF=512 rrdb_classes new-off vsr_cuda_bench_new $S1
echo "== vsr upscale, realesrgan-x4plus, 300 frames 960x540 (main's src)"
V="$B/vsr upscale -i $B/sd.mp4 --model realesrgan-x4plus --backend cuda -v"
for task in SD2HD SD24K; do
  for w in 1 2 3; do
    timeout 120 $V --task $task --workers $w -o $OUT/$task-w$w.mp4 \
      --dump-frames-hash $OUT/$task-w$w.sha > $OUT/$task-w$w.txt 2>&1
    echo "$task workers $w rc=$?: $(grep -E "frames in" $OUT/$task-w$w.txt | tail -1)"
    grep -E "upscale|infer" $OUT/$task-w$w.txt | head -3
  done
  for w in 2 3; do
    echo "$task w$w: $(cmp -s $OUT/$task-w1.sha $OUT/$task-w$w.sha && echo same || echo DIFFERENT) frames as w1 ($(wc -l < $OUT/$task-w$w.sha) hashes)"
  done
  timeout 60 $B/vsr check $OUT/$task-w2.mp4 --input $B/sd.mp4 --task $task 2>&1 | tail -1
done
rm -f $OUT/*.mp4
echo "== end $(date -u '+%H:%M:%S')"
