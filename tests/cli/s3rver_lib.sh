# s3rver for CLI tests (sourced, not a test). s3rver is a real S3-compatible
# server (npm, pinned in tests/s3rver/, installed by
# scripts/fetch-test-tools.sh). It parses SigV4 requests (known access key,
# x-amz-date within 15 minutes, x-amz-content-sha256, presigned expiry) but
# does not recompute V4 signatures; tests/unit/test_s3_sigv4.c checks those.
#
#   s3rver_start DIR [BUCKET]
#       Starts s3rver on 127.0.0.1 on a free port (the kernel picks it) with
#       a fresh data directory DIR/s3rver-data and one bucket (default
#       vsr-test), waits until the bucket answers, and exports
#       S3_ENDPOINT=http://127.0.0.1:PORT S3_BUCKET S3_ACCESS_KEY=S3RVER
#       S3_SECRET_KEY=S3RVER (s3rver's built-in account) and S3RVER_PID,
#       S3RVER_LOG. Stops it on exit (chained before any EXIT trap already
#       set). Returns non-zero, with the reason and s3rver's log on stderr,
#       when it cannot start: a missing s3rver is a failure, not a skip.
#   s3rver_stop
#       Stops it; safe to call twice.

_s3rver_bin() {
    local dir=${VSR_S3RVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/s3rver}
    echo "$dir/node_modules/.bin/s3rver"
}

s3rver_stop() {
    local pid=${S3RVER_PID:-}
    [ -n "$pid" ] || return 0
    S3RVER_PID=
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null
    return 0
}

s3rver_start() {
    local dir=${1:?s3rver_start DIR [BUCKET]} bucket=${2:-vsr-test}
    local bin
    bin=$(_s3rver_bin)
    if [ ! -x "$bin" ]; then
        echo "s3rver_start: s3rver not installed at $bin (run scripts/fetch-test-tools.sh)" >&2
        return 1
    fi
    command -v node >/dev/null 2>&1 || { echo "s3rver_start: node not found" >&2; return 1; }
    command -v curl >/dev/null 2>&1 || { echo "s3rver_start: curl not found" >&2; return 1; }
    s3rver_stop
    mkdir -p "$dir" || return 1
    rm -rf "$dir/s3rver-data"
    mkdir -p "$dir/s3rver-data" || return 1
    S3RVER_LOG=$dir/s3rver.log
    "$bin" -d "$dir/s3rver-data" -a 127.0.0.1 -p 0 --configure-bucket "$bucket" \
        >"$S3RVER_LOG" 2>&1 &
    S3RVER_PID=$!
    export S3RVER_PID S3RVER_LOG

    # Stop it however the test ends. An EXIT trap set before this call still
    # runs, after s3rver_stop; bash runs EXIT traps on TERM/INT only when
    # those are trapped, so trap them (to exit) if the test has not.
    local prev
    prev=$(trap -p EXIT)
    if [ -n "$prev" ]; then
        eval "set -- ${prev#trap -- }"
        # shellcheck disable=SC2064  # expand the previous command now
        trap "s3rver_stop; $1" EXIT
    else
        trap s3rver_stop EXIT
    fi
    [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
    [ -n "$(trap -p INT)" ] || trap 'exit 130' INT

    # s3rver prints "S3rver listening on 127.0.0.1:PORT" once it serves.
    local port=''
    for _ in $(seq 1 600); do
        if ! kill -0 "$S3RVER_PID" 2>/dev/null; then
            echo "s3rver_start: s3rver exited; its log ($S3RVER_LOG):" >&2
            cat "$S3RVER_LOG" >&2
            S3RVER_PID=
            return 1
        fi
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$S3RVER_LOG" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "s3rver_start: s3rver did not start within 30 s; its log ($S3RVER_LOG):" >&2
        cat "$S3RVER_LOG" >&2
        s3rver_stop
        return 1
    fi
    export S3_ENDPOINT=http://127.0.0.1:$port
    export S3_BUCKET=$bucket
    export S3_ACCESS_KEY=S3RVER
    export S3_SECRET_KEY=S3RVER
    # The bucket answers a listing (200) once s3rver serves it.
    for _ in $(seq 1 100); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$bucket")" = 200 ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "s3rver_start: bucket $bucket at $S3_ENDPOINT does not answer; log ($S3RVER_LOG):" >&2
    cat "$S3RVER_LOG" >&2
    s3rver_stop
    return 1
}
