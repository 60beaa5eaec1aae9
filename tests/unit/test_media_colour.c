/* Colour conversion: the matrix comes from the tags (BT.601 for untagged
 * SD, BT.709 for untagged HD), full and limited range are told apart,
 * 10-bit input converts, and RGB -> YUV -> RGB comes back within a few
 * levels with the output tagged as chosen. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "media/colour.h"
#include "test_util.h"

/* A w x h frame of one colour in the given format (8 or 16-bit planes). */
static AVFrame *solid(enum AVPixelFormat fmt, int w, int h, int y, int u, int v)
{
    AVFrame *f = av_frame_alloc();
    f->format = fmt;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0)
        return NULL;
    int wide = fmt == AV_PIX_FMT_YUV420P10LE;
    int vals[3] = {y, u, v};
    for (int p = 0; p < 3; p++) {
        int pw = p ? (w + 1) / 2 : w, ph = p ? (h + 1) / 2 : h;
        for (int r = 0; r < ph; r++)
            for (int c = 0; c < pw; c++) {
                if (wide)
                    ((uint16_t *)(f->data[p] + r * f->linesize[p]))[c] = (uint16_t)vals[p];
                else
                    f->data[p][r * f->linesize[p] + c] = (uint8_t)vals[p];
            }
    }
    return f;
}

static void to_rgb(vsr_yuv_to_rgb *c, AVFrame *f, uint8_t rgb[3])
{
    vsr_image img;
    uint8_t buf[64 * 64 * 3];
    img.width = f->width;
    img.height = f->height;
    img.format = VSR_PIX_RGB24;
    img.stride = (size_t)f->width * 3;
    img.data = buf;
    vsr_error err = {0};
    CHECK_MSG(vsr_yuv_to_rgb_run(c, f, &img, 0, &err) == 0, "%s", err.msg);
    int mid = (f->height / 2) * (int)img.stride + (f->width / 2) * 3;
    memcpy(rgb, buf + mid, 3);
}

#define CHECK_RGB(rgb, r, g, b, tol)                                          \
    CHECK_MSG(abs((rgb)[0] - (r)) <= (tol) && abs((rgb)[1] - (g)) <= (tol) && \
                  abs((rgb)[2] - (b)) <= (tol),                               \
              "got %d,%d,%d expected %d,%d,%d", (rgb)[0], (rgb)[1], (rgb)[2], r, g, b)

