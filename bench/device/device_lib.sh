# Helpers for the GPU device-run scripts (sourced, not run): the bundle of
# bench/device/multi_gpu_bundle.sh unpacked, the validator's five-clip batch
# through `vsr serve` with the machine's utilisation while it runs, and the
# RRDB kernel's call steps (a benchmark line, the per-class profile, the
# overlap check, a run with the GPU's clock logged).

# unpack_bundle BUNDLE_DIR: unpacks the bundle (bench/device/bundle.sh)
# into $B and points the loader and the model lookup at it.
unpack_bundle() {
    . "$1/setup.sh"
}

# device_run_start BUNDLE_DIR OUT_DIR: a run script's start: BUNDLE (its
# absolute path) and OUT set, OUT made, the bundle unpacked into $B.
device_run_start() {
    BUNDLE=$(cd "$1" && pwd) || exit 1
    OUT=$2
    mkdir -p "$OUT"
    unpack_bundle "$BUNDLE"
}

# The system's curl, not linked against the bundle's older libcurl.
hcurl() { env -u LD_LIBRARY_PATH curl "$@"; }

# sample_utilisation FILE: until killed, appends "gpu%,cpu%" every 0.5 s
# (nvidia-smi's utilisation of the first GPU listed, or the mean of all;
# the CPU's busy share from /proc/stat).
sample_utilisation() {
    local out=$1 prev cur
    prev=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)
    while sleep 0.5; do
        cur=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)
        local gpu
        gpu=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits |
            awk '{s += $1; n++} END {printf "%.0f", n ? s / n : 0}')
        awk -v p="$prev" -v c="$cur" -v g="$gpu" 'BEGIN {
            split(p, a, " "); split(c, b, " ");
            busy = b[1] - a[1]; idle = b[2] - a[2];
            printf "%s,%.0f\n", g, (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }' >>"$out"
        prev=$cur
    done
}

# utilisation_summary FILE: mean and peak of the samples.
utilisation_summary() {
    awk -F, '{g += $1; c += $2; n++; if ($1 > gm) gm = $1; if ($2 > cm) cm = $2}
        END { if (n) printf "utilisation over %d samples: GPU mean %.0f%% (peak %d%%), CPU mean %.0f%% (peak %d%%)\n",
                     n, g / n, gm, c / n, cm }' "$1"
}

# five_clips CLIPS_DIR SERVE_ARGS...: the validator's batch, 3 SD2HD
# (sd.mp4) + 2 HD24K (hd.mp4) requests sent at once to a fresh `vsr serve
# --backend cuda SERVE_ARGS...`; prints each request, the batch's wall time,
# the utilisation, the server's device and stage metrics, and `vsr check`
# of every output. With FIVE_IN_ONE=1, the five clips go in one request (as
# the validator sends them).
five_clips() {
    local clips=$1 root=/tmp/vsr-root
    shift
    rm -rf "$root" /tmp/port /tmp/util.csv
    mkdir -p "$root/out"
    cp "$clips/sd.mp4" "$clips/hd.mp4" "$root/"
    "${VSR_UNDER_TEST:-$B/vsr}" serve --listen 127.0.0.1:0 --port-file /tmp/port --root "$root" --backend cuda \
        --max-running 5 --max-queued 0 "$@" 2>/tmp/serve.log &
    local pid=$!
    for _ in $(seq 300); do [ -s /tmp/port ] && break; sleep 0.1; done
    local port i in t0 t1 sampler curls=()
    port=$(cat /tmp/port)
    sample_utilisation /tmp/util.csv &
    sampler=$!
    t0=$(date +%s.%N)
    if [ "${FIVE_IN_ONE:-0}" = 1 ]; then
        hcurl -s -o /tmp/r.json -w "one request of five clips: %{http_code} in %{time_total} s\n" \
            -H 'Content-Type: application/json' \
            --data-binary '{"video_paths": ["sd.mp4", "sd.mp4", "sd.mp4", "hd.mp4", "hd.mp4"], "output_paths": ["out/o1.mp4", "out/o2.mp4", "out/o3.mp4", "out/o4.mp4", "out/o5.mp4"], "scale": 2}' \
            "http://127.0.0.1:$port/upscale"
    else
        for i in 1 2 3 4 5; do
            in=sd.mp4
            [ "$i" -gt 3 ] && in=hd.mp4
            hcurl -s -o "/tmp/r$i.json" -w "clip $i ($in): %{http_code} in %{time_total} s\n" \
                -H 'Content-Type: application/json' \
                --data-binary "{\"video_paths\": [\"$in\"], \"output_paths\": [\"out/o$i.mp4\"], \"scale\": 2}" \
                "http://127.0.0.1:$port/upscale" &
            curls+=($!)
        done
        wait "${curls[@]}"
    fi
    t1=$(date +%s.%N)
    kill "$sampler"
    wait "$sampler" 2>/dev/null
    awk -v a="$t0" -v b="$t1" -v s="$*" 'BEGIN { printf "WALL five-clips (%s) %.2f s\n", s, b - a }'
    utilisation_summary /tmp/util.csv
    hcurl -s "http://127.0.0.1:$port/metrics" | grep -E '^vsr_(device|stage_seconds|frames_total)'
    kill -TERM "$pid"
    wait "$pid"
    for i in 1 2 3 4 5; do
        in=sd.mp4
        [ "$i" -gt 3 ] && in=hd.mp4
        "$B/vsr" check "$root/out/o$i.mp4" --input "$root/$in" --scale 2 | tail -n 1
    done
}

