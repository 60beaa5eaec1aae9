# Usage errors exit 2 and say what is accepted; --help works everywhere.
source "$(dirname "$0")/cli_lib.sh"
need ffmpeg "the Debian ffmpeg package makes the test image"

IN="$WORK/in.png"
ffmpeg -v error -y -f lavfi -i testsrc2=s=40x30 -frames:v 1 "$IN" || { echo "FAIL: ffmpeg" >&2; exit 1; }
O="$WORK/out.png"

# the top level
expect 0 'usage: vsr <command>' "$VSR_BIN" --help
expect 0 'image .*models|models' "$VSR_BIN" -h
expect 0 '^vsr [0-9]+\.[0-9]+' "$VSR_BIN" --version
expect 2 'usage: vsr' "$VSR_BIN"
expect 2 "unknown command 'frobnicate'.*image, models" "$VSR_BIN" frobnicate
expect 0 'usage: vsr image' "$VSR_BIN" help image

# --help on every command the top level lists
for cmd in $("$VSR_BIN" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
    expect 0 "usage: vsr $cmd" "$VSR_BIN" "$cmd" --help
    expect 0 "usage: vsr $cmd" "$VSR_BIN" "$cmd" -h
    expect 2 "vsr $cmd: unknown .*'--no-such-option'.*" "$VSR_BIN" "$cmd" --no-such-option
done
expect 0 '--scale 2\|3\|4' "$VSR_BIN" image --help
expect 0 '--backend' "$VSR_BIN" image --help

# unknown options and operands
expect 2 "unknown option -x" "$VSR_BIN" image -x -i "$IN" -o "$O"
expect 2 "unexpected argument 'extra'" "$VSR_BIN" image -i "$IN" -o "$O" extra
expect 2 "unexpected argument 'extra'" "$VSR_BIN" models extra

# bad values name what is accepted
expect 2 "--scale: expected 2, 3 or 4, got '5'" "$VSR_BIN" image -i "$IN" -o "$O" --scale 5
expect 2 "--scale: expected 2, 3 or 4, got 'x2'" "$VSR_BIN" image -i "$IN" -o "$O" --scale=x2
expect 2 "--backend: expected auto, (.+, )?ref(, .+)? or .+, got 'gpu'|--backend: expected auto or ref, got 'gpu'" \
    "$VSR_BIN" image -i "$IN" -o "$O" --backend gpu
expect 2 "--precision: expected auto, fp32, bf16 or fp16, got 'int8'" \
    "$VSR_BIN" image -i "$IN" -o "$O" --precision int8
# A precision the backend does not compute in is refused, saying which it has.
expect 1 "the ref backend computes in fp32 only" \
    "$VSR_BIN" image -i "$IN" -o "$O" --backend ref --precision fp16
expect 2 "--tile: expected 0 \(automatic\) or .*got '-3'" "$VSR_BIN" image -i "$IN" -o "$O" --tile -3
expect 2 "--tile: .*got '12abc'" "$VSR_BIN" image -i "$IN" -o "$O" --tile 12abc
expect 2 "--threads: expected .*got 'many'" "$VSR_BIN" image -i "$IN" -o "$O" --threads many
expect 2 "--quality: expected .*1\.\.100, got '0'" "$VSR_BIN" image -i "$IN" -o "$O.jpg" --quality 0
expect 2 "--model: expected a model name" "$VSR_BIN" image -i "$IN" -o "$O" --model ''

# missing values and required options
expect 2 "-i INPUT is required" "$VSR_BIN" image -o "$O"
expect 2 "-o OUTPUT is required" "$VSR_BIN" image -i "$IN"
expect 2 "option -i needs a value" "$VSR_BIN" image -o "$O" -i
expect 2 "option --scale needs a value" "$VSR_BIN" image -i "$IN" -o "$O" --scale
expect 2 "expected an extension of \.png, \.jpg or \.jpeg" "$VSR_BIN" image -i "$IN" -o "$WORK/out.gif"
expect 2 "expected an extension of \.png, \.jpg or \.jpeg" "$VSR_BIN" image -i "$IN" -o "$WORK/noext"
expect 2 "Try 'vsr image --help'" "$VSR_BIN" image

# usage errors happen before any work: nothing written
check "no output after usage errors" test ! -e "$O" -a ! -e "$O.jpg"

finish
