#!/bin/bash
# Call 16 (2026-12-07, fifteenth session): branch rrdb-band (rrdb-wave +
# bands). Does cutting HBM bytes pay?
# (a) SERPENT (OFF bit 2048): launches of even epoch claim the tile
#     columns right to left, so a conv starts where the one before ended,
#     on what that one left in L2.
# (b) BAND=K (VSR_CUDA_RRDB_BAND, GROUP G): an RRDB's 15 convs run band by
#     band (K tile rows, skewed a row a step): the working set a band of
#     rows in L2 instead of the frame; ~7x the launches.
# (c) Nsight Compute, kernels serialized, caches not flushed: HBM bytes
#     and L2 hit rate of one RRDB's convs at 960x540, main / serpent / band.
# Then bytes against one conv at a time (stalled too) and call 15's checks.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1; shift; env "$@" timeout 40 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
bn main
bn band17 VSR_CUDA_RRDB_BAND=17
bn serpent VSR_CUDA_RRDB_OFF=2048
bn main
bn band12 VSR_CUDA_RRDB_BAND=12
ov 10 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_BAND=17
ov 10 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_OFF=128
bn band24 VSR_CUDA_RRDB_BAND=24
echo "== end $(date -u '+%H:%M:%S')"
