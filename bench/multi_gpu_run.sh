#!/bin/bash
# The multi-GPU device run (issue: all the GPUs of a host), on a machine with
# 2+ GPUs, from the bundle of bench/multi_gpu_bundle.sh:
#   1. inference throughput, first GPU alone vs all (device_pool_bench), at
#      960x540 and 1920x1080 (x2);
#   2. five clips at once (3 SD2HD + 2 HD24K) through `vsr serve`, end to
#      end (decode, upscale, x265 encode), on 1 GPU and on all; every output
#      checked with `vsr check`.
#   bench/multi_gpu_run.sh BUNDLE_DIR OUT_DIR
set -uo pipefail
BUNDLE=$(cd "$1" && pwd)
OUT=$2
B=/tmp/vsr-bundle
mkdir -p "$B" "$OUT"
tar -C "$B" -xJf "$BUNDLE/bundle.tar.xz"
export LD_LIBRARY_PATH=$B/lib VSR_MODELS_DIR=$B/models
nvidia-smi -L
nproc
NGPU=$(nvidia-smi -L | wc -l)
ALL=$(seq -s, 0 $((NGPU - 1)))

# The system's curl, not linked against the bundle's older libcurl.
hcurl() { env -u LD_LIBRARY_PATH curl "$@"; }

if [ -z "${MG_SKIP_BENCH:-}" ]; then
    echo "== inference: device_pool_bench (fp16, 4 workers per GPU)"
    "$B/device_pool_bench" cuda realesr-animevideov3 2 960x540 "$ALL" 4 8
    "$B/device_pool_bench" cuda realesr-animevideov3 2 1920x1080 "$ALL" 4 8
fi

echo "== five clips at once through vsr serve"
ROOT=/tmp/vsr-root
mkdir -p "$ROOT/out"
cp "$BUNDLE/sd.mp4" "$BUNDLE/hd.mp4" "$ROOT/"
run_five() { # DEVICES WORKERS
    rm -f "$ROOT"/out/* /tmp/port
    "$B/vsr" serve --listen 127.0.0.1:0 --port-file /tmp/port --root "$ROOT" --backend cuda \
        --devices "$1" --workers "$2" --max-running 5 --max-queued 0 2>/tmp/serve.log &
    local pid=$!
    for _ in $(seq 300); do [ -s /tmp/port ] && break; sleep 0.1; done
    local port
    port=$(cat /tmp/port)
    local t0 t1 i curls=()
    t0=$(date +%s.%N)
    for i in 1 2 3 4 5; do
        local in=sd.mp4 scale=2
        [ "$i" -gt 3 ] && in=hd.mp4
        hcurl -s -o "/tmp/r$i.json" -w "clip $i ($in): %{http_code} in %{time_total} s\n" \
            -H 'Content-Type: application/json' \
            --data-binary "{\"video_paths\": [\"$in\"], \"output_paths\": [\"out/o$i.mp4\"], \"scale\": $scale}" \
            "http://127.0.0.1:$port/upscale" &
        curls+=($!)
    done
    wait "${curls[@]}"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v d="$1" -v w="$2" \
        'BEGIN { printf "devices %s, %s workers per job: 5 clips in %.2f s\n", d, w, b - a }'
    hcurl -s "http://127.0.0.1:$port/metrics" | grep -E '^vsr_(device|stage_seconds|frames_total)'
    kill -TERM $pid
    wait $pid
    for i in 1 2 3 4 5; do
        local in=sd.mp4
        [ "$i" -gt 3 ] && in=hd.mp4
        "$B/vsr" check "$ROOT/out/o$i.mp4" --input "$ROOT/$in" --scale 2 | tail -n 1
    done
}
run_five 0 2
run_five "$ALL" 4
