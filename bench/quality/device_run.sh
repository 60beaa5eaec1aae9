#!/bin/bash
# The quality study on a device machine, in one call: unpacks the bundle
# (bench/quality/device_bundle.sh), runs the study under a time limit and
# leaves in $OUT what comes back: results.tsv, summary.md, run.txt, log.txt
# and raw.tar.xz (every vsr quality JSON, per frame, and every log).
#
#   bash BUNDLE_DIR/device_run.sh      (device_bundle.sh copies it there)
#
# Environment: LIMIT (seconds for the whole study, default 285), and
# run_study.sh's (DEADLINE defaults to LIMIT - 105: the scorings queued
# when the last model run starts need that long).
set -uo pipefail
H=$(cd "$(dirname "$0")" && pwd)
: "${OUT:?}"
LIMIT=${LIMIT:-285}
export DEADLINE=${DEADLINE:-$((LIMIT - 105))}
export PATH=$PATH:/opt/torch/.venv/bin # python3 on the H100 hosts
export BACKEND=${BACKEND:-cuda} QUALITY_ARGS=${QUALITY_ARGS:---cuda-device 0} JOBS=${JOBS:-6}
bash "$H/setup.sh" || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nproc
W=/tmp/vsr-study-work
timeout "$LIMIT" /tmp/vsr-study/run.sh "$W" >"$OUT/log.txt" 2>&1
echo "run_study exit $?"
cp "$W/results.tsv" "$W/run.txt" "$OUT/"
python3 /tmp/vsr-study/summarize.py "$W/results.tsv" --per-clip >"$OUT/summary.md"
tar -C "$W" --exclude='*.mp4' -cJf "$OUT/raw.tar.xz" logs out
tail -5 "$OUT/log.txt"
grep -c . "$W/results.tsv"
