#!/usr/bin/env bash
# Makes the natural test clips of the VMAF tests and benchmark
# (tests/cli/test_quality_oracle.sh, bench/quality_bench.sh) from photos of
# Debian's mate-backgrounds package, with the ffmpeg CLI:
#
#   make_quality_clips.sh [--long] OUTDIR
#
# References (lossless: FFV1 in .mkv, yuv420p, 25 fps), camera moves over a
# photo (zoompan: integer crop positions on a larger canvas, so every frame
# is resampled and the motion jitters a little, like a hand-held camera):
#   dune_ref.mkv     640x360, 12 frames: a pan across grass, with shake
#   flower_ref.mkv   640x360, 12 frames: a zoom into a flower, drifting
#   wood_ref.mkv     1920x1080, 6 frames: a slow zoom and pan over wood grain
#   wood60_ref.mkv   1920x1080, 60 frames (only with --long, for the benchmark)
# Distorted versions, NAME_DIST.EXT, all yuv420p at the reference's size:
#   noise            temporal noise (noise=alls=12), FFV1
#   blur             Gaussian blur (sigma 1.2), FFV1
#   x264crf23/35     libx264 (one thread), .mp4
#   x265crf28/38     libx265 (one thread), .mp4
#   av1crf40/60      libsvtav1 preset 8, .mkv
#   lanczos2         an upscaler's output: down x2 bicubic, up x2 Lanczos, FFV1
#   sharp2           the same, then an unsharp mask (a sharpening upscaler), FFV1
# The two 640x360 references share them out (CI has two cores, and the
# oracle scores 640x360 at some 20 fps there, 1080p at 1 to 2); the 1080p
# ones get lanczos2 (wood) and lanczos2 and x264crf30 (wood60).
# OUTDIR/pairs.txt lists what was made, one pair a line: DISTORTED REFERENCE
# (file names in OUTDIR).
#
# Deterministic: bit-exact muxing, one-thread encoders; the same ffmpeg
# build makes the same bytes. Files already in OUTDIR are made again.
set -euo pipefail

usage() {
    echo "usage: make_quality_clips.sh [--long] OUTDIR" >&2
    exit 2
}

long=0
out=
while (($#)); do
    case $1 in
    --long) long=1 ;;
    -h | --help) usage ;;
    -*) echo "make_quality_clips: unknown option $1" >&2; usage ;;
    *) [[ -z $out ]] || usage; out=$1 ;;
    esac
    shift
done
[[ -n $out ]] || usage

photos=/usr/share/backgrounds/mate/nature
command -v ffmpeg >/dev/null 2>&1 || {
    echo "make_quality_clips: ffmpeg not found (run scripts/install-deps.sh)" >&2
    exit 1
}
enc=$(ffmpeg -hide_banner -encoders 2>/dev/null)
for e in ffv1 libx264 libx265 libsvtav1; do
    grep -qw "$e" <<<"$enc" || {
        echo "make_quality_clips: this ffmpeg has no $e encoder" >&2
        exit 1
    }
done
mkdir -p "$out"

# Output options shared by every file: no metadata, no random UIDs.
bitexact=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -an)
ff() { ffmpeg -nostdin -v error -y "$@"; }

# reference NAME PHOTO W H FRAMES CANVAS_FILTER ZOOMPAN_ARGS
# The photo is scaled and cropped to a 16:9 canvas, then zoompan moves a
# WxH camera over it for FRAMES frames (`on` is the frame number).
reference() {
    local name=$1 photo=$photos/$2 w=$3 h=$4 n=$5 canvas=$6 zp=$7
    [[ -f $photo ]] || {
        echo "make_quality_clips: $photo missing (apt-get install mate-backgrounds)" >&2
        exit 1
    }
    ff -i "$photo" -vf "$canvas,zoompan=$zp:d=$n:s=${w}x$h:fps=25,format=yuv420p" \
        -frames:v "$n" -c:v ffv1 -level 3 -threads 1 "${bitexact[@]}" "$out/${name}_ref.mkv"
}

