#!/bin/bash
# vsr serve under faults and hostile clients (issue 20), against real parts
# on loopback: two requests naming one output path (one job per path: the
# other gets 409, never a 200 for a broken file).
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/serve_lib.sh"
need ffmpeg "apt-get install ffmpeg"
need ffprobe "apt-get install ffmpeg"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "FAIL: $PY is needed" >&2; exit 1; }

ROOT=$WORK/root
mkdir -p "$ROOT/out" "$WORK/tmp_s"
# Long enough (a second or more) that two requests sent together overlap.
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 30 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$ROOT/in.mp4"
frames() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null; }

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

finish
