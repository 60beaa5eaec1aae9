# Missing, corrupt and oversized inputs and unwritable outputs fail with
# exit 1 and a message naming the file; nothing crashes; no output file or
# temporary is left behind.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "the Debian ffmpeg package makes the test images"
need python3 "writes a PNG header claiming a huge size"

GOOD="$WORK/good.png"
ffmpeg -v error -y -f lavfi -i testsrc2=s=40x30 -frames:v 1 "$GOOD" || { echo "FAIL: ffmpeg" >&2; exit 1; }
GOODJ="$WORK/good.jpg"
ffmpeg -v error -y -i "$GOOD" -q:v 2 "$GOODJ" || { echo "FAIL: ffmpeg" >&2; exit 1; }
O="$WORK/out.png"
RUN=("$VSR_BIN" image --backend ref --scale 2)

no_output() {
    check "no output file after: $1" test ! -e "$O"
    check "no temporary left after: $1" test -z "$(find "$WORK" -name '.*' -type f)"
}

# inputs
expect 1 "missing\.png: No such file or directory" "${RUN[@]}" -i "$WORK/missing.png" -o "$O"
no_output "missing input"

size=$(stat -c %s "$GOOD")
head -c $((size / 2)) "$GOOD" >"$WORK/truncated.png"
expect 1 "truncated\.png: .*(decode|Invalid data)" "${RUN[@]}" -i "$WORK/truncated.png" -o "$O"
no_output "truncated PNG"

head -c 40 "$GOOD" >"$WORK/header-only.png"
expect 1 "header-only\.png" "${RUN[@]}" -i "$WORK/header-only.png" -o "$O"
no_output "PNG header only"

size=$(stat -c %s "$GOODJ")
head -c $((size * 2 / 3)) "$GOODJ" >"$WORK/truncated.jpg"
expect 1 "truncated\.jpg: .*(damaged|decode|Invalid data)" "${RUN[@]}" -i "$WORK/truncated.jpg" -o "$O"
no_output "truncated JPEG"

head -c 6000 /dev/urandom >"$WORK/random.png"
expect 1 "random\.png: not an image" "${RUN[@]}" -i "$WORK/random.png" -o "$O"
no_output "random bytes"

: >"$WORK/empty.jpg"
expect 1 "empty\.jpg: not an image" "${RUN[@]}" -i "$WORK/empty.jpg" -o "$O"
no_output "empty file"

ffmpeg -v error -y -f lavfi -i sine -t 0.2 "$WORK/sound.wav" || { echo "FAIL: ffmpeg" >&2; exit 1; }
expect 1 "sound\.wav: not an image" "${RUN[@]}" -i "$WORK/sound.wav" -o "$O"
no_output "audio file"

mkdir -p "$WORK/a-directory.png"
expect 1 "a-directory\.png: is a directory" "${RUN[@]}" -i "$WORK/a-directory.png" -o "$O"
no_output "directory as input"

# a name with a printf pattern is a file name, not an image sequence
cp "$GOOD" "$WORK/frame%03d.png"
expect 0 "" "${RUN[@]}" -i "$WORK/frame%03d.png" -o "$O"
check "pattern-named input read" test "$(image_size "$O")" = 80x60
rm -f "$O"

python3 - "$WORK/huge.png" <<'PY' || { echo "FAIL: python3" >&2; exit 1; }
import struct, sys, zlib
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
with open(sys.argv[1], 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 30000, 20000, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))
PY
expect 1 "huge\.png: image is 30000x20000, larger than the limit" "${RUN[@]}" -i "$WORK/huge.png" -o "$O"
no_output "oversized image"

# outputs
expect 1 "no-such-dir.*No such file or directory" "${RUN[@]}" -i "$GOOD" -o "$WORK/no-such-dir/out.png"
check "nothing created for a missing directory" test ! -e "$WORK/no-such-dir"

echo data >"$WORK/plain-file"
expect 1 "plain-file.*[Nn]ot a directory" "${RUN[@]}" -i "$GOOD" -o "$WORK/plain-file/out.png"
check "file under a file not created" test "$(cat "$WORK/plain-file")" = data

mkdir -p "$WORK/taken.png"
expect 1 "taken\.png: is a directory" "${RUN[@]}" -i "$GOOD" -o "$WORK/taken.png"
check "directory left as it was" test -d "$WORK/taken.png" -a -z "$(ls -A "$WORK/taken.png")"
no_output "directory as output"

# a read-only directory (meaningless as root, who may write anywhere)
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$WORK/read-only"
    chmod 555 "$WORK/read-only"
    expect 1 "read-only.*Permission denied" "${RUN[@]}" -i "$GOOD" -o "$WORK/read-only/out.png"
    check "nothing written into a read-only directory" test -z "$(ls -A "$WORK/read-only")"
    chmod 755 "$WORK/read-only"
fi

# an existing output is replaced only by a complete new one
cp "$GOOD" "$O"
expect 1 "random\.png" "${RUN[@]}" -i "$WORK/random.png" -o "$O"
check "failed run keeps the old output" cmp -s "$GOOD" "$O"
rm -f "$O"

# a missing model is a runtime failure naming what was looked for
expect 1 "no-such-model.*not found" "${RUN[@]}" -i "$GOOD" -o "$O" --model no-such-model
expect 1 "not found" "${RUN[@]}" -i "$GOOD" -o "$O" --model "$WORK/missing.param"
no_output "missing model"

finish
