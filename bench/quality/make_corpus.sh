#!/usr/bin/env bash
# The quality study's corpus (bench/quality/README.md): clips made the way
# the Vidaio validators make theirs (../shared/DESIGN.md §5), from natural
# photographs of Debian's mate-backgrounds package, with the ffmpeg CLI.
#
#   bench/quality/make_corpus.sh OUT_DIR [CLIP...]
#
# For each clip (all of them without CLIP arguments):
#   1. the pristine master: a 5 s, 30 fps pan and zoom over the photo with
#      camera shake (zoompan over the photo, pre-scaled with Lanczos so that
#      the crop moves by fractions of a photo pixel; the photo is never
#      magnified: every output pixel is a downsample), film grain on some
#      (ffmpeg's noise filter, temporal), converted to yuv420p with the
#      BT.709 matrix and tagged BT.709;
#   2. the reference the validators score against, ref.mp4: the master
#      re-encoded as vidaio-subnet re-encodes its stock clip's trim (libx264
#      -preset ultrafast, CRF 23 by default; here also 30 fps and a keyframe
#      every 30: services/video_scheduler/video_utils.py, `trim_cmd`);
#   3. the inputs in_x2.mp4 and in_x4.mp4: ref.mp4 scaled down by 2 and 4
#      with FFmpeg's default scaler (bicubic; `scale=-1:H` in video_utils.py's
#      `scale_cmd`) and encoded the same way (libx264 ultrafast, 30 fps,
#      keyframe every 30).
# and appends its tasks to OUT_DIR/corpus.tsv (task, scale, clip, input,
# reference; paths relative to OUT_DIR; run_study.sh takes the rows in
# this order):
#   1080p clips: SD2HD (960x540 -> 1920x1080) and X4HD (480x270 -> 1920x1080,
#                the x4 case at a size the study can afford)
#   2160p clips: HD24K (1920x1080 -> 3840x2160) and SD24K (960x540 -> 3840x2160)
#   720p clips:  X2720 (640x360 -> 1280x720) and X4720 (320x180 -> 1280x720)
#
# Environment: FRAMES (default 150: 5 s), REF_PRESET / REF_CRF (the
# reference's x264 preset and CRF, default ultrafast / 23; e.g. REF_CRF=0 for
# a lossless pristine reference). Deterministic: one x264 thread and fixed
# noise seeds, so a rerun makes the same bytes. The masters are not kept.
set -euo pipefail

