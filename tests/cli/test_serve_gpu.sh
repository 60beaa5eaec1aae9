#!/bin/bash
# vsr serve as validator-vidaio's remote GPU transform worker, over real
# HTTPS (a self-signed certificate made here with openssl), with two
# clients written from the contract (vidaio/miner/remote_gpu.py,
# gpu_worker.py, encoding.py): this script's shell + curl client (metadata
# by jq, base64url by coreutils, sha256sum) and tests/tools/gpu_client.py
# (Python's standard library, as the real miner is Python).
#
# Covered: every binding header and both digests; both tracks end to end
# (the upscaled output passes `vsr check`, the compressed one reaches its
# VMAF threshold by `vsr quality`); each metadata field wrong in turn; size
# and digest mismatches; a truncated and an oversize body; wrong and
# missing tokens (the GPU token apart from the API's); a burst past the
# queue's capacity (429, nothing lost); a deadline that passes mid-job
# (504, scratch removed); the certificate reloaded on SIGHUP (and kept when
# the new files are bad); HTTPS only on an HTTPS port; a clean shutdown.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/video_lib.sh"
need curl "apt-get install curl"
need jq "apt-get install jq"
need ffmpeg "apt-get install ffmpeg"
need openssl "apt-get install openssl"
need sha256sum "coreutils"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "FAIL: $PY is needed" >&2; exit 1; }

# mark SECTION: where the time goes (the test must stay short).
mark() { echo "[$SECONDS s] $1"; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

PROTO=vidaio-next-gpu-transform/v1
TOKEN=gpu-secret-1
APITOKEN=api-secret-2
SCRATCH=$WORK/tmp
mkdir -p "$SCRATCH"

# ---- certificates and clips-------------------------------------------------
mark "certificates and clips"
# make_cert NAME CN: NAME.pem and NAME.key, self-signed for 127.0.0.1.
make_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$2" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null ||
        { echo "FAIL: openssl could not make a certificate" >&2; exit 1; }
}
make_cert one vsr-test-one
make_cert two vsr-test-two
cp "$WORK/one.pem" "$WORK/cert.pem"
cp "$WORK/one.key" "$WORK/key.pem"

clip() { # NAME SIZE FRAMES [X264 ARGS...]
    local name=$1 size=$2 frames=$3
    shift 3
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=$size:rate=30" -frames:v "$frames" \
        -c:v libx264 -pix_fmt yuv420p "$@" "$WORK/$name.mp4"
}
clip up 64x36 10                         # upscaling
clip cmp 128x72 30 -preset ultrafast      # compression
clip long 192x108 150 -preset ultrafast   # the deadline
clip burst 64x36 45                      # the burst
head -c 1100000 /dev/urandom >"$WORK/big.bin" # over the worker's input cap (1000000)
head -c 5000 /dev/urandom >"$WORK/noise.bin"   # not a video
# The digests and sizes of the bodies, once (meta runs in subshells).
declare -A DIGEST SIZE
for f in up cmp long burst; do
    DIGEST[$WORK/$f.mp4]=$(sha256sum "$WORK/$f.mp4" | cut -d' ' -f1)
    SIZE[$WORK/$f.mp4]=$(stat -c %s "$WORK/$f.mp4")
done

# ---- the server-------------------------------------------------------------
mark "the server"
cat >"$WORK/gpu.json" <<EOF
{"max_running": 1, "max_queued": 1, "tmp_dir": "$SCRATCH", "gpu_max_input_bytes": 1000000,
 "token": "$APITOKEN"}
EOF
start_server() {
    rm -f "$WORK/port"
    VSR_GPU_TOKEN=$TOKEN "$VSR_BIN" serve --listen 127.0.0.1:0 --port-file "$WORK/port" \
        --config "$WORK/gpu.json" --backend "$BACKEND" --tls-cert "$WORK/cert.pem" \
        --tls-key "$WORK/key.pem" 2>"$WORK/serve.log" &
    SERVER=$!
    PIDS+=("$SERVER")
    for _ in $(seq 300); do
        [ -s "$WORK/port" ] && break
        kill -0 "$SERVER" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$WORK/port" ] || { echo "FAIL: the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
    PORT=$(cat "$WORK/port")
}
start_server
URL=https://127.0.0.1:$PORT