# distort NAME DIST: makes NAME_DIST.* from NAME_ref.mkv and lists the pair.
distort() {
    local name=$1 dist=$2 ref=${1}_ref.mkv file
    local w h
    read -r w h < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
        -of csv=s=x:p=0 "$out/$ref" | tr x ' ')
    local lossless=(-c:v ffv1 -level 3 -threads 1)
    local sws=flags=bicubic+accurate_rnd+full_chroma_int+bitexact
    case $dist in
    noise) file=${name}_$dist.mkv
        ff -i "$out/$ref" -vf "noise=alls=12:allf=t" "${lossless[@]}" "${bitexact[@]}" "$out/$file" ;;
    blur) file=${name}_$dist.mkv
        ff -i "$out/$ref" -vf "gblur=sigma=1.2" "${lossless[@]}" "${bitexact[@]}" "$out/$file" ;;
    x264crf*) file=${name}_$dist.mp4
        ff -i "$out/$ref" -c:v libx264 -preset faster -crf "${dist#x264crf}" -threads 1 \
            -pix_fmt yuv420p "${bitexact[@]}" "$out/$file" ;;
    x265crf*) file=${name}_$dist.mp4
        ff -i "$out/$ref" -c:v libx265 -preset faster -crf "${dist#x265crf}" \
            -x265-params pools=1:frame-threads=1:log-level=error \
            -pix_fmt yuv420p "${bitexact[@]}" "$out/$file" ;;
    av1crf*) file=${name}_$dist.mkv
        # SVT-AV1 prints its banner on stderr whatever -v says.
        ff -i "$out/$ref" -c:v libsvtav1 -preset 8 -crf "${dist#av1crf}" -g 32 \
            -pix_fmt yuv420p "${bitexact[@]}" "$out/$file" 2>"$out/.svtav1.log" || {
            cat "$out/.svtav1.log" >&2
            exit 1
        }
        rm -f "$out/.svtav1.log" ;;
    lanczos2) file=${name}_$dist.mkv
        ff -i "$out/$ref" -vf "scale=$((w / 2)):$((h / 2)):$sws,scale=$w:$h:${sws/bicubic/lanczos}" \
            "${lossless[@]}" "${bitexact[@]}" "$out/$file" ;;
    sharp2) file=${name}_$dist.mkv
        ff -i "$out/$ref" \
            -vf "scale=$((w / 2)):$((h / 2)):$sws,scale=$w:$h:${sws/bicubic/lanczos},unsharp=5:5:1.0:5:5:0.0" \
            "${lossless[@]}" "${bitexact[@]}" "$out/$file" ;;
    *) echo "make_quality_clips: unknown distortion $dist" >&2; exit 2 ;;
    esac
    echo "$file $ref" >>"$out/pairs.txt.part"
}

rm -f "$out/pairs.txt" "$out/pairs.txt.part"

# Dune: grass against the sea; a pan left to right with a shaking camera.
reference dune Dune.jpg 640 360 12 \
    "scale=1280:800:flags=bicubic,crop=1280:720:0:60" \
    "z=1.6:x='120+16*on+6*sin(on*1.7)+4*sin(on*4.1)':y='140+3*on+5*sin(on*2.3+1)'"
for d in noise x264crf23 x265crf38 av1crf40 lanczos2 sharp2; do distort dune "$d"; done

# YellowFlower: a zoom from 1.2 to 1.6 towards the flower's heart, drifting.
reference flower YellowFlower.jpg 640 360 12 \
    "scale=1280:800:flags=bicubic,crop=1280:720:0:40" \
    "z='1.2+0.033*on':x='(iw-iw/zoom)/2+60+6*on+3*sin(on*2.9)':y='(ih-ih/zoom)/2+40+3*on+2*sin(on*1.3)'"
for d in blur x264crf35 x265crf28 av1crf60 lanczos2; do distort flower "$d"; done

# Wood: 1080p, a slow zoom over wood grain (fine texture, hard for codecs).
wood_zp="z='1.15+0.006*on':x='(iw-iw/zoom)/2-60+8*on+4*sin(on*1.9)':y='(ih-ih/zoom)/2+3*sin(on*2.7)'"
reference wood Wood.jpg 1920 1080 6 "crop=2560:1440:0:240" "$wood_zp"
distort wood lanczos2

if ((long)); then
    reference wood60 Wood.jpg 1920 1080 60 "crop=2560:1440:0:240" "$wood_zp"
    for d in lanczos2 x264crf30; do distort wood60 "$d"; done
fi

mv -f "$out/pairs.txt.part" "$out/pairs.txt"
echo "make_quality_clips: $(wc -l <"$out/pairs.txt") pairs in $out (pairs.txt)"
