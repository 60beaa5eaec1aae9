#!/bin/bash
# vsr serve end to end, against real parts started here: s3rver (an
# S3-compatible server), a payload HTTP server (tests/tools/payload_server.py)
# and curl as the client, all on loopback. Covers the legacy flow (the
# presigned URL downloads a video that passes `vsr check`), the current flow
# (local paths and URLs), bad requests, SSRF and path traversal attempts,
# a burst beyond the queue's limits, deadlines, a client that hangs up, the
# bearer token, storage down, scheduled deletion, and a clean shutdown that
# leaves no scratch files.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/s3rver_lib.sh"
. "$(dirname "$0")/serve_lib.sh"
need ffmpeg "apt-get install ffmpeg"

# ---- parts -----------------------------------------------------------------
ROOT=$WORK/root
mkdir -p "$ROOT/out" "$WORK/payload" "$WORK/tmp_a" "$WORK/tmp_c" "$WORK/tmp_e" "$WORK/outside"
# Clips: short (the flows), long (deadline, hang-up, burst), corrupt.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 12 -c:v libx264 \
    -pix_fmt yuv420p "$WORK/payload/clip.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 40 -c:v libx264 \
    -pix_fmt yuv420p "$WORK/payload/burst.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=30 -frames:v 900 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$ROOT/long.mp4"
head -c 20000 /dev/urandom >"$WORK/payload/corrupt.mp4"
cp "$WORK/payload/clip.mp4" "$ROOT/in.mp4"
echo secret >"$WORK/outside/secret.txt"
ln -s "$WORK/outside" "$ROOT/escape"

s3rver_start "$WORK/s3" || { echo "FAIL: s3rver did not start" >&2; exit 1; }

"$PY" "$VSR_SOURCE_DIR/tests/tools/payload_server.py" --bind 127.0.0.1 --dir "$WORK/payload" \
    --port-file "$WORK/payload.port" --log "$WORK/payload.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/payload.port" ] && break; sleep 0.1; done
PP=$(cat "$WORK/payload.port")
PAYLOAD="http://127.0.0.1:$PP"

# ---- server A: storage, local root, loopback payloads allowed -------------
cat >"$WORK/a.json" <<EOF
{"max_running": 1, "max_queued": 1, "tmp_dir": "$WORK/tmp_a", "delete_after_s": 8,
 "storage_retries": 1, "storage_backoff_ms": 100, "deletions_db": "$WORK/a-deletions.sqlite",
 "operator_id": "op-a"}
EOF
BUCKET_NAME=$S3_BUCKET BUCKET_COMPATIBLE_ENDPOINT=$S3_ENDPOINT \
    BUCKET_COMPATIBLE_ACCESS_KEY=$S3_ACCESS_KEY BUCKET_COMPATIBLE_SECRET_KEY=$S3_SECRET_KEY \
    start_server A --config "$WORK/a.json" --root "$ROOT" --allow-cidrs 127.0.0.1/32
A=$PORT_A

req "$A" GET /health
expect_reply "health" 200 '.status == "ok" and .storage == true'

# Legacy flow: download, upscale, upload, presigned URL that serves a valid video.
req "$A" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/file/clip.mp4\", \"task_type\": \"SD2HD\"}"
expect_reply "legacy" 200 '.uploaded_video_url | test("/[0-9a-f-]{36}_upscaled\\.mp4\\?.*X-Amz-Expires=604800.*X-Amz-Signature=[0-9a-f]{64}")'
LEGACY_URL=$(jq -r '.uploaded_video_url // empty' <<<"$BODY")
check "legacy: presigned URL downloads" curl -sf -o "$WORK/legacy.mp4" "$LEGACY_URL"
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/legacy.mp4" --input "$WORK/payload/clip.mp4" --task SD2HD

