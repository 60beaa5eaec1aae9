#!/bin/bash
# vsr serve under faults and hostile clients (issue 20), against real parts
# on loopback:
# - 64 slow clients (tests/tools/slow_client.py) trickling headers from one
#   address, then from 64, and a few trickling bodies: the per-address
#   limit and the header and body time limits close them, and /health
#   answers all along;
# - two requests naming one output path: one job per path, the other gets
#   409, never a 200 for a broken file;
# - a storage endpoint that accepts and never answers
#   (tests/tools/black_hole.py): the job's deadline, the client hanging up
#   and SIGTERM each end the upload within seconds, and storage_timeout_ms
#   / VSR_STORAGE_TIMEOUT_MS bound a try;
# - a server killed (-9) mid-job: the next start removes its job
#   directories, downloads and partial outputs, and nothing else.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/serve_lib.sh"
need ffmpeg "apt-get install ffmpeg"
need ffprobe "apt-get install ffmpeg"

ROOT=$WORK/root
mkdir -p "$ROOT/out" "$WORK/tmp_s"
# Long enough (a second or more) that two requests sent together overlap.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 30 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$ROOT/in.mp4"
frames() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null; }

# ---- slow headers, slow bodies ----------------------------------------------
mkdir -p "$WORK/tmp_g"
cat >"$WORK/g.json" <<EOF
{"max_connections": 16, "max_connections_per_ip": 4, "header_timeout_s": 3,
 "request_timeout_s": 4, "max_running": 1, "max_queued": 1, "tmp_dir": "$WORK/tmp_g"}
EOF
start_server G --config "$WORK/g.json" --root "$ROOT"
slow() { "$PY" "$VSR_SOURCE_DIR/tests/tools/slow_client.py" --port "$PORT_G" "$@"; }
# health_within SECONDS: /health answers 200 within that time (asking again
# if a try fails, as a load balancer's checker would); sets SECS.
health_within() {
    local t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$1" ]; do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT_G/health")" = 200 ] &&
            { SECS=$((SECONDS - t0)); return 0; }
        sleep 0.2
    done
    SECS=$((SECONDS - t0))
    return 1
}
# report_check WHAT FILE JQ: the slow client's report passes JQ.
report_check() {
    checks=$((checks + 1))
    jq -e "$3" "$2" >/dev/null 2>&1 || fail "$1: $(cat "$2")"
}

# One address, 64 connections, a header line every 0.5 s for 8 s: it gets
# 4 slots; /health (from another address) answers at once, every time.
slow --connections 64 --source 127.0.0.2 --mode headers --duration 8 >"$WORK/slow_a.json" &
SLOW=$!
sleep 1
fast=0
for _ in 1 2 3 4 5; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT_G/health")
    [ "$code" = 200 ] && fast=$((fast + 1))
    sleep 0.8
done
wait "$SLOW"
checks=$((checks + 1))
[ "$fast" = 5 ] || fail "slow headers, one address: /health answered $fast of 5 times within 2 s"
# Every connection closed by the server: 60 over the address's share at
# once, the 4 in it at the header limit (3 s), long before the trickle ends.
report_check "slow headers, one address" "$WORK/slow_a.json" \
    '.closed_by_server == 64 and (.close_times | max) <= 6.5'

# 64 addresses, one connection each: the per-address limit does not help;
# the header limit frees the 16 slots every 3 s, and /health gets one.
slow --connections 64 --distinct-sources --mode headers --duration 22 >"$WORK/slow_b.json" &
SLOW=$!
sleep 1
checks=$((checks + 1))
health_within 20 || fail "slow headers, 64 addresses: /health unanswered for $SECS s"
wait "$SLOW"
report_check "slow headers, 64 addresses" "$WORK/slow_b.json" \
    '.closed_by_server == 64 and (.close_times | max) <= 20'

# Whole headers, then a body byte every 0.5 s: closed at the body limit (4 s).
slow --connections 4 --distinct-sources --mode body --duration 10 >"$WORK/slow_c.json"
report_check "slow bodies" "$WORK/slow_c.json" '.closed_by_server == 4 and (.close_times | max) <= 8'
checks=$((checks + 1))
grep -q 'took over 3 s to send its request headers' "$WORK/G.log" ||
    fail "slow clients: the closes are not logged: $(tail -n 5 "$WORK/G.log")"
