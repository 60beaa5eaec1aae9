#!/bin/bash
# What an output may be (issue 20): `vsr upscale`, `vsr image` and `vsr
# compress` refuse an output that is the input itself (by the same path,
# another path, a hard link or a symlink: the same file), and one that is a
# FIFO or a device (through a symlink to /dev/null here, so that a build
# without the check replaces the link, never /dev/null itself). Each is
# refused before any work, with a message that says why, and leaves the
# input and the special file as they were. A symlink to a regular file that
# is not the input is still a fine output.
source "$(dirname "$0")/cli_lib.sh"
source "$(dirname "$0")/video_lib.sh"
need ffmpeg "to make the clip and the image"
need sha256sum "coreutils"

cd "$WORK" || exit 1
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 4 -c:v libx264 \
    -pix_fmt yuv420p in.mp4 || { echo "FAIL: ffmpeg" >&2; exit 1; }
ffmpeg -v error -y -f lavfi -i testsrc2=s=40x30 -frames:v 1 in.png || { echo "FAIL: ffmpeg" >&2; exit 1; }
mkdir sub
ln in.mp4 hard.mp4
ln -s in.mp4 sym.mp4
ln in.png hard.png
ln -s "$WORK/in.png" sym.png
mkfifo fifo.mp4 fifo.png
ln -s /dev/null null.mp4
ln -s /dev/null null.png
cp in.mp4 pristine.mp4
cp in.png pristine.png
SUM_MP4=$(sha256sum <in.mp4)
SUM_PNG=$(sha256sum <in.png)
M=(--models-dir "$VSR_MODELS_DIR")

# refused_same CMD...: refused as the input itself; an input replaced
# anyway (a build without the check) is put back for the next case, so
# that it does not double in size with each one.
refused_same() {
    expect 1 'is the input .* itself' "$@"
    if [ "$(sha256sum <in.mp4)" != "$SUM_MP4" ] || [ "$(sha256sum <in.png)" != "$SUM_PNG" ]; then
        fail "the input was replaced: $*"
        rm -f in.mp4 in.png
        cp pristine.mp4 in.mp4 && cp pristine.png in.png && ln -f in.mp4 hard.mp4 && ln -f in.png hard.png
    fi
}

for o in in.mp4 ./in.mp4 sub/../in.mp4 "$WORK/in.mp4" hard.mp4 sym.mp4; do
    refused_same up "${M[@]}" --scale 2 -i in.mp4 -o "$o"
done
refused_same up "${M[@]}" --scale 2 -i sym.mp4 -o in.mp4
refused_same "$VSR_BIN" compress -i in.mp4 -o hard.mp4 --vmaf 85
for o in in.png "$WORK/./in.png" hard.png sym.png; do
    refused_same "$VSR_BIN" image "${M[@]}" --scale 2 -i in.png -o "$o"
done

expect 1 "fifo.mp4: cannot write: is a FIFO" up "${M[@]}" --scale 2 -i in.mp4 -o fifo.mp4
expect 1 "null.mp4: cannot write: is a character device" up "${M[@]}" --scale 2 -i in.mp4 -o null.mp4
expect 1 "fifo.mp4: cannot write: is a FIFO" "$VSR_BIN" compress -i in.mp4 -o fifo.mp4 --vmaf 85
expect 1 "fifo.png: cannot write: is a FIFO" "$VSR_BIN" image "${M[@]}" --scale 2 -i in.png -o fifo.png
expect 1 "null.png: cannot write: is a character device" "$VSR_BIN" image "${M[@]}" --scale 2 \
    -i in.png -o null.png

checks=$((checks + 1))
[ -p fifo.mp4 ] && [ -p fifo.png ] && [ -L null.mp4 ] && [ -L null.png ] && [ -c /dev/null ] ||
    fail "a FIFO or device link was replaced: $(ls -l fifo.* null.*)"
checks=$((checks + 1))
[ -L sym.mp4 ] && [ -L sym.png ] && [ "$(stat -c %h in.mp4)" = 2 ] || fail "a link was replaced"
checks=$((checks + 1))
! ls -a | grep -q 'vsr-partial\|\.tmp$' || fail "scratch files left: $(ls -a)"

# Still fine: a new file, and a symlink to another regular file (the
# rename replaces the link, as before).
expect 0 "" up "${M[@]}" --scale 2 -i in.mp4 -o out.mp4
checks=$((checks + 1))
[ "$(frames out.mp4)" = 4 ] || fail "out.mp4: $(frames out.mp4) frames"
: >other.png
ln -s other.png link.png
expect 0 "" "$VSR_BIN" image "${M[@]}" --scale 2 -i in.png -o link.png
checks=$((checks + 1))
[ "$(image_size link.png)" = 80x60 ] || fail "link.png: $(image_size link.png)"

finish
