/* libFuzzer target for the ncnn loader and the graph checks behind it: any
 * .param text with any .bin bytes must load or fail with a vsr_error, never
 * crash, leak or trip a sanitizer (UBSan's integer overflow included); a
 * graph that loads must also infer its shapes for a small and a huge input
 * without overflow. The input is the .param text, a NUL byte, then the .bin
 * bytes (no NUL: an empty .bin). Built with clang by tests/CMakeLists.txt,
 * seeded from tests/fuzz/corpus/ncnn_loader (tests/fuzz/make_ncnn_seeds.py)
 * and run for a bounded time by tests/fuzz/run_fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "model/ncnn_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t param_len = nul ? (size_t)(nul - data) : size;
    const unsigned char *bin = nul ? nul + 1 : NULL;
    size_t bin_len = nul ? size - param_len - 1 : 0;
    vsr_graph g;
    vsr_error err;
    if (vsr_ncnn_load_memory((const char *)data, param_len, "fuzz.param", bin, bin_len, "fuzz.bin",
                             &g, &err) != 0)
        return 0;
    vsr_shape *shapes = calloc((size_t)g.n_blobs + 1, sizeof *shapes);
    if (shapes) {
        static const int sizes[][2] = {{1, 1}, {17, 9}, {4320, 8192}};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            (void)vsr_graph_infer_shapes(&g, sizes[i][0], sizes[i][1], shapes, &err);
        free(shapes);
    }
    vsr_graph_free(&g);
    return 0;
}