# serve_one_at_a_time CLIPS_DIR SERVE_ARGS...: one `vsr serve --backend
# cuda SERVE_ARGS...`; a first clip to warm it (model loaded, worker
# contexts made), then each task's clip alone, twice (4K28K once), timed
# from request to complete MP4 (curl's total: the request is answered when
# the output is written); `vsr check` of every output.
serve_one_at_a_time() {
    local clips=$1 root=/tmp/vsr-root
    shift
    rm -rf "$root" /tmp/port
    mkdir -p "$root/out"
    cp "$clips/sd.mp4" "$clips/hd.mp4" "$clips/uhd.mp4" "$root/"
    "${VSR_UNDER_TEST:-$B/vsr}" serve --listen 127.0.0.1:0 --port-file /tmp/port --root "$root" --backend cuda \
        "$@" 2>/tmp/serve.log &
    local pid=$!
    for _ in $(seq 300); do [ -s /tmp/port ] && break; sleep 0.1; done
    local port n=0 runs=()
    port=$(cat /tmp/port)
    one() { # NAME INPUT SCALE
        n=$((n + 1))
        hcurl -s -o "/tmp/r$n.json" -w "SERVE $1: %{http_code} in %{time_total} s\n" \
            -H 'Content-Type: application/json' \
            --data-binary "{\"video_paths\": [\"$2\"], \"output_paths\": [\"out/o$n.mp4\"], \"scale\": $3}" \
            "http://127.0.0.1:$port/upscale"
        runs+=("$n $2 $3")
    }
    one warm-up sd.mp4 2
    for rep in 1 2; do
        one "SD2HD-$rep" sd.mp4 2
        one "HD24K-$rep" hd.mp4 2
        one "SD24K-$rep" sd.mp4 4
    done
    one 4K28K uhd.mp4 2
    hcurl -s "http://127.0.0.1:$port/metrics" | grep -E '^vsr_device_(idle_)?contexts'
    kill -TERM "$pid"
    wait "$pid"
    local r
    for r in "${runs[@]}"; do
        set -- $r
        "$B/vsr" check "$root/out/o$1.mp4" --input "$root/$2" --scale "$3" | tail -n 1
    done
}

# ---- the RRDB kernel's call scripts (bench/results/*-rrdb-*-raw/callNN/run.sh) ----
# Each step is bounded by a timeout. The scripts set X (the model's .param)
# and BO (vsr_cuda_bench's options) first.

# rrdb_stop WHAT: a failed check ends the call.
rrdb_stop() {
    echo "FAILED: $*; stopping"
    exit 1
}

# rrdb_bench NAME PROGRAM ARGS...: one vsr_cuda_bench run of $X (ARGS:
# --size, --quick, ...), its RESULT line tagged NAME.
rrdb_bench() {
    local name=$1 bin=$2
    shift 2
    timeout 40 "$B/$bin" $BO "$@" "$X" 2>&1 | grep -o "RESULT.*" | sed "s/^/$name /"
}

# rrdb_classes NAME PROGRAM ARGS...: the per-class profile (the convs one
# at a time): the RRDB classes and the total, tagged NAME.
rrdb_classes() {
    local name=$1 bin=$2
    shift 2
    timeout 60 "$B/$bin" --quick --profile-classes $BO "$@" "$X" 2>&1 |
        grep "rrdb .*@\|in all" | sed "s/^/$name /"
}

# rrdb_overlap RUNS IMAGE REF_OFF [VAR=VALUE...]: cuda_psnr overlap, RUNS
# runs of $X on IMAGE against one conv at a time (VSR_PSNR_REF_OFF=REF_OFF)
# in the environment VAR=VALUE...; the call stops unless it passes.
rrdb_overlap() {
    local runs=$1 image=$2 ref=$3
    shift 3
    env "$@" VSR_PSNR_REF_OFF="$ref" timeout 60 "$B/cuda_psnr" overlap "$X" "$image" "$runs" 2>&1 |
        grep OVERLAP | tail -4 | sed "s/^/[$* ref=$ref] /" | tee /dev/stderr | grep -q " ok$" ||
        rrdb_stop "overlap $image $*"
}

# clock_logged NAME COMMAND...: runs COMMAND with the GPU's SM clock,
# power and throttle reasons logged every 100 ms into $OUT/smi-NAME.csv,
# then their summary (bench/device/smi_sum.py, from the checkout's root).
clock_logged() {
    local name=$1 smi
    shift
    nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,clocks_throttle_reasons.active \
        --format=csv,noheader,nounits -lms 100 >"$OUT/smi-$name.csv" &
    smi=$!
    sleep 0.5
    "$@"
    kill $smi
    wait $smi 2>/dev/null
    python3 bench/device/smi_sum.py "$name" "$OUT/smi-$name.csv"
}
