#!/bin/bash
# End to end per Vidaio task on a GPU machine (device run), from the bundle
# of bench/device/multi_gpu_bundle.sh plus 10 s, 30 fps clips (CLIPS_DIR: sd.mp4
# 960x540, hd.mp4 1920x1080, uhd.mp4 3840x2160, 300 frames each). Every
# output gets `vsr check`.
#   yuv:      the GPU's YUV output checked against the host's conversion
#             (cuda_psnr paths), and its speed;
#   yuv-in:   the decoded frame's YUV to RGB on the GPU: the same bytes as
#             the C conversion (cuda_psnr yuv-in: NV12 in GPU memory, NV12
#             and I420 in host memory), and NVDEC's frames read in place
#             giving the frames of CPU-decoded ones (frame hashes);
#   tasks:    each task with the default profile as vsr runs it (colour
#             conversion on the GPU, decoding on NVDEC), with the decoding
#             on the CPU, with both on the CPU, and with CUDA's spinning
#             waits (VSR_CUDA_SPIN=1), wall time and stages (-v); the
#             encoder alone with the same settings on as many frames of the
#             output size (encoder_encode, Lanczos stand-in), for the
#             end-to-end / slowest-stage ratio;
#   default:  each task once as vsr runs it by default, with the encoder
#             alone for the ratio (the short form of tasks), on the
#             stand-in and (up to 2160p output) on the network's frames;
#   spin:     SD2HD and HD24K with CUDA's spinning waits (VSR_CUDA_SPIN=1):
#             every run prints its CPU time, to compare;
#   ab-prev:  every task with this build and with BUNDLE_DIR/vsr-prev.xz (an
#             earlier commit's vsr, same libraries), interleaved;
#   ab-load:  the five-clip batch with vsr-prev.xz and with this build,
#             alternately, twice;
#   encoders: SD2HD, HD24K, SD24K with the auto count of segment encoders
#             and more, twice, interleaved; 4K28K with 2 and 3;
#   threads:  SD2HD with 4 (the default: the cores shared), 8 and 16
#             threads per segment encoder, HD24K and SD24K with the default
#             and twice it, twice, interleaved, each with the encoder alone
#             given the same threads: whether encoders that may use the
#             cores another leaves idle (start, end) finish sooner
#             (THREADS_REPS, THREADS_SD2HD_ONLY: see the mode);
#   profiles: each task with the fast and quality profiles;
#   load:     five clips at once (the validator's batch: 3 SD2HD + 2 HD24K)
#             through `vsr serve`, with GPU and CPU utilisation;
#   load1:    the same five clips in one request (as the validator sends);
#   serve1:   each task's clip alone through one `vsr serve` that has run
#             a clip before (model loaded, worker contexts kept): request
#             to complete MP4, as a validator's single request sees it;
#   fault:    with 2+ GPUs, a GPU taken out mid-clip (--fail-device), the
#             clip completing with the frames of a fault-free run; and those
#             frames (NVDEC's, copied to the other GPU for its contexts)
#             identical to one GPU's.
#   bench/device/e2e_tasks_run.sh BUNDLE_DIR CLIPS_DIR OUT_DIR [MODE...]   (default: all)
set -uo pipefail
TIMEFORMAT="user %U s, sys %S s, real %R s"
. "$(dirname "$0")/device_lib.sh"
CLIPS=$(cd "$2" && pwd)
device_run_start "$1" "$3"
shift 3
MODES=${*:-yuv yuv-in tasks profiles load fault}
nvidia-smi -L
echo "cores: $(nproc); NVDEC library: $(ldconfig -p | grep -o 'libnvcuvid.so.1 ' || echo none)"
NGPU=$(nvidia-smi -L | wc -l)
ALL=$(seq -s, 0 $((NGPU - 1)))
W=$((4 * NGPU))
TASKS=("sd.mp4 SD2HD 1920x1080" "hd.mp4 HD24K 3840x2160" "sd.mp4 SD24K 3840x2160"
    "uhd.mp4 4K28K 7680x4320")

