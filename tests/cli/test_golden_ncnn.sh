#!/usr/bin/env bash
# Golden test: our `vsr image --backend ref` (cpu for the RRDB model,
# realesrgan-x4plus) against realesrgan-ncnn-vulkan (the engine of the
# reference Vidaio miner) run on Mesa's lavapipe (CPU Vulkan), on small
# crops of natural photographs (scripts/make-samples.sh).
# Each case must reach PSNR >= 45 dB.
#
# What the reference binary does (v0.2.5.0 in waifu2x@1.6.5), which our engine
# must match to pass:
# - Pre-padding: every tile, here the whole image (-t is set >= the crop),
#   is extended by 10 px on each side by mirroring without repeating the edge
#   (x = -1 reads x = 1), the network runs on that, and the 10*scale px
#   border of the output is cut off. The network's own convolutions then
#   zero-pad only outside that.
# - Input u8 / 255; activations stored as fp16 (lavapipe reports fp16 and int8
#   storage, realesrgan sets fp16 storage on, fp16 arithmetic off); output
#   floor(v * 255 + 0.5) clamped to 0..255, alpha (none here) bicubic.
# - Its output shader converts the float to uint before clamping; a negative
#   value is undefined in GLSL and lavapipe wraps it, so such pixels come out
#   255 instead of 0 (magenta speckles in dark areas). Where ncnn wrote 255
#   and we wrote 0 the reference is set to 0 before comparing; that may touch
#   at most 10% of the values.
# - It picks <name>-x<scale>.param/.bin for realesr-animevideov3 and
#   <name>.param/.bin for any other name, looks for a relative -m beside its
#   own executable (we pass an absolute one), refuses a model directory whose
#   path lacks "models", creates missing output folders, and exits 0 with a
#   garbage image when a model file is missing: so this test checks the model
#   files, its stderr and its output's size.
#
# Needs: VSR_BIN, VSR_TOOLS_DIR (imgcmp), VSR_MODELS_DIR, VSR_SOURCE_DIR,
# VSR_TEST_TMP (CTest sets them), the binary from scripts/fetch-models.sh
# (VSR_NCNN_BIN overrides its path), mesa-vulkan-drivers, mate-backgrounds,
# ffmpeg. Anything missing is a failure, never a skip.
set -euo pipefail

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

for v in VSR_BIN VSR_TOOLS_DIR VSR_MODELS_DIR VSR_SOURCE_DIR VSR_TEST_TMP; do
    [[ -n ${!v:-} ]] || fail "$v is not set (run through ctest)"
done