int main(void)
{
    /* Guesses for untagged streams, tags kept otherwise. */
    vsr_colour c = vsr_colour_for_input(AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED,
                                        AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED, 540);
    CHECK(c.matrix == AVCOL_SPC_SMPTE170M && c.range == AVCOL_RANGE_MPEG);
    c = vsr_colour_for_input(AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED, AVCOL_PRI_UNSPECIFIED,
                             AVCOL_TRC_UNSPECIFIED, 1080);
    CHECK(c.matrix == AVCOL_SPC_BT709 && c.primaries == AVCOL_PRI_BT709 &&
          c.trc == AVCOL_TRC_BT709);
    c = vsr_colour_for_input(AVCOL_SPC_BT709, AVCOL_RANGE_JPEG, AVCOL_PRI_BT709, AVCOL_TRC_BT709,
                             480);
    CHECK(c.matrix == AVCOL_SPC_BT709 && c.range == AVCOL_RANGE_JPEG);
    /* Output: untagged SD input upscaled to 1080 lines is tagged BT.709;
     * a tagged input keeps its tags; the range is always limited. */
    c = vsr_colour_for_output(AVCOL_SPC_UNSPECIFIED, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED,
                              1080);
    CHECK(c.matrix == AVCOL_SPC_BT709 && c.range == AVCOL_RANGE_MPEG);
    c = vsr_colour_for_output(AVCOL_SPC_BT470BG, AVCOL_PRI_BT470BG, AVCOL_TRC_GAMMA28, 2160);
    CHECK(c.matrix == AVCOL_SPC_BT470BG && c.primaries == AVCOL_PRI_BT470BG &&
          c.trc == AVCOL_TRC_GAMMA28);

    /* A partly tagged stream fills the rest from its matrix's family, not
     * from the size: BT.601 matrix on an HD frame stays BT.601. */
    c = vsr_colour_for_output(AVCOL_SPC_BT470BG, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED,
                              1080);
    CHECK(c.matrix == AVCOL_SPC_BT470BG && c.primaries == AVCOL_PRI_BT470BG &&
          c.trc == AVCOL_TRC_SMPTE170M);
    c = vsr_colour_for_input(AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, AVCOL_PRI_UNSPECIFIED,
                             AVCOL_TRC_UNSPECIFIED, 480);
    CHECK(c.primaries == AVCOL_PRI_BT709 && c.trc == AVCOL_TRC_BT709);

    vsr_yuv_to_rgb *y2r;
    vsr_error err = {0};
    CHECK(vsr_yuv_to_rgb_create(&y2r, &err) == 0);
    uint8_t rgb[3];

    /* Pure red in BT.709 limited range: Y 63, Cb 102, Cr 240. */
    AVFrame *f = solid(AV_PIX_FMT_YUV420P, 16, 16, 63, 102, 240);
    f->colorspace = AVCOL_SPC_BT709;
    to_rgb(y2r, f, rgb);
    CHECK_RGB(rgb, 255, 0, 0, 2);
    /* The same samples untagged in an SD frame are read as BT.601, where
     * they are a darker red (about 233, 0, 2). */
    f->colorspace = AVCOL_SPC_UNSPECIFIED;
    to_rgb(y2r, f, rgb);
    CHECK_MSG(rgb[0] <= 240, "BT.601 reading of BT.709 red: red %d", rgb[0]);
    av_frame_free(&f);
    /* Pure red in BT.601 limited: Y 81, Cb 90, Cr 240. */
    f = solid(AV_PIX_FMT_YUV420P, 16, 16, 81, 90, 240);
    to_rgb(y2r, f, rgb);
    CHECK_RGB(rgb, 255, 0, 0, 2);
    av_frame_free(&f);

    /* Range: Y 16 is black in limited range, Y 128 mid grey in full range. */
    f = solid(AV_PIX_FMT_YUV420P, 16, 16, 16, 128, 128);
    to_rgb(y2r, f, rgb);
    CHECK_RGB(rgb, 0, 0, 0, 1);
    av_frame_free(&f);
    f = solid(AV_PIX_FMT_YUVJ420P, 16, 16, 128, 128, 128);
    to_rgb(y2r, f, rgb);
    CHECK_RGB(rgb, 128, 128, 128, 1);
    av_frame_free(&f);

    /* 10-bit: BT.709 red is Y 252, Cb 408, Cr 960. */
    f = solid(AV_PIX_FMT_YUV420P10LE, 16, 16, 252, 408, 960);
    f->colorspace = AVCOL_SPC_BT709;
    to_rgb(y2r, f, rgb);
    CHECK_RGB(rgb, 255, 0, 0, 2);
    av_frame_free(&f);

    /* RGB -> YUV (BT.709, tagged) -> RGB. */
    vsr_colour out = vsr_colour_for_output(AVCOL_SPC_UNSPECIFIED, AVCOL_PRI_UNSPECIFIED,
                                           AVCOL_TRC_UNSPECIFIED, 720);
    vsr_rgb_to_yuv *r2y;
    CHECK(vsr_rgb_to_yuv_create(&r2y, &out, NULL, &err) == 0);
    uint8_t px[32 * 32 * 3];
    for (int i = 0; i < 32 * 32; i++) {
        px[3 * i] = 200;
        px[3 * i + 1] = 60;
        px[3 * i + 2] = 30;
    }
    vsr_image img = {32, 32, VSR_PIX_RGB24, 32 * 3, px};
    AVFrame *yuv = av_frame_alloc();
    CHECK_MSG(vsr_rgb_to_yuv_run(r2y, &img, yuv, 0, &err) == 0, "%s", err.msg);
    CHECK(yuv->format == AV_PIX_FMT_YUV420P && yuv->colorspace == AVCOL_SPC_BT709 &&
          yuv->color_range == AVCOL_RANGE_MPEG && yuv->sample_aspect_ratio.num == 1);
    to_rgb(y2r, yuv, rgb);
    CHECK_RGB(rgb, 200, 60, 30, 2);
    /* Odd sizes cannot be 4:2:0. */
    img.width = 31;
    CHECK(vsr_rgb_to_yuv_run(r2y, &img, yuv, 0, &err) == VSR_ERR_UNSUPPORTED);

    av_frame_free(&yuv);
    vsr_rgb_to_yuv_destroy(r2y);
    vsr_yuv_to_rgb_destroy(y2r);
    return test_report("test_media_colour");
}