up() { # NAME CLIP TASK ARGS...: one run; its -v report is left in /tmp/NAME.log
    local name=$1 clip=$2 task=$3
    shift 3
    local t0 t1
    t0=$(date +%s.%N)
    # the process's CPU time (all threads) next to its wall time
    { time "${VSR_UNDER_TEST:-$B/vsr}" upscale -i "$CLIPS/$clip" -o "/tmp/$name.mp4" --task "$task" --backend cuda \
        --devices "$ALL" --workers "$W" -v --progress none "$@" >"/tmp/$name.log" 2>&1; } 2>"/tmp/$name.cpu"
    t1=$(date +%s.%N)
    sed "s/^/CPU $name: /" "/tmp/$name.cpu"
    grep -vE "^  (decode colour|memory)" "/tmp/$name.log"
    awk -v a="$t0" -v b="$t1" -v n="$name" 'BEGIN { printf "WALL %s %.2f s\n", n, b - a }'
    "$B/vsr" check "/tmp/$name.mp4" --input "$CLIPS/$clip" --task "$task" | tail -n 1
    rm -f "/tmp/$name.mp4"
}

# encode_like NAME LABEL SRC [WxH]: encoder_encode with NAME's settings
# (profile, segment encoders and length, bitrate cap, from its -v report)
# on SRC's frames (scaled to WxH when given), its line prefixed LABEL NAME.
encode_like() {
    local log=/tmp/$1.log segs len cap profile
    segs=$(sed -n 's/.*; \([0-9]*\) segment encoders.*/\1/p' "$log")
    len=$(sed -n -e 's/.* segments of \([0-9]*\) frames.*/\1/p' \
        -e 's/.* segments ([0-9]* of \([0-9]*\) frames, then \([0-9]*\)).*/\1+\2/p' "$log")
    cap=$(sed -n 's/.*bitrate cap (size gate): \([0-9]*\) kbit.*/\1/p' "$log")
    profile=$(sed -n 's/.*profile \([a-z]*\):.*/\1/p' "$log")
    "$B/encoder_encode" "$3" /tmp/alone.mp4 hevc "${profile:-balanced}" "${segs:-1}" "${len:-60}" \
        "$((${cap:-0} * 1000))" ${4:+"$4"} | sed "s/^/$2 $1: /"
    rm -f /tmp/alone.mp4
}

# encode_alone NAME CLIP SIZE: the encoder with NAME's settings on CLIP's
# frames scaled to SIZE (Lanczos: a stand-in for the network's output).
encode_alone() {
    encode_like "$1" ENCODE-ALONE "$CLIPS/$2" "$3"
}

# encode_alone_real NAME CLIP TASK: as encode_alone, on the very frames
# the network gave (vsr upscale writes them losslessly first: x264 CRF 0,
# High 4:4:4 Predictive, 4:2:0 kept), not a Lanczos stand-in, which is
# smoother and so may encode at another speed. Up to 2160p output (at
# 4320p the lossless clip and its 15 GB of decoded frames are too much).
encode_alone_real() {
    "$B/vsr" upscale -i "$CLIPS/$2" -o /tmp/frames.mp4 --task "$3" --backend cuda --devices "$ALL" \
        --workers "$W" --codec h264 --crf 0 --preset ultrafast --no-size-cap --encode-segments 1 \
        --progress none || return
    encode_like "$1" ENCODE-ALONE-REAL /tmp/frames.mp4
    rm -f /tmp/frames.mp4
}