# And after all that, real work still gets done.
req "$PORT_G" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/after_slow.mp4"], "scale": 2}'
expect_reply "after the slow clients" 200 '.success == true'
stop_server G

# ---- one job per output path ------------------------------------------------
start_server S --root "$ROOT" --tmp-dir "$WORK/tmp_s" --max-running 2 --max-queued 2
SAME=()
for i in 1 2; do
    curl -s -o "$WORK/same$i.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary '{"video_paths": ["in.mp4"], "output_paths": ["out/same.mp4"], "scale": 2}' \
        "http://127.0.0.1:$PORT_S/upscale" >"$WORK/same$i.code" &
    SAME+=($!)
done
wait "${SAME[@]}"
codes=$(printf '%s\n' "$(cat "$WORK/same1.code")" "$(cat "$WORK/same2.code")" | sort | tr '\n' ' ')
checks=$((checks + 1))
[ "$codes" = "200 409 " ] || fail "same output: statuses $codes, expected one 200 and one 409: $(cat "$WORK"/same?.json)"
for i in 1 2; do
    checks=$((checks + 1))
    case $(cat "$WORK/same$i.code") in
    200) jq -e '.success == true' "$WORK/same$i.json" >/dev/null || fail "same output: 200 body $(cat "$WORK/same$i.json")" ;;
    409) jq -e '.success == false and (.error | test("^output_paths\\[0\\]: another request is writing"))' \
        "$WORK/same$i.json" >/dev/null || fail "same output: 409 body $(cat "$WORK/same$i.json")" ;;
    esac
done
checks=$((checks + 1))
[ "$(frames "$ROOT/out/same.mp4")" = 30 ] || fail "same output: the file has $(frames "$ROOT/out/same.mp4") frames, not 30"
checks=$((checks + 1))
! ls -a "$ROOT/out" | grep -q vsr-partial || fail "same output: scratch files left: $(ls -a "$ROOT/out")"
# Once the first is done, the path is free again.
req "$PORT_S" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/same.mp4"], "scale": 2}'
expect_reply "same output, later" 200 '.success == true'
stop_server S

# ---- storage that accepts and never answers ---------------------------------
"$PY" "$VSR_SOURCE_DIR/tests/tools/black_hole.py" --port-file "$WORK/hole.port" --log "$WORK/hole.log" &
HOLE_PID=$!
SERVE_PIDS+=("$HOLE_PID")
for _ in $(seq 100); do [ -s "$WORK/hole.port" ] && break; sleep 0.1; done
HOLE=http://127.0.0.1:$(cat "$WORK/hole.port")
# hole_server NAME DEADLINE [ARGS...]: storage at the black hole, the default
# storage timeout (120 s a try) unless told, 2 retries.
hole_server() {
    local name=$1 deadline=$2
    shift 2
    mkdir -p "$WORK/tmp_$name"
    cat >"$WORK/$name.json" <<JSON
{"bucket": "vsr", "endpoint": "$HOLE", "access_key": "k", "secret_key": "s",
 "storage_retries": 2, "storage_backoff_ms": 200, "tmp_dir": "$WORK/tmp_$name",
 "deletions_db": "$WORK/$name-deletions.sqlite", "job_timeout_s": $deadline}
JSON
    start_server "$name" --config "$WORK/$name.json" --root "$ROOT" "$@"
}
# the light model, not the server's default (auto: a detail probe first),
# so that the upload starts well inside the short deadlines below
UP='{"video_paths": ["in.mp4"], "scale": 2, "model": "realesr-animevideov3"}'
# elapsed CMD...: runs CMD, sets SECS to the whole seconds it took.
elapsed() {
    local t0=$SECONDS
    "$@"
    SECS=$((SECONDS - t0))
}

# The job's deadline (6 s) ends the upload: 504, not 120 s a try.
hole_server D 6
elapsed req "$PORT_D" POST /upscale "$UP" --max-time 60
expect_reply "black hole: deadline" 504 '.success == false and (.errors[0] | test("upload.*deadline"))'
checks=$((checks + 1))
[ "$SECS" -le 20 ] || fail "black hole: the deadline (6 s) answered after $SECS s"
checks=$((checks + 1))
grep -q accept "$WORK/hole.log" || fail "black hole: the upload never reached it"

