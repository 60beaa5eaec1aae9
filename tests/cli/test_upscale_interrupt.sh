#!/bin/bash
# Ctrl-C (SIGINT) and SIGTERM during vsr upscale: the run stops promptly,
# exits 130 and leaves neither the output nor its temporary file.
set -uo pipefail
: "${VSR_BIN:?}" "${VSR_TEST_TMP:?}"
T="$VSR_TEST_TMP/upscale_int"
rm -rf "$T" && mkdir -p "$T"
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

# Long enough on the reference backend (about a second a frame) to be
# interrupted in the middle, with several workers busy.
ffmpeg -v error -y -f lavfi -i testsrc2=size=16x16:rate=30 -frames:v 600 -c:v libx264 "$T/in.mp4"
for sig in INT TERM; do
    for workers in 1 3; do
        start=$(date +%s)
        timeout --preserve-status -s $sig 2 "$VSR_BIN" upscale --progress none --backend ref \
            -i "$T/in.mp4" -o "$T/out.mp4" --scale 2 --workers $workers 2> "$T/err.txt"
        rc=$?
        took=$(( $(date +%s) - start ))
        echo "SIG$sig, $workers worker(s): exit $rc after ${took}s: $(tail -n 1 "$T/err.txt")"
        [ $rc = 130 ] || die "SIG$sig $workers: exit $rc, expected 130"
        [ $took -le 30 ] || die "SIG$sig $workers: took ${took}s to stop"
        [ ! -e "$T/out.mp4" ] || die "SIG$sig $workers: output left behind"
        if ls -a "$T" | grep -q vsr-partial; then die "SIG$sig $workers: temporary file left"; fi
        grep -q "interrupted" "$T/err.txt" || die "SIG$sig $workers: no message"
    done
done
[ $fail = 0 ] && echo "test_upscale_interrupt: ok"
exit $fail