# Current flow, local paths in and out (and an upload, as storage is set).
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/in_x2.mp4"], "scale": 2, "task_id": "t-local", "model": "realesr-animevideov3", "codec": "hevc", "cq": 28}'
expect_reply "current, local" 200 '.success == true and .task_id == "t-local" and .errors == [null] and (.output_paths[0] | endswith("/out/in_x2.mp4")) and (.output_urls[0] | startswith("http")) and .queue_position == 0 and has("active_tasks") and has("queued_tasks") and .details == [1]'
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/out/in_x2.mp4" --input "$ROOT/in.mp4" --scale 2
# The default model is auto (issue 18): realesr-general-x4v3 at a detail
# measured on the clip, reported per output; a detail asked for is used.
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/auto_x2.mp4"], "scale": 2}'
expect_reply "default model auto" 200 '.success == true and (.details | length) == 1 and .details[0] >= 0 and .details[0] <= 1'
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/out/auto_x2.mp4" --input "$ROOT/in.mp4" --scale 2
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/d05.mp4"], "scale": 2, "model": "realesr-animevideov3", "detail": 0.5}'
expect_reply "detail 0.5" 200 '.success == true and .details == [0.5]'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/bad.mp4"], "scale": 2, "detail": 2}'
expect_reply "detail out of range" 400 '.error | test("^detail: expected a number 0..1 or \"auto\"")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/bad.mp4"], "scale": 2, "detail": "max"}'
expect_reply "detail not a number" 400 '.error | test("^detail")'
# operator_id: the output carries the operator's mark (vsr:FNV-1a 64 of
# the id, padded with '.' to 24 + hash mod 1000 bytes), as --operator-id
mark=$("$PY" -c '
h = 0xcbf29ce484222325
for b in b"op-a":
    h = ((h ^ b) * 0x100000001b3) % 2**64
s = "vsr:%016x" % h
print(s + "." * (24 + h % 1000 - len(s)))')
check "operator_id: the output's comment is op-a's mark" \
    [ "$(ffprobe -v error -show_entries format_tags=comment -of csv=p=0 "$ROOT/out/in_x2.mp4")" = "$mark" ]

# Several clips in one request (the validator sends five): they run at
# once, each to its own output and URL, every one valid.
cp "$ROOT/in.mp4" "$ROOT/in2.mp4"
req "$A" POST /upscale "{\"video_paths\": [\"in.mp4\", \"$PAYLOAD/file/clip.mp4\", \"in2.mp4\"], \"output_paths\": [\"out/m0.mp4\", \"out/m1.mp4\", \"out/m2.mp4\"], \"scale\": 2}"
expect_reply "three clips" 200 '.success == true and .errors == [null, null, null] and (.output_paths | map(endswith(".mp4")) == [true, true, true]) and (.output_urls | map(startswith("http")) == [true, true, true]) and (.output_urls | unique | length) == 3'
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/out/m0.mp4" --input "$ROOT/in.mp4" --scale 2
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/out/m1.mp4" --input "$WORK/payload/clip.mp4" --scale 2
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/out/m2.mp4" --input "$ROOT/in2.mp4" --scale 2

# Current flow, a URL in, AV1 at x4, the output only uploaded.
req "$A" POST /upscale "{\"video_paths\": [\"$PAYLOAD/file/clip.mp4\"], \"scale\": 4, \"codec\": \"av1\", \"cq\": 35}"
expect_reply "current, url" 200 '.success == true and .output_paths == [null] and .output_url == .output_urls[0] and (.output_urls[0] | test("/processing/(?<t>[0-9a-f-]{36})/[0-9a-f-]{36}_input_upscaled_4x\\.mp4\\?.*X-Amz-Expires=3600&"))'
check "current: output URL downloads" curl -sf -o "$WORK/cur.mp4" "$(jq -r '.output_urls[0] // empty' <<<"$BODY")"
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/cur.mp4" --input "$WORK/payload/clip.mp4" --task SD24K
checks=$((checks + 1))
[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$WORK/cur.mp4")" = av1 ] \
    || fail "current: codec av1 asked, got another"

# As the neuron calls it now (neurons/miner.py): one video_path, and it
# reads output_url (else output_path); the key is the service's.
req "$A" POST /upscale "{\"video_path\": \"$PAYLOAD/file/clip.mp4\", \"scale\": 2, \"task_id\": \"n1\"}"
expect_reply "neuron's request" 200 '.success == true and .error == null and .output_path == "" and (.output_url | test("/processing/n1/n1_input_upscaled_2x\\.mp4\\?.*X-Amz-Expires=3600&"))'
check "neuron's request: output_url downloads" curl -sf -o "$WORK/n1.mp4" "$(jq -r '.output_url // empty' <<<"$BODY")"
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/n1.mp4" --input "$WORK/payload/clip.mp4" --scale 2

# Bad requests: the field named, the endpoint's fields kept.
req "$A" POST /upscale '{"video_paths": ['
expect_reply "bad json" 400 '(.error | test("not valid JSON")) and .success == false and .output_urls == []'
req "$A" POST /upscale $'{"video_paths": ["\\u12\xcb\x9e"]}'
expect_reply "bad json, not UTF-8" 400 '(.error | test("not valid JSON")) and .success == false'
req "$A" POST /upscale '[1, 2]'
expect_reply "not an object" 400 '.error | test("JSON object")'
req "$A" POST /upscale '{"scale": 2}'
expect_reply "missing video_paths" 400 '.error | test("^video_paths: missing")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 5}'
expect_reply "bad scale" 400 '.error | test("^scale")'
req "$A" POST /upscale '{"video_paths": ["a","b","c","d","e","f"], "scale": 2}'
expect_reply "six videos" 400 '.error | test("^video_paths: expected a list of 1 to 5")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 2, "codec": "mpeg2"}'
expect_reply "bad codec" 400 '.error | test("^codec")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 2, "cq": 99}'
expect_reply "bad cq" 400 '.error | test("^cq")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 2, "model": "../../etc/x"}'
expect_reply "model path" 400 '.error | test("^model")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 2, "model": "no-such-model"}'
expect_reply "unknown model" 400 '(.error | test("^model: no-such-model at x2: ")) and .success == false'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["out/x.mp4"], "scale": 3, "model": "realesr-general-x4v3"}'
expect_reply "model without that scale" 400 '.error | test("^model: realesr-general-x4v3 at x3")'
req "$A" POST /upscale '{"video_paths": ["in.mp4"], "output_paths": ["in.mp4"], "scale": 2}'
expect_reply "output over input" 400 '.error | test("^output_paths\\[0\\]")'
req "$A" POST /upscale-video '{"task_type": "SD2HD"}'
expect_reply "legacy: missing payload_url" 400 '(.error | test("^payload_url: missing")) and has("uploaded_video_url") and .uploaded_video_url == null'
req "$A" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/file/clip.mp4\", \"task_type\": \"SD2XXL\"}"
expect_reply "legacy: wrong task" 400 '(.error | test("^task_type")) and .uploaded_video_url == null'
head -c 2000000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
req "$A" POST /upscale "" -H 'Content-Type: application/json' --data-binary "@$WORK/big.json"
expect_reply "oversize body" 413 '.error | test("over the limit")'
req "$A" POST /upscale-video "" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/big.json"
expect_reply "oversize chunked body" 413 '.uploaded_video_url == null'
req "$A" GET /upscale
expect_reply "wrong method" 405 '.error | test("not allowed")'
req "$A" GET /nope
expect_reply "unknown path" 404 '.error | test("no such endpoint")'

