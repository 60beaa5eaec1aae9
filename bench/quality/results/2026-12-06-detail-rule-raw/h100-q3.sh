#!/bin/bash
# Device call q3 (2026-12-06, ninth session): the new --detail auto rule (commit d812e2d) on
# the GPU path: --model auto (realesr-general-x4v3) and realesrgan-x4plus with --detail auto,
# per task and clip of the 16-frame, 7-clip corpus (build-study/corpus16), one lane per clip.
set -u
D=$(cd "$(dirname "$0")" && pwd)
export R=$(pwd)
: "${OUT:?}"
echo "== $(date -u '+%F %T UTC')"
bash "$D/setup.sh" >/dev/null || { echo setup failed; exit 1; }
export H=/tmp/vsr-study
export LD_LIBRARY_PATH=$H/lib VSR_MODELS_DIR=$H/models VSR=$H/vsr
export UPSCALE_ARGS='--backend cuda' QUALITY_ARGS='--cuda-device 0'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc
lane() { # MODEL, CLIPS
  ONLY="/($CLIPS)\$" DETAIL=auto bash "$R/bench/quality/auto_rows.sh" $H/corpus /tmp/rows >/dev/null 2>&1
  echo "lane $MODEL $CLIPS rc=$? $(date -u +%T)"
}
# general-x4v3: a lane a clip; x4plus (a whole 960x540 frame needs ~4.1 GiB a context): 3 lanes
for clips in ladybird yellowflower wood aqua twowings elephantshd garden; do
  MODEL=auto CLIPS=$clips timeout 70 bash -c "$(declare -f lane); lane" &
done
wait
for clips in "ladybird|yellowflower|garden" "wood|aqua" "twowings|elephantshd"; do
  MODEL=realesrgan-x4plus CLIPS=$clips timeout 100 bash -c "$(declare -f lane); lane" &
done
wait
echo "== rows done $(date -u +%T)"
tar -C /tmp --exclude='*.mp4' -cJf "$OUT/rows.tar.xz" rows
echo "== end $(date -u +%T)"
