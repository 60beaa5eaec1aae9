# Helpers for the tests/cli/test_cli_*.sh scripts (sourced, not a test).
# CTest provides VSR_BIN, VSR_TOOLS_DIR, VSR_MODELS_DIR, VSR_SOURCE_DIR and
# VSR_TEST_TMP; a test that lacks one of them, or a tool it needs, fails.

set -u
for v in VSR_BIN VSR_TOOLS_DIR VSR_MODELS_DIR VSR_SOURCE_DIR VSR_TEST_TMP; do
    if [ -z "${!v:-}" ]; then
        echo "FAIL: $v is not set (run through ctest)" >&2
        exit 1
    fi
done

failures=0
checks=0
TEST_NAME=$(basename "$0" .sh)
# A fresh scratch directory per script, so scripts can run in parallel.
WORK="$VSR_TEST_TMP/$TEST_NAME"
rm -rf "$WORK"
mkdir -p "$WORK"

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "FAIL: $1 is needed (${2:-})" >&2; exit 1; }
}

# expect RC REGEX CMD...: runs CMD; its exit status must be RC and its
# stdout+stderr must match the extended regex REGEX ('' = anything). The
# output is kept in $OUT. An exit status of 128 or more (a signal, a
# sanitizer abort) is always reported as a crash.
expect() {
    local want=$1 pat=$2
    shift 2
    checks=$((checks + 1))
    OUT=$("$@" 2>&1)
    local rc=$?
    if [ "$rc" -ge 128 ]; then
        fail "crashed (status $rc): $*"$'\n'"$OUT"
    elif [ "$rc" != "$want" ]; then
        fail "exit status $rc, expected $want: $*"$'\n'"$OUT"
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$OUT"; then
        fail "output does not match /$pat/: $*"$'\n'"$OUT"
    fi
}

# check DESCRIPTION CMD...: CMD must succeed.
check() {
    local what=$1
    shift
    checks=$((checks + 1))
    "$@" || fail "$what"
}

# image_size FILE: prints WIDTHxHEIGHT of an image (ffprobe).
image_size() {
    ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$1"
}

finish() {
    echo "$TEST_NAME: $checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}