# A corrupt video and a payload server that hangs up mid-body.
req "$A" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/file/corrupt.mp4\", \"task_type\": \"SD2HD\"}"
expect_reply "corrupt video" 400 '(.error | length > 0) and .uploaded_video_url == null'
req "$A" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/drop?len=100000&send=1000\", \"task_type\": \"SD2HD\"}"
expect_reply "dropped download" 502 '(.error | test("download")) and .uploaded_video_url == null'

# Path traversal: nothing outside the root is read or written.
for p in '../payload/clip.mp4' '/etc/passwd' 'escape/secret.txt' 'out/../../payload/clip.mp4'; do
    req "$A" POST /upscale "{\"video_paths\": [\"$p\"], \"output_paths\": [\"out/t.mp4\"], \"scale\": 2}"
    expect_reply "traversal in: $p" 400 '.error | test("^video_paths\\[0\\]")'
done
for p in '../t.mp4' 'escape/t.mp4' '/tmp/t.mp4'; do
    req "$A" POST /upscale "{\"video_paths\": [\"in.mp4\"], \"output_paths\": [\"$p\"], \"scale\": 2}"
    expect_reply "traversal out: $p" 400 '.error | test("^output_paths\\[0\\]")'
done
checks=$((checks + 1))
[ ! -e "$WORK/t.mp4" ] && [ ! -e "$WORK/outside/t.mp4" ] || fail "traversal: a file was written outside the root"

# SSRF through a redirect: the allowed server sends us to addresses that are not.
for to in "http://127.0.0.2:$PP/file/clip.mp4" "http://169.254.169.254/latest/meta-data/" "ftp://127.0.0.1/x"; do
    req "$A" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/redirect?to=$to\", \"task_type\": \"SD2HD\"}"
    expect_reply "redirect to $to" 400 '.uploaded_video_url == null and (.error | test("download"))'
