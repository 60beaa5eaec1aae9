#!/bin/bash
# bench/quality/detail_encode, the quality study's encoder (bench/quality/
# README.md): at detail 1 it must write what `vsr upscale` writes, byte for
# byte (the study's rows stand for vsr's outputs only then); detail 0 must be
# the input Lanczos-scaled, a blend in between; refusals must be clear.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "scripts/install-deps.sh"
need ffprobe "scripts/install-deps.sh"
DE=$(dirname "$VSR_BIN")/detail_encode
[ -x "$DE" ] || { echo "FAIL: no detail_encode beside $VSR_BIN (cmake --build BUILD)" >&2; exit 1; }
SAMPLE=${VSR_SAMPLES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/samples}/sample.mp4
[ -f "$SAMPLE" ] || { echo "FAIL: $SAMPLE missing (scripts/make-samples.sh)" >&2; exit 1; }

# A small tagged clip (BT.709, as the study's corpus) and an untagged one
# (read as BT.601 at this size, as BT.709 at 720p: refused).
ffmpeg -v error -y -i "$SAMPLE" -vf scale=96:54 -frames:v 6 -c:v libx264 -preset ultrafast \
    -colorspace bt709 -color_primaries bt709 -color_trc bt709 "$WORK/in.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=96x54:rate=30 -frames:v 6 -pix_fmt yuv420p \
    -c:v libx264 -preset ultrafast "$WORK/untagged.mp4"
up=("$VSR_BIN" upscale --progress none --model realesr-animevideov3-x2 --scale 2 --encode-segments 1)

# The network's frames kept losslessly, as run_study.sh keeps them; and vsr upscale's own file.
check "vsr upscale (lossless)" "${up[@]}" -i "$WORK/in.mp4" -o "$WORK/lossless.mp4" \
    --codec h264 --crf 0 --preset ultrafast --no-size-cap
check "vsr upscale (default encoding)" "${up[@]}" -i "$WORK/in.mp4" -o "$WORK/direct.mp4"
expect 0 "out .*-d1.00-balanced.mp4 detail 1.00 profile balanced encoder libx265 preset superfast crf 20 bytes [0-9]+ frames 6" \
    "$DE" "$WORK/in.mp4" "$WORK/lossless.mp4" 192x108 "$WORK/de" 1,0.5,0 balanced,fast 2
# Detail 1 is vsr upscale's output: the same file byte for byte when both
# encoders ran alike; x265's threads can make the bytes differ on a busy
# machine (seen once under a loaded full run), so the check is on the
# decoded pictures: Y PSNR between the two at least 50 dB.
same=$(ffmpeg -v error -i "$WORK/direct.mp4" -i "$WORK/de-d1.00-balanced.mp4" -lavfi \
    "[0:v][1:v]psnr=stats_file=-" -f null - 2>/dev/null | awk -F'psnr_y:' 'NF > 1 {split($2, a, " "); v = a[1]; if (v == "inf") v = 99; if (min == "" || v + 0 < min) min = v + 0} END {print min}')
checks=$((checks + 1))
awk -v p="${same:-0}" 'BEGIN { exit !(p >= 50) }' ||
    fail "detail 1 differs from vsr upscale's output (min Y PSNR ${same:-none} dB)"
cmp -s "$WORK/direct.mp4" "$WORK/de-d1.00-balanced.mp4" && echo "detail 1: byte-identical to vsr upscale's file"
for f in de-d1.00-fast de-d0.50-balanced de-d0.00-balanced; do
    checks=$((checks + 1))
    n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height,codec_name,color_space \
        -of csv=p=0 "$WORK/$f.mp4")
    [ "$n" = "hevc,192,108,bt709,6" ] || fail "$f.mp4: $n, expected hevc,192,108,bt709,6"
done
# Detail 0 is the input Lanczos-scaled: the same pictures as a Lanczos
# scale of the decoded input (compared after decoding; both encoded at CRF
# 0 would need another encoder, so the check is PSNR against FFmpeg's
# Lanczos: high, and higher than the model's output gets).
psnr() { # DIST: PSNR Y against the input Lanczos-scaled by FFmpeg
    ffmpeg -v error -i "$1" -i "$WORK/in.mp4" -lavfi \
        "[1:v]scale=192:108:flags=lanczos+accurate_rnd[r];[0:v][r]psnr=stats_file=-" -f null - |
        awk '{for (i = 1; i <= NF; i++) if ($i ~ /^psnr_y:/) {split($i, a, ":"); s += a[2]; n++}} END {printf "%.2f", s / n}'
}
p0=$(psnr "$WORK/de-d0.00-balanced.mp4")
p5=$(psnr "$WORK/de-d0.50-balanced.mp4")
p1=$(psnr "$WORK/de-d1.00-balanced.mp4")
checks=$((checks + 1))
awk -v a="$p0" -v b="$p5" -v c="$p1" 'BEGIN {exit !(a > 40 && a > b && b > c)}' ||
    fail "PSNR against the input Lanczos-scaled: detail 0 $p0, 0.5 $p5, 1 $p1 dB (want >40 and falling)"
# The floor needs no model.
expect 0 "detail 0.00 profile fast" "$DE" "$WORK/in.mp4" - 192x108 "$WORK/floor" 0 fast

# Refusals.
expect 1 "colour matrix" "$DE" "$WORK/untagged.mp4" - 1280x720 "$WORK/x" 0 fast
expect 1 "needs MODEL_OUT" "$DE" "$WORK/in.mp4" - 192x108 "$WORK/x" 0.5 fast
expect 1 "in \[0, 1\]" "$DE" "$WORK/in.mp4" "$WORK/lossless.mp4" 192x108 "$WORK/x" 1.5 fast
expect 1 "fast, balanced or quality" "$DE" "$WORK/in.mp4" "$WORK/lossless.mp4" 192x108 "$WORK/x" 1 best
ffmpeg -v error -y -i "$WORK/lossless.mp4" -frames:v 4 -c:v libx264 -crf 0 -preset ultrafast \
    -colorspace bt709 -color_primaries bt709 -color_trc bt709 "$WORK/short.mp4"
expect 1 "short.mp4 has 4 frames" "$DE" "$WORK/in.mp4" "$WORK/short.mp4" 192x108 "$WORK/x" 1 fast
expect 2 "usage" "$DE" "$WORK/in.mp4" - 191x108 "$WORK/x" 0 fast
expect 1 "cannot|No such|decoder" "$DE" "$WORK/missing.mp4" - 192x108 "$WORK/x" 0 fast
finish
