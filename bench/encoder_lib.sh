# Helpers for the encoder benchmarks (sourced, not run): bench/encoder_profiles.sh
# and bench/segment_cost.sh.
. "$(dirname "${BASH_SOURCE[0]}")/pan_clip.sh"

# encoder_bench_setup BUILD: a scratch directory $OUT (removed on exit),
# encoder_encode built in BUILD, $PHOTO (the largest mate-backgrounds
# nature photo), and a line saying what machine this is.
encoder_bench_setup() {
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
    cmake --build "$1" --target encoder_encode -j"$(nproc)" >/dev/null
    pan_photo
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
}

# encoder_pan_clip W H FRAMES FILE: a task's input (pan_clip.sh's), a slow pan over
# $PHOTO at W x H, 30 fps, H.264 CRF 23 (a typical clip; it sets the size
# gate), the photo 1.3 times W wide.
encoder_pan_clip() {
    pan_clip "$1" "$2" "$3" "$4" 23 13/10
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