ncnn_bin=${VSR_NCNN_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/bin/realesrgan-ncnn-vulkan}
lvp_icd=${VSR_LVP_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
imgcmp=$VSR_TOOLS_DIR/imgcmp
min_psnr=45

[[ -f $ncnn_bin && -x $ncnn_bin ]] || fail "reference binary $ncnn_bin missing (run scripts/fetch-models.sh)"
[[ -f $lvp_icd ]] || fail "Mesa lavapipe ICD $lvp_icd missing (apt-get install mesa-vulkan-drivers)"
[[ -f $VSR_BIN && -x $VSR_BIN ]] || fail "vsr binary $VSR_BIN missing"
[[ -f $imgcmp && -x $imgcmp ]] || fail "imgcmp $imgcmp missing"
for t in ffmpeg ffprobe; do
    command -v "$t" >/dev/null || fail "$t missing (apt-get install ffmpeg)"
done

# Only lavapipe: no GPU driver is picked even where one exists.
export VK_ICD_FILENAMES=$lvp_icd VK_DRIVER_FILES=$lvp_icd

work=$VSR_TEST_TMP/golden_ncnn
rm -rf "$work"
mkdir -p "$work/models" "$work/out"

# Samples made here from the photos, so the test needs no earlier step.
VSR_SAMPLES_DIR=$work/samples "$VSR_SOURCE_DIR/scripts/make-samples.sh" >/dev/null ||
    fail "scripts/make-samples.sh failed"
# Two crops keep the sanitizer build of the ref backend quick (~1-2 min).
crops=(crop-ladybird-64x48 crop-seeds-37x29)
# realesrgan-x4plus (RRDB, 36 MFLOP a pixel, 50x the compact models) on a
# 16x12 piece of the first (36 x 32 pixels with the reference's padding),
# through the cpu backend: the reference alone takes ~25 s of CPU on it
ffmpeg -nostdin -v error -y -i "$work/samples/crop-ladybird-64x48.png" -vf crop=16:12:24:18 \
    "$work/samples/crop-ladybird-16x12.png" || fail "ffmpeg could not cut the 16x12 crop"

# model family, scale, the files it needs, our backend[, the crops instead
# of all of them]
cases=(
    "realesr-animevideov3 2 realesr-animevideov3-x2 ref"
    "realesr-animevideov3 4 realesr-animevideov3-x4 ref"
    "realesr-general-x4v3 4 realesr-general-x4v3 ref"
    "realesrgan-x4plus 4 realesrgan-x4plus cpu crop-ladybird-16x12"
)

# The binary wants "models" in the directory's path: link ours there.
for c in "${cases[@]}"; do
    read -r _ _ file _ <<<"$c"
    for ext in param bin; do
        [[ -f $VSR_MODELS_DIR/$file.$ext ]] ||
            fail "model file $VSR_MODELS_DIR/$file.$ext missing (run scripts/fetch-models.sh)"
        ln -sf "$VSR_MODELS_DIR/$file.$ext" "$work/models/$file.$ext"
    done
done

dims() { ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

failures=0
ran=0
for c in "${cases[@]}"; do
    read -r model scale _ backend own <<<"$c"
    case_crops=("${crops[@]}")
    [[ -z ${own:-} ]] || read -r -a case_crops <<<"$own"
    for crop in "${case_crops[@]}"; do
        in=$work/samples/$crop.png
        tag=$model-x$scale-$crop
        ref=$work/out/$tag.ncnn.png
        ours=$work/out/$tag.vsr.png
        fixed=$work/out/$tag.ncnn-fixed.png
        ran=$((ran + 1))

        w_h=$(dims "$in")
        w=${w_h%x*} h=${w_h#*x}
        want="$((w * scale))x$((h * scale))"
        tile=$((w > h ? w : h))
        tile=$((tile < 32 ? 32 : tile)) # one tile; the binary refuses < 32

        t0=$(now)
        if ! "$ncnn_bin" -i "$in" -o "$ref" -m "$work/models" -n "$model" -s "$scale" \
            -t "$tile" -g 0 >"$work/out/$tag.ncnn.log" 2>&1; then
            cat "$work/out/$tag.ncnn.log" >&2
            fail "$tag: realesrgan-ncnn-vulkan exited non-zero"
        fi
        t_ncnn=$(elapsed "$t0")
        if grep -qiE 'failed|error|invalid' "$work/out/$tag.ncnn.log" || [[ ! -s $ref ]]; then
            cat "$work/out/$tag.ncnn.log" >&2
            fail "$tag: realesrgan-ncnn-vulkan failed or wrote nothing"
        fi
        grep -q llvmpipe "$work/out/$tag.ncnn.log" || {
            cat "$work/out/$tag.ncnn.log" >&2
            fail "$tag: realesrgan-ncnn-vulkan did not run on lavapipe (llvmpipe)"
        }
        [[ $(dims "$ref") == "$want" ]] || fail "$tag: ncnn output is $(dims "$ref"), want $want"

        t0=$(now)
        if ! "$VSR_BIN" image -i "$in" -o "$ours" --model "$model" --scale "$scale" \
            --backend "$backend" >"$work/out/$tag.vsr.log" 2>&1; then
            cat "$work/out/$tag.vsr.log" >&2
            echo "FAIL: $tag: vsr image exited non-zero" >&2
            failures=$((failures + 1))
            continue
        fi
        t_vsr=$(elapsed "$t0")
        got=$(dims "$ours" 2>/dev/null || true)
        if [[ $got != "$want" ]]; then
            echo "FAIL: $tag: vsr output is '$got', want $want" >&2
            failures=$((failures + 1))
            continue
        fi

        # Undo the reference's negative-to-255 wrap (see the top of this file).
        ffmpeg -nostdin -v error -y -i "$ref" -i "$ours" -filter_complex \
            "[0][1]blend=all_expr='if(eq(A\,255)*eq(B\,0)\,0\,A)',format=rgb24" \
            -frames:v 1 "$fixed" || fail "$tag: ffmpeg blend failed"
        wrap_line=$("$imgcmp" "$ref" "$fixed") || fail "$tag: imgcmp $ref $fixed failed"
        wrap_mean=$(sed -nE 's/.*mean=([0-9.eE+-]+).*/\1/p' <<<"$wrap_line")
        [[ -n $wrap_mean ]] || fail "$tag: no mean= in imgcmp output: $wrap_line"
        # Each wrapped value differs by exactly 255: mean / 255 is their share.
        wrap_pct=$(awk -v m="$wrap_mean" 'BEGIN { printf "%.2f", 100 * m / 255 }')

        line=$("$imgcmp" "$fixed" "$ours") || {
            echo "FAIL: $tag: imgcmp failed: $line" >&2
            failures=$((failures + 1))
            continue
        }
        psnr=$(sed -nE 's/.*psnr=([0-9.]+|inf|INF).*/\1/p' <<<"$line")
        [[ -n $psnr ]] || fail "$tag: no psnr= in imgcmp output: $line"

        verdict=ok
        if ! awk -v p="$psnr" -v min="$min_psnr" 'BEGIN { exit !(tolower(p) == "inf" || p + 0 >= min) }'; then
            verdict="FAIL (psnr < $min_psnr)"
        fi
        if ! awk -v p="$wrap_pct" 'BEGIN { exit !(p <= 10) }'; then
            verdict="FAIL (ncnn wrap fix touched $wrap_pct% > 10% of values)"
        fi
        printf '%-44s %s  ncnn-wrap=%s%%  ncnn %ss  vsr %ss  %s\n' \
            "$tag" "$line" "$wrap_pct" "$t_ncnn" "$t_vsr" "$verdict"
        [[ $verdict == ok ]] || failures=$((failures + 1))
    done
done

echo "golden: $((ran - failures)) passed, $failures failed"
((failures == 0))