stop_server D
checks=$((checks + 1))
[ -z "$(ls -A "$WORK/tmp_D")" ] || fail "black hole: scratch files left: $(ls -A "$WORK/tmp_D")"

# The client hangs up during the upload: the job ends as cancelled. The
# client is cut off once the upload has reached the hole, on a server whose
# deadline (300 s) cannot end the job first: cut off after a fixed 4 s, on
# a loaded machine the job had not always reached the upload.
: >"$WORK/hole.log"
hole_server C 300
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$UP" \
    "http://127.0.0.1:$PORT_C/upscale" &
CLIENT_PID=$!
for _ in $(seq 600); do grep -q accept "$WORK/hole.log" && break; sleep 0.1; done
checks=$((checks + 1))
grep -q accept "$WORK/hole.log" || fail "black hole: the upload never reached it (60 s)"
kill "$CLIENT_PID" 2>/dev/null
wait "$CLIENT_PID" 2>/dev/null
checks=$((checks + 1))
cancelled_within 40 "$PORT_C" ||
    fail "black hole: hang-up during the upload, job not cancelled within 10 s"
req "$PORT_C" GET /queue
expect_reply "black hole: hang-up, queue empty" 200 '.active_tasks == 0 and .queued_tasks == 0'
stop_server C
checks=$((checks + 1))
[ -z "$(ls -A "$WORK/tmp_C")" ] || fail "black hole: scratch files left: $(ls -A "$WORK/tmp_C")"

# An upload that hangs (deadline 300 s) does not hold the server's exit:
# SIGINT exits at once; SIGTERM drains for --drain-timeout (3 s), then
# cancels the job, which ends the upload.
for sig in INT TERM; do
    : >"$WORK/hole.log"
    hole_server "T$sig" 300 --drain-timeout 3
    port_var=PORT_T$sig
    curl -s -o /dev/null --max-time 60 -X POST -H 'Content-Type: application/json' \
        --data-binary "$UP" "http://127.0.0.1:${!port_var}/upscale" &
    for _ in $(seq 200); do grep -q accept "$WORK/hole.log" && break; sleep 0.1; done
    elapsed signal_server "$sig" "T$sig"
    limit=4
    [ "$sig" = TERM ] && limit=10
    checks=$((checks + 1))
    [ "$SECS" -le "$limit" ] || fail "black hole: SIG$sig during an upload took $SECS s (limit $limit)"
done

# storage_timeout_ms (config) and VSR_STORAGE_TIMEOUT_MS (environment) bound
# each try: 3 tries of 1.5 s and the backoffs, then 502 naming the store.
mkdir -p "$WORK/tmp_K"
cat >"$WORK/K.json" <<JSON
{"bucket": "vsr", "endpoint": "$HOLE", "access_key": "k", "secret_key": "s",
 "storage_retries": 2, "storage_backoff_ms": 200, "tmp_dir": "$WORK/tmp_K",
 "deletions_db": "$WORK/K-deletions.sqlite", "storage_timeout_ms": 1500}
JSON
start_server K --config "$WORK/K.json" --root "$ROOT"
elapsed req "$PORT_K" POST /upscale "$UP" --max-time 100
expect_reply "storage_timeout_ms" 502 ".success == false and (.errors[0] | test(\"upload.*${HOLE#http://}.*3 attempts\"))"
checks=$((checks + 1))
[ "$SECS" -le 25 ] || fail "storage_timeout_ms 1500: answered after $SECS s"
stop_server K
VSR_STORAGE_TIMEOUT_MS=1500 hole_server E 300
elapsed req "$PORT_E" POST /upscale "$UP" --max-time 100
expect_reply "VSR_STORAGE_TIMEOUT_MS" 502 '.success == false and (.errors[0] | test("3 attempts"))'
checks=$((checks + 1))
[ "$SECS" -le 25 ] || fail "VSR_STORAGE_TIMEOUT_MS=1500: answered after $SECS s"
stop_server E
VSR_STORAGE_TIMEOUT_MS=soon expect 1 "VSR_STORAGE_TIMEOUT_MS='soon'" \
    timeout 20 "$VSR_BIN" serve --listen 127.0.0.1:0
echo '{"storage_timeout_ms": 5}' >"$WORK/bad-timeout.json"
expect 1 "storage_timeout_ms 5 is not" timeout 20 "$VSR_BIN" serve --listen 127.0.0.1:0 \
    --config "$WORK/bad-timeout.json"

