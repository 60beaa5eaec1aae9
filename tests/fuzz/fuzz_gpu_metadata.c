/* libFuzzer target for the GPU worker's request metadata
 * (server/gpu_transform.h): any x-vidaio-gpu-metadata header value must
 * decode or be refused with a vsr_error naming the field, never crash, leak
 * or overflow; a task that decodes must also resolve its output size for a
 * few input sizes and its compression plan without fault. The input is the
 * header's value (a NUL ends it, as a header line cannot hold one); an input
 * that starts with '{' is JSON, base64url-encoded here first, so that the
 * mutations reach the field rules rather than only the base64 layer. Seeds:
 * tests/fuzz/corpus/gpu_metadata (make_gpu_seeds.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/gpu_transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* base64url without padding, as remote_gpu.py sends it. */
static char *base64url(const uint8_t *in, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n / 3 * 4 + 5), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        if (i + 1 < n)
            *o++ = abc[v >> 6 & 63];
        if (i + 2 < n)
            *o++ = abc[v & 63];
    }
    *o = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header;
    if (size > 0 && data[0] == '{') {
        header = base64url(data, size);
    } else {
        header = malloc(size + 1);
        if (header) {
            memcpy(header, data, size);
            header[size] = '\0';
        }
    }
    if (!header)
        return 0;
    vsr_gpu_task t;
    vsr_error err;
    if (vsr_gpu_task_decode(header, &t, &err) == 0) {
        static const int sizes[][2] = {{2, 2}, {640, 360}, {1920, 1080}, {8192, 4320}};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            int w, h, factor;
            (void)vsr_gpu_target(&t, sizes[i][0], sizes[i][1], &w, &h, &factor, &err);
        }
        vsr_gpu_encode_plan plan;
        (void)vsr_gpu_encode_plan_resolve(t.params, "hevc", 90.0, &plan, &err);
        (void)vsr_gpu_params_json_len(t.params);
        vsr_gpu_task_free(&t);
    }
    free(header);
    return 0;
}
