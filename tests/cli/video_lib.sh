# Helpers for the video tests (sourced, not a test): the backend they run
# on, and ffprobe readings of a clip.

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
