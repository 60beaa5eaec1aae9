#!/usr/bin/env bash
# Packs the quality study for a device machine that has CUDA but no FFmpeg
# (the H100 hosts; bench/quality/README.md): vsr and detail_encode from a
# CUDA build, the shared libraries they load, the models, the corpus and the
# study's scripts, under the 64 MiB a device call may carry.
#
#   bench/quality/device_bundle.sh BUILD_DIR CORPUS_DIR OUT_DIR
#
# BUILD_DIR: a CUDA build (-DVSR_WITH_CUDA=ON; -DVSR_WITH_ONEDNN=OFF keeps
# oneDNN's 38 MB out). OUT_DIR must be a git-ignored path of the checkout the
# device call sends. On the device:
#   bash OUT_DIR/setup.sh        # unpacks into /tmp/vsr-study
#   /tmp/vsr-study/run.sh        # run_study.sh with the bundle's paths
# Environment: MODELS (installed model names to pack; default the study's),
# MODELS_XZ (more, their .bin xz-packed: realesrgan-x4plus's 33 MB become 30),
# VSR_MODELS_DIR, CLIPS (a regular expression: the corpus clips to pack).
#
# Debian's FFmpeg libraries pull in ~170 MB of others (codecs, subtitle and
# network libraries, ICU's data), ~50 MB xz-packed, which leaves no room for
# a 33 MB model. The study decodes H.264 and HEVC and encodes x264 and x265,
# none of which touches bench/device/bundle.sh's FFMPEG_EXTRAS: each is
# replaced by a stub of the same soname and symbols (--stub-ffmpeg-extras,
# bench/device/stub_lib.py), and what those libraries load in turn stays
# behind. The bundle's vsr is run here with the stubs before packing (vsr
# --version, a decode and an encode), so a stub that was needed fails here,
# not on the device. The packing and the carry-size check are
# bench/device/bundle.sh's.
set -euo pipefail
(($# == 3)) || {
    echo "usage: device_bundle.sh BUILD_DIR CORPUS_DIR OUT_DIR" >&2
    exit 2
}
BUILD=$(cd "$1" && pwd)
CORPUS=$(cd "$2" && pwd)
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
MODELS_DIR=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
# realesrgan-x4plus (33 MB of weights) fits only with a small corpus (e.g.
# CLIPS of one task): the bundle is ~18 MB, the 1080p clips ~5 MB each.
MODELS=${MODELS:-realesr-animevideov3-x2 realesr-animevideov3-x4 realesr-general-x4v3}

cmake --build "$BUILD" --target vsr detail_encode -j"$(nproc)" >/dev/null
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# The corpus rows of CLIPS (a regular expression on the clip's name; all by default).
mkdir -p "$STAGE/corpus"
awk -F'\t' -v c="${CLIPS:-.}" '$3 ~ c' "$CORPUS/corpus.tsv" >"$STAGE/corpus/corpus.tsv"
cut -f3 "$STAGE/corpus/corpus.tsv" | sort -u | while read -r clip; do
    cp -r "$CORPUS/$clip" "$STAGE/corpus/"
done
cat >"$STAGE/run.sh" <<'EOF'
#!/bin/bash
# run_study.sh with the bundle's vsr, libraries, models and corpus: run.sh WORK_DIR
H=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$H/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} VSR_MODELS_DIR=$H/models
export VSR=$H/vsr DETAIL_ENCODE=$H/detail_encode
exec "$H/run_study.sh" "$H/corpus" "$1"
EOF
chmod +x "$STAGE/run.sh"

# Does it run with the stubs? Version, a decode and an x264 + x265 encode.
first=$(awk -F'\t' 'NR == 1 {print $4}' "$CORPUS/corpus.tsv")
selftest="\"\$B/vsr\" --version >/dev/null &&
    \"\$B/detail_encode\" '$CORPUS/$first' - 64x36 '$STAGE/selftest' 0 fast >/dev/null &&
    \"\$B/vsr\" quality '$STAGE/selftest-d0.00-fast.mp4' --reference '$CORPUS/$first' --threads 2 >/dev/null"

# Models and clips travel as they are (xz gains nothing on them); setup.sh
# unpacks into /tmp/vsr-study and links them and the scripts there, as
# device_run.sh and run.sh expect.
args=(--build "$BUILD" --program vsr --program detail_encode --selftest "$selftest"
    --unpack-to /tmp/vsr-study --xz-level 9 --stub-ffmpeg-extras
    --file "$HERE/run_study.sh" --file "$HERE/summarize.py" --file "$STAGE/run.sh"
    --file "$HERE/device_run.sh" --file "$STAGE/corpus")
for m in $MODELS; do args+=(--model "$m"); done
for m in ${MODELS_XZ:-}; do args+=(--model-xz "$m"); done
VSR_MODELS_DIR=$MODELS_DIR "$HERE/../device/bundle.sh" "${args[@]}" "$OUT"
