/* A miniature SRVGGNetCompact for tests that need a real graph but not a
 * real model's cost (tests/unit: tiling, the device pool). */
#ifndef VSR_TESTS_MINI_MODEL_H
#define VSR_TESTS_MINI_MODEL_H

#include <stdio.h>
#include <string.h>

#include "model/ncnn_loader.h"
#include "test_util.h"

/* A miniature SRVGGNetCompact with random weights: conv 3->8 + PReLU, conv
 * 8->8 + PReLU, conv 8->48, PixelShuffle 4, plus the nearest-upsampled
 * input, then (for x2/x3) ncnn's bicubic downscale. Its radius is small, so
 * frames with many interior tiles stay cheap on the ref backend. */
static inline int load_mini_srvgg(float final_scale, vsr_graph *g)
{
    char param[2048];
    int n = snprintf(param, sizeof param,
                     "7767517\n%d 12\n"
                     "Input in 0 1 data\n"
                     "Split sp 1 2 data a b\n"
                     "Convolution c0 1 1 a x0 0=8 1=3 4=1 5=1 6=216\n"
                     "PReLU p0 1 1 x0 x1 0=8\n"
                     "Convolution c1 1 1 x1 x2 0=8 1=3 4=1 5=1 6=576\n"
                     "PReLU p1 1 1 x2 x3 0=8\n"
                     "Convolution c2 1 1 x3 x4 0=48 1=3 4=1 5=1 6=3456\n"
                     "PixelShuffle ps 1 1 x4 x5 0=4\n"
                     "Interp up 1 1 b x6 0=1 1=4.0 2=4.0\n"
                     "BinaryOp add 2 1 x5 x6 %s 0=0\n",
                     final_scale == 1.f ? 10 : 11, final_scale == 1.f ? "output" : "x7");
    if (final_scale != 1.f)
        snprintf(param + n, sizeof param - (size_t)n, "Interp down 1 1 x7 output 0=3 1=%f 2=%f\n",
                 final_scale, final_scale);
    static const int sizes[][2] = {{216, 1}, {8, 0}, {8, 0},    {576, 1},
                                   {8, 0},   {8, 0}, {3456, 1}, {48, 0}};
    static unsigned char bin[4 * 5000];
    size_t len = 0;
    unsigned seed = 99;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i][1]) { /* tagged: raw fp32 */
            memset(bin + len, 0, 4);
            len += 4;
        }
        for (int k = 0; k < sizes[i][0]; k++) {
            seed = seed * 1664525u + 1013904223u;
            float v = ((float)(seed >> 9) / (float)(1u << 23) - 0.5f) * 0.4f;
            memcpy(bin + len, &v, 4);
            len += 4;
        }
    }
    vsr_error err = {0};
    int rc =
        vsr_ncnn_load_memory(param, strlen(param), "mini.param", bin, len, "mini.bin", g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    return rc;
}

#endif
