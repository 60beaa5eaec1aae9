#!/bin/bash
# tests/cli/s3rver_lib.sh itself, which the server tests rely on: s3rver
# starts on a free port with the bucket, stores and returns an object,
# stops (also on exit, after an EXIT trap set before), and a missing
# s3rver is an error.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/s3rver_lib.sh"
need curl "apt-get install curl"
need cmp "apt-get install diffutils"

check "s3rver_start" s3rver_start "$WORK/s3" lib-bucket
check "S3_ENDPOINT is http://127.0.0.1:PORT ($S3_ENDPOINT)" \
    grep -Eq '^http://127\.0\.0\.1:[0-9]+$' <<<"${S3_ENDPOINT:-}"
check "S3_BUCKET" test "${S3_BUCKET:-}" = lib-bucket
check "S3_ACCESS_KEY/S3_SECRET_KEY" test "${S3_ACCESS_KEY:-}:${S3_SECRET_KEY:-}" = S3RVER:S3RVER

# s3rver accepts unsigned requests: enough to see it store and serve bytes.
head -c 100000 /dev/urandom >"$WORK/obj.bin"
expect 0 '^200$' curl -s -o /dev/null -w '%{http_code}' -T "$WORK/obj.bin" \
    "$S3_ENDPOINT/$S3_BUCKET/dir/obj.bin"
expect 0 '^200$' curl -s -o "$WORK/back.bin" -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET/dir/obj.bin"
check "object comes back unchanged" cmp -s "$WORK/obj.bin" "$WORK/back.bin"
expect 0 '^404$' curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET/missing"

pid=$S3RVER_PID
check "s3rver_stop" s3rver_stop
check "s3rver process $pid gone" bash -c "! kill -0 $pid 2>/dev/null"
check "s3rver_stop twice" s3rver_stop
expect 7 '^000$' curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET"

# On exit, s3rver is stopped and an EXIT trap set before still runs.
bash -c '
    . "$1/s3rver_lib.sh"
    trap "touch \"$2/earlier-trap-ran\"" EXIT
    s3rver_start "$2/s3-exit" || exit 1
    echo "$S3RVER_PID" >"$2/exit.pid"
' _ "$(dirname "$0")" "$WORK"
checks=$((checks + 1))
epid=$(cat "$WORK/exit.pid" 2>/dev/null)
if [ -z "$epid" ]; then
    fail "s3rver_start in a subshell did not start"
elif kill -0 "$epid" 2>/dev/null; then
    fail "s3rver $epid still running after its shell exited"
    kill "$epid"
fi
check "the earlier EXIT trap ran" test -f "$WORK/earlier-trap-ran"

# No s3rver installed: an error that says where it looked, not a skip.
expect 1 'not installed at /nonexistent-vsr' env VSR_S3RVER_DIR=/nonexistent-vsr \
    bash -c '. "$1/s3rver_lib.sh"; s3rver_start "$2/none"' _ "$(dirname "$0")" "$WORK"

finish