# ---- the shell client-------------------------------------------------------
mark "the shell client"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# meta TRACK VARIANT FILE PARAMS [DEADLINE] [JQ]: the x-vidaio-gpu-metadata
# value for FILE (canonical JSON, as remote_gpu.py writes it), JQ applied
# to the object first (to make one field wrong).
meta() {
    local digest=${DIGEST[$3]:-} size=${SIZE[$3]:-}
    [ -n "$digest" ] || digest=$(sha256sum "$3" | cut -d' ' -f1)
    [ -n "$size" ] || size=$(stat -c %s "$3")
    jq -cnS --arg p "$PROTO" --arg t "$1" --arg v "$2" --arg d "$digest" --argjson s "$size" \
        --argjson dl "${5:-120}" --argjson params "$4" \
        '{protocol: $p, track: $t, solution_variant: $v, input_digest: $d, input_size: $s,
          deadline_seconds: $dl, params: $params} | '"${6:-.}" | tr -d '\n' | b64url
}

# gpu FILE META [CURL ARGS...]: POST /process with the body FILE; sets CODE
# and BODY (an error's text); the reply is in $WORK/gpu.out, its headers
# in $WORK/gpu.hdr. AUTH (default: the token) is the Authorization value.
gpu() {
    local file=$1 m=$2
    shift 2
    rm -f "$WORK/gpu.out" "$WORK/gpu.hdr"
    CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/gpu.out" -D "$WORK/gpu.hdr" \
        -w '%{http_code}' -H "Authorization: ${AUTH-Bearer $TOKEN}" \
        -H "x-vidaio-gpu-protocol: $PROTO" -H "x-vidaio-gpu-metadata: $m" \
        -H "Content-Type: application/octet-stream" --data-binary "@$file" "$@" "$URL/process")
    BODY=$(head -c 4096 "$WORK/gpu.out" 2>/dev/null | tr -d '\0')
}

