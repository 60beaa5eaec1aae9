/* The engine's fixed-point NV12 -> RGB24 (what the GPU does on a frame
 * NVDEC decoded): exact on known colours in both ranges, grey stays grey,
 * chroma is sited and weighted as specified, the mirrored region is the
 * frame's mirror, odd sizes are crops of even ones, and on a natural-like
 * frame it agrees with swscale (the CPU path's converter, vsr_yuv_to_rgb)
 * within one code value, for BT.709, BT.601, full-range BT.601 and an
 * untagged frame. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "frame/yuv_to_rgb.h"
#include "media/colour.h"
#include "test_util.h"

/* One pixel of a frame that is (y, u, v) everywhere. */
static void convert_flat(const vsr_rgb_coeffs *k, int y, int u, int v, unsigned char rgb[3])
{
    unsigned char luma[4] = {y, y, y, y}, chroma[4] = {u, v, u, v};
    vsr_yuv_in f = {2, 2, luma, chroma, chroma + 1, 2, 4, 2, -1, NULL};
    vsr_yuv_in_pixel(&f, k, 1, 1, rgb);
}

/* Within tol of (er, eg, eb): the tables' YCbCr values are rounded. */
#define CHECK_RGB(k, y, u, v, er, eg, eb, tol)                                                     \
    do {                                                                                           \
        unsigned char got[3];                                                                      \
        convert_flat(k, y, u, v, got);                                                             \
        CHECK_MSG(abs(got[0] - (er)) <= (tol) && abs(got[1] - (eg)) <= (tol) &&                    \
                      abs(got[2] - (eb)) <= (tol),                                                 \
                  "yuv %d,%d,%d: got %d,%d,%d expected %d,%d,%d", y, u, v, got[0], got[1], got[2], \
                  er, eg, eb);                                                                     \
    } while (0)

/* Gradients and a little noise in luma; chroma (Cb and Cr interleaved)
 * smooth across and constant down. swscale shifts chroma down by half a
 * luma row (its vertical chroma position is 2j + 1, not 2j + 0.5), so
 * chroma that changes down the frame differs by more than rounding: the
 * siting is pinned by the exact-weights check in main, and this comparison
 * checks matrices, ranges, rounding and the right edge of odd widths. */
static void fill_luma(unsigned char *p, int w, int y)
{
    unsigned seed = 11u + (unsigned)y;
    for (int x = 0; x < w; x++) {
        seed = seed * 1664525u + 1013904223u;
        p[x] = (unsigned char)(30 + (x * 3 + y * 2) % 180 + (int)(seed >> 28));
    }
}

/* Cb and Cr values of chroma sample x (any row). */
static unsigned char cb_at(int x)
{
    return (unsigned char)(60 + x * 3 % 150);
}

static unsigned char cr_at(int x)
{
    return (unsigned char)(200 - x * 2 % 170);
}

/* A w x h frame of fmt (nv12, yuv420p or yuvj420p) with the given tags,
 * filled; and its description for the engine (vsr_colour_yuv_in, checked
 * here: the test compares its coefficients too). */
static AVFrame *make_frame(int w, int h, enum AVPixelFormat fmt, enum AVColorSpace matrix,
                           enum AVColorRange range, vsr_yuv_in *f, vsr_rgb_coeffs *k)
{
    AVFrame *frame = av_frame_alloc();
    frame->format = fmt;
    frame->width = w;
    frame->height = h;
    frame->colorspace = matrix;
    frame->color_range = range;
    CHECK(av_frame_get_buffer(frame, 0) == 0);
    for (int y = 0; y < h; y++)
        fill_luma(frame->data[0] + (size_t)y * frame->linesize[0], w, y);
    const int nv12 = fmt == AV_PIX_FMT_NV12;
    for (int y = 0; y < (h + 1) / 2; y++)
        for (int x = 0; x < (w + 1) / 2; x++) {
            unsigned char *row = frame->data[1] + (size_t)y * frame->linesize[1];
            if (nv12) {
                row[2 * x] = cb_at(x);
                row[2 * x + 1] = cr_at(x);
            } else {
                row[x] = cb_at(x);
                frame->data[2][(size_t)y * frame->linesize[2] + x] = cr_at(x);
            }
        }
    CHECK(vsr_colour_yuv_in(frame, 0, f, k) == 1 && f->chroma_step == (nv12 ? 2 : 1) &&
          f->device == -1);
    return frame;
}

