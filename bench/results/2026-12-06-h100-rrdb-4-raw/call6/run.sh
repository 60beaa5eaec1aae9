#!/bin/bash
# Call 6 (2026-12-06, eleventh session): the frames that differ with the
# tiles across the rows (8) go away when the wait covers every tile of the
# conv before (call 5), and fewer with a fence in the consumers (call 4):
# is it the proxy? Consumers' stores then fence.proxy.async.global (16),
# __threadfence (32), both (48), before the tile's "done".
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
for k in 8 24 40 56; do
  for img in elephants ladybird; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/${img}_160x90.ppm 400 | tail -4; done
done
BO="--no-host --no-cudnn --default-variant"
for k in 0 16; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X 2>&1 | grep RESULT | sed "s/^/off=$k /"; done
echo "== end $(date -u '+%H:%M:%S')"
