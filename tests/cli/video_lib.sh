# Helpers for the video tests (sourced, not a test): the backend they run
# on, ffprobe readings of a clip, and the pristine clip and input some of
# them score against.

# BACKEND: the oneDNN backend where this build has it (fast); else the
# reference.
BACKEND=ref
if "$VSR_BIN" --version | grep -qw cpu && ! "$VSR_BIN" --version | grep -q "cpu (unavailable"; then
    BACKEND=cpu
fi

# up ARGS...: vsr upscale on that backend, without a progress line.
up() { "$VSR_BIN" upscale --backend "$BACKEND" --progress none "$@"; }

# frames FILE: the video stream's decoded frame count.
frames() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }

# pts FILE: the video frames' timestamps, sorted, on one line.
pts() { ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of default=nw=1:nk=1 "$1" | sort -n | tr '\n' ' '; }

# pristine_and_input: $P, a lossless 192x108 crop of the sample clip (6
# frames), and $IN, it scaled down 2x (bicubic) and encoded as the
# validators encode inputs; the test fails if either cannot be made.
pristine_and_input() {
    SAMPLE=${VSR_SAMPLES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/samples}/sample.mp4
    [ -f "$SAMPLE" ] || { echo "FAIL: $SAMPLE missing (make samples)" >&2; exit 1; }
    P=$WORK/pristine.mp4
    IN=$WORK/in.mp4
    ffmpeg -v error -y -i "$SAMPLE" -vf crop=192:108:140:80 -frames:v 6 -c:v libx264 -qp 0 \
        -pix_fmt yuv420p "$P" || { echo "FAIL: ffmpeg pristine" >&2; exit 1; }
    ffmpeg -v error -y -i "$P" -vf scale=96:54:flags=bicubic -c:v libx264 -preset ultrafast \
        -crf 18 -g 30 -pix_fmt yuv420p "$IN" || { echo "FAIL: ffmpeg input" >&2; exit 1; }
}
