#!/bin/bash
# Device call q1 (2026-12-06 12:07 UTC, H100): realesrgan-x4plus through `vsr upscale`
# after the tiling fix (timing, 60 frames), auto rows (x4plus with --detail auto and
# fixed details; --model auto beside it; the rule of that time: |VMAF - NEG| <= 1.0
# against the input, clipped), and the study's x4plus rows. Bundle:
#   CLIPS='ladybird|wood|twowings' MODELS="realesr-general-x4v3 realesrgan-x4plus" \
#     bench/quality/device_bundle.sh build-cuda build-study/corpus10 build-dev-q1
# with auto_rows.sh and the 60-frame ladybird inputs (FRAMES=60 make_corpus.sh) beside it.
set -u
D=$(cd "$(dirname "$0")" && pwd)
: "${OUT:?}"
echo "== $(date -u '+%F %T UTC')"
bash "$D/setup.sh" >/dev/null || { echo setup failed; exit 1; }
H=/tmp/vsr-study
export LD_LIBRARY_PATH=$H/lib VSR_MODELS_DIR=$H/models
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc
for job in "realesrgan-x4plus 2 x2" "realesrgan-x4plus 4 x4" "realesr-general-x4v3 2 x2"; do
  set -- $job
  echo "== timing $1 scale $2 (60 frames)"
  timeout 60 "$H/vsr" upscale -i "$D/lady60_$3.mp4" -o /tmp/t-$1-$2.mp4 --scale $2 --model $1 --detail 1 \
    --backend cuda --progress json -v >"$OUT/time-$1-$2.json" 2>"$OUT/time-$1-$2.log"
  echo "rc=$?"; grep '"event":"done"' "$OUT/time-$1-$2.json"; tail -3 "$OUT/time-$1-$2.log"
done
echo "== auto rows $(date -u +%T)"
(export VSR=$H/vsr UPSCALE_ARGS='--backend cuda' QUALITY_ARGS='--cuda-device 0'
 for c in "realesrgan-x4plus auto" "realesrgan-x4plus 0.1" "realesrgan-x4plus 0.2" "auto auto"; do
   set -- $c
   timeout 80 env MODEL=$1 DETAIL=$2 bash "$D/auto_rows.sh" $H/corpus /tmp/auto; echo "rows $c rc=$?"
 done)
tar -C /tmp --exclude='*.mp4' -cJf "$OUT/auto.tar.xz" auto
echo "== study $(date -u +%T)"
cd "$D" && FLOORS=0 MODELS=realesrgan-x4plus DETAILS=1,0.4,0.2,0.1 EXTRA_PROFILES= LIMIT=120 JOBS=6 bash ./device_run.sh
echo "== end $(date -u +%T)"