static void compare_with_swscale(int w, int h, enum AVPixelFormat fmt, enum AVColorSpace matrix,
                                 enum AVColorRange range, const char *name)
{
    vsr_yuv_in f;
    vsr_rgb_coeffs k;
    AVFrame *frame = make_frame(w, h, fmt, matrix, range, &f, &k);
    vsr_error err = {0};
    vsr_yuv_to_rgb *sws = NULL;
    vsr_image ref = {0};
    CHECK(vsr_image_alloc(&ref, w, h, VSR_PIX_RGB24, &err) == 0);
    CHECK(vsr_yuv_to_rgb_create(&sws, &err) == 0);
    CHECK_MSG(vsr_yuv_to_rgb_run(sws, frame, &ref, 0, &err) == 0, "%s", err.msg);

    unsigned char *ours = malloc((size_t)w * h * 3);
    vsr_yuv_in_to_rgb24(&f, &k, 0, 0, w, h, ours);
    int worst = 0;
    long sum = 0;
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * 3; i++) {
            int d = abs(ours[(size_t)y * w * 3 + i] -
                        ((unsigned char *)ref.data)[(size_t)y * ref.stride + i]);
            worst = d > worst ? d : worst;
            sum += d;
        }
    CHECK_MSG(worst <= 1, "%s %dx%d: max diff %d from swscale", name, w, h, worst);
    CHECK_MSG(sum * 4 < (long)w * h * 3, "%s %dx%d: mean diff %.3f from swscale", name, w, h,
              (double)sum / (w * h * 3));

    /* A region reaching past every border is the mirrored frame's: the
     * engine's pre-padding, done by the same code on the GPU. */
    const int pad = 5, rw = w + 2 * pad, rh = h + 2 * pad;
    unsigned char *region = malloc((size_t)rw * rh * 3);
    vsr_yuv_in_to_rgb24(&f, &k, -pad, -pad, rw, rh, region);
    int mirrored = 1;
    for (int y = 0; y < rh; y++)
        for (int x = 0; x < rw; x++) {
            int sx = vsr_mirror(x - pad, w), sy = vsr_mirror(y - pad, h);
            mirrored &=
                !memcmp(region + ((size_t)y * rw + x) * 3, ours + ((size_t)sy * w + sx) * 3, 3);
        }
    CHECK_MSG(mirrored, "%s %dx%d: the padded region is not the mirrored frame", name, w, h);
    CHECK(vsr_mirror(-1, w) == 1 && vsr_mirror(w, w) == w - 2 && vsr_mirror(-3, 1) == 0);

    free(region);
    free(ours);
    vsr_image_free(&ref);
    vsr_yuv_to_rgb_destroy(sws);
    av_frame_free(&frame);
}

/* Odd sizes: 4:2:0 chroma covers ceil(w/2) x ceil(h/2) samples, the last
 * column and row of them covering one luma pixel, so a (w-1) x (h-1)
 * frame on the same planes is exactly the crop of the w x h frame. (swscale
 * stretches chroma over odd widths instead: not compared.) */
static void odd_sizes(int w, int h)
{
    vsr_yuv_in even;
    vsr_rgb_coeffs k;
    AVFrame *frame =
        make_frame(w, h, AV_PIX_FMT_NV12, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, &even, &k);
    vsr_yuv_in odd = even;
    odd.width = w - 1;
    odd.height = h - 1;
    unsigned char *a = malloc((size_t)w * h * 3), *b = malloc((size_t)w * h * 3);
    vsr_yuv_in_to_rgb24(&even, &k, 0, 0, w, h, a);
    vsr_yuv_in_to_rgb24(&odd, &k, 0, 0, w - 1, h - 1, b);
    int same = 1;
    for (int y = 0; y < h - 1; y++)
        same &= !memcmp(a + (size_t)y * w * 3, b + (size_t)y * (w - 1) * 3, (size_t)(w - 1) * 3);
    CHECK_MSG(same, "%dx%d is not the crop of %dx%d", w - 1, h - 1, w, h);
    free(a);
    free(b);
    av_frame_free(&frame);
}

