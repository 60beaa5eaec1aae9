#!/bin/bash
# Three `vsr serve` instances behind HAProxy (Debian's haproxy, started
# here), as a miner runs a fleet (docs/fleet.md): health checks on /health
# (the API) and /healthz (the GPU worker), a burst larger than the fleet's
# capacity (HAProxy queues it: every request 200, every output valid),
# SIGTERM draining one instance (readiness 503 first, no new jobs, its
# running job finishes, it exits 0, the balancer routes around it), and
# kill -9 of another mid-burst: every request ends with a definite status,
# 200 only with a valid output, and no failed request leaves an output.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/video_lib.sh"
. "$(dirname "$0")/serve_lib.sh"
need ffmpeg "apt-get install ffmpeg"
# Debian installs it in /usr/sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin
need haproxy "apt-get install haproxy"
PY=/usr/bin/python3

PIDS=()
cleanup() {
    _serve_cleanup
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT

ROOT=$WORK/root
mkdir -p "$ROOT/out"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 12 -c:v libx264 \
    -pix_fmt yuv420p "$ROOT/clip.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 60 -c:v libx264 \
    -pix_fmt yuv420p "$ROOT/long.mp4"

# Instances s1, s2, s3 (serve_lib.sh: PORT_sI, PID_sI, $WORK/sI.log), each
# 1 running + 1 queued.
for i in 1 2 3; do
    VSR_GPU_TOKEN=fleet-token start_server s$i --backend "$BACKEND" --root "$ROOT" \
        --max-running 1 --max-queued 1 --drain-timeout 120 --log-format json
done
FE=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The balancer: the job API's backend checks /health, the GPU worker's
# /healthz; each instance takes at most its capacity (maxconn 2 = 1 running
# + 1 queued), the rest wait in HAProxy's queue; a 503 (draining) or a
# refused connection is retried on another instance. HAProxy 2.6 cannot
# retry on 429 (retry-on knows no such keyword), which is why maxconn keeps
# an instance from ever being overrun.
cat >"$WORK/haproxy.cfg" <<EOF
global
    stats socket $WORK/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 300s
    timeout queue 300s
    timeout check 5s
    retries 5
    option redispatch 1
    retry-on conn-failure empty-response 503
frontend fe
    bind 127.0.0.1:$FE
    use_backend gpu if { path /process /healthz }
    default_backend api
backend api
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
    default-server inter 300ms fall 1 rise 2 maxconn 2 observe layer4 error-limit 1 on-error mark-down
    server s1 127.0.0.1:$PORT_s1 check
    server s2 127.0.0.1:$PORT_s2 check
    server s3 127.0.0.1:$PORT_s3 check
backend gpu
    balance leastconn
    option httpchk
    http-check send meth GET uri /healthz hdr Authorization "Bearer fleet-token"
    http-check expect status 200
    default-server inter 300ms fall 1 rise 2 maxconn 2 observe layer4 error-limit 1 on-error mark-down
    server s1 127.0.0.1:$PORT_s1 check
    server s2 127.0.0.1:$PORT_s2 check
    server s3 127.0.0.1:$PORT_s3 check
EOF
check "haproxy config valid" haproxy -q -c -f "$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# server_state BACKEND SERVER: UP, DOWN, ... as HAProxy's stats say.
server_state() {
    "$PY" - "$WORK/haproxy.sock" "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
for line in data.decode().splitlines():
    f = line.split(",")
    if len(f) > 17 and f[0] == sys.argv[2] and f[1] == sys.argv[3]:
        print(f[17].split(" ")[0])
PY
}
# wait_state BACKEND SERVER STATE: up to 10 s.
wait_state() {
    local s
    for _ in $(seq 100); do
        s=$(server_state "$1" "$2")
        [ "$s" = "$3" ] && return 0
        sleep 0.1
    done
    echo "$1/$2 is ${s:-unknown}, not $3" >&2
    return 1
}
for b in api gpu; do for s in s1 s2 s3; do check "$b/$s up" wait_state $b $s UP; done; done

# job PORT NAME CLIP: POST /upscale (x2, output out/NAME.mp4); the status
# goes to $WORK/NAME.code, the body to $WORK/NAME.json.
job() {
    local port=$1 name=$2 clip=$3
    curl -s -o "$WORK/$name.json" -w '%{http_code}' --max-time 280 -X POST \
        -H 'Content-Type: application/json' --data-binary \
        "{\"video_paths\": [\"$clip\"], \"output_paths\": [\"out/$name.mp4\"], \"scale\": 2}" \
        "http://127.0.0.1:$port/upscale" >"$WORK/$name.code" 2>/dev/null
}
valid_output() { [ "$(frames "$ROOT/out/$1.mp4" 2>/dev/null)" = "$2" ]; }
busy() { curl -s "http://127.0.0.1:$1/queue" | jq -e '.active_tasks == 1' >/dev/null 2>&1; }

# 1. A burst of 12 at once, twice the fleet's capacity: all complete, on
# every instance.
pids=()
for k in $(seq 12); do job "$FE" burst$k clip.mp4 & pids+=($!); done
wait "${pids[@]}"
for k in $(seq 12); do
    checks=$((checks + 1))
    code=$(cat "$WORK/burst$k.code")
    if [ "$code" != 200 ]; then fail "burst $k: status $code: $(cat "$WORK/burst$k.json")"
    elif ! valid_output burst$k 12; then fail "burst $k: 200 but the output is not 12 frames"; fi
done
for port in "$PORT_s1" "$PORT_s2" "$PORT_s3"; do
    checks=$((checks + 1))
    n=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^vsr_jobs_total\{outcome="succeeded"\}/ {print $2}')
    [ "${n:-0}" -ge 1 ] || fail "burst: the instance on port $port did no job"
done

# 2. Drain: a long job straight on s1, then SIGTERM; readiness goes first.
job "$PORT_s1" long1 long.mp4 &
LONG=$!
for _ in $(seq 100); do busy "$PORT_s1" && break; sleep 0.1; done
kill -TERM "$PID_s1"
ready=""
for _ in $(seq 50); do
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_s1/health")
    [ "$ready" = 503 ] && break
    sleep 0.1
done
checks=$((checks + 1))
[ "$ready" = 503 ] || fail "drain: /health answered $ready, not 503"
checks=$((checks + 1))
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer fleet-token' \
    "http://127.0.0.1:$PORT_s1/healthz")" = 503 ] ||
    fail "drain: /healthz is not 503"
job "$PORT_s1" refused1 clip.mp4
checks=$((checks + 1))
[ "$(cat "$WORK/refused1.code")" = 503 ] ||
    fail "drain: a new job on the draining instance got $(cat "$WORK/refused1.code")"
check "drain: the balancer takes s1 out (api)" wait_state api s1 DOWN
check "drain: the balancer takes s1 out (gpu)" wait_state gpu s1 DOWN
pids=()
for k in 1 2 3 4; do job "$FE" during$k clip.mp4 & pids+=($!); done
wait "${pids[@]}" "$LONG"
for k in 1 2 3 4; do
    checks=$((checks + 1))
    [ "$(cat "$WORK/during$k.code")" = 200 ] && valid_output during$k 12 ||
        fail "drain: request $k through the balancer: $(cat "$WORK/during$k.code")"
done
checks=$((checks + 1))
[ "$(cat "$WORK/long1.code")" = 200 ] && valid_output long1 60 ||
    fail "drain: the running job did not finish: $(cat "$WORK/long1.code") $(cat "$WORK/long1.json")"
wait "$PID_s1"
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "drain: s1 exited with $rc: $(tail -n 5 "$WORK/s1.log")"
check "drain: s1 logged the drain" grep -q draining "$WORK/s1.log"

# 3. kill -9 of s2 in the middle of a burst (s3 stays): every request ends
# with a definite status (HAProxy retries what s2 dropped before answering
# on s3); 200 only with a valid output; no failed request leaves an output.
pids=()
for k in $(seq 6); do job "$FE" kb$k clip.mp4 & pids+=($!); done
for _ in $(seq 100); do busy "$PORT_s2" && break; sleep 0.1; done
kill -9 "$PID_s2"
wait "${pids[@]}"
ok=0
for k in $(seq 6); do
    checks=$((checks + 1))
    code=$(cat "$WORK/kb$k.code")
    case "$code" in
    200) valid_output kb$k 12 && ok=$((ok + 1)) || fail "kill: request $k: 200 with an invalid output" ;;
    5??) [ ! -e "$ROOT/out/kb$k.mp4" ] || fail "kill: request $k failed ($code) but left an output" ;;
    *) fail "kill: request $k ended with '$code' (no definite answer)" ;;
    esac
done
checks=$((checks + 1))
[ "$ok" -ge 4 ] || fail "kill: only $ok of 6 requests succeeded (s3 should carry the rest)"
echo "fleet: kill -9 mid-burst: $ok of 6 succeeded"
kill -TERM "$PID_s3"
wait "$PID_s3"
check "s3 stops cleanly" test $? = 0
finish
