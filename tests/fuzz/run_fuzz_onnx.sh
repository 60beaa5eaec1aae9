#!/usr/bin/env bash
# CTest test: the ONNX loader's fuzzer (run_fuzz.sh), seeded with the small
# ONNX files that tests/tools/make_onnx_models.py writes from the models.
#   run_fuzz_onnx.sh FUZZER
set -u
fuzzer=${1:?usage: run_fuzz_onnx.sh FUZZER}
for v in VSR_MODELS_DIR VSR_SOURCE_DIR VSR_TEST_TMP; do
    if [ -z "${!v:-}" ]; then
        echo "FAIL: $v is not set (run through ctest)" >&2
        exit 1
    fi
done
models="$VSR_TEST_TMP/fuzz_onnx_models"
rm -rf "$models"
/usr/bin/python3 "$VSR_SOURCE_DIR/tests/tools/make_onnx_models.py" "$VSR_MODELS_DIR" "$models" ||
    { echo "FAIL: make_onnx_models.py failed" >&2; exit 1; }
n=$(ls "$models/fuzz_seeds" | wc -l)
if [ "$n" -lt 10 ]; then
    echo "FAIL: only $n seed files in $models/fuzz_seeds" >&2
    exit 1
fi
exec bash "$VSR_SOURCE_DIR/tests/fuzz/run_fuzz.sh" onnx_loader "$fuzzer" "$models/fuzz_seeds"