int main(void)
{
    vsr_rgb_coeffs bt709, bt601, full601;
    vsr_rgb_coeffs_init(&bt709, 0.2126, 0.0722, 0);
    vsr_rgb_coeffs_init(&bt601, 0.299, 0.114, 0);
    vsr_rgb_coeffs_init(&full601, 0.299, 0.114, 1);
    /* Limited range ends, out-of-range values clipped, and the primaries
     * (the inverses of test_yuv420's: BT.709 red is Y 63, Cb 102, Cr 240;
     * BT.601 blue 41, 240, 110). */
    CHECK_RGB(&bt709, 16, 128, 128, 0, 0, 0, 0);
    CHECK_RGB(&bt709, 235, 128, 128, 255, 255, 255, 0);
    CHECK_RGB(&bt709, 5, 128, 128, 0, 0, 0, 0);
    CHECK_RGB(&bt709, 250, 128, 128, 255, 255, 255, 0);
    CHECK_RGB(&bt709, 63, 102, 240, 255, 0, 0, 1);
    CHECK_RGB(&bt601, 41, 240, 110, 0, 0, 255, 1);
    /* Full range: luma is RGB grey as is; JPEG's red. */
    CHECK_RGB(&full601, 0, 128, 128, 0, 0, 0, 0);
    CHECK_RGB(&full601, 200, 128, 128, 200, 200, 200, 0);
    CHECK_RGB(&full601, 76, 85, 255, 254, 0, 0, 1);
    /* Every limited-range grey is neutral and on the ramp. */
    for (int v = 16; v <= 235; v++) {
        unsigned char got[3];
        convert_flat(&bt709, v, 128, 128, got);
        int want = (int)((v - 16) * 255.0 / 219.0 + 0.5);
        CHECK_MSG(got[0] == want && got[1] == want && got[2] == want, "grey %d: %d,%d,%d", v,
                  got[0], got[1], got[2]);
    }
    /* Chroma weights 3/4 and 1/4 in each direction (centred siting), the
     * edge sample repeated: Cb samples 128 and 240 give pixels 0..3 the Cb
     * of 128, 156, 212 and 240 (in both chroma rows, so any luma row). */
    unsigned char luma[16], chroma[8] = {128, 128, 240, 128, 128, 128, 240, 128};
    memset(luma, 128, sizeof luma);
    vsr_yuv_in f = {4, 4, luma, chroma, chroma + 1, 4, 4, 2, -1, NULL};
    const int cb[4] = {128, 156, 212, 240};
    for (int x = 0; x < 4; x++) {
        unsigned char got[3], want[3];
        vsr_yuv_in_pixel(&f, &bt709, x, 1 + x % 2 * 2, got);
        convert_flat(&bt709, 128, cb[x], 128, want);
        CHECK_MSG(!memcmp(got, want, 3), "pixel %d: %d,%d,%d, expected %d,%d,%d", x, got[0], got[1],
                  got[2], want[0], want[1], want[2]);
    }

    compare_with_swscale(96, 64, AV_PIX_FMT_NV12, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, "BT.709");
    compare_with_swscale(96, 64, AV_PIX_FMT_YUV420P, AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG,
                         "BT.601 I420");
    compare_with_swscale(64, 48, AV_PIX_FMT_NV12, AVCOL_SPC_BT470BG, AVCOL_RANGE_JPEG,
                         "BT.601 full");
    compare_with_swscale(64, 48, AV_PIX_FMT_YUVJ420P, AVCOL_SPC_BT709, AVCOL_RANGE_UNSPECIFIED,
                         "BT.709 yuvj420p");
    compare_with_swscale(34, 18, AV_PIX_FMT_YUV420P, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED,
                         "untagged I420");
    /* 10-bit and 4:2:2 frames are left to swscale */
    AVFrame *other = av_frame_alloc();
    other->format = AV_PIX_FMT_YUV420P10LE;
    other->width = other->height = 16;
    CHECK(av_frame_get_buffer(other, 0) == 0);
    vsr_yuv_in unused;
    CHECK(vsr_colour_yuv_in(other, 0, &unused, &bt601) == 0);
    av_frame_free(&other);
    odd_sizes(96, 64);
    return test_report("test_yuv_to_rgb");
}