hdr() { grep -i "^$1:" "$WORK/gpu.hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# refused WHAT CODE REGEX: the last reply was CODE with a short text
# matching REGEX.
refused() {
    checks=$((checks + 1))
    if [ "$CODE" != "$2" ]; then
        fail "$1: status $CODE, expected $2: $BODY"
    elif ! grep -Eq -- "$3" <<<"$BODY"; then
        fail "$1: '$BODY' does not match /$3/"
    elif [ "$(stat -c %s "$WORK/gpu.out")" -gt 4096 ]; then
        fail "$1: an error body of $(stat -c %s "$WORK/gpu.out") bytes"
    fi
}

# binding FILE TRACK VARIANT OUT: the last reply is a 200 bound to the
# request, as remote_gpu.py checks it, and its body becomes OUT.
binding() {
    local file=$1 what="$2/$3"
    checks=$((checks + 1))
    if [ "$CODE" != 200 ]; then
        fail "$what: status $CODE: $BODY"
        return 1
    fi
    local in_digest out_digest size bad=""
    in_digest=$(sha256sum "$file" | cut -d' ' -f1)
    out_digest=$(sha256sum "$WORK/gpu.out" | cut -d' ' -f1)
    size=$(stat -c %s "$WORK/gpu.out")
    [ "$(hdr x-vidaio-gpu-protocol)" = "$PROTO" ] || bad+=" protocol=$(hdr x-vidaio-gpu-protocol)"
    [ "$(hdr x-vidaio-input-digest)" = "$in_digest" ] || bad+=" input-digest=$(hdr x-vidaio-input-digest)"
    [ "$(hdr x-vidaio-output-digest)" = "$out_digest" ] || bad+=" output-digest=$(hdr x-vidaio-output-digest) (body $out_digest)"
    [ "$(hdr x-vidaio-track)" = "$2" ] || bad+=" track=$(hdr x-vidaio-track)"
    [ "$(hdr x-vidaio-solution-variant)" = "$3" ] || bad+=" variant=$(hdr x-vidaio-solution-variant)"
    [ "$(hdr content-type)" = video/mp4 ] || bad+=" content-type=$(hdr content-type)"
    [ "$(hdr content-length)" = "$size" ] || bad+=" content-length=$(hdr content-length) (body $size)"
    # No GPU here: the honest attestation is the protocol's CPU device.
    [ "$(hdr x-vidaio-gpu-accelerated)" = false ] || bad+=" accelerated=$(hdr x-vidaio-gpu-accelerated)"
    [ "$(hdr x-vidaio-gpu-device)" = cpu:ffmpeg-fallback ] || bad+=" device=$(hdr x-vidaio-gpu-device)"
    [ -z "$bad" ] || fail "$what: binding:$bad"
    cp "$WORK/gpu.out" "$4"
}

# no_scratch WHAT: the worker left nothing in its scratch directory.
no_scratch() {
    checks=$((checks + 1))
    local left
    left=$(ls -A "$SCRATCH")
    [ -z "$left" ] || fail "$1: scratch left behind: $left"
}

# vmaf_of OUT REF: pooled VMAF and NEG delta, "VMAF DELTA".
vmaf_of() {
    "$VSR_BIN" quality "$1" --reference "$2" --json 2>/dev/null |
        jq -r '"\(.pooled.vmaf.mean) \(.pooled.vmaf.mean - .pooled.vmaf_neg.mean)"'
}

# ---- HTTPS only, tokens, health---------------------------------------------
mark "HTTPS only, tokens, health"
checks=$((checks + 1))
if curl -s -m 10 -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
    fail "plain HTTP was answered on the HTTPS port"
fi
CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/gpu.out" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" "$URL/healthz")
BODY=$(cat "$WORK/gpu.out")
checks=$((checks + 1))
jq -e --arg p "$PROTO" '.protocol == $p and .gpu_available == false and .status == "unavailable" and .device == null' \
    <<<"$BODY" >/dev/null 2>&1 && [ "$CODE" = 200 ] || fail "healthz: $CODE $BODY"
for auth in "" "Bearer wrong" "Bearer $APITOKEN" "Basic $TOKEN"; do
    CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/gpu.out" -w '%{http_code}' \
        -H "Authorization: $auth" "$URL/healthz")
    checks=$((checks + 1))
    [ "$CODE" = 401 ] || fail "healthz with '$auth': $CODE"
