#!/bin/bash
# vsr serve's POST /compress, as vidaio-subnet's compression service
# (miner/compression/app.py) answers it, against real parts started here:
# s3rver, a payload HTTP server (tests/tools/payload_server.py) and curl.
# A URL in gives a presigned URL (processing/<task>/<task>_input_compressed.mp4,
# 3600 s) to a file that scores the VMAF the cq stands for by `vsr quality`
# in under 0.8x the input's bytes; a local path gives a file under the
# root; each bad field is refused in the service's shapes (422 with a
# detail list, 400 detail for a missing file); a full queue is 429; a
# failed download, missing storage and storage down are success false with
# the service's wording; no scratch file is left behind. And /upscale in
# the upscaling service's local mode.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/s3rver_lib.sh"
. "$(dirname "$0")/serve_lib.sh"
need ffmpeg "apt-get install ffmpeg"

ROOT=$WORK/root
mkdir -p "$ROOT" "$WORK/payload" "$WORK/tmp_a" "$WORK/tmp_n" "$WORK/tmp_e"
# A tiny clip of high quality (as the validators' stock sources are), so
# that there is room under 0.8x its bytes.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 12 -c:v libx264 \
    -preset ultrafast -crf 12 -g 30 -pix_fmt yuv420p "$WORK/payload/clip.mp4"
cp "$WORK/payload/clip.mp4" "$ROOT/in.mp4"

s3rver_start "$WORK/s3" || { echo "FAIL: s3rver did not start" >&2; exit 1; }
"$PY" "$VSR_SOURCE_DIR/tests/tools/payload_server.py" --bind 127.0.0.1 --dir "$WORK/payload" \
    --port-file "$WORK/payload.port" --log "$WORK/payload.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/payload.port" ] && break; sleep 0.1; done
PAYLOAD="http://127.0.0.1:$(cat "$WORK/payload.port")"

# stop_server_clean NAME TMP: stop_server (serve_lib.sh), and its tmp_dir
# ($WORK/tmp_TMP) must be empty.
stop_server_clean() {
    stop_server "$1"
    checks=$((checks + 1))
    [ -z "$(ls -A "$WORK/tmp_$2")" ] || fail "server $1 left scratch files: $(ls -A "$WORK/tmp_$2")"
}

# compress PORT BODY: POST /compress; sets CODE and BODY.
compress() {
    CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "$2" "http://127.0.0.1:$1/compress")
    BODY=$(cat "$WORK/resp" 2>/dev/null)
}

# The service's CompressResponse, every field there.
SHAPE='(keys == ["active_tasks", "error", "output_path", "output_url", "queued_tasks", "success"])'

