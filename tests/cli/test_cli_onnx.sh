# --model X.onnx in `vsr image` and `vsr upscale`: ONNX files converted from
# the ncnn models (tests/tools/make_onnx_models.py, Debian's python3-onnx)
# give the ncnn model's output (image: 8-bit max diff <= 1 with imgcmp;
# upscale: the same output frames, by hash); `vsr models` lists an installed
# .onnx; a refused or malformed .onnx fails with its message.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "the Debian ffmpeg package makes the test image and clip"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 is needed (python3-onnx)" >&2; exit 1; }

O="$WORK/onnx"
/usr/bin/python3 "$VSR_SOURCE_DIR/tests/tools/make_onnx_models.py" "$VSR_MODELS_DIR" "$O" >/dev/null ||
    { echo "FAIL: make_onnx_models.py" >&2; exit 1; }
IN="$WORK/in.png"
ffmpeg -v error -y -f lavfi -i testsrc2=s=36x28 -frames:v 1 "$IN" || { echo "FAIL: ffmpeg" >&2; exit 1; }
M=(--models-dir "$VSR_MODELS_DIR")

# vsr image, on both CPU backends, against the ncnn files
for b in ref cpu; do
    for m in realesr-animevideov3-x4 realesr-animevideov3-x2 realesr-general-x4v3; do
        expect 0 "" "$VSR_BIN" image "${M[@]}" --backend "$b" -i "$IN" -o "$WORK/ncnn-$b-$m.png" \
            --model "$m"
        expect 0 "" "$VSR_BIN" image --backend "$b" -i "$IN" -o "$WORK/onnx-$b-$m.png" \
            --model "$O/$m.onnx"
        expect 0 "maxdiff=[01] " "$VSR_TOOLS_DIR/imgcmp" --max-diff 1 "$WORK/ncnn-$b-$m.png" \
            "$WORK/onnx-$b-$m.png"
        echo "image $b $m: $OUT"
    done
done
# --scale is checked against the ONNX model's own
expect 1 "upscales x2, not x4" "$VSR_BIN" image -i "$IN" -o "$WORK/bad.png" \
    --model "$O/realesr-animevideov3-x2.onnx" --scale 4
# a bare file name ending in .onnx is a path too
(cd "$O" && expect 0 "" "$VSR_BIN" image --backend cpu -i "$IN" -o "$WORK/bare.png" \
    --model realesr-animevideov3-x4.onnx) || fail "bare .onnx name"
expect 0 "psnr=inf" "$VSR_TOOLS_DIR/imgcmp" "$WORK/bare.png" "$WORK/onnx-cpu-realesr-animevideov3-x4.png"

# vsr upscale: the same frames as with the ncnn model
ffmpeg -v error -y -f lavfi -i testsrc2=size=34x26:rate=24 -frames:v 4 -c:v libx264 \
    -pix_fmt yuv420p "$WORK/clip.mp4" || { echo "FAIL: ffmpeg clip" >&2; exit 1; }
expect 0 "" "$VSR_BIN" upscale "${M[@]}" --backend cpu --progress none -i "$WORK/clip.mp4" \
    -o "$WORK/ncnn.mp4" --scale 2 --model realesr-animevideov3-x2 --dump-frames-hash "$WORK/ncnn.txt"
expect 0 "" "$VSR_BIN" upscale --backend cpu --progress none -i "$WORK/clip.mp4" \
    -o "$WORK/onnx.mp4" --scale 2 --model "$O/realesr-animevideov3-x2.onnx" --dump-frames-hash "$WORK/onnx.txt"
check "upscale: 4 frame hashes" test "$(wc -l <"$WORK/onnx.txt")" = 4
check "upscale: ONNX frames equal the ncnn model's" cmp -s "$WORK/ncnn.txt" "$WORK/onnx.txt"

# installed as NAME.onnx in a models directory: listed and found by name
mkdir -p "$WORK/models"
cp "$O/realesr-general-x4v3.onnx" "$WORK/models/my-onnx-model.onnx"
expect 0 "my-onnx-model" "$VSR_BIN" models --models-dir "$WORK/models"
expect 0 "" "$VSR_BIN" image --models-dir "$WORK/models" --backend cpu -i "$IN" \
    -o "$WORK/named.png" --model my-onnx-model
expect 0 "psnr=inf" "$VSR_TOOLS_DIR/imgcmp" "$WORK/named.png" "$WORK/onnx-cpu-realesr-general-x4v3.png"

# refusals reach the user with the loader's message
expect 1 "node 1 'the_tanh' \(Tanh, opset 13\): op 'Tanh' is not supported" \
    "$VSR_BIN" image -i "$IN" -o "$WORK/r.png" --model "$O/refuse_unknown_op.onnx"
expect 1 "external data is not supported" \
    "$VSR_BIN" image -i "$IN" -o "$WORK/r.png" --model "$O/refuse_external.onnx"
head -c 300 "$O/realesr-animevideov3-x4.onnx" >"$WORK/cut.onnx"
expect 1 "not an ONNX model" "$VSR_BIN" image -i "$IN" -o "$WORK/r.png" --model "$WORK/cut.onnx"
check "no output after refusals" test ! -e "$WORK/r.png"

finish