# ---- the startup sweep after kill -9 ----------------------------------------
"$PY" "$VSR_SOURCE_DIR/tests/tools/payload_server.py" --bind 127.0.0.1 --dir "$WORK" \
    --port-file "$WORK/payload.port" --log "$WORK/payload.log" &
SERVE_PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/payload.port" ] && break; sleep 0.1; done
PAYLOAD=http://127.0.0.1:$(cat "$WORK/payload.port")
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 300 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$ROOT/long.mp4"
sleep 0 &
DEAD=$!
wait "$DEAD" # a pid no process has now
TW=$WORK/tmp_w
mkdir -p "$TW" "$ROOT/sub/deeper" "$WORK/outside"
# What must stay: other names, live makers, a symlink's target, other things.
KEEP=("$ROOT/out/.user.mp4.vsr-partial-12x" "$ROOT/out/notes.vsr-partial-$DEAD"
    "$ROOT/out/.live.mp4.vsr-partial-$$-abc123" "$ROOT/user.mp4" "$TW/vsr-job-user/x"
    "$TW/vsr-job-$$-Ab12cD/x" "$TW/other.txt" "$WORK/outside/.x.mp4.vsr-partial-$DEAD"
    "$TW/vsr-job-$DEAD-zz99ZZ/x")
mkdir -p "$TW/vsr-job-user" "$TW/vsr-job-$$-Ab12cD" "$TW/vsr-job-$DEAD-zz99ZZ/sub"
for f in "${KEEP[@]}"; do echo keep >"$f"; done
ln -s "$WORK/outside" "$ROOT/link"
# What must go, beside the server's own: a dead writer's partial (older name).
echo stale >"$ROOT/sub/deeper/.old.mp4.vsr-partial-$DEAD"

start_server W --root "$ROOT" --tmp-dir "$TW" --max-running 2 --allow-cidrs 127.0.0.1/32
curl -s -o /dev/null --max-time 120 -X POST -H 'Content-Type: application/json' \
    --data-binary '{"video_paths": ["long.mp4"], "output_paths": ["out/killed.mp4"], "scale": 4}' \
    "http://127.0.0.1:$PORT_W/upscale" &
curl -s -o /dev/null --max-time 120 -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"video_paths\": [\"$PAYLOAD/drip?n=1000000&ms=20\"], \"output_paths\": [\"out/dl.mp4\"], \"scale\": 2}" \
    "http://127.0.0.1:$PORT_W/upscale" &
left_partial() { ls -a "$ROOT/out" | grep -q '^\.killed\.mp4\.vsr-partial-'; }
left_input() { ls "$TW"/vsr-job-*/input-0 >/dev/null 2>&1; }
for _ in $(seq 300); do left_partial && left_input && break; sleep 0.1; done
kill -9 "$PID_W"
wait "$PID_W" 2>/dev/null
checks=$((checks + 1))
left_partial && left_input || fail "sweep: the killed server left no partial output or download to sweep: $(ls -aR "$ROOT/out" "$TW")"
start_server W2 --root "$ROOT" --tmp-dir "$TW"
checks=$((checks + 1))
! left_partial || fail "sweep: the partial output is still there: $(ls -a "$ROOT/out")"
checks=$((checks + 1))
jobs_left=$(ls "$TW" | grep '^vsr-job-' | grep -v -e '^vsr-job-user$' -e "^vsr-job-$$-Ab12cD\$" -e "^vsr-job-$DEAD-zz99ZZ\$")
[ -z "$jobs_left" ] || fail "sweep: job directories still there: $jobs_left"
checks=$((checks + 1))
[ ! -e "$ROOT/sub/deeper/.old.mp4.vsr-partial-$DEAD" ] || fail "sweep: a dead writer's partial output is still there"
for f in "${KEEP[@]}"; do
    checks=$((checks + 1))
    [ "$(cat "$f" 2>/dev/null)" = keep ] || fail "sweep: $f was removed or changed"
done
checks=$((checks + 1))
grep -q 'startup sweep: removed 2 job directories and [0-9]* files .*(1 left in place' "$WORK/W2.log" ||
    fail "sweep: no log line, or not the right one: $(cat "$WORK/W2.log")"
stop_server W2

finish
