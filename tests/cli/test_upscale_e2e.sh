#!/bin/bash
# vsr upscale end to end on tiny generated clips: every validator gate
# passes (vsr check), the frame count is exact, the frames before encoding
# equal `vsr image` on the same decoded frames, and 1 or N workers with
# either schedule give identical frames before encoding.
set -euo pipefail
: "${VSR_BIN:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/upscale_e2e"
rm -rf "$T" && mkdir -p "$T"
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

. "$(dirname "$0")/video_lib.sh"
echo "backend: $BACKEND"


# 34x26 (not a multiple of 8), 9 frames at 24 fps, H.264 with B-frames, AAC audio.
ffmpeg -v error -y -f lavfi -i testsrc2=size=34x26:rate=24 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -frames:v 9 -t 0.375 -c:v libx264 -bf 2 -pix_fmt yuv420p -c:a aac -shortest "$T/a.mp4"
n_in=$(frames "$T/a.mp4")
[ "$n_in" = 9 ] || die "generated clip has $n_in frames, not 9"

# 1 worker: the reference run, with the decoded frames dumped.
mkdir -p "$T/frames"
up -i "$T/a.mp4" -o "$T/a_x2.mp4" --task SD2HD --workers 1 \
    --dump-frames-hash "$T/h_1.txt" --dump-input-frames "$T/frames" || die "upscale x2, 1 worker"
"$VSR_BIN" check "$T/a_x2.mp4" --input "$T/a.mp4" --task SD2HD || die "check x2"
[ "$(frames "$T/a_x2.mp4")" = "$n_in" ] || die "x2: frame count $(frames "$T/a_x2.mp4") != $n_in"
[ "$(wc -l < "$T/h_1.txt")" = "$n_in" ] || die "hash file has $(wc -l < "$T/h_1.txt") lines"
[ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 "$T/a_x2.mp4")" = aac ] \
    || die "audio stream not copied"
[ "$(ffprobe -v error -show_entries format=format_name -of default=nw=1:nk=1 "$T/a_x2.mp4")" = "mov,mp4,m4a,3gp,3g2,mj2" ] \
    || die "not MP4"

