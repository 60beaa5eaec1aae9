#!/usr/bin/env bash
# Makes the demo and test sample images from natural photographs shipped by
# Debian's mate-backgrounds package, with the ffmpeg CLI (scale + crop),
# into ${VSR_SAMPLES_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/samples}:
#   sample.mp4                  480x270, 30 fps, 45 frames, H.264, no audio:
#                               the demo clip (a slow pan across the ladybird),
#                               shaped like a validator's clip
#   sample.png                  480x270, the first still (ladybird on a stem)
#   crop-ladybird-64x48.png     64x48 crops for the golden tests
#   crop-flower-64x48.png
#   crop-seeds-37x29.png        odd size
# Deterministic (bit-exact ffmpeg flags): every run makes them again (quick)
# and replaces a file only when its bytes change.
set -euo pipefail

out=${VSR_SAMPLES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/samples}
photos=/usr/share/backgrounds/mate/nature

command -v ffmpeg >/dev/null 2>&1 || {
    echo "make-samples: ffmpeg not found (run scripts/install-deps.sh)" >&2
    exit 1
}

# name  photo  filter
samples=(
    "sample.png LadyBird.jpg scale=480:300:flags=bicubic,crop=480:270:0:15"
    "crop-ladybird-64x48.png LadyBird.jpg scale=640:400:flags=bicubic,crop=64:48:418:176"
    "crop-flower-64x48.png Garden.jpg scale=640:400:flags=bicubic,crop=64:48:416:120"
    "crop-seeds-37x29.png TwoWings.jpg scale=640:400:flags=bicubic,crop=37:29:342:166"
)

mkdir -p "$out"
made=0
for s in "${samples[@]}"; do
    read -r name photo filter <<<"$s"
    src=$photos/$photo
    [[ -f $src ]] || {
        echo "make-samples: $src missing (apt-get install mate-backgrounds)" >&2
        exit 1
    }
    ffmpeg -nostdin -v error -y -i "$src" -vf "$filter" -frames:v 1 -pix_fmt rgb24 \
        -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$out/$name.part.png"
    if cmp -s "$out/$name.part.png" "$out/$name"; then
        rm -f "$out/$name.part.png"
    else
        mv -f "$out/$name.part.png" "$out/$name"
        made=$((made + 1))
    fi
done

# The demo clip: a pan across the photo. One x264 thread keeps it bit-exact
# from machine to machine.
clip=$out/sample.mp4
ffmpeg -nostdin -v error -y -loop 1 -framerate 30 -i "$photos/LadyBird.jpg" \
    -vf "scale=640:400:flags=bicubic,crop=480:270:x='min(n*2\,160)':y=65,format=yuv420p" \
    -frames:v 45 -c:v libx264 -preset medium -crf 18 -threads 1 -an \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$clip.part.mp4"
if cmp -s "$clip.part.mp4" "$clip"; then
    rm -f "$clip.part.mp4"
else
    mv -f "$clip.part.mp4" "$clip"
    made=$((made + 1))
fi
echo "make-samples: $((${#samples[@]} + 1)) samples in $out ($made new or changed)"
