#!/bin/bash
# Call 7 (2026-12-06, eleventh session): fences do not remove the frames
# that differ with the tiles across the rows (call 6). Is it the overlap
# at all? A stall of 0..32k cycles before each tile (128), with the
# overlap off (+4: any difference is then a race inside a CTA), and on.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
for k in 132 140; do
  for img in elephants ladybird; do VSR_CUDA_RRDB_OFF=$k timeout 30 $B/cuda_psnr overlap $X $T/${img}_160x90.ppm 250 | tail -3; done
done
for k in 128 136; do VSR_CUDA_RRDB_OFF=$k timeout 30 $B/cuda_psnr overlap $X $T/elephants_160x90.ppm 250 | tail -3; done
echo "== end $(date -u '+%H:%M:%S')"
