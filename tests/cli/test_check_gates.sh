#!/bin/bash
# vsr check: each validator gate (DESIGN.md §5) fails on a file made to
# break it, and only that gate; a good file passes all; exit status follows.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/check_gates"
rm -rf "$T" && mkdir -p "$T"
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }
ff() { ffmpeg -v error -y "$@"; }
X265="-c:v libx265 -x265-params log-level=error -pix_fmt yuv420p"

# Input: 32x24, 20 frames at 30 fps, H.264, tagged BT.709.
ff -f lavfi -i testsrc2=size=32x24:rate=30 -frames:v 20 -c:v libx264 -pix_fmt yuv420p \
   -colorspace bt709 -color_primaries bt709 -color_trc bt709 "$T/in.mp4"
SRC="-f lavfi -i testsrc2=size=64x48:rate=30"
TAGS="-colorspace bt709 -color_primaries bt709 -color_trc bt709"

# check FILE EXPECTED_RC [FAILING_GATE]
check() {
    "$VSR_BIN" check "$1" --input "$T/in.mp4" --scale 2 > "$T/out.txt" 2>&1
    local rc=$?
    [ $rc = "$2" ] || { die "$(basename "$1"): exit $rc, expected $2"; cat "$T/out.txt"; }
    if [ -n "${3:-}" ]; then
        grep -q "FAIL  $3" "$T/out.txt" || die "$(basename "$1"): gate '$3' did not fail"
        [ "$(grep -c "FAIL  " "$T/out.txt")" = 1 ] || { die "$(basename "$1"): more than one gate failed"; cat "$T/out.txt"; }
    fi
    echo "$(basename "$1"): exit $rc $(grep FAIL "$T/out.txt" | head -1)"
}

ff $SRC -frames:v 20 $X265 $TAGS "$T/good.mp4";                check "$T/good.mp4" 0
ff $SRC -frames:v 17 $X265 $TAGS "$T/minus3.mp4";              check "$T/minus3.mp4" 0
ff $SRC -frames:v 14 $X265 $TAGS "$T/minus6.mp4";              check "$T/minus6.mp4" 1 "frame count"
ff $SRC -frames:v 20 $X265 $TAGS "$T/good.mkv";                check "$T/good.mkv" 1 "container"
ff -f lavfi -i testsrc2=size=66x48:rate=30 -frames:v 20 $X265 $TAGS "$T/res.mp4"; check "$T/res.mp4" 1 "resolution"
ff $SRC -frames:v 20 -c:v libx264 -pix_fmt yuv420p $TAGS "$T/h264.mp4"; check "$T/h264.mp4" 1 "codec"
ff $SRC -frames:v 20 -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p10le $TAGS "$T/main10.mp4"
check "$T/main10.mp4" 1 "pixel format"   # Main 10 is a valid profile; yuv420p10le is not yuv420p
ff $SRC -frames:v 20 $X265 $TAGS -vf setsar=2 "$T/sar.mp4";    check "$T/sar.mp4" 1 "sample aspect ratio"
ff -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 20 $X265 $TAGS "$T/fps.mp4"; check "$T/fps.mp4" 1 "frame rate"
ff $SRC -frames:v 20 $X265 -colorspace bt470bg -color_primaries bt709 -color_trc bt709 "$T/matrix.mp4"
check "$T/matrix.mp4" 1 "colour matrix"
ff $SRC -frames:v 20 $X265 "$T/untagged.mp4";                  check "$T/untagged.mp4" 0
ff $SRC -frames:v 20 -vf noise=alls=100:allf=t -c:v libx265 -x265-params log-level=error:lossless=1 -pix_fmt yuv420p $TAGS "$T/big.mp4"
check "$T/big.mp4" 1 "file size"

# Usage errors exit 2, unreadable files exit 1.
"$VSR_BIN" check "$T/good.mp4" --scale 2 >/dev/null 2>&1; [ $? = 2 ] || die "no --input: not exit 2"
"$VSR_BIN" check "$T/good.mp4" --input "$T/in.mp4" >/dev/null 2>&1; [ $? = 2 ] || die "no scale: not exit 2"
"$VSR_BIN" check "$T/nope.mp4" --input "$T/in.mp4" --task SD2HD >/dev/null 2>&1; [ $? = 1 ] || die "missing file: not exit 1"

[ $fail = 0 ] && echo "test_check_gates: ok"
exit $fail