for mode in $MODES; do
    case $mode in
    yuv)
        echo "== GPU colour conversion: the 8-bit path's YUV output vs the host's conversion"
        M2=$B/models/realesr-animevideov3-x2.param
        M4=$B/models/realesr-animevideov3-x4.param
        "$B/cuda_psnr" paths "$M2" 960 540 60
        "$B/cuda_psnr" paths "$M2" 1920 1080 20
        "$B/cuda_psnr" paths "$M4" 960 540 20
        "$B/cuda_psnr" paths "$M2" 333 197 10
        ;;
    yuv-in)
        echo "== decoded frames converted on the GPU: the C conversion's bytes"
        M2=$B/models/realesr-animevideov3-x2.param
        M4=$B/models/realesr-animevideov3-x4.param
        "$B/cuda_psnr" yuv-in "$M2" 960 540 60
        "$B/cuda_psnr" yuv-in "$M2" 1920 1080 20
        "$B/cuda_psnr" yuv-in "$M4" 960 540 20
        "$B/cuda_psnr" yuv-in "$M2" 333 197 10
        echo "== NVDEC frames read in place vs CPU-decoded frames uploaded as YUV"
        for t in "sd.mp4 SD2HD" "hd.mp4 HD24K"; do
            set -- $t
            for d in nvdec cpu; do
                "$B/vsr" upscale -i "$CLIPS/$1" -o "/tmp/$d.mp4" --task "$2" --backend cuda \
                    --devices "$ALL" --workers "$W" --progress none --decode "$d" -v \
                    --dump-frames-hash "/tmp/$d.txt" 2>&1 | grep -E "decode|frames in" | sed "s/^/$2 $d: /"
            done
            if cmp -s /tmp/nvdec.txt /tmp/cpu.txt; then
                echo "YUV-IN $2: frames identical ($(wc -l </tmp/cpu.txt) hashes)"
            else
                echo "YUV-IN $2: frames DIFFER"
            fi
            "$B/vsr" check /tmp/nvdec.mp4 --input "$CLIPS/$1" --task "$2" | tail -n 1
            rm -f /tmp/nvdec.mp4 /tmp/cpu.mp4
        done
        ;;
    tasks)
        echo "== tasks, default profile, segments auto: CPU colour + decode, GPU colour + CPU"
        echo "== decode, the default (GPU colour + NVDEC), the default with spinning CUDA waits"
        for t in "${TASKS[@]}"; do
            set -- $t
            up "$2-cpu" "$1" "$2" --colour-path swscale --decode cpu --encode-segments auto
            up "$2-gpucolour" "$1" "$2" --decode cpu --encode-segments auto
            up "$2-gpu" "$1" "$2" --encode-segments auto
            VSR_CUDA_SPIN=1 up "$2-spin" "$1" "$2" --encode-segments auto
            encode_alone "$2-gpu" "$1" "$3"
        done
        ;;
    default)
        echo "== tasks, as vsr runs them by default"
        for t in "${TASKS[@]}"; do
            set -- $t
            up "$2" "$1" "$2"
            encode_alone "$2" "$1" "$3"
            [ "$2" = 4K28K ] || encode_alone_real "$2" "$1" "$2"
        done
        ;;
    spin)
        echo "== SD2HD and HD24K with spinning CUDA waits (VSR_CUDA_SPIN=1), for the CPU time"
        for t in "sd.mp4 SD2HD" "hd.mp4 HD24K"; do
            set -- $t
            VSR_CUDA_SPIN=1 up "$2-spin" "$1" "$2"
        done
        ;;
    ab-prev)
        # BUNDLE_DIR/vsr-prev.xz: vsr of an earlier commit (same libraries)
        [ -f "$BUNDLE/vsr-prev.xz" ] || { echo "ab-prev: no $BUNDLE/vsr-prev.xz" >&2; continue; }
        xz -dc "$BUNDLE/vsr-prev.xz" >"$B/vsr-prev" && chmod +x "$B/vsr-prev"
        echo "== this build (new) against vsr-prev (prev), default settings, interleaved"
        for rep in 1 2; do
            for t in "sd.mp4 SD2HD" "hd.mp4 HD24K" "sd.mp4 SD24K"; do
                set -- $t
                VSR_UNDER_TEST=$B/vsr-prev up "$2-prev-$rep" "$1" "$2" |
                    grep -E "^(CPU|WALL)|frames in|timeline|gates"
                up "$2-new-$rep" "$1" "$2" | grep -E "^(CPU|WALL)|frames in|timeline|gates"
            done
        done
        VSR_UNDER_TEST=$B/vsr-prev up "4K28K-prev" uhd.mp4 4K28K |
            grep -E "^(CPU|WALL)|frames in|timeline|gates"
        up "4K28K-new" uhd.mp4 4K28K | grep -E "^(CPU|WALL)|frames in|timeline|gates"
        ;;
    ab-load)
        [ -f "$BUNDLE/vsr-prev.xz" ] || { echo "ab-load: no $BUNDLE/vsr-prev.xz" >&2; continue; }
        xz -dc "$BUNDLE/vsr-prev.xz" >"$B/vsr-prev" && chmod +x "$B/vsr-prev"
        echo "== five clips at once: vsr-prev (prev) and this build (new), alternately, twice"
        for rep in 1 2; do
            echo "-- prev $rep"
            VSR_UNDER_TEST=$B/vsr-prev five_clips "$CLIPS" --devices "$ALL" | grep -E "^(clip|WALL|util)|gates"
            echo "-- new $rep"
            five_clips "$CLIPS" --devices "$ALL" | grep -E "^(clip|WALL|util)|gates"
        done
        ;;
    encoders)
        echo "== segment encoders at each output size: the auto count and more, twice, interleaved"
        for rep in 1 2; do
            for t in "sd.mp4 SD2HD 4 6" "hd.mp4 HD24K 2 3 4" "sd.mp4 SD24K 2 3 4"; do
                set -- $t
                clip=$1 task=$2
                shift 2
                for k in "$@"; do
                    up "$task-k$k-$rep" "$clip" "$task" --encode-segments "$k" |
                        grep -E "^(CPU|WALL)|frames in|encoder libx265|gates"
                done
            done
        done
        for k in 2 3; do
            up "4K28K-k$k" uhd.mp4 4K28K --encode-segments "$k" |
                grep -E "^(CPU|WALL)|frames in|encoder libx265|gates"
        done
        ;;
    threads)
        echo "== threads per segment encoder: the default (cores shared) and more, twice, interleaved"
        # THREADS_REPS=N repeats (2), THREADS_SD2HD_ONLY=1: SD2HD, 4 and 8 only
        sets=("sd.mp4 SD2HD 1920x1080 0 8 16" "hd.mp4 HD24K 3840x2160 0 10" "sd.mp4 SD24K 3840x2160 0 10")
        [ "${THREADS_SD2HD_ONLY:-0}" = 1 ] && sets=("sd.mp4 SD2HD 1920x1080 0 8")
        for rep in $(seq "${THREADS_REPS:-2}"); do
            for t in "${sets[@]}"; do
                set -- $t
                clip=$1 task=$2 size=$3
                shift 3
                for n in "$@"; do
                    args=()
                    [ "$n" -gt 0 ] && args=(--encoder-threads "$n")
                    up "$task-t$n-$rep" "$clip" "$task" "${args[@]}" |
                        grep -E "^(CPU|WALL)|frames in|timeline|stage encode|gates"
                    VSR_BENCH_ENCODER_THREADS=$n encode_alone "$task-t$n-$rep" "$clip" "$size"
                done
            done
        done
        ;;
    profiles)
        echo "== each task, fast and quality profiles (segments auto)"
        for t in "${TASKS[@]}"; do
            set -- $t
            for p in fast quality; do
                up "$2-$p" "$1" "$2" --profile "$p" --encode-segments auto
            done
        done
        ;;
    load)
        echo "== five clips at once through vsr serve (3 SD2HD + 2 HD24K)"
        five_clips "$CLIPS" --devices "$ALL"
        ;;
    load1)
        echo "== the same five clips in one request"
        FIVE_IN_ONE=1 five_clips "$CLIPS" --devices "$ALL"
        ;;
    serve1)
        echo "== one clip at a time through a warm vsr serve"
        serve_one_at_a_time "$CLIPS" --devices "$ALL"
        ;;
    fault)
        [ "$NGPU" -ge 2 ] || continue
        echo "== a GPU taken out mid-clip"
        "$B/vsr" upscale -i "$CLIPS/hd.mp4" -o /tmp/nofault.mp4 --task HD24K --backend cuda \
            --devices "$ALL" --workers "$W" --progress none -v --dump-frames-hash /tmp/nofault.txt \
            2>&1 | grep -E "decode: |device cuda|frames in"
        "$B/vsr" upscale -i "$CLIPS/hd.mp4" -o /tmp/fault.mp4 --task HD24K --backend cuda \
            --devices "$ALL" --workers "$W" --progress none --fail-device 1:40 -v \
            --dump-frames-hash /tmp/fault.txt 2>&1 | grep -E "device|frames in"
        "$B/vsr" check /tmp/fault.mp4 --input "$CLIPS/hd.mp4" --task HD24K | tail -n 1
        if cmp -s /tmp/nofault.txt /tmp/fault.txt; then
            echo "FAULT: frames identical to the fault-free run"
        else
            echo "FAULT: frames DIFFER from the fault-free run"
        fi
        # NVDEC decodes on the first GPU; the other GPU's contexts copy each
        # frame over (cudaMemcpy2DAsync across devices) before converting it
        "$B/vsr" upscale -i "$CLIPS/hd.mp4" -o /tmp/one.mp4 --task HD24K --backend cuda \
            --devices 0 --workers 4 --progress none -v --dump-frames-hash /tmp/one.txt 2>&1 |
            grep -E "decode: |device cuda"
        if cmp -s /tmp/nofault.txt /tmp/one.txt; then
            echo "CROSS-GPU: frames on $NGPU GPUs identical to one GPU's (NVDEC frames read in place)"
        else
            echo "CROSS-GPU: frames on $NGPU GPUs DIFFER from one GPU's"
        fi
        ;;
    *) echo "unknown mode $mode" >&2 ;;
    esac
done
