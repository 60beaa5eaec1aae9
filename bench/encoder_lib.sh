# Helpers for the encoder benchmarks (sourced, not run): bench/encoder_profiles.sh
# and bench/segment_cost.sh.

# encoder_bench_setup BUILD: a scratch directory $OUT (removed on exit),
# encoder_encode built in BUILD, $PHOTO (the largest mate-backgrounds
# nature photo), and a line saying what machine this is.
encoder_bench_setup() {
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
    cmake --build "$1" --target encoder_encode -j"$(nproc)" >/dev/null
    PHOTO=$(ls -S /usr/share/backgrounds/mate/nature/*.jpg 2>/dev/null | head -n 1 || true)
    [ -n "$PHOTO" ] || { echo "no photo in /usr/share/backgrounds/mate/nature (apt-get install mate-backgrounds)" >&2; exit 1; }
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
}

# pan_clip W H FRAMES FILE: a task's input, a slow pan over $PHOTO at W x H,
# 30 fps, H.264 CRF 23 (a typical clip; it sets the size gate).
pan_clip() {
    ffmpeg -v error -y -loop 1 -framerate 30 -i "$PHOTO" \
        -vf "scale=$(($1 * 13 / 10)):-2,crop=$1:$2:x='t*$(($1 / 16))':y=(ih-$2)/2,format=yuv420p" \
        -frames:v "$3" -c:v libx264 -crf 23 "$4"
}

# lanczos_ref IN W H FILE: IN upscaled to W x H with Lanczos, lossless
# (FFV1): the frames before encoding, a stand-in for the network's output.
lanczos_ref() {
    ffmpeg -v error -y -i "$1" -vf "scale=$2:$3:flags=lanczos,format=yuv420p" -c:v ffv1 "$4"
}

# psnr_ssim ENCODED REF: "PSNR SSIM" of ENCODED against REF (ffmpeg's psnr
# average and ssim All), frames matched by index.
psnr_ssim() {
    local q
    q=$(ffmpeg -v info -i "$1" -i "$2" \
        -lavfi "[0:v]setpts=N/(30*TB),split[a][b];[1:v]setpts=N/(30*TB),split[c][d];[a][c]psnr;[b][d]ssim" \
        -f null - 2>&1 | grep -E "PSNR|SSIM")
    echo "$(grep -o 'PSNR y:[^ ]* u:[^ ]* v:[^ ]* average:[0-9.inf]*' <<<"$q" | sed 's/.*average://')" \
        "$(grep -o 'SSIM Y:[^ ]* .*All:[0-9.]*' <<<"$q" | sed 's/.*All://')"
}