done
# The API keeps its own token; the GPU token opens only the worker.
CODE=$(curl -s --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" "$URL/queue")
checks=$((checks + 1))
[ "$CODE" = 401 ] || fail "/queue with the GPU token: $CODE"
CODE=$(curl -s --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $APITOKEN" "$URL/queue")
checks=$((checks + 1))
[ "$CODE" = 200 ] || fail "/queue with the API token: $CODE"

M_UP=$(meta upscaling balanced "$WORK/up.mp4" '{"upscale_factor": 2}')
for auth in "" "Bearer wrong" "Bearer $APITOKEN"; do
    AUTH=$auth gpu "$WORK/up.mp4" "$M_UP"
    refused "process with '$auth'" 401 "unauthorized"
done
CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/gpu.out" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" "$URL/process")
checks=$((checks + 1))
[ "$CODE" = 405 ] || fail "GET /process: $CODE"

# ---- upscaling end to end---------------------------------------------------
mark "upscaling end to end"
gpu "$WORK/up.mp4" "$M_UP"
binding "$WORK/up.mp4" upscaling balanced "$WORK/up_x2.mp4"
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/up_x2.mp4" --input "$WORK/up.mp4" --scale 2
# The worker runs the server's default model, auto: the detail measured per clip.
checks=$((checks + 1))
grep -q "task gpu-[0-9a-f-]* clip 0: detail [0-9.]* chosen" "$WORK/serve.log" ||
    fail "the upscaling task did not choose its detail (model auto):"$'\n'"$(tail -n 20 "$WORK/serve.log")"
gpu "$WORK/up.mp4" "$(meta upscaling quality "$WORK/up.mp4" '{"upscale_factor": "4"}')"
binding "$WORK/up.mp4" upscaling quality "$WORK/up_x4.mp4"
expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/up_x4.mp4" --input "$WORK/up.mp4" --scale 4
# A target size that is the model's own: the same as the factor.
gpu "$WORK/up.mp4" "$(meta upscaling compact "$WORK/up.mp4" '{"upscale_factor": 2, "target_width": 128, "target_height": 72}')"
binding "$WORK/up.mp4" upscaling compact "$WORK/up_t.mp4"
checks=$((checks + 1))
[ "$(image_size "$WORK/up_t.mp4")" = 128x72 ] || fail "target 128x72: $(image_size "$WORK/up_t.mp4")"
# Another size: the model's scale, then the pipeline's resampler.
gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" '{"upscale_factor": 2, "target_width": 100, "target_height": 56}')"
binding "$WORK/up.mp4" upscaling balanced "$WORK/up_100.mp4"
checks=$((checks + 1))
[ "$(image_size "$WORK/up_100.mp4")" = 100x56 ] || fail "target 100x56: $(image_size "$WORK/up_100.mp4")"
no_scratch "upscaling"

# The target rules (gpu_worker.py's _target) and the factor's.
for c_ in '{"upscale_factor": 3}@@upscale_factor must be one of' \
    '{}@@upscale_factor must be one of' \
    '{"upscale_factor": 2.5}@@upscale_factor must be an integer' \
    '{"target_width": 128}@@must appear together' \
    '{"target_width": 129, "target_height": 72}@@must be even' \
    '{"target_width": 8194, "target_height": 72}@@outside bounds' \
    '{"target_width": 8192, "target_height": 4098}@@outside bounds'; do
    gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" "${c_%%@@*}")"
    refused "params ${c_%%@@*}" 422 "${c_#*@@}"
done

# ---- compression end to end-------------------------------------------------
mark "compression end to end"
CMP_BYTES=$(stat -c %s "$WORK/cmp.mp4")
gpu "$WORK/cmp.mp4" "$(meta compression balanced "$WORK/cmp.mp4" '{"target_codec": "HEVC", "codec_mode": "CRF", "compression_type": "Low"}')"
binding "$WORK/cmp.mp4" compression balanced "$WORK/cmp_hevc.mp4"
read -r V D <<<"$(vmaf_of "$WORK/cmp_hevc.mp4" "$WORK/cmp.mp4")"
checks=$((checks + 1))
awk -v v="$V" -v d="$D" 'BEGIN { exit !(v >= 85 && d <= 3) }' || fail "HEVC Low: VMAF $V, NEG delta $D (85, 3)"
checks=$((checks + 1))
[ "$(stat -c %s "$WORK/cmp_hevc.mp4")" -lt $((CMP_BYTES * 8 / 10)) ] || fail "HEVC: not under 0.8x the input"
checks=$((checks + 1))
[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$WORK/cmp_hevc.mp4")" = hevc ] ||
    fail "HEVC asked, another codec written"
echo "compression HEVC Low: $(stat -c %s "$WORK/cmp_hevc.mp4") of $CMP_BYTES bytes, VMAF $V"
# AV1 at the task's own threshold (VBR without a bitrate is CRF).
gpu "$WORK/cmp.mp4" "$(meta compression compact "$WORK/cmp.mp4" '{"target_codec": "av1", "codec_mode": "VBR", "vmaf_threshold": 89}')"
binding "$WORK/cmp.mp4" compression compact "$WORK/cmp_av1.mp4"
read -r V D <<<"$(vmaf_of "$WORK/cmp_av1.mp4" "$WORK/cmp.mp4")"
checks=$((checks + 1))
awk -v v="$V" -v d="$D" 'BEGIN { exit !(v >= 89 && d <= 3) }' || fail "AV1 89: VMAF $V, NEG delta $D"
checks=$((checks + 1))
[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$WORK/cmp_av1.mp4")" = av1 ] ||
    fail "AV1 asked, another codec written"
echo "compression AV1 89: $(stat -c %s "$WORK/cmp_av1.mp4") of $CMP_BYTES bytes, VMAF $V"
for c_ in '{"target_codec": "libx265"}@@unsupported target_codec' \
    '{"codec_mode": "CBR"}@@unsupported codec_mode' \
    '{"target_bitrate": 600000000}@@500 Mbps' \
    '{"compression_type": "Ultra"}@@unsupported compression_type' \
    '{"vmaf_threshold": 101}@@vmaf_threshold'; do
    gpu "$WORK/cmp.mp4" "$(meta compression balanced "$WORK/cmp.mp4" "${c_%%@@*}")"
    refused "compression ${c_%%@@*}" 422 "${c_#*@@}"
done
no_scratch "compression"

# ---- the metadata, each field wrong in turn---------------------------------
mark "the metadata, each field wrong in turn"
P='{"upscale_factor": 2}'
for c_ in '.protocol = "vidaio-next-gpu-transform/v2"@@unsupported GPU protocol' \
    'del(.protocol)@@protocol: missing' \
    '.protocol = 1@@protocol: expected a string' \
    '.track = "restoration"@@unsupported track' \
    'del(.track)@@track: missing' \
    '.solution_variant = "fast"@@unsupported solution variant' \
    'del(.solution_variant)@@solution_variant: missing' \
    '.input_digest |= ascii_upcase@@lowercase sha256' \
    '.input_digest = "abc"@@lowercase sha256' \
    'del(.input_digest)@@input_digest: missing' \
    '.input_size = 0@@input_size: must be greater than 0' \
    '.input_size = "2598"@@input_size: expected an integer' \
    'del(.input_size)@@input_size: missing' \
    '.deadline_seconds = 0@@deadline_seconds: must be greater' \
    '.deadline_seconds = 600.5@@at most 600' \
    '.deadline_seconds = "60"@@deadline_seconds: expected a number' \
    'del(.deadline_seconds)@@deadline_seconds: missing' \
    '.params = null@@params: expected an object' \
    '.params = [2]@@params: expected an object' \
    '.params.upscale_factor = [2]@@params.upscale_factor' \
    '.params.upscale_factor = true@@params.upscale_factor' \
    '.params = ([range(33)] | map({key: "k\(.)", value: .}) | from_entries)@@too many transform parameters' \
    '.params.pad = ("x" * 8200)@@transform parameters are too large'; do
    gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" "$P" 120 "${c_%%@@*}")"
    refused "metadata ${c_%%@@*}" 400 "${c_#*@@}"
done
for c_ in '@@missing GPU task metadata' 'e30*@@not valid base64url' 'bm8@@not JSON' \
    'W10@@JSON object' "$(head -c 21849 /dev/zero | tr '\0' A)@@encoded GPU task metadata is too large" \
    "$(head -c 16385 /dev/zero | tr '\0' ' ' | b64url)@@GPU task metadata is too large"; do
    gpu "$WORK/up.mp4" "${c_%%@@*}"
    refused "metadata header '${c_:0:8}'" 400 "${c_#*@@}"
done
CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/gpu.out" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" -H "x-vidaio-gpu-metadata: $M_UP" \
    --data-binary "@$WORK/up.mp4" "$URL/process")
