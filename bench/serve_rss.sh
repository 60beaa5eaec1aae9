#!/usr/bin/env bash
# Server memory over many jobs (issue 20 #9: "RSS grows ~14 KB per job"):
# starts `vsr serve` (a build without sanitizers, which change the
# allocator), sends JOBS small /upscale jobs one after the other (a 64x48,
# 30-frame clip at x2: the per-job cost stands out against the work) and
# prints the server's VmRSS after every job, for each configuration given.
#
#   bench/serve_rss.sh VSR_BIN JOBS CONFIG...
#
# A CONFIG is NAME=CODEC[,ENV=VALUE...], e.g. hevc=hevc, h264=h264,
# arena1=hevc,MALLOC_ARENA_MAX=1; the binary may be given per config as
# BIN@NAME=... (BIN a path) to compare two builds in one run.
# Output: one line per job "NAME JOB RSS_KIB", then per config the RSS
# after job 10 and after the last, and the slope (KiB per job) over the
# jobs after the 10th (least squares), which is what grows for ever.
set -euo pipefail
BIN=$1
JOBS=$2
shift 2
WORK=$(mktemp -d /tmp/vsr-serve-rss.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/root/out"
ffmpeg -v error -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 30 -c:v libx264 \
    -preset ultrafast -pix_fmt yuv420p "$WORK/root/in.mp4"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

run_config() {
    local spec=$1 bin=$BIN
    if [[ $spec == *@* ]]; then
        bin=${spec%%@*}
        spec=${spec#*@}
    fi
    local name=${spec%%=*} rest=${spec#*=}
    local codec=${rest%%,*} envs=()
    [[ $rest == *,* ]] && IFS=, read -r -a envs <<<"${rest#*,}"
    rm -f "$WORK/port"
    env "${envs[@]}" "$bin" serve --listen 127.0.0.1:0 --port-file "$WORK/port" \
        --root "$WORK/root" --tmp-dir "$WORK" --max-running 1 --max-queued 1 \
        2>"$WORK/$name.log" &
    local pid=$!
    for _ in $(seq 300); do [ -s "$WORK/port" ] && break; sleep 0.1; done
    local port
    port=$(cat "$WORK/port")
    for i in $(seq "$JOBS"); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            --data-binary "{\"video_paths\": [\"in.mp4\"], \"output_paths\": [\"out/o.mp4\"], \"scale\": 2, \"codec\": \"$codec\"}" \
            "http://127.0.0.1:$port/upscale")
        [ "$code" = 200 ] || { echo "$name: job $i: status $code" >&2; kill "$pid"; exit 1; }
        echo "$name $i $(rss_kib "$pid")"
    done
    kill -TERM "$pid"
    wait "$pid" || true
}

for c in "$@"; do run_config "$c"; done >"$WORK/rss.txt"
cat "$WORK/rss.txt"
echo "# config rss_after_10_kib rss_last_kib slope_after_10_kib_per_job"
awk '$2 >= 10 {n[$1]++; x=$2; y=$3; sx[$1]+=x; sy[$1]+=y; sxx[$1]+=x*x; sxy[$1]+=x*y;
     if ($2 == 10) first[$1] = y; last[$1] = y}
     END {for (k in n) {d = n[k]*sxx[k] - sx[k]*sx[k];
          printf "%s %d %d %.1f\n", k, first[k], last[k], d ? (n[k]*sxy[k] - sx[k]*sy[k]) / d : 0}}' \
    "$WORK/rss.txt" | sort
