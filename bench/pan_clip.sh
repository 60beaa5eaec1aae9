# The benchmarks' input clips (sourced, not run): a slow horizontal pan
# over a Debian background photo, made with the ffmpeg CLI, for the
# encoder benchmarks (encoder_lib.sh) and the device bundles
# (device/pipeline_device_bundle.sh, device/multi_gpu_bundle.sh).
# The quality study's clips, made like the validators', are
# quality/make_corpus.sh's.

# pan_photo: $PHOTO, the largest mate-backgrounds nature photo.
pan_photo() {
    PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg 2>/dev/null | head -n 1 || true)
    [ -n "$PHOTO" ] || {
        echo "no photo in /usr/share/backgrounds/mate/nature (apt-get install mate-backgrounds)" >&2
        exit 1
    }
}

# pan_clip W H FRAMES FILE [CRF [WIDEN [PRESET]]]: FRAMES of W x H at 30
# fps, H.264 (libx264 at CRF, default 23, and PRESET, default libx264's):
# $PHOTO scaled to WIDEN x W wide (a fraction "N/D", default 2/1), the
# W x H crop moving right W/16 pixels a second.
pan_clip() {
    local crf=${5:-23} widen=${6:-2/1} preset=()
    [ -n "${7:-}" ] && preset=(-preset "$7")
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=$(($1 * ${widen%/*} / ${widen#*/})):-2,crop=$1:$2:x='t*$(($1 / 16))':y=(ih-$2)/2,format=yuv420p" \
        -frames:v "$3" -c:v libx264 -crf "$crf" "${preset[@]}" "$4"
}