BODY=$(cat "$WORK/gpu.out")
refused "no protocol header" 400 "protocol header mismatch"

# ---- sizes, digests, bodies-------------------------------------------------
mark "sizes, digests, bodies"
gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" "$P" 120 '.input_size += 1')"
refused "input_size above Content-Length" 400 "input size binding mismatch"
gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" "$P" 120 '.input_digest = ("0" * 64)')"
refused "digest mismatch" 422 "input digest mismatch"
gpu "$WORK/up.mp4" "$(meta upscaling balanced "$WORK/up.mp4" "$P")" -H "Transfer-Encoding: chunked"
refused "chunked, no Content-Length" 400 "Content-Length is required"
gpu "$WORK/big.bin" "$(meta upscaling balanced "$WORK/big.bin" "$P")"
refused "oversize" 413 "exceeds worker cap"
# A body that is not a video (its digest and size right).
gpu "$WORK/noise.bin" "$(meta upscaling balanced "$WORK/noise.bin" "$P")"
refused "not a video" 422 "not a readable video"
# Truncated: Content-Length promises more than comes, and the client
# hangs up. No answer can come; the request and its scratch must go.
LEN=$(stat -c %s "$WORK/up.mp4")
{
    printf 'POST /process HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n' "$TOKEN"
    printf 'x-vidaio-gpu-protocol: %s\r\nx-vidaio-gpu-metadata: %s\r\n' "$PROTO" "$M_UP"
    printf 'Content-Length: %s\r\n\r\n' "$LEN"
    head -c $((LEN / 2)) "$WORK/up.mp4"
    sleep 1
} | timeout 20 openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$PORT" -CAfile "$WORK/cert.pem" \
    >"$WORK/trunc.out" 2>/dev/null
