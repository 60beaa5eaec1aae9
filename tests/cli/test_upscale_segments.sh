#!/bin/bash
# Encoder profiles and segment-parallel encoding (--profile,
# --encode-segments): every profile passes the validator's gates; K
# segments encoded in parallel and joined give one track with the input's
# exact frame count and timestamps (variable frame rate too), strictly
# increasing DTS, and the same frames before encoding as one encoder; odd
# frame counts, a clip shorter than one segment and the auto length's
# short first round; Ctrl-C leaves nothing;
# --verbose and --progress json name every stage and the slowest.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/upscale_segments"
rm -rf "$T" && mkdir -p "$T"
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

. "$(dirname "$0")/video_lib.sh"
echo "backend: $BACKEND"
# Every video packet's DTS must exceed the one before (decode order).
dts_increasing() {
    ffprobe -v error -select_streams v:0 -show_entries packet=dts -of csv=p=0 "$1" |
        awk 'NR > 1 && $1 + 0 <= prev + 0 { bad = 1 } { prev = $1 } END { exit bad }'
}
keyframes() { ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$1" | grep -c K; }
check() { "$VSR_BIN" check "$1" --input "$2" --scale 2 > "$T/check.txt" || { cat "$T/check.txt" >&2; die "check $1"; }; }

# 17 frames (odd) at 24 fps, 32x32, H.264 with B-frames, AAC audio.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x32:rate=24 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -frames:v 17 -t 0.708 -c:v libx264 -bf 2 -pix_fmt yuv420p -c:a aac -shortest "$T/a.mp4"
[ "$(frames "$T/a.mp4")" = 17 ] || die "generated clip has $(frames "$T/a.mp4") frames, not 17"

# Every profile, HEVC and AV1: the gates pass (one encoder and 2 segments).
for prof in fast balanced quality; do
    for codec in hevc av1; do
        up -i "$T/a.mp4" -o "$T/p_${prof}_$codec.mp4" --scale 2 --profile "$prof" --codec "$codec" \
            || { die "profile $prof $codec"; continue; }
        check "$T/p_${prof}_$codec.mp4" "$T/a.mp4"
        up -i "$T/a.mp4" -o "$T/p_${prof}_${codec}_seg.mp4" --scale 2 --profile "$prof" --codec "$codec" \
            --encode-segments 2 --segment-frames 6 || { die "profile $prof $codec, segments"; continue; }
        check "$T/p_${prof}_${codec}_seg.mp4" "$T/a.mp4"
        [ "$(frames "$T/p_${prof}_${codec}_seg.mp4")" = 17 ] || die "$prof $codec segments: frame count"
    done
done
# The profile chooses the preset by output size; --preset and --crf win.
up -i "$T/a.mp4" -o "$T/v.mp4" --scale 2 --profile quality --verbose 2> "$T/v.txt" || die "verbose run"
grep -q "profile quality: preset slow, crf 20" "$T/v.txt" || die "quality profile at 64x64: $(grep profile "$T/v.txt")"
up -i "$T/a.mp4" -o "$T/v.mp4" --scale 2 --profile fast --preset medium --crf 30 --verbose 2> "$T/v.txt" || die "override"
grep -q "profile fast: preset medium, crf 30" "$T/v.txt" || die "override: $(grep profile "$T/v.txt")"

# One encoder: the reference.
up -i "$T/a.mp4" -o "$T/one.mp4" --scale 2 --dump-frames-hash "$T/h_one.txt" || die "one encoder"
check "$T/one.mp4" "$T/a.mp4"

# 2 and 3 encoders; segments of 4 (5 segments, the last of one frame), 6
# (the last of 5) and 5 frames.
for run in "2 4" "3 6" "3 5" "2 1"; do
    set -- $run
    o="$T/seg_$1_$2.mp4"
    up -i "$T/a.mp4" -o "$o" --scale 2 --encode-segments "$1" --segment-frames "$2" \
        --dump-frames-hash "$T/h_seg.txt" || { die "segments $run"; continue; }
    check "$o" "$T/a.mp4"
    [ "$(frames "$o")" = 17 ] || die "segments $run: frame count $(frames "$o")"
    cmp -s "$T/h_one.txt" "$T/h_seg.txt" || die "segments $run: pre-encode frames differ from one encoder"
    dts_increasing "$o" || die "segments $run: DTS not strictly increasing"
    [ "$(pts "$o")" = "$(pts "$T/a.mp4")" ] || die "segments $run: timestamps $(pts "$o") vs $(pts "$T/a.mp4")"
    want_k=$(( (17 + $2 - 1) / $2 ))
    [ "$(keyframes "$o")" -ge "$want_k" ] || die "segments $run: $(keyframes "$o") keyframes, expected >= $want_k"
    [ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 "$o")" = aac ] \
        || die "segments $run: audio not copied"
    # The same track timing as one encoder: duration and average rate.
    for f in duration avg_frame_rate; do
        a=$(ffprobe -v error -select_streams v:0 -show_entries stream=$f -of csv=p=0 "$T/one.mp4")
        b=$(ffprobe -v error -select_streams v:0 -show_entries stream=$f -of csv=p=0 "$o")
        [ "$a" = "$b" ] || die "segments $run: $f $b, one encoder $a"
    done
done

# A clip shorter than one segment, and auto (whatever it picks here).
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -frames:v 5 -c:v libx264 -pix_fmt yuv420p "$T/short.mp4"
up -i "$T/short.mp4" -o "$T/short_seg.mp4" --scale 2 --encode-segments 3 --segment-frames 8 || die "short clip"
check "$T/short_seg.mp4" "$T/short.mp4"
[ "$(frames "$T/short_seg.mp4")" = 5 ] || die "short clip: frame count"
up -i "$T/a.mp4" -o "$T/auto.mp4" --scale 2 --encode-segments auto || die "auto"
check "$T/auto.mp4" "$T/a.mp4"

# The auto length with 2 encoders: a short first round (a quarter of 2 s
# at 24 fps: 12 frames each), then the rest balanced (36 frames: 2 of 18),
# every frame as one encoder makes it; the timeline names the encoders.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x32:rate=24 -frames:v 60 -c:v libx264 -pix_fmt yuv420p "$T/b.mp4"
up -i "$T/b.mp4" -o "$T/b_one.mp4" --scale 2 --dump-frames-hash "$T/hb_one.txt" || die "60 frames, one encoder"
up -i "$T/b.mp4" -o "$T/b_lead.mp4" --scale 2 --encode-segments 2 -v --dump-frames-hash "$T/hb_lead.txt" \
    2> "$T/lead.txt" || die "60 frames, 2 encoders"
grep -Eq "2 segment encoders of [0-9]+ threads, 4 segments \(2 of 12 frames, then 18\) joined" "$T/lead.txt" ||
    die "lead round: $(grep segment "$T/lead.txt")"
grep -Eq "timeline: set up [0-9.]+ s, workers ready [0-9.]+-[0-9.]+ s, first frame decoded [0-9.]+ s, upscaled [0-9.]+ s; encoders started [0-9.]+-[0-9.]+ s, done [0-9.]+-[0-9.]+ s; output complete [0-9.]+ s" \
    "$T/lead.txt" || die "timeline: $(grep timeline "$T/lead.txt")"
check "$T/b_lead.mp4" "$T/b.mp4"
[ "$(frames "$T/b_lead.mp4")" = 60 ] || die "lead round: frame count $(frames "$T/b_lead.mp4")"
cmp -s "$T/hb_one.txt" "$T/hb_lead.txt" || die "lead round: pre-encode frames differ from one encoder"
dts_increasing "$T/b_lead.mp4" || die "lead round: DTS not strictly increasing"
[ "$(pts "$T/b_lead.mp4")" = "$(pts "$T/b.mp4")" ] || die "lead round: timestamps differ"
[ "$(keyframes "$T/b_lead.mp4")" -ge 4 ] || die "lead round: $(keyframes "$T/b_lead.mp4") keyframes, expected >= 4"

# Variable frame rate: the input's timestamps, through 3 segment encoders.
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -frames:v 19 \
    -vf "setpts='N/30/TB+gt(N\,4)*0.05/TB+gt(N\,11)*0.021/TB'" -fps_mode passthrough -c:v libx264 -bf 0 "$T/vfr.mp4"
up -i "$T/vfr.mp4" -o "$T/vfr_seg.mp4" --scale 2 --encode-segments 3 --segment-frames 5 || die "vfr segments"
[ "$(pts "$T/vfr.mp4")" = "$(pts "$T/vfr_seg.mp4")" ] || die "vfr: $(pts "$T/vfr.mp4") vs $(pts "$T/vfr_seg.mp4")"
dts_increasing "$T/vfr_seg.mp4" || die "vfr: DTS not strictly increasing"
[ "$(frames "$T/vfr_seg.mp4")" = 19 ] || die "vfr: frame count"

# Stage report: every stage and the slowest, in --verbose and in the last
# JSON progress line.
up -i "$T/a.mp4" -o "$T/v.mp4" --scale 2 --encode-segments 2 --segment-frames 6 --verbose 2> "$T/v.txt" || die "verbose"
for s in demux+decode colour upscale encode mux; do
    grep -Eq "stage ${s//+/\\+} +busy +[0-9.]+ s.* [0-9.]+ fps" "$T/v.txt" || die "--verbose lacks stage $s"
done
grep -Eq "slowest stage: (demux\+decode|colour|upscale|encode|mux) \([0-9.]+ fps\)" "$T/v.txt" || die "--verbose: no slowest stage"
grep -Eq "2 segment encoders of [0-9]+ threads, 3 segments of 6 frames joined" "$T/v.txt" || die "--verbose: segments: $(grep segment "$T/v.txt")"
"$VSR_BIN" upscale --backend "$BACKEND" --progress json -i "$T/a.mp4" -o "$T/v.mp4" --scale 2 > "$T/p.jsonl" || die "json"
tail -n 1 "$T/p.jsonl" | grep -Eq '"stages":\{"demux\+decode":\{"busy_s":[0-9.]+,"fps":[0-9.]+\},"colour".*"mux".*"slowest_stage":"[a-z+]+"\}$' \
    || die "progress json: $(tail -n 1 "$T/p.jsonl")"

# Usage errors.
"$VSR_BIN" upscale -i "$T/a.mp4" -o "$T/x.mp4" --scale 2 --profile best > /dev/null 2>&1
[ $? = 2 ] || die "--profile best: not a usage error"
"$VSR_BIN" upscale -i "$T/a.mp4" -o "$T/x.mp4" --scale 2 --encode-segments 0 > /dev/null 2>&1
[ $? = 2 ] || die "--encode-segments 0: not a usage error"

# Ctrl-C in segment mode (the reference backend, about a second a frame):
# exit 130, no output, no temporary file.
ffmpeg -v error -y -f lavfi -i testsrc2=size=16x16:rate=30 -frames:v 600 -c:v libx264 "$T/long.mp4"
start=$(date +%s)
# (-k 30: a run that does not stop on SIGINT is killed 30 s later and fails
# below, instead of hanging the test)
timeout -k 30 --preserve-status -s INT 2 "$VSR_BIN" upscale --progress none --backend ref -i "$T/long.mp4" \
    -o "$T/int.mp4" --scale 2 --workers 2 --encode-segments 3 --segment-frames 4 2> "$T/int.txt"
rc=$?
took=$(( $(date +%s) - start ))
[ $rc = 130 ] || die "SIGINT in segment mode: exit $rc, expected 130: $(tail -n 3 "$T/int.txt")"
[ $took -le 30 ] || die "SIGINT in segment mode: took ${took}s"
[ ! -e "$T/int.mp4" ] || die "SIGINT in segment mode: output left behind"

if ls -a "$T" | grep -q vsr-partial; then die "temporary files left"; fi
[ $fail = 0 ] && echo "test_upscale_segments: ok"
exit $fail
