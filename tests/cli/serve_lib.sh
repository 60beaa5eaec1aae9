# Helpers for the tests that start `vsr serve` (sourced after cli_lib.sh,
# not a test). Every server started here is stopped when the test exits.
#
#   start_server NAME [ARGS...]  vsr serve on a free port of 127.0.0.1, its
#                                log in $WORK/NAME.log; sets PORT_NAME and
#                                PID_NAME, fails the test if it does not start
#   stop_server NAME             SIGTERM; it must exit 0 (sanitizers included)
#   signal_server SIGNAL NAME    SIGNAL, and wait; the server's exit status
#   req PORT METHOD PATH [BODY] [CURL ARGS...]   sets CODE and BODY
#   expect_reply WHAT CODE JQ    the last reply had CODE and passes jq JQ
#   cancelled_within TRIES PORT [CURL ARGS...]   /metrics counts a cancelled
#                                job within TRIES polls of 0.25 s
#   PY                           the system's python3 (the payload server
#                                and the tests' JSON checks)
#   PIDS+=(PID)                  a helper process of the test (a payload
#                                server, ...), stopped (SIGTERM) on exit
need curl "apt-get install curl"
need jq "apt-get install jq"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "FAIL: $PY is needed" >&2; exit 1; }

SERVE_PIDS=()
PIDS=()
_serve_cleanup() {
    for p in "${SERVE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
}
trap _serve_cleanup EXIT

start_server() {
    local name=$1
    shift
    rm -f "$WORK/$name.port"
    "$VSR_BIN" serve --listen 127.0.0.1:0 --port-file "$WORK/$name.port" "$@" \
        2>>"$WORK/$name.log" &
    local pid=$!
    SERVE_PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 300); do
        [ -s "$WORK/$name.port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$WORK/$name.port" ]; then
        echo "FAIL: server $name did not start:" >&2
        cat "$WORK/$name.log" >&2
        exit 1
    fi
    eval "PORT_$name=$(cat "$WORK/$name.port")"
}

# signal_server SIGNAL NAME: sends server NAME the signal and waits for it
# to exit; its exit status is the server's.
signal_server() {
    local pid
    eval "pid=\$PID_$2"
    kill "-$1" "$pid"
    wait "$pid"
}

stop_server() {
    signal_server TERM "$1"
    local rc=$?
    checks=$((checks + 1))
    [ "$rc" = 0 ] || fail "server $1 exited with $rc:"$'\n'"$(tail -n 30 "$WORK/$1.log")"
}

req() {
    local port=$1 method=$2 path=$3 data=${4:-}
    shift 4 2>/dev/null || shift $#
    local args=(-s -o "$WORK/resp" -w '%{http_code}' -X "$method" "$@")
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    CODE=$(curl "${args[@]}" "http://127.0.0.1:$port$path")
    BODY=$(cat "$WORK/resp" 2>/dev/null)
}

expect_reply() {
    checks=$((checks + 1))
    if [ "$CODE" != "$2" ]; then
        fail "$1: status $CODE, expected $2: $BODY"
    elif ! jq -e "$3" <<<"$BODY" >/dev/null 2>&1; then
        fail "$1: body fails jq '$3': $BODY"
    fi
}

# cancelled_within TRIES PORT [CURL ARGS...]: polls PORT's /metrics every
# 0.25 s, TRIES times at most, until a job has ended as cancelled; fails
# (status 1) if none has. $BODY holds the last /metrics.
cancelled_within() {
    local tries=$1 port=$2
    shift 2
    for _ in $(seq "$tries"); do
        req "$port" GET /metrics "" "$@"
        grep -Eq '^vsr_jobs_total\{outcome="cancelled"\} [1-9]' <<<"$BODY" && return 0
        sleep 0.25
    done
    return 1
}