checks=$((checks + 1))
grep -q "HTTP/1.1" "$WORK/trunc.out" && fail "a truncated body was answered: $(head -c 300 "$WORK/trunc.out")"
for _ in $(seq 50); do [ -z "$(ls -A "$SCRATCH")" ] && break; sleep 0.1; done
no_scratch "truncated body"

# ---- a burst past capacity (1 running + 1 queued)---------------------------
mark "a burst past capacity (1 running + 1 queued)"
M_B=$(meta upscaling balanced "$WORK/burst.mp4" "$P")
BURST=()
for i in 1 2 3 4; do
    curl -s --cacert "$WORK/cert.pem" -o "$WORK/burst$i.out" -D "$WORK/burst$i.hdr" \
        -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "x-vidaio-gpu-protocol: $PROTO" \
        -H "x-vidaio-gpu-metadata: $M_B" --data-binary "@$WORK/burst.mp4" \
        "$URL/process" >"$WORK/burst$i.code" &
    BURST+=($!)
done
wait "${BURST[@]}"
OK=0 BUSY=0
for i in 1 2 3 4; do
    code=$(cat "$WORK/burst$i.code")
    checks=$((checks + 1))
    case $code in
    200)
        OK=$((OK + 1))
        cp "$WORK/burst$i.out" "$WORK/gpu.out"
        cp "$WORK/burst$i.hdr" "$WORK/gpu.hdr"
        CODE=200
        binding "$WORK/burst.mp4" upscaling balanced "$WORK/burst_x2_$i.mp4"
        expect 0 "all 11 gates passed" "$VSR_BIN" check "$WORK/burst_x2_$i.mp4" --input "$WORK/burst.mp4" --scale 2
        ;;
    429) BUSY=$((BUSY + 1)) ;;
    *) fail "burst request $i: $code $(head -c 300 "$WORK/burst$i.out")" ;;
    esac
done
checks=$((checks + 1))
[ "$OK" -ge 1 ] && [ "$BUSY" -ge 1 ] && [ $((OK + BUSY)) = 4 ] || fail "burst: $OK ok, $BUSY busy of 4"
echo "burst of 4: $OK done, $BUSY refused (429)"
CODE=$(curl -s --cacert "$WORK/cert.pem" -o "$WORK/q.json" -w '%{http_code}' \
    -H "Authorization: Bearer $APITOKEN" "$URL/queue")
checks=$((checks + 1))
jq -e '.active_tasks == 0 and .queued_tasks == 0' "$WORK/q.json" >/dev/null || fail "after the burst: $(cat "$WORK/q.json")"
no_scratch "burst"

# ---- a deadline that passes mid-job-----------------------------------------
mark "a deadline that passes mid-job"
T0=$(date +%s.%N)
gpu "$WORK/long.mp4" "$(meta upscaling balanced "$WORK/long.mp4" "$P" 3)"
T1=$(date +%s.%N)
refused "deadline mid-job" 504 "deadline exceeded"
checks=$((checks + 1))
awk -v a="$T0" -v b="$T1" 'BEGIN { exit !(b - a < 20) }' || fail "the deadline of 3 s answered after $(awk -v a="$T0" -v b="$T1" 'BEGIN{print b-a}') s"
no_scratch "deadline"