done

# A burst beyond 1 running + 1 waiting: the rest get 429, the accepted all work.
BURST=()
for i in 1 2 3 4 5; do
    curl -s -o "$WORK/burst$i.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"payload_url\": \"$PAYLOAD/file/burst.mp4\", \"task_type\": \"SD2HD\"}" \
        "http://127.0.0.1:$A/upscale-video" >"$WORK/burst$i.code" &
    BURST+=($!)
done
sleep 0.5
req "$A" GET /queue
expect_reply "queue during burst" 200 '.max_running == 1 and .max_queued == 1 and (.tasks | length) == .active_tasks + .queued_tasks'
for p in "${BURST[@]}"; do wait "$p"; done
ok=0 busy=0
for i in 1 2 3 4 5; do
    c=$(cat "$WORK/burst$i.code")
    if [ "$c" = 200 ]; then
        ok=$((ok + 1))
        check "burst $i: URL downloads" curl -sf -o "$WORK/burst$i.mp4" "$(jq -r .uploaded_video_url "$WORK/burst$i.json")"
    elif [ "$c" = 429 ]; then
        busy=$((busy + 1))
        checks=$((checks + 1))
        jq -e '.uploaded_video_url == null and (.error | test("queue full"))' "$WORK/burst$i.json" >/dev/null \
            || fail "burst $i: 429 body: $(cat "$WORK/burst$i.json")"
    else
        fail "burst $i: status $c: $(cat "$WORK/burst$i.json")"
    fi
done
checks=$((checks + 1))
[ "$ok" -ge 2 ] && [ "$busy" -ge 1 ] && [ $((ok + busy)) = 5 ] || fail "burst: $ok accepted, $busy refused"

req "$A" GET /metrics
checks=$((checks + 1))
grep -Eq '^vsr_jobs_total\{outcome="succeeded"\} [1-9]' <<<"$BODY" &&
    grep -Eq '^vsr_jobs_total\{outcome="rejected"\} [1-9]' <<<"$BODY" &&
    grep -Eq '^vsr_frames_total [1-9]' <<<"$BODY" &&
    grep -Eq '^vsr_stage_seconds_total\{stage="infer"\} [0-9.]+' <<<"$BODY" &&
    grep -Eq '^vsr_http_requests_total\{route="/upscale",status="400"\} [1-9]' <<<"$BODY" &&
    grep -Eq '^vsr_pending_deletions [1-9]' <<<"$BODY" || fail "metrics: $BODY"

# A client that hangs up while its input downloads (a 50 s drip): the
# download stops, the job ends as cancelled well before the drip would
# have ended (30 s at most; it allowed 10 s, and the one failure of this
# test seen, on a loaded 2-core run, left no log: this is its check most
# sensitive to load).
curl -s -o /dev/null --max-time 1 -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"payload_url\": \"$PAYLOAD/drip?n=1000&ms=50\", \"task_type\": \"SD2HD\"}" \
    "http://127.0.0.1:$A/upscale-video"
checks=$((checks + 1))
cancelled_within 120 "$A" || fail "hang-up during download: job not cancelled within 30 s: $BODY"

# Scheduled deletion: the legacy upload is gone after delete_after_s (8 s).
gone=0
for _ in $(seq 60); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$LEGACY_URL")
    [ "$code" = 404 ] && { gone=1; break; }
    sleep 0.5
done
checks=$((checks + 1))
[ "$gone" = 1 ] || fail "deletion: the legacy object still answers $code after 30 s"

stop_server A
checks=$((checks + 1))
[ -z "$(ls -A "$WORK/tmp_a")" ] || fail "server A left scratch files: $(ls -A "$WORK/tmp_a")"

