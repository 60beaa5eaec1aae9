# image_io reads every format as `ffmpeg -i X -pix_fmt rgb24` does (full-
# range JPEG included, odd sizes, palettes, 16-bit, alpha); imgcmp reports
# and enforces its bounds.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "the Debian ffmpeg package makes the test images"
IMGCMP="$VSR_TOOLS_DIR/imgcmp"

n=0
for s in 40x30 41x31 97x53; do
    for spec in png:rgb24 png:rgba png:gray png:pal8 png:rgb48be jpg:yuvj420p jpg:yuvj422p \
        jpg:yuvj444p jpg:gray bmp:bgr24 webp:yuv420p tiff:rgb24; do
        ext=${spec%%:*} fmt=${spec#*:}
        src="$WORK/t-$s-$fmt.$ext"
        # testsrc2 rounds odd sizes down: crop to get them
        ffmpeg -v error -y -f lavfi -i testsrc2=s=128x96 -frames:v 1 \
            -vf "format=rgb24,crop=${s%x*}:${s#*x}:3:5,format=$fmt" "$src" ||
            { fail "ffmpeg could not make $src"; continue; }
        ffmpeg -v error -y -i "$src" -pix_fmt rgb24 "$src.ref.png" || { fail "ffmpeg: $src"; continue; }
        check "$src is $s" test "$(image_size "$src")" = "$s"
        expect 0 "^psnr=inf maxdiff=0 mean=0\.0000$" "$IMGCMP" "$src" "$src.ref.png"
        n=$((n + 1))
    done
done
# a photo, if the Debian backgrounds the golden tests use are installed
for photo in /usr/share/backgrounds/mate/nature/*.jpg; do
    [ -f "$photo" ] || continue
    ffmpeg -v error -y -i "$photo" -vf crop=200:120:0:0 -q:v 3 "$WORK/photo.jpg" &&
        ffmpeg -v error -y -i "$WORK/photo.jpg" -pix_fmt rgb24 "$WORK/photo.ref.png" &&
        expect 0 "^psnr=inf " "$IMGCMP" "$WORK/photo.jpg" "$WORK/photo.ref.png"
    break
done
echo "compared $n generated images with ffmpeg's own conversion"

# the full-range JPEG really is read full range: reading it as limited range
# would differ
A="$WORK/t-97x53-yuvj420p.jpg"
ffmpeg -v error -y -i "$A" -vf scale=in_range=tv -pix_fmt rgb24 "$WORK/tv.png"
expect 0 "" "$IMGCMP" "$A" "$WORK/tv.png"
check "limited-range reading differs" grep -vq "psnr=inf" <<<"$OUT"

# bounds
P="$WORK/t-40x30-rgb24.png" J="$WORK/t-40x30-yuvj420p.jpg"
expect 0 "^psnr=[0-9]+\.[0-9]{2} maxdiff=[0-9]+ mean=[0-9]+\.[0-9]{4}$" "$IMGCMP" "$P" "$J"
expect 0 "" "$IMGCMP" --min-psnr 20 --max-diff 255 "$P" "$J"
expect 1 "below the minimum" "$IMGCMP" --min-psnr 99 "$P" "$J"
expect 1 "above the limit" "$IMGCMP" --max-diff 0 "$P" "$J"
expect 0 "psnr=inf" "$IMGCMP" --min-psnr 99 --max-diff 0 "$P" "$P"
expect 2 "sizes differ" "$IMGCMP" "$P" "$WORK/t-41x31-rgb24.png"
expect 2 "missing\.png" "$IMGCMP" "$P" "$WORK/missing.png"
expect 2 "usage" "$IMGCMP" "$P"
expect 2 "--min-psnr: expected a number" "$IMGCMP" --min-psnr x "$P" "$P"
expect 2 "unknown option" "$IMGCMP" --bogus "$P" "$P"

finish
