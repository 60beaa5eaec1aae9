/* The engine's fixed-point RGB24 -> YUV 4:2:0 (what the GPU does on its
 * output): exact on known colours, grey stays neutral, and on a noisy
 * natural-like frame it agrees with swscale (the CPU path's converter)
 * within one code value, for the BT.709 and BT.601 matrices. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "frame/yuv420.h"
#include "media/colour.h"
#include "test_util.h"

static void convert_one(const vsr_yuv_coeffs *k, int r, int g, int b, int out[3])
{
    unsigned char px[12], y[4], cb, cr;
    for (int i = 0; i < 4; i++) {
        px[3 * i] = (unsigned char)r;
        px[3 * i + 1] = (unsigned char)g;
        px[3 * i + 2] = (unsigned char)b;
    }
    vsr_yuv_block(k, px, y, &cb, &cr);
    CHECK(y[0] == y[1] && y[1] == y[2] && y[2] == y[3]);
    out[0] = y[0];
    out[1] = cb;
    out[2] = cr;
}

#define CHECK_YUV(k, r, g, b, ey, eu, ev)                                                          \
    do {                                                                                           \
        int got[3];                                                                                \
        convert_one(k, r, g, b, got);                                                              \
        CHECK_MSG(got[0] == (ey) && got[1] == (eu) && got[2] == (ev),                              \
                  "rgb %d,%d,%d: got %d,%d,%d expected %d,%d,%d", r, g, b, got[0], got[1], got[2], \
                  ey, eu, ev);                                                                     \
    } while (0)

/* Gradients plus noise in every channel: chroma averaging and rounding
 * both matter. */
static void fill(unsigned char *rgb, int w, int h)
{
    unsigned seed = 3;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                seed = seed * 1664525u + 1013904223u;
                rgb[((size_t)y * w + x) * 3 + c] =
                    (unsigned char)((x * (c + 2) + y * 3) % 220 + (int)(seed >> 27));
            }
}

static void compare_with_swscale(enum AVColorSpace matrix, const char *name)
{
    const int w = 96, h = 64;
    unsigned char *rgb = malloc((size_t)w * h * 3);
    fill(rgb, w, h);
    vsr_colour colour =
        vsr_colour_for_output(matrix, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED, h);
    vsr_error err = {0};
    vsr_rgb_to_yuv *sws = NULL;
    AVFrame *ref = av_frame_alloc(), *ours = av_frame_alloc();
    vsr_image img = {w, h, VSR_PIX_RGB24, (size_t)w * 3, rgb};
    CHECK(vsr_rgb_to_yuv_create(&sws, &colour, NULL, &err) == 0);
    CHECK_MSG(vsr_rgb_to_yuv_run(sws, &img, ref, 0, &err) == 0, "%s", err.msg);
    /* our frame's buffer from a pool, as the pipeline's */
    AVBufferPool *pool = vsr_yuv_frame_pool(w, h);
    CHECK_MSG(vsr_yuv_frame_alloc(pool, ours, w, h, &colour, 0, &err) == 0, "%s", err.msg);
    CHECK(ours->linesize[0] % 64 == 0 && ours->linesize[1] >= w / 2 &&
          ours->data[2] + ours->linesize[2] * (h / 2) <= ours->buf[0]->data + ours->buf[0]->size);
    vsr_yuv_coeffs k;
    vsr_colour_yuv_coeffs(&colour, &k);
    vsr_yuv420 out = {
        w,
        h,
        {ours->data[0], ours->data[1], ours->data[2]},
        {(size_t)ours->linesize[0], (size_t)ours->linesize[1], (size_t)ours->linesize[2]}};
    /* in two halves at an even offset, as the engine does with tiles */
    vsr_rgb24_to_yuv420(rgb, (size_t)w * 3, w, h / 2, &k, &out, 0, 0);
    vsr_rgb24_to_yuv420(rgb + (size_t)(h / 2) * w * 3, (size_t)w * 3, w, h / 2, &k, &out, 0, h / 2);
    for (int p = 0; p < 3; p++) {
        int pw = p ? w / 2 : w, ph = p ? h / 2 : h, worst = 0;
        long sum = 0;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                int d = abs(ref->data[p][y * ref->linesize[p] + x] -
                            ours->data[p][y * ours->linesize[p] + x]);
                worst = d > worst ? d : worst;
                sum += d;
            }
        CHECK_MSG(worst <= 1, "%s plane %d: max diff %d from swscale", name, p, worst);
        CHECK_MSG(sum * 4 < (long)pw * ph, "%s plane %d: mean diff %.3f from swscale", name, p,
                  (double)sum / (pw * ph));
    }
    av_frame_free(&ref);
    av_frame_free(&ours);
    av_buffer_pool_uninit(&pool);
    vsr_rgb_to_yuv_destroy(sws);
    free(rgb);
}

int main(void)
{
    vsr_yuv_coeffs bt709, bt601;
    vsr_yuv_coeffs_init(&bt709, 0.2126, 0.0722);
    vsr_yuv_coeffs_init(&bt601, 0.299, 0.114);
    /* Limited range ends, and the primaries (BT.709 tables: red is Y 63,
     * Cb 102, Cr 240; BT.601: red 81, 90, 240; blue 41, 240, 110). */
    CHECK_YUV(&bt709, 0, 0, 0, 16, 128, 128);
    CHECK_YUV(&bt709, 255, 255, 255, 235, 128, 128);
    CHECK_YUV(&bt709, 255, 0, 0, 63, 102, 240);
    CHECK_YUV(&bt709, 0, 0, 255, 32, 240, 118);
    CHECK_YUV(&bt601, 255, 0, 0, 81, 90, 240);
    CHECK_YUV(&bt601, 0, 0, 255, 41, 240, 110);
    /* Every grey is neutral and on the limited-range ramp. */
    for (int v = 0; v < 256; v++) {
        int got[3];
        convert_one(&bt709, v, v, v, got);
        int want = (int)(16 + 219.0 * v / 255.0 + 0.5);
        CHECK_MSG(got[0] == want && got[1] == 128 && got[2] == 128, "grey %d: %d,%d,%d", v, got[0],
                  got[1], got[2]);
    }
    /* Chroma is the block's mean: two red and two blue pixels give the
     * chroma of their average colour. */
    unsigned char mixed[12] = {255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0}, y[4], cb, cr;
    vsr_yuv_block(&bt709, mixed, y, &cb, &cr);
    int avg[3];
    convert_one(&bt709, 128, 0, 128, avg);
    CHECK_MSG(abs(cb - avg[1]) <= 1 && abs(cr - avg[2]) <= 1, "mixed block: %d,%d vs %d,%d", cb, cr,
              avg[1], avg[2]);
    CHECK(y[0] == 63 && y[1] == 32 && y[2] == 32 && y[3] == 63);

    compare_with_swscale(AVCOL_SPC_BT709, "BT.709");
    compare_with_swscale(AVCOL_SPC_SMPTE170M, "BT.601");
    return test_report("test_yuv420");
}
