#!/usr/bin/env bash
# CTest test: runs the ONNX loader's libFuzzer target for a bounded time
# (VSR_FUZZ_SECONDS, default 60) from a seed corpus of the small ONNX files
# that tests/tools/make_onnx_models.py writes. Fails if the fuzzer finds a
# crash, a leak or a sanitizer report (libFuzzer then exits non-zero and
# leaves the input in $WORK/crash-*), or if anything it needs is missing.
#   run_fuzz_onnx.sh FUZZER
set -u
fuzzer=${1:?usage: run_fuzz_onnx.sh FUZZER}
for v in VSR_MODELS_DIR VSR_SOURCE_DIR VSR_TEST_TMP; do
    if [ -z "${!v:-}" ]; then
        echo "FAIL: $v is not set (run through ctest)" >&2
        exit 1
    fi
done
if [ ! -x "$fuzzer" ]; then
    echo "FAIL: fuzzer $fuzzer was not built (needs clang and libclang-rt-14-dev)" >&2
    exit 1
fi
WORK="$VSR_TEST_TMP/fuzz_onnx_loader"
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
/usr/bin/python3 "$VSR_SOURCE_DIR/tests/tools/make_onnx_models.py" "$VSR_MODELS_DIR" "$WORK/models" ||
    { echo "FAIL: make_onnx_models.py failed" >&2; exit 1; }
seeds="$WORK/models/fuzz_seeds"
n=$(ls "$seeds" | wc -l)
if [ "$n" -lt 10 ]; then
    echo "FAIL: only $n seed files in $seeds" >&2
    exit 1
fi
cd "$WORK" || exit 1
# One process, one job: CI has 2 cores and runs ctest -j2. The leak check
# runs at exit; malloc_limit_mb makes a huge allocation a failure too.
"$fuzzer" -max_total_time="${VSR_FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=65536 -timeout=10 -print_final_stats=1 corpus "$seeds" 2>&1 | tail -n 40
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
    echo "FAIL: the fuzzer exited with $rc; reproducer(s): $(ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/oom-* "$WORK"/timeout-* 2>/dev/null)" >&2
    exit 1
fi
echo "fuzz_onnx_loader: no crash in ${VSR_FUZZ_SECONDS:-60} s"
