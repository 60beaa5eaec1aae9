#!/usr/bin/env bash
# CTest test: runs one libFuzzer target for a bounded time
# (VSR_FUZZ_SECONDS, default 20) from its seed corpora. A fresh working
# corpus is used each run (the seeds in the tree stay as they are). Fails if
# the fuzzer finds a crash, a leak, a timeout or a sanitizer report
# (libFuzzer then exits non-zero and leaves the input in $WORK/crash-* etc.),
# if a seed directory is empty, or if anything it needs is missing.
#   run_fuzz.sh NAME FUZZER SEED_DIR...
set -u
name=${1:?usage: run_fuzz.sh NAME FUZZER SEED_DIR...}
fuzzer=${2:?usage: run_fuzz.sh NAME FUZZER SEED_DIR...}
shift 2
if [ -z "${VSR_TEST_TMP:-}" ]; then
    echo "FAIL: VSR_TEST_TMP is not set (run through ctest)" >&2
    exit 1
fi
if [ ! -x "$fuzzer" ]; then
    echo "FAIL: fuzzer $fuzzer was not built (needs clang and libclang-rt-14-dev)" >&2
    exit 1
fi
for d in "$@"; do
    n=$(ls "$d" 2>/dev/null | wc -l)
    if [ "$n" -lt 1 ]; then
        echo "FAIL: no seed files in $d" >&2
        exit 1
    fi
done
WORK="$VSR_TEST_TMP/fuzz_$name"
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
cd "$WORK" || exit 1
export TMPDIR="$WORK" # what a target makes for itself stays in the test's directory
# A dictionary of the format's words, where the target has one.
dict=()
[ -f "$(dirname "$0")/$name.dict" ] && dict=(-dict="$(cd "$(dirname "$0")" && pwd)/$name.dict")
# One process, one job: CI has 2 cores and runs ctest -j2. The leak check
# runs at exit; malloc_limit_mb makes a huge allocation a failure too.
"$fuzzer" -max_total_time="${VSR_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=65536 -timeout=10 -print_final_stats=1 "${dict[@]}" corpus "$@" 2>&1 | tail -n 40
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
    echo "FAIL: the fuzzer exited with $rc; reproducer(s): $(ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/oom-* "$WORK"/timeout-* 2>/dev/null)" >&2
    exit 1
fi
echo "fuzz_$name: no crash in ${VSR_FUZZ_SECONDS:-20} s"
