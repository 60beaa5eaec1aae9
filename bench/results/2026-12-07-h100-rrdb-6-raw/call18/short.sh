#!/bin/bash
# Call 18, short (the first ~3 minutes' worth; 2026-12-07, sixteenth session; replaces call 17, whose branches
# were lost with the fifteenth session's checkout): branch rrdb-band-land,
# rebuilt = main + RRDB convs in bands (on by default, K from the L2 size;
# VSR_CUDA_RRDB_BAND=0 is main's schedule in the same binary).
# Decides: (1) do bands pay (frame time against BAND=0, same binary, same
# call); (2) are they right (bytes against one conv at a time over the
# whole frame, stalled and not; the oracle; the ops' conformance;
# memcheck); (3) ncu: the HBM bytes of one RRDB, BAND=0 vs bands; (4)
# PyTorch eager / torch.compile in the same call.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1 size=$2; shift 2; env "$@" timeout 40 $B/vsr_cuda_bench --quick $BO --size $size $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
S=960x540x1
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
ov 10 $T/ladybird_960x540.ppm
ov 10 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 20 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
ov 50 $E/ladybird_500x270.ppm VSR_CUDA_RRDB_BAND=14 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
bn band12 $S VSR_CUDA_RRDB_BAND=12
bn band24 $S VSR_CUDA_RRDB_BAND=24
echo "== end $(date -u '+%H:%M:%S')"