die() {
    echo "make_corpus: $*" >&2
    exit 1
}
(($# >= 1)) || die "usage: make_corpus.sh OUT_DIR [CLIP...]"
OUT=$1
shift
FRAMES=${FRAMES:-150}
REF_PRESET=${REF_PRESET:-ultrafast}
REF_CRF=${REF_CRF:-23}
PHOTOS=/usr/share/backgrounds/mate
command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg not found (run scripts/install-deps.sh)"
[[ $FRAMES =~ ^[1-9][0-9]*$ ]] || die "FRAMES must be a positive number, not '$FRAMES'"

# name | photo | size | crop of the photo to 16:9 | pre-scale | zoom(t) | x pan (0..1 of the
# room left by the zoom) | y pan | shake amplitude in output pixels | grain (noise strength)
# t runs from 0 to 1 over the clip (on = output frame number). The zoom stays in the range
# where the photo is downsampled: zoom <= photo crop width / output width.
CLIPS=(
    "ladybird|nature/LadyBird.jpg|1920x1080|2560:1440:0:80|2|1.05+0.25*T|0.1+0.8*T|0.5|4|0"
    "wood|nature/Wood.jpg|1920x1080|2560:1440:0:240|2|1.3-0.2*T|0.8-0.6*T|0.2+0.6*T|6|3"
    "garden|nature/Garden.jpg|1920x1080|2560:1440:0:80|2|1.02+0.3*T|0.5|0.45|3|2"
    "twowings|nature/TwoWings.jpg|1920x1080|2560:1440:0:100|2|1.25-0.2*T|0.3+0.4*T|0.4|5|0"
    "aqua|nature/Aqua.jpg|1920x1080|2560:1440:0:80|2|1.1+0.2*T|0.7-0.5*T|0.5|4|0"
    "yellowflower|nature/YellowFlower.jpg|1920x1080|2560:1440:0:80|2|1.3-0.25*T|0.4+0.3*T|0.5|3|2"
    "elephantshd|abstract/Elephants_5640x3172.jpg|1920x1080|5632:3168:4:2|1|2.2+0.6*T|0.6-0.4*T|0.3+0.3*T|4|0"
    "elephants|abstract/Elephants_5640x3172.jpg|3840x2160|5632:3168:4:2|1|1.0+0.4*T|0.2+0.5*T|0.6-0.2*T|5|2"
    # 720p, from the photos too small for 1080p without magnifying them: the
    # held-out clips the guard's thresholds were not fit on
    "blinds|nature/Blinds.jpg|1280x720|1920:1080:0:60|2|1.1+0.3*T|0.2+0.6*T|0.5|4|0"
    "dune|nature/Dune.jpg|1280x720|1680:945:0:52|2|1.05+0.2*T|0.8-0.6*T|0.4+0.2*T|3|2"
    "freshflower|nature/FreshFlower.jpg|1280x720|1600:900:0:150|2|1.2-0.15*T|0.3+0.4*T|0.5|4|0"
    "raindrops|nature/RainDrops.jpg|1280x720|1920:1080:0:60|2|1.3-0.2*T|0.6-0.4*T|0.5|5|0"
    "storm|nature/Storm.jpg|1280x720|1920:1080:0:100|2|1.02+0.4*T|0.5|0.3+0.4*T|4|3"
)

enc() { # the validators' x264 settings: OUT PRESET CRF, then ffmpeg options before them
    local out=$1 preset=$2 crf=$3
    shift 3
    ffmpeg -nostdin -v error -y "$@" -an -c:v libx264 -preset "$preset" -crf "$crf" -r 30 -g 30 \
        -threads 1 -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 \
        -color_range tv -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$out.part.mp4"
    mv -f "$out.part.mp4" "$out"
}

mkdir -p "$OUT"
manifest=$OUT/corpus.tsv
made=0
for spec in "${CLIPS[@]}"; do
    IFS='|' read -r name photo size crop pre zoom xpan ypan shake grain <<<"$spec"
    if (($# > 0)); then
        want=0
        for c in "$@"; do [[ $c == "$name" ]] && want=1; done
        ((want)) || continue
    fi
    src=$PHOTOS/$photo
    [[ -f $src ]] || die "$src missing (apt-get install mate-backgrounds)"
    w=${size%x*} h=${size#*x}
    cw=${crop%%:*} rest=${crop#*:} ch=${rest%%:*}
    n1=$((FRAMES > 1 ? FRAMES - 1 : 1))
    T="(on/$n1)"
    z=${zoom//T/$T} xp=${xpan//T/$T} yp=${ypan//T/$T}
    # Shake: three incommensurate sines per axis, in output pixels (x iw/ow in the crop).
    sx="$shake*(0.6*sin(on*0.9)+0.3*sin(on*2.3+1)+0.1*sin(on*5.1+2))*iw/zoom/$w"
    sy="$shake*(0.6*sin(on*1.3+0.5)+0.3*sin(on*3.1)+0.1*sin(on*4.7+1))*ih/zoom/$h"
    noise=
    ((grain > 0)) && noise=",noise=alls=$grain:allf=t:all_seed=$((17 + grain))"
    vf="crop=$crop,format=gbrp,scale=$((cw * pre)):$((ch * pre)):flags=lanczos"
    vf+=",zoompan=z='$z':x='max(0\\,min(iw-iw/zoom\\,(iw-iw/zoom)*($xp)+$sx))'"
    vf+=":y='max(0\\,min(ih-ih/zoom\\,(ih-ih/zoom)*($yp)+$sy))':d=$FRAMES:s=${w}x$h:fps=30"
    vf+="$noise,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,setsar=1"
    d=$OUT/$name
    mkdir -p "$d"
    echo "make_corpus: $name: ${w}x$h, $FRAMES frames from $photo" >&2
    enc "$d/ref.mp4" "$REF_PRESET" "$REF_CRF" -i "$src" -vf "$vf" -frames:v "$FRAMES"
    for k in 2 4; do
        enc "$d/in_x$k.mp4" ultrafast 23 -i "$d/ref.mp4" -vf "scale=$((w / k)):$((h / k))"
    done
    # This clip's tasks, replacing earlier lines for it.
    touch "$manifest"
    grep -v -P "\t$name\t" "$manifest" >"$manifest.tmp" || true
    if ((h == 1080)); then
        printf 'SD2HD\t2\t%s\t%s\t%s\n' "$name" "$name/in_x2.mp4" "$name/ref.mp4" >>"$manifest.tmp"
        printf 'X4HD\t4\t%s\t%s\t%s\n' "$name" "$name/in_x4.mp4" "$name/ref.mp4" >>"$manifest.tmp"
    elif ((h == 720)); then
        printf 'X2720\t2\t%s\t%s\t%s\n' "$name" "$name/in_x2.mp4" "$name/ref.mp4" >>"$manifest.tmp"
        printf 'X4720\t4\t%s\t%s\t%s\n' "$name" "$name/in_x4.mp4" "$name/ref.mp4" >>"$manifest.tmp"
    else
        printf 'HD24K\t2\t%s\t%s\t%s\n' "$name" "$name/in_x2.mp4" "$name/ref.mp4" >>"$manifest.tmp"
        printf 'SD24K\t4\t%s\t%s\t%s\n' "$name" "$name/in_x4.mp4" "$name/ref.mp4" >>"$manifest.tmp"
    fi
    mv -f "$manifest.tmp" "$manifest"
    made=$((made + 1))
done
((made > 0)) || die "no clip of that name (have: $(printf '%s ' "${CLIPS[@]%%|*}"))"
echo "make_corpus: $made clip(s) in $OUT; tasks in $manifest" >&2
