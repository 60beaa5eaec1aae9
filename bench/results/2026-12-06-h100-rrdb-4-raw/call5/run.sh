#!/bin/bash
# Call 5 (2026-12-06, eleventh session): where the frames that differ with
# the tiles across the rows (VSR_CUDA_RRDB_OFF=8) differ, and whether a
# wider wait (32: the 5 x 5 tiles around; 64: every tile of the conv
# before) removes it.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
for k in 8 40 72 0; do
  for img in elephants ladybird; do VSR_CUDA_RRDB_OFF=$k timeout 40 $B/cuda_psnr overlap $X $T/${img}_160x90.ppm 300 | tail -12; done
done
echo "== end $(date -u '+%H:%M:%S')"