ge() { "$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }
# vmaf OUT REF: the pooled VMAF mean by vsr quality.
vmaf() {
    "$VSR_BIN" quality "$1" --reference "$2" --json >"$WORK/q.json" || return 1
    jq -r '.pooled.vmaf.mean' "$WORK/q.json"
}
codec_of() { ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$1"; }
smaller() { [ $(($(stat -c %s "$1") * 10)) -lt $(($(stat -c %s "$2") * 8)) ]; }

# ---- server A: storage by vidaio-subnet's names, a root, one job at a time
cat >"$WORK/a.json" <<EOF
{"max_running": 1, "max_queued": 0, "tmp_dir": "$WORK/tmp_a", "deletions_db": "$WORK/a.sqlite"}
EOF
MINER_STORAGE_S3_BUCKET_NAME=$S3_BUCKET MINER_STORAGE_S3_ENDPOINT_URL=$S3_ENDPOINT \
    MINER_STORAGE_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY MINER_STORAGE_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
    start_server A --config "$WORK/a.json" --root "$ROOT" --allow-cidrs 127.0.0.1/32
A=$PORT_A

# The neuron's request (neurons/miner.py): a Medium task (cq 35: VMAF 89),
# CRF, with the target_bitrate it always sends (ignored in CRF mode).
compress "$A" "{\"video_path\": \"$PAYLOAD/file/clip.mp4\", \"task_id\": \"c1\", \"codec\": \"hevc\", \"codec_mode\": \"CRF\", \"target_bitrate\": 5000000, \"cq\": 35}"
expect_reply "url in" 200 "$SHAPE"' and .success == true and .error == null and .output_path == "" and .active_tasks == 0 and .queued_tasks == 0 and (.output_url | test("/'"$S3_BUCKET"'/processing/c1/c1_input_compressed\\.mp4\\?.*X-Amz-Expires=3600&"))'
check "url in: the presigned URL downloads" curl -sf -o "$WORK/c1.mp4" "$(jq -r '.output_url // empty' <<<"$BODY")"
v=$(vmaf "$WORK/c1.mp4" "$WORK/payload/clip.mp4")
check "url in: VMAF $v >= 89 (cq 35)" ge "$v" 89
check "url in: under 0.8x the input" smaller "$WORK/c1.mp4" "$WORK/payload/clip.mp4"
check "url in: HEVC" [ "$(codec_of "$WORK/c1.mp4")" = hevc ]

# A local path (the service's shared volume: the root): the output beside
# it, named as the service names it; a Low task (cq 40: VMAF 85) in H.264.
compress "$A" '{"video_path": "in.mp4", "codec": "H.264", "cq": 40}'
expect_reply "local" 200 "$SHAPE"' and .success == true and .output_url == "" and (.output_path | endswith("/root/in_compressed.mp4"))'
v=$(vmaf "$ROOT/in_compressed.mp4" "$ROOT/in.mp4")
check "local: VMAF $v >= 85 (cq 40)" ge "$v" 85
check "local: under 0.8x the input" smaller "$ROOT/in_compressed.mp4" "$ROOT/in.mp4"
check "local: H.264" [ "$(codec_of "$ROOT/in_compressed.mp4")" = h264 ]
# VBR at a bitrate (the validators accept up to 1.1x), VP9, and a resize:
# each through vsr compress's mode of the same name.
compress "$A" '{"video_path": "in.mp4", "codec": "VP9", "codec_mode": "VBR", "target_bitrate": 60000, "target_width": 48, "target_height": 36}'
expect_reply "local VBR VP9 48x36" 200 "$SHAPE"' and .success == true'
br=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$ROOT/in_compressed.mp4")
check "VBR: average $br bit/s within 1.1x of 60000" [ "${br:-999999}" -le 66000 ]
check "VBR: VP9" [ "$(codec_of "$ROOT/in_compressed.mp4")" = vp9 ]
check "VBR: resized to 48x36" [ "$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$ROOT/in_compressed.mp4")" = 48x36 ]

# Bad fields: FastAPI's 422 {"detail": [{"type", "loc", "msg"}]}, the field in loc.
bad() { # WHAT BODY FIELD
    compress "$A" "$2"
    expect_reply "$1" 422 "(.detail | length) == 1 and .detail[0].loc == [\"body\", \"$3\"] and (.detail[0].msg | length) > 0"
}
bad "missing video_path" '{"codec": "AV1"}' video_path
bad "video_path not a string" '{"video_path": 5}' video_path
bad "cq not an integer" '{"video_path": "in.mp4", "cq": "high"}' cq
bad "cq out of range" '{"video_path": "in.mp4", "cq": 99}' cq
bad "unknown codec" '{"video_path": "in.mp4", "codec": "MPEG2"}' codec
bad "codec_mode" '{"video_path": "in.mp4", "codec_mode": "ABR"}' codec_mode
bad "VBR bitrate" '{"video_path": "in.mp4", "codec_mode": "VBR", "target_bitrate": 10}' codec_mode
bad "target_bitrate" '{"video_path": "in.mp4", "target_bitrate": "fast"}' target_bitrate
bad "odd size" '{"video_path": "in.mp4", "target_width": 33, "target_height": 24}' target_width
bad "task_id" '{"video_path": "in.mp4", "task_id": "../../x"}' task_id
bad "preset" '{"video_path": "in.mp4", "preset": 4}' preset
compress "$A" '{"video_path": '
expect_reply "bad JSON" 422 '.detail[0].type == "json_invalid"'
# jansson quotes the bad token cut inside a UTF-8 character: the message
# keeps it, with '?' for its bytes (it had no message, no body, before)
compress "$A" $'{"video_path": "\\u12\xcb\x9e"}'
expect_reply "bad JSON, not UTF-8" 422 '.detail[0].type == "json_invalid" and (.detail[0].msg | test("JSON decode error"))'
compress "$A" '[1]'
expect_reply "not an object" 422 '.detail[0].loc == ["body", "body"]'
# A file that is not there, or not under the root: the service's 400.
for p in nope.mp4 ../payload/clip.mp4 /etc/passwd; do
    compress "$A" "{\"video_path\": \"$p\"}"
    expect_reply "not found: $p" 400 "(.detail | startswith(\"Input file not found: $p\"))"
done
checks=$((checks + 1))
[ ! -e "$WORK/payload/clip_compressed.mp4" ] || fail "a file was written outside the root"

# A failed download: 200, success false, the service's words, no counts.
compress "$A" "{\"video_path\": \"$PAYLOAD/status/404\", \"task_id\": \"gone\"}"
expect_reply "download 404" 200 "$SHAPE"' and .success == false and (.error | startswith("Failed to download input: ")) and .active_tasks == null and .output_url == ""'
compress "$A" "{\"video_path\": \"$PAYLOAD/redirect?to=http://169.254.169.254/x\"}"
expect_reply "download redirected to metadata" 200 '.success == false and (.error | startswith("Failed to download input: "))'

# Queue full (1 running, 0 waiting): a slow download holds the runner.
curl -s -o "$WORK/slow.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"video_path\": \"$PAYLOAD/drip?n=40&ms=50\", \"task_id\": \"slow\"}" \
    "http://127.0.0.1:$A/compress" >"$WORK/slow.code" &
SLOW=$!
for _ in $(seq 40); do
    [ "$(curl -s "http://127.0.0.1:$A/queue" | jq .active_tasks)" = 1 ] && break
    sleep 0.05
done
compress "$A" '{"video_path": "in.mp4"}'
expect_reply "queue full" 429 '.detail == "Compression queue full: 0/0 queued, 1/1 active"'
wait "$SLOW"
checks=$((checks + 1))
[ "$(cat "$WORK/slow.code")" = 200 ] && jq -e "$SHAPE"' and .success == false' "$WORK/slow.json" >/dev/null ||
    fail "the job that held the queue: $(cat "$WORK/slow.code") $(cat "$WORK/slow.json")"
stop_server_clean A a

# ---- server N: no storage: a URL's output has nowhere to go ---------------
start_server N --root "$ROOT" --tmp-dir "$WORK/tmp_n" --allow-cidrs 127.0.0.1/32
compress "$PORT_N" "{\"video_path\": \"$PAYLOAD/file/clip.mp4\"}"
expect_reply "no storage" 200 "$SHAPE"' and .success == false and .error == "S3 upload failed: Missing storage configuration: MINER_STORAGE_S3_BUCKET_NAME, MINER_STORAGE_S3_ACCESS_KEY_ID, MINER_STORAGE_S3_SECRET_ACCESS_KEY"'
# /upscale in the service's local mode, as the neuron calls it with no
# storage here: the output beside the input in the root, named as the
# service names it.
CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary '{"video_path": "in.mp4", "scale": 2, "task_id": "u1"}' "http://127.0.0.1:$PORT_N/upscale")
BODY=$(cat "$WORK/resp")
expect_reply "upscale, local mode" 200 '.success == true and .error == null and .output_url == "" and (.output_path | endswith("/root/in_upscaled_2x.mp4"))'
expect 0 "all 11 gates passed" "$VSR_BIN" check "$ROOT/in_upscaled_2x.mp4" --input "$ROOT/in.mp4" --scale 2
stop_server_clean N n

# ---- server E: storage down --------------------------------------------------
dead_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/e.json" <<EOF
{"bucket": "vsr", "endpoint": "http://127.0.0.1:$dead_port", "access_key": "k", "secret_key": "s",
 "storage_retries": 1, "storage_backoff_ms": 100, "tmp_dir": "$WORK/tmp_e",
 "deletions_db": "$WORK/e.sqlite"}
EOF
start_server E --config "$WORK/e.json" --allow-cidrs 127.0.0.1/32
compress "$PORT_E" "{\"video_path\": \"$PAYLOAD/file/clip.mp4\", \"task_id\": \"down\", \"codec\": \"HEVC\"}"
expect_reply "storage down" 200 "$SHAPE"' and .success == false and (.error | startswith("S3 upload failed: ")) and (.error | test("127.0.0.1:'"$dead_port"'")) and .active_tasks == 0'
stop_server_clean E e

finish