# ---- server C: default address policy, token, short deadline, no storage --
VSR_API_TOKEN=s3cret start_server C --root "$ROOT" --tmp-dir "$WORK/tmp_c" --job-timeout 3
C=$PORT_C
req "$C" GET /health
expect_reply "token: /health is open" 200 '.storage == false'
req "$C" GET /queue
expect_reply "token: missing" 401 '.error | test("bearer token")'
req "$C" GET /queue "" -H 'Authorization: Bearer wrong'
expect_reply "token: wrong" 401 '.error | test("bearer token")'
AUTH=(-H 'Authorization: Bearer s3cret')
req "$C" GET /queue "" "${AUTH[@]}"
expect_reply "token: right" 200 '.active_tasks == 0'
req "$C" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/file/clip.mp4\", \"task_type\": \"SD2HD\"}" "${AUTH[@]}"
expect_reply "legacy without storage" 503 '.uploaded_video_url == null and (.error | test("storage"))'
# No storage: a URL needs output_paths (a local input's default output:
# test_serve_compress.sh).
req "$C" POST /upscale '{"video_paths": ["http://example.com/x.mp4"], "scale": 2}' "${AUTH[@]}"
expect_reply "URL without storage" 400 '.error | test("^output_paths: needed")'

# SSRF: loopback, metadata, private and unspecified addresses, refused before connecting.
: >"$WORK/payload.log"
for url in "$PAYLOAD/file/clip.mp4" "http://169.254.169.254/latest/meta-data/" \
    "http://10.0.0.1/clip.mp4" "http://0.0.0.0:$PP/file/clip.mp4" "http://[::1]:$PP/file/clip.mp4" \
    "http://[::ffff:127.0.0.1]:$PP/file/clip.mp4" "http://localhost:$PP/file/clip.mp4"; do
    req "$C" POST /upscale "{\"video_paths\": [\"$url\"], \"output_paths\": [\"out/ssrf.mp4\"], \"scale\": 2}" "${AUTH[@]}" --max-time 20
    expect_reply "ssrf $url" 400 '.success == false and (.errors[0] | test("download"))'
done
checks=$((checks + 1))
! grep -q . "$WORK/payload.log" || fail "ssrf: the payload server was reached: $(cat "$WORK/payload.log")"

# The deadline (3 s) passes mid-job: 504, and no output left.
req "$C" POST /upscale '{"video_paths": ["long.mp4"], "output_paths": ["out/long_x4.mp4"], "scale": 4}' "${AUTH[@]}"
expect_reply "deadline" 504 '.success == false and (.errors[0] | test("deadline"))'
checks=$((checks + 1))
[ ! -e "$ROOT/out/long_x4.mp4" ] && ! ls -a "$ROOT/out" | grep -q vsr-partial || fail "deadline: output left behind"

# A client that hangs up: its job is cancelled, not left running.
curl -s -o /dev/null --max-time 1 -X POST "${AUTH[@]}" -H 'Content-Type: application/json' \
    --data-binary '{"video_paths": ["long.mp4"], "output_paths": ["out/gone.mp4"], "scale": 4}' \
    "http://127.0.0.1:$C/upscale"
checks=$((checks + 1))
cancelled_within 120 "$C" "${AUTH[@]}" || fail "hang-up: job not cancelled: $BODY"
req "$C" GET /queue "" "${AUTH[@]}"
expect_reply "hang-up: queue empty" 200 '.active_tasks == 0 and .queued_tasks == 0'
checks=$((checks + 1))
[ ! -e "$ROOT/out/gone.mp4" ] || fail "hang-up: output left behind"
stop_server C
checks=$((checks + 1))
[ -z "$(ls -A "$WORK/tmp_c")" ] || fail "server C left scratch files"

# ---- server E: storage down --------------------------------------------------
dead_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/e.json" <<EOF
{"bucket": "vsr", "endpoint": "http://127.0.0.1:$dead_port", "access_key": "k", "secret_key": "s",
 "storage_retries": 2, "storage_backoff_ms": 200, "tmp_dir": "$WORK/tmp_e",
 "deletions_db": "$WORK/e-deletions.sqlite"}
EOF
start_server E --config "$WORK/e.json" --allow-cidrs 127.0.0.1/32
req "$PORT_E" POST /upscale-video "{\"payload_url\": \"$PAYLOAD/file/clip.mp4\", \"task_type\": \"SD2HD\"}"
expect_reply "storage down" 502 ".uploaded_video_url == null and (.error | test(\"upload\")) and (.error | test(\"127.0.0.1:$dead_port\"))"
stop_server E
checks=$((checks + 1))
[ -z "$(ls -A "$WORK/tmp_e")" ] || fail "server E left scratch files"

# A config file with an unknown setting is refused at start.
echo '{"max_runing": 3}' >"$WORK/bad.json"
expect 1 'unknown setting "max_runing"' "$VSR_BIN" serve --config "$WORK/bad.json"

finish
