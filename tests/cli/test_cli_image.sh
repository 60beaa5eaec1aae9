# `vsr image` upscales a small generated image to the right size, PNG and
# JPEG out, with the default model, an explicit model name and a .param
# path; --verbose reports the run.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "the Debian ffmpeg package makes the test image"
need ffprobe "the Debian ffmpeg package measures the outputs"

IN="$WORK/in.png"
ffmpeg -v error -y -f lavfi -i testsrc2=s=40x30 -frames:v 1 "$IN" || { echo "FAIL: ffmpeg" >&2; exit 1; }
INJ="$WORK/in.jpg"
ffmpeg -v error -y -i "$IN" -q:v 2 "$INJ" || { echo "FAIL: ffmpeg" >&2; exit 1; }
M=(--models-dir "$VSR_MODELS_DIR")
for s in 2 3 4; do
    [ -f "$VSR_MODELS_DIR/realesr-animevideov3-x$s.param" ] ||
        { echo "FAIL: realesr-animevideov3-x$s missing in $VSR_MODELS_DIR (scripts/fetch-models.sh)" >&2; exit 1; }
done

size_is() { # FILE WxH CODEC
    checks=$((checks + 1))
    local got codec
    got=$(image_size "$1")
    codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$1")
    [ "$got" = "$2" ] && [ "$codec" = "$3" ] || fail "$1: $got $codec, expected $2 $3"
}

# PNG and JPEG out at x2 and x4, on the default backend (auto: the fastest
# available; the sanitizer build runs the same)
for s in 2 4; do
    expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/x$s.png" --scale "$s"
    size_is "$WORK/x$s.png" "$((40 * s))x$((30 * s))" png
    expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/x$s.jpg" --scale "$s"
    size_is "$WORK/x$s.jpg" "$((40 * s))x$((30 * s))" mjpeg
done
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$INJ" -o "$WORK/x3.jpeg" --scale 3 --quality 80
size_is "$WORK/x3.jpeg" 120x90 mjpeg

# the JPEG output is the PNG output, but for compression loss
expect 0 "psnr=" "$VSR_TOOLS_DIR/imgcmp" --min-psnr 30 "$WORK/x4.png" "$WORK/x4.jpg"

# the reference backend, the oracle, agrees with the default one
expect 0 "" "$VSR_BIN" image "${M[@]}" --backend ref -i "$IN" -o "$WORK/ref-x2.png" --scale 2
size_is "$WORK/ref-x2.png" 80x60 png
expect 0 "" "$VSR_TOOLS_DIR/imgcmp" --max-diff 1 "$WORK/ref-x2.png" "$WORK/x2.png"

# the scale without --scale: x4 for the family name, the model's own for a
# full name or a path
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/default.png"
size_is "$WORK/default.png" 160x120 png
expect 0 "psnr=inf" "$VSR_TOOLS_DIR/imgcmp" "$WORK/default.png" "$WORK/x4.png"
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/named.png" --model realesr-animevideov3-x2
size_is "$WORK/named.png" 80x60 png
expect 0 "" "$VSR_BIN" image -i "$IN" -o "$WORK/path.png" \
    --model "$VSR_MODELS_DIR/realesr-animevideov3-x2.param"
expect 0 "psnr=inf" "$VSR_TOOLS_DIR/imgcmp" "$WORK/path.png" "$WORK/x2.png"
expect 1 "upscales x2, not x4" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/bad.png" \
    --model realesr-animevideov3-x2 --scale 4
check "no output after a scale mismatch" test ! -e "$WORK/bad.png"

# tiles change nothing (up to float rounding)
expect 0 "" "$VSR_BIN" image "${M[@]}" -i "$IN" -o "$WORK/tiled.png" --scale 2 --tile 16
expect 0 "" "$VSR_TOOLS_DIR/imgcmp" --max-diff 1 "$WORK/tiled.png" "$WORK/x2.png"

# --verbose says what ran and how fast (a tiny input: ref is slow under
# the sanitizers)
ffmpeg -v error -y -i "$IN" -vf crop=12:8 "$WORK/tiny.png" || { echo "FAIL: ffmpeg" >&2; exit 1; }
expect 0 "model realesr-animevideov3-x2" "$VSR_BIN" image "${M[@]}" --backend ref -i "$WORK/tiny.png" \
    -o "$WORK/v.png" --scale 2 --tile 8 --threads 1 --verbose
for pat in "backend ref" "precision fp32" "tile 8" "threads 1" "12x8 -> .*24x16" "GFLOP/s" \
    "MFLOP per input pixel"; do
    check "--verbose prints '$pat'" grep -Eq "$pat" <<<"$OUT"
done

check "no temporaries left" test -z "$(find "$WORK" -name '.*' -type f)"
finish
