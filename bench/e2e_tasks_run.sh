#!/bin/bash
# End to end per Vidaio task on a GPU machine (device run), from the bundle
# of bench/multi_gpu_bundle.sh plus 10 s, 30 fps clips (CLIPS_DIR: sd.mp4
# 960x540, hd.mp4 1920x1080, uhd.mp4 3840x2160, 300 frames each):
#   1. each task with the default profile, single encoder and segment-parallel,
#      wall time and stages (-v), `vsr check` on every output;
#   2. SD2HD with every profile;
#   3. five clips at once (the validator's batch: 3 SD2HD + 2 HD24K) through
#      `vsr serve`;
#   4. with 2+ GPUs: a GPU taken out mid-clip (--fail-device), the clip
#      completing with the frames of a fault-free run.
#   bench/e2e_tasks_run.sh BUNDLE_DIR CLIPS_DIR OUT_DIR
set -uo pipefail
BUNDLE=$(cd "$1" && pwd)
CLIPS=$(cd "$2" && pwd)
OUT=$3
B=/tmp/vsr-bundle
mkdir -p "$B" "$OUT"
tar -C "$B" -xJf "$BUNDLE/bundle.tar.xz"
export LD_LIBRARY_PATH=$B/lib VSR_MODELS_DIR=$B/models
nvidia-smi -L
echo "cores: $(nproc)"
NGPU=$(nvidia-smi -L | wc -l)
ALL=$(seq -s, 0 $((NGPU - 1)))
W=$((2 * NGPU))
hcurl() { env -u LD_LIBRARY_PATH curl "$@"; }

up() { # NAME CLIP TASK ARGS...
    local name=$1 clip=$2 task=$3
    shift 3
    local t0 t1
    t0=$(date +%s.%N)
    "$B/vsr" upscale -i "$CLIPS/$clip" -o "/tmp/$name.mp4" --task "$task" --backend cuda \
        --devices "$ALL" --workers "$W" -v --progress none "$@" 2>&1 |
        grep -vE "^  (decode|encode) colour|^  memory"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v n="$name" 'BEGIN { printf "WALL %s %.2f s\n", n, b - a }'
    "$B/vsr" check "/tmp/$name.mp4" --input "$CLIPS/$clip" --task "$task" | tail -n 1
    rm -f "/tmp/$name.mp4"
}

echo "== tasks, default profile: one encoder, then segments (auto)"
for t in "sd.mp4 SD2HD" "hd.mp4 HD24K" "sd.mp4 SD24K" "uhd.mp4 4K28K"; do
    set -- $t
    up "$2-1enc" "$1" "$2" --encode-segments 1
    up "$2-seg" "$1" "$2" --encode-segments auto
done

echo "== SD2HD and HD24K, every profile, segments auto"
for p in fast balanced quality; do
    up "SD2HD-$p" sd.mp4 SD2HD --profile "$p" --encode-segments auto
    up "HD24K-$p" hd.mp4 HD24K --profile "$p" --encode-segments auto
done

echo "== five clips at once through vsr serve (3 SD2HD + 2 HD24K)"
ROOT=/tmp/vsr-root
mkdir -p "$ROOT/out"
cp "$CLIPS/sd.mp4" "$CLIPS/hd.mp4" "$ROOT/"
"$B/vsr" serve --listen 127.0.0.1:0 --port-file /tmp/port --root "$ROOT" --backend cuda \
    --devices "$ALL" --max-running 5 --max-queued 0 2>/tmp/serve.log &
SERVE=$!
for _ in $(seq 300); do [ -s /tmp/port ] && break; sleep 0.1; done
PORT=$(cat /tmp/port)
t0=$(date +%s.%N)
curls=()
for i in 1 2 3 4 5; do
    in=sd.mp4
    [ "$i" -gt 3 ] && in=hd.mp4
    hcurl -s -o "/tmp/r$i.json" -w "clip $i ($in): %{http_code} in %{time_total} s\n" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"video_paths\": [\"$in\"], \"output_paths\": [\"out/o$i.mp4\"], \"scale\": 2}" \
        "http://127.0.0.1:$PORT/upscale" &
    curls+=($!)
done
wait "${curls[@]}"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "WALL five-clips %.2f s\n", b - a }'
hcurl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^vsr_(device|stage_seconds|frames_total)'
kill -TERM $SERVE
wait $SERVE
for i in 1 2 3 4 5; do
    in=sd.mp4
    [ "$i" -gt 3 ] && in=hd.mp4
    "$B/vsr" check "$ROOT/out/o$i.mp4" --input "$ROOT/$in" --scale 2 | tail -n 1
done

if [ "$NGPU" -ge 2 ]; then
    echo "== a GPU taken out mid-clip"
    "$B/vsr" upscale -i "$CLIPS/hd.mp4" -o /tmp/nofault.mp4 --task HD24K --backend cuda \
        --devices "$ALL" --workers "$W" --progress none --dump-frames-hash /tmp/nofault.txt
    "$B/vsr" upscale -i "$CLIPS/hd.mp4" -o /tmp/fault.mp4 --task HD24K --backend cuda \
        --devices "$ALL" --workers "$W" --progress none --fail-device 1:40 -v \
        --dump-frames-hash /tmp/fault.txt 2>&1 | grep -E "device|frames in"
    "$B/vsr" check /tmp/fault.mp4 --input "$CLIPS/hd.mp4" --task HD24K | tail -n 1
    if cmp -s /tmp/nofault.txt /tmp/fault.txt; then
        echo "FAULT: frames identical to the fault-free run"
    else
        echo "FAULT: frames DIFFER from the fault-free run"
    fi
fi