# ---- the same flows through Python's standard library-----------------------
mark "the same flows through Python's standard library"
expect 0 "gpu_client selftest: [0-9]+ checks, 0 failed" "$PY" "$VSR_SOURCE_DIR/tests/tools/gpu_client.py" \
    selftest --url "$URL" --token "$TOKEN" --cafile "$WORK/cert.pem" --clip "$WORK/up.mp4" \
    --compress-clip "$WORK/cmp.mp4" --scratch "$SCRATCH" --max-input 1000000
expect 0 "all 11 gates passed" "$VSR_BIN" check "$SCRATCH/py-out.mp4" --input "$WORK/up.mp4" --scale 2
rm -f "$SCRATCH/py-out.mp4" "$SCRATCH/py-cout.mp4"
# The Python client refuses plain HTTP itself.
expect 1 "must be absolute HTTPS" "$PY" "$VSR_SOURCE_DIR/tests/tools/gpu_client.py" process \
    --url "http://127.0.0.1:$PORT" --token "$TOKEN" --cafile "$WORK/cert.pem" --track upscaling \
    --input "$WORK/up.mp4" --output "$WORK/never.mp4"

# ---- the certificate, reloaded on SIGHUP------------------------------------
mark "the certificate, reloaded on SIGHUP"
served_cn() {
    openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
checks=$((checks + 1))
[ "$(served_cn)" = vsr-test-one ] || fail "served certificate: '$(served_cn)'"
cp "$WORK/two.pem" "$WORK/cert.pem"
cp "$WORK/two.key" "$WORK/key.pem"
kill -HUP "$SERVER"
for _ in $(seq 50); do grep -q "TLS certificate reloaded" "$WORK/serve.log" && break; sleep 0.1; done
checks=$((checks + 1))
[ "$(served_cn)" = vsr-test-two ] || fail "after SIGHUP: '$(served_cn)'"
CODE=$(curl -s --cacert "$WORK/two.pem" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/healthz")
checks=$((checks + 1))
[ "$CODE" = 200 ] || fail "healthz with the new certificate: $CODE"
checks=$((checks + 1))
curl -s --cacert "$WORK/one.pem" -o /dev/null "$URL/healthz" && fail "the old certificate is still served"
# A bad reload (the key of another certificate) keeps the current one.
cp "$WORK/one.key" "$WORK/key.pem"
kill -HUP "$SERVER"
for _ in $(seq 50); do grep -q "TLS reload failed" "$WORK/serve.log" && break; sleep 0.1; done
checks=$((checks + 1))
grep -q "TLS reload failed, the old certificate stays" "$WORK/serve.log" || fail "no log of the failed reload"
checks=$((checks + 1))
[ "$(served_cn)" = vsr-test-two ] || fail "after a bad reload: '$(served_cn)'"

# Settings: a key that is not the certificate's is refused at start.
expect 1 "TLS certificate .* with key" "$VSR_BIN" serve --listen 127.0.0.1:0 --backend "$BACKEND" \
    --tls-cert "$WORK/two.pem" --tls-key "$WORK/one.key"
expect 1 "tls_key" "$VSR_BIN" serve --listen 127.0.0.1:0 --backend "$BACKEND" --tls-cert "$WORK/two.pem"
expect 1 "gpu_token must be non-empty, trimmed" env VSR_GPU_TOKEN=" padded" "$VSR_BIN" serve \
    --listen 127.0.0.1:0 --backend "$BACKEND"

# ---- a clean stop-----------------------------------------------------------
mark "a clean stop"
kill -TERM "$SERVER"
wait "$SERVER"
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "server exited with $rc:"$'\n'"$(tail -n 30 "$WORK/serve.log")"
no_scratch "after the stop"
finish
