/* libFuzzer target for the ONNX loader: any bytes must load or fail with a
 * vsr_error, never crash, leak or trip a sanitizer. Built with clang
 * -fsanitize=fuzzer,address,undefined by tests/CMakeLists.txt and run for a
 * bounded time by tests/fuzz/run_fuzz_onnx.sh (a CTest test), seeded with
 * the small ONNX files of tests/tools/make_onnx_models.py. */
#include <stddef.h>
#include <stdint.h>

#include "model/onnx_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_graph g;
    vsr_error err;
    if (vsr_onnx_load_memory(data, size, "fuzz.onnx", &g, &err) == 0)
        vsr_graph_free(&g);
    return 0;
}
