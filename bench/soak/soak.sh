#!/usr/bin/env bash
# Soak benchmark (issue 20): N mixed jobs (valid, invalid, cancelled, over
# capacity; bench/soak/soak_client.py) against one `vsr serve`, by default
# the AddressSanitizer build, with the server's RSS sampled every 25 jobs.
# Then SIGTERM: the server must exit 0 (LeakSanitizer reports leaks at exit
# and fails the exit code), and no file may be left in its scratch directory
# or under the output root. Prints the summary, the RSS samples and the
# verdict; exit status 0 only when all hold. Builds nothing.
#
#   bench/soak/soak.sh [VSR_BIN] [JOBS]      (default build-test/vsr 500)
#
# ASan's quarantine holds freed memory on purpose (default 256 MB), which
# would read as growth: it is set to 16 MB here, and the RSS verdict compares
# the last quarter's samples with the second quarter's (after warm-up).
set -uo pipefail
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
VSR=${1:-$ROOT_DIR/build-test/vsr}
JOBS=${2:-500}
[ -x "$VSR" ] || { echo "soak: $VSR not built" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "soak: ffmpeg needed" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/vsr-soak.XXXXXX")
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/root/out" "$W/tmp"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 8 -c:v libx264 \
    -pix_fmt yuv420p "$W/root/clip.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=30 -frames:v 600 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$W/root/long.mp4"
cat >"$W/config.json" <<JSON
{"max_running": 2, "max_queued": 3, "tmp_dir": "$W/tmp", "job_timeout_s": 120,
 "model": "realesr-animevideov3"}
JSON
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1}
"$VSR" serve --listen 127.0.0.1:0 --port-file "$W/port" --config "$W/config.json" \
    --root "$W/root" --backend cpu 2>"$W/server.log" &
SERVER=$!
for _ in $(seq 300); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { echo "soak: server did not start" >&2; cat "$W/server.log" >&2; exit 1; }
/usr/bin/python3 "$ROOT_DIR/bench/soak/soak_client.py" --port "$(cat "$W/port")" --root "$W/root" \
    --pid "$SERVER" --jobs "$JOBS" --out "$W/summary.json" >/dev/null
client_rc=$?
sleep 1 # the hung-up jobs' cancellation and removal
kill -TERM "$SERVER"
wait "$SERVER"
server_rc=$?
SERVER=
left=$( (cd "$W" && find tmp root/out -mindepth 1) | sort)
echo "soak: $VSR, $JOBS jobs"
/usr/bin/python3 - "$W/summary.json" "$server_rc" "$client_rc" "$left" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
server_rc, client_rc, left = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print("seconds:", s["seconds"], " counts:", json.dumps(s["counts"], sort_keys=True))
print("rss (jobs done, KiB):", " ".join(f"{j}:{r}" for j, r in s["rss_kib"]))
rss = [r for _, r in s["rss_kib"]]
q = max(1, len(rss) // 4)
warm = sum(rss[q:2 * q]) / q
last = sum(rss[-q:]) / q
growth = (last - warm) / warm
print(f"rss second quarter {warm:.0f} KiB, last quarter {last:.0f} KiB: {growth * 100:+.1f}%")
for e in s["errors"]:
    print("error:", e)
bad = []
if client_rc: bad.append(f"client exited {client_rc}")
if server_rc: bad.append(f"server exited {server_rc} (a leak report or a crash: see its log)")
if left: bad.append("files left: " + left.replace("\n", " "))
if s["counts"].get("valid_failed") or s["counts"].get("invalid_wrong"): bad.append("wrong replies")
if growth > 0.10: bad.append(f"RSS grew {growth * 100:.1f}% after warm-up")
print("verdict:", "PASS" if not bad else "FAIL: " + "; ".join(bad))
sys.exit(1 if bad else 0)
PY
rc=$?
[ "$server_rc" = 0 ] || tail -n 40 "$W/server.log"
exit $rc
