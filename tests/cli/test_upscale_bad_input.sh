#!/bin/bash
# vsr upscale on bad input: truncated and corrupt files, zero video frames,
# audio only, an unknown codec, a frame over --max-pixels, an unwritable
# output. Each must fail with exit 1 and a message that says what is wrong,
# never crash or hang, and leave no output or temporary file behind.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/upscale_bad"
rm -rf "$T" && mkdir -p "$T"
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

# expect_fail NAME PATTERN OUTPUT ARGS...: exit 1, PATTERN in stderr, no output left.
expect_fail() {
    local name=$1 pattern=$2 out=$3
    shift 3
    timeout 120 "$VSR_BIN" upscale --progress none -o "$out" --scale 2 "$@" 2> "$T/$name.err"
    local rc=$?
    echo "$name: exit $rc: $(tail -n 1 "$T/$name.err")"
    [ $rc = 1 ] || die "$name: exit $rc, expected 1"
    grep -qiE "$pattern" "$T/$name.err" || die "$name: message does not match '$pattern'"
    [ ! -e "$out" ] || [ -d "$out" ] || die "$name: output $out left behind"
    if ls -a "$(dirname "$out")" 2>/dev/null | grep -q vsr-partial; then die "$name: temporary file left"; fi
}

ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 30 -c:v libx264 -movflags +faststart "$T/good.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 30 -c:v libx264 "$T/moov_at_end.mp4"
size=$(stat -c %s "$T/good.mp4")

# Truncated: the index (moov) missing, or the media data cut short.
head -c $((size / 2)) "$T/moov_at_end.mp4" > "$T/trunc_noindex.mp4"
expect_fail trunc_noindex "no video stream|cannot open|moov" "$T/o1.mp4" -i "$T/trunc_noindex.mp4"
head -c $((size * 2 / 3)) "$T/good.mp4" > "$T/trunc_data.mp4"
expect_fail trunc_data "truncated|cut short|corrupt" "$T/o2.mp4" -i "$T/trunc_data.mp4"

# Cut exactly at a packet boundary: no packet is damaged, but the
# container declares more than the file holds.
pos=$(ffprobe -v error -select_streams v -show_entries packet=pos -of csv=p=0 "$T/good.mp4" | sed -n 21p | tr -d ,)
head -c "$pos" "$T/good.mp4" > "$T/trunc_boundary.mp4"
expect_fail trunc_boundary "truncated" "$T/o2b.mp4" -i "$T/trunc_boundary.mp4"

# Corrupt: 600 bytes of 0xff in the middle of the media data.
cp "$T/good.mp4" "$T/corrupt.mp4"
head -c 600 /dev/zero | tr '\0' '\377' | dd of="$T/corrupt.mp4" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_fail corrupt "cannot decode|corrupt|decoded with errors" "$T/o3.mp4" -i "$T/corrupt.mp4"

# Random bytes: not a media file at all.
head -c 4096 /dev/urandom > "$T/random.mp4"
expect_fail random "cannot open|no video" "$T/o4.mp4" -i "$T/random.mp4"

# A video stream with no frames (audio present).
ffmpeg -v error -y -f lavfi -i testsrc2=size=32x24:rate=30 -f lavfi -i sine -t 0.5 -c:v libx264 -c:a aac "$T/av.mkv"
ffmpeg -v error -y -i "$T/av.mkv" -map 0 -c copy -bsf:v noise=dropamount=1 "$T/zero_frames.mkv"
expect_fail zero_frames "no frames" "$T/o5.mp4" -i "$T/zero_frames.mkv"

# Audio only.
ffmpeg -v error -y -f lavfi -i sine -t 0.5 -c:a aac "$T/audio.m4a"
expect_fail audio_only "no video stream" "$T/o6.mp4" -i "$T/audio.m4a"

# A codec nothing decodes: the sample entry's fourcc renamed.
perl -0777 -pe 's/avc1/zzzz/g' "$T/good.mp4" > "$T/unknown_codec.mp4"
expect_fail unknown_codec "no decoder" "$T/o7.mp4" -i "$T/unknown_codec.mp4"

# Over the pixel limit (64x48 = 3072 pixels).
expect_fail too_large "over the limit" "$T/o8.mp4" -i "$T/good.mp4" --max-pixels 3000

# Missing input.
expect_fail missing_input "cannot open" "$T/o9.mp4" -i "$T/does_not_exist.mp4"

# Unwritable output: a missing directory, a path through a file, a directory.
expect_fail no_dir "cannot write" "$T/no/such/dir/out.mp4" -i "$T/good.mp4"
touch "$T/plainfile"
expect_fail through_file "cannot write" "$T/plainfile/out.mp4" -i "$T/good.mp4"
mkdir -p "$T/outdir"
expect_fail out_is_dir "cannot|directory" "$T/outdir" -i "$T/good.mp4"

# Odd output size for 4:2:0 (x3 of an odd-width 4:4:4 input).
ffmpeg -v error -y -f lavfi -i testsrc2=size=34x24:rate=30 -frames:v 3 -vf format=yuv444p,crop=w=33:h=24:x=0:y=0:exact=1 -c:v ffv1 -pix_fmt yuv444p "$T/odd444.mkv"
timeout 120 "$VSR_BIN" upscale --progress none -i "$T/odd444.mkv" -o "$T/o10.mp4" --scale 3 2> "$T/odd.err"
rc=$?
echo "odd_size: exit $rc: $(tail -n 1 "$T/odd.err")"
[ $rc = 1 ] && grep -q "even" "$T/odd.err" || die "odd output size: exit $rc"

# Usage errors exit 2.
"$VSR_BIN" upscale -i "$T/good.mp4" -o "$T/o11.mp4" 2>/dev/null; rc=$?
[ $rc = 2 ] || die "missing --task/--scale: exit $rc, expected 2"
"$VSR_BIN" upscale -i "$T/good.mp4" -o "$T/o11.mp4" --task SD24K --scale 2 2>/dev/null; rc=$?
[ $rc = 2 ] || die "--task and --scale disagree: exit $rc, expected 2"
"$VSR_BIN" upscale -i "$T/good.mp4" -o "$T/o11.mp4" --scale 2 --codec vp9 2>/dev/null; rc=$?
[ $rc = 2 ] || die "--codec vp9: exit $rc, expected 2"

# An encoder this build lacks, or NVENC without a GPU: a clear error.
expect_fail no_encoder "not in this FFmpeg build" "$T/o12.mp4" -i "$T/good.mp4" --encoder nosuch_enc
if ! nvidia-smi >/dev/null 2>&1; then
    expect_fail nvenc_absent "nvenc|NVIDIA" "$T/o13.mp4" -i "$T/good.mp4" --encoder hevc_nvenc
fi

[ $fail = 0 ] && echo "test_upscale_bad_input: ok"
exit $fail