# Pre-encode frames = vsr image on the same decoded frames.
for f in "$T"/frames/frame_*.png; do
    i=$(basename "$f" .png); i=${i#frame_}
    "$VSR_BIN" image -i "$f" -o "$T/img_$i.png" --scale 2 --backend "$BACKEND" >/dev/null \
        || { die "vsr image $f"; continue; }
    want=$(ffmpeg -v error -i "$T/img_$i.png" -f rawvideo -pix_fmt rgb24 - | sha256sum | cut -d' ' -f1)
    got=$(awk -v i="$i" '$1 == i { print $2 }' "$T/h_1.txt")
    [ "$want" = "$got" ] || die "frame $i: pipeline $got, vsr image $want"
done

# Workers and schedules: identical frames before encoding, exact count.
for run in "3 dynamic 0" "2 chunked 0" "3 chunked 2" "2 chunked 1"; do
    set -- $run
    up -i "$T/a.mp4" -o "$T/a_w.mp4" --scale 2 --workers "$1" --schedule "$2" --chunk-frames "$3" \
        --dump-frames-hash "$T/h_w.txt" || { die "upscale $run"; continue; }
    cmp -s "$T/h_1.txt" "$T/h_w.txt" || die "$run: pre-encode frames differ from 1 worker"
    [ "$(frames "$T/a_w.mp4")" = "$n_in" ] || die "$run: frame count"
done

# x4 (SD24K) on 32x24, 8 frames at 30 fps.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -frames:v 8 -c:v libx264 -pix_fmt yuv420p "$T/b.mp4"
up -i "$T/b.mp4" -o "$T/b_x4.mp4" --task SD24K --workers 2 || die "upscale x4"
"$VSR_BIN" check "$T/b_x4.mp4" --input "$T/b.mp4" --task SD24K || die "check x4"

# 4K28K is x2 as well.
up -i "$T/b.mp4" -o "$T/b_4k28k.mp4" --task 4K28K --workers 2 --schedule chunked || die "upscale 4K28K"
"$VSR_BIN" check "$T/b_4k28k.mp4" --input "$T/b.mp4" --task 4K28K || die "check 4K28K"

# AV1 (SVT-AV1, which needs 64x64 at least) passes the gates too.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x32:rate=30 -frames:v 8 -c:v libx264 -pix_fmt yuv420p "$T/s.mp4"
up -i "$T/s.mp4" -o "$T/s_av1.mp4" --task HD24K --codec av1 || die "upscale av1"
"$VSR_BIN" check "$T/s_av1.mp4" --input "$T/s.mp4" --task HD24K || die "check av1"

# H.264 is selectable, and vsr check rejects it (codec gate), exit 1.
up -i "$T/b.mp4" -o "$T/b_h264.mp4" --scale 2 --codec h264 || die "upscale h264"
set +e
"$VSR_BIN" check "$T/b_h264.mp4" --input "$T/b.mp4" --scale 2 > "$T/check_h264.txt"
rc=$?
set -e
[ $rc = 1 ] || die "check of an H.264 output exited $rc, not 1"
grep -q "FAIL  codec" "$T/check_h264.txt" || die "check did not name the codec gate"

# 10-bit HEVC input tagged BT.709, 25 fps: colour tags kept, gates pass.
ffmpeg -v error -y -f lavfi -i testsrc2=size=40x24:rate=25 -frames:v 8 -c:v libx265 -x265-params log-level=error \
    -pix_fmt yuv420p10le -colorspace bt709 -color_primaries bt709 -color_trc bt709 "$T/c10.mp4"
up -i "$T/c10.mp4" -o "$T/c10_x2.mp4" --scale 2 || die "upscale 10-bit"
"$VSR_BIN" check "$T/c10_x2.mp4" --input "$T/c10.mp4" --scale 2 | tee "$T/check_c10.txt" || die "check 10-bit"
grep -q "PASS  colour matrix        output bt709, input bt709" "$T/check_c10.txt" || die "10-bit: tags not kept"

# Other containers and codecs in: VP9 in WebM, AV1 in MKV, H.264 in MOV.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=25 -frames:v 8 -c:v libvpx-vp9 -deadline realtime "$T/in.webm"
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=25 -frames:v 8 -c:v libaom-av1 -cpu-used 8 "$T/in_av1.mkv"
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=25 -frames:v 8 -c:v libx264 "$T/in.mov"
for f in in.webm in_av1.mkv in.mov; do
    up -i "$T/$f" -o "$T/$f.x2.mp4" --scale 2 --workers 2 || { die "upscale $f"; continue; }
    "$VSR_BIN" check "$T/$f.x2.mp4" --input "$T/$f" --scale 2 > "$T/check_$f.txt" || die "check $f"
    [ "$(frames "$T/$f.x2.mp4")" = 8 ] || die "$f: frame count $(frames "$T/$f.x2.mp4")"
done

# Variable frame rate: the input's timestamps come out unchanged.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -frames:v 10 \
    -vf "setpts='N/30/TB+gt(N\,4)*0.05/TB'" -fps_mode passthrough -c:v libx264 -bf 0 "$T/vfr.mp4"
up -i "$T/vfr.mp4" -o "$T/vfr_x2.mp4" --scale 2 || die "upscale vfr"
[ "$(pts "$T/vfr.mp4")" = "$(pts "$T/vfr_x2.mp4")" ] || die "vfr timestamps: $(pts "$T/vfr.mp4") vs $(pts "$T/vfr_x2.mp4")"

# Rotation metadata (a phone video's display matrix) is carried over.
ffmpeg -v error -y -i "$T/b.mp4" -c copy -metadata:s:v:0 rotate=90 "$T/rot.mp4"
up -i "$T/rot.mp4" -o "$T/rot_x2.mp4" --scale 2 || die "upscale rotated"
rot() { ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of default=nw=1:nk=1 "$1"; }
[ -n "$(rot "$T/rot.mp4")" ] && [ "$(rot "$T/rot.mp4")" = "$(rot "$T/rot_x2.mp4")" ] \
    || die "rotation: input '$(rot "$T/rot.mp4")', output '$(rot "$T/rot_x2.mp4")'"

# A pan over a photo from Debian's mate-backgrounds (installed by
# scripts/install-deps.sh): natural detail and motion, 2 workers vs 1.
PHOTO=$(ls /usr/share/backgrounds/mate/nature/*.jpg 2>/dev/null | head -n 1 || true)
if [ -z "$PHOTO" ]; then
    die "no photo in /usr/share/backgrounds/mate/nature (apt-get install mate-backgrounds)"
else
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=160:-2,crop=48:32:x='t*40':y=(ih-32)/2,format=yuv420p" -frames:v 10 -c:v libx264 "$T/pan.mp4"
    up -i "$T/pan.mp4" -o "$T/pan_x2.mp4" --task SD2HD --dump-frames-hash "$T/pan_1.txt" || die "upscale pan"
    "$VSR_BIN" check "$T/pan_x2.mp4" --input "$T/pan.mp4" --task SD2HD > /dev/null || die "check pan"
    up -i "$T/pan.mp4" -o "$T/pan_x2.mp4" --task SD2HD --workers 2 --dump-frames-hash "$T/pan_2.txt" || die "upscale pan 2"
    cmp -s "$T/pan_1.txt" "$T/pan_2.txt" || die "pan: 2 workers differ from 1"
    [ "$(frames "$T/pan_x2.mp4")" = 10 ] || die "pan: frame count"
fi

# Subtitles: mov_text is copied; SubRip (which MP4 cannot hold) is dropped
# with a warning, not a failure. --progress json: one object a line, the
# last one "done" with every frame.
printf '1\n00:00:00,000 --> 00:00:00,200\nhello\n' > "$T/s.srt"
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -i "$T/s.srt" -frames:v 8 -c:v libx264 -c:s mov_text "$T/sub.mp4"
"$VSR_BIN" upscale --backend "$BACKEND" --progress json -i "$T/sub.mp4" -o "$T/sub_x2.mp4" --scale 2 > "$T/progress.jsonl" \
    || die "upscale with subtitles"
[ "$(ffprobe -v error -select_streams s -show_entries stream=codec_name -of csv=p=0 "$T/sub_x2.mp4")" = mov_text ] \
    || die "mov_text subtitles not copied"
tail -n 1 "$T/progress.jsonl" | grep -q '^{"event":"done","frames_done":8,"frames_total":8,' \
    || die "progress json: last line $(tail -n 1 "$T/progress.jsonl")"
if grep -qv '^{.*}$' "$T/progress.jsonl"; then die "progress json: a line is not an object"; fi
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -i "$T/s.srt" -frames:v 8 -c:v libx264 -c:s srt "$T/sub.mkv"
up -i "$T/sub.mkv" -o "$T/sub2_x2.mp4" --scale 2 2> "$T/sub2.err" || die "upscale with SubRip"
grep -q "subrip) cannot go into MP4; dropped" "$T/sub2.err" || die "no warning for dropped SubRip"

# Nothing temporary left behind.
if ls -a "$T" | grep -q vsr-partial; then die "temporary files left"; fi

[ $fail = 0 ] && echo "test_upscale_e2e: ok"
exit $fail
