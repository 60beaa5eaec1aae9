/* Tiled output equals untiled output (the halo is exact), with the tile
 * size set by hand and chosen from a memory budget, for 8-bit and float
 * frames. Runs on the ref backend with the real models. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "mini_model.h"
#include "model/model_registry.h"
#include "test_util.h"

/* Smooth gradients plus deterministic noise: enough structure that a
 * misplaced halo shows. */
static void fill(vsr_image *img)
{
    unsigned seed = 7;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            for (int c = 0; c < 3; c++) {
                seed = seed * 1664525u + 1013904223u;
                int v = (x * 5 + y * 3 * (c + 1)) % 200 + (int)(seed >> 27);
                unsigned char *row = (unsigned char *)img->data + (size_t)y * img->stride;
                if (img->format == VSR_PIX_RGB24)
                    row[3 * x + c] = (unsigned char)v;
                else
                    ((float *)row)[3 * x + c] = (float)v / 255.f;
            }
}

/* host: 8-bit frames converted on the host (not through the backend's
 * 8-bit path). yuv: NULL, or the output is YUV 4:2:0 (BT.709) into these
 * bytes (I420) instead of out. */
static int run_any(const vsr_graph *g, int pre_pad, int tile, size_t budget, vsr_pixel_format fmt,
                   int w, int h, int host, vsr_image *out, int *tile_used, unsigned char *yuv)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.host_conversion = host;
    opt.pre_pad = pre_pad;
    opt.backend = "ref";
    opt.tile = tile;
    opt.memory_budget = budget;
    vsr_error err = {0};
    vsr_engine *e = NULL;
    vsr_engine_ctx *c = NULL;
    vsr_image in = {0};
    const int ow = w * g->scale, oh = h * g->scale;
    int rc = vsr_engine_create(g, &opt, &e, &err);
    if (!rc)
        rc = vsr_engine_ctx_create(e, &c, &err);
    if (!rc)
        rc = vsr_image_alloc(&in, w, h, fmt, &err);
    if (!rc && !yuv)
        rc = vsr_image_alloc(out, ow, oh, fmt, &err);
    if (!rc) {
        fill(&in);
        *tile_used = vsr_engine_tile_size(c, w, h);
        if (yuv) {
            vsr_yuv420 i420 = {ow,
                               oh,
                               {yuv, yuv + ow * oh, yuv + ow * oh * 5 / 4},
                               {(size_t)ow, (size_t)ow / 2, (size_t)ow / 2}};
            vsr_yuv_coeffs k;
            vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
            rc = vsr_engine_upscale_yuv420(c, &in, &i420, &k, &err);
        } else {
            rc = vsr_engine_upscale(c, &in, out, &err);
        }
    }
    CHECK_MSG(rc == 0, "%s", err.msg);
    vsr_image_free(&in);
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
    return rc;
}

static int run_path(const vsr_graph *g, int pre_pad, int tile, size_t budget, vsr_pixel_format fmt,
                    int w, int h, int host, vsr_image *out, int *tile_used)
{
    return run_any(g, pre_pad, tile, budget, fmt, w, h, host, out, tile_used, NULL);
}

static int run(const vsr_graph *g, int pre_pad, int tile, size_t budget, vsr_pixel_format fmt,
               int w, int h, vsr_image *out, int *tile_used)
{
    return run_path(g, pre_pad, tile, budget, fmt, w, h, 0, out, tile_used);
}

static double max_diff(const vsr_image *a, const vsr_image *b)
{
    double m = 0;
    size_t n = (size_t)a->width * a->height * 3;
    for (size_t i = 0; i < n; i++) {
        double d = a->format == VSR_PIX_RGB24
                       ? abs((int)((unsigned char *)a->data)[i] - ((unsigned char *)b->data)[i])
                       : fabs(((float *)a->data)[i] - ((float *)b->data)[i]);
        m = d > m ? d : m;
    }
    return m;
}

/* Whole vs hand-set tiles vs budget-chosen tiles, 8-bit and float. */
static void check_graph(const vsr_graph *gp, const char *name, int pre_pad, int w, int h, int tile,
                        double tol8)
{
    const vsr_graph g = *gp;
    vsr_image whole = {0}, tiled = {0}, budgeted = {0}, wf = {0}, tf = {0};
    int used = 0;
    if (run(gp, pre_pad, 0, 0, VSR_PIX_RGB24, w, h, &whole, &used) == 0) {
        CHECK(used == (w > h ? w : h));
        if (run(gp, pre_pad, tile, 0, VSR_PIX_RGB24, w, h, &tiled, &used) == 0) {
            CHECK(used == tile);
            double d = max_diff(&whole, &tiled);
            CHECK_MSG(d <= tol8, "%s: tiled vs whole max diff %g", name, d);
        }
        /* The backend's 8-bit path (tiles cropped by the backend) gives the
         * very bytes of the host's conversion, whole and tiled. */
        vsr_image host = {0};
        for (int t = 0; t < 2; t++) {
            if (run_path(gp, pre_pad, t ? tile : 0, 0, VSR_PIX_RGB24, w, h, 1, &host, &used) == 0) {
                double d = max_diff(t ? &tiled : &whole, &host);
                CHECK_MSG(d == 0, "%s: 8-bit path vs host conversion (%s) max diff %g", name,
                          t ? "tiled" : "whole", d);
            }
            vsr_image_free(&host);
        }
        /* A budget too small for the frame must split it, same result. */
        size_t budget = g.peak_bytes_per_pixel * (size_t)(w * h) / 2;
        if (run(gp, pre_pad, 0, budget, VSR_PIX_RGB24, w, h, &budgeted, &used) == 0) {
            CHECK_MSG(used < (w > h ? w : h), "%s: budget %zu gave tile %d", name, budget, used);
            double d = max_diff(&whole, &budgeted);
            CHECK_MSG(d <= tol8, "%s: budget-tiled vs whole max diff %g", name, d);
        }
    }
    if (run(gp, pre_pad, 0, 0, VSR_PIX_RGBF32, w, h, &wf, &used) == 0 &&
        run(gp, pre_pad, tile, 0, VSR_PIX_RGBF32, w, h, &tf, &used) == 0) {
        double d = max_diff(&wf, &tf);
        CHECK_MSG(d <= 1e-5, "%s: float tiled vs whole max diff %g", name, d);
    }
    vsr_image_free(&whole);
    vsr_image_free(&tiled);
    vsr_image_free(&budgeted);
    vsr_image_free(&wf);
    vsr_image_free(&tf);
}

/* The engine's YUV output (the GPU path's colour conversion, here on
 * ref): through the backend's own conversion of each tile (run_yuv420) and
 * through the engine's conversion of RGB24 tiles, it is the conversion of
 * the RGB24 frame, byte for byte, whole and tiled. */
static int run_yuv(const vsr_graph *g, int pre_pad, int tile, int host, int w, int h,
                   unsigned char *out)
{
    int used;
    return run_any(g, pre_pad, tile, 0, VSR_PIX_RGB24, w, h, host, NULL, &used, out);
}

static void check_yuv(const vsr_graph *g, const char *name, int pre_pad, int w, int h, int tile)
{
    const int ow = w * g->scale, oh = h * g->scale;
    const size_t bytes = (size_t)ow * oh * 3 / 2;
    unsigned char *want = malloc(bytes), *got = malloc(bytes), *other = malloc(bytes);
    vsr_image rgb = {0};
    vsr_yuv_coeffs k;
    vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
    for (int t = 0; t < 2; t++) {
        int used;
        if (run_path(g, pre_pad, t ? tile : 0, 0, VSR_PIX_RGB24, w, h, 1, &rgb, &used))
            break;
        vsr_yuv420 yuv = {ow,
                          oh,
                          {want, want + ow * oh, want + ow * oh * 5 / 4},
                          {(size_t)ow, (size_t)ow / 2, (size_t)ow / 2}};
        vsr_rgb24_to_yuv420(rgb.data, rgb.stride, ow, oh, &k, &yuv, 0, 0);
        vsr_image_free(&rgb);
        for (int host = 0; host < 2; host++)
            if (run_yuv(g, pre_pad, t ? tile : 0, host, w, h, got) == 0)
                CHECK_MSG(!memcmp(want, got, bytes), "%s: YUV %s, %s: not the RGB frame's", name,
                          t ? "tiled" : "whole", host ? "engine conversion" : "backend conversion");
    }
    /* An odd tile edge with an odd scale would split chroma blocks: the
     * engine takes the even edge below it. */
    if (g->scale % 2 && run_yuv(g, pre_pad, tile - 1, 0, w, h, got) == 0 &&
        run_yuv(g, pre_pad, tile - 2, 0, w, h, other) == 0)
        CHECK_MSG(!memcmp(got, other, bytes), "%s: odd tile %d not made even", name, tile - 1);
    free(want);
    free(got);
    free(other);
}

/* The engine's YUV output from a 4:2:0 frame (the NVDEC path; here on
 * ref, an NV12 frame in host memory) is that from the frame's C
 * conversion to RGB24, byte for byte, whole and tiled, odd sizes
 * included: the engine hands the backend the same mirrored regions either
 * way, or converts the frame itself. */
static void check_yuv_in(const vsr_graph *g, const char *name, int w, int h, int tile)
{
    const int cw = 2 * ((w + 1) / 2), ch = (h + 1) / 2, ow = w * g->scale, oh = h * g->scale;
    const size_t luma = (size_t)w * h, bytes = (size_t)ow * oh * 3 / 2;
    unsigned char *planes = malloc(luma + (size_t)cw * ch);
    unsigned char *want = malloc(bytes), *got = malloc(bytes);
    vsr_image rgb = {w, h, VSR_PIX_RGB24, (size_t)w * 3, malloc(luma * 3)};
    for (size_t i = 0; i < luma + (size_t)cw * ch; i++)
        planes[i] = (unsigned char)(i < luma ? 20 + (i % w * 7 + i / w * 3) % 200
                                             : 100 + ((i - luma) * 13 % 57));
    const vsr_yuv_in f = {.width = w,
                          .height = h,
                          .luma = planes,
                          .cb = planes + luma,
                          .cr = planes + luma + 1,
                          .luma_stride = (size_t)w,
                          .chroma_stride = (size_t)cw,
                          .chroma_step = 2,
                          .device = -1};
    vsr_rgb_coeffs kin;
    vsr_rgb_coeffs_init(&kin, 0.299, 0.114, 0);
    vsr_yuv_in_to_rgb24(&f, &kin, 0, 0, w, h, rgb.data);
    vsr_yuv_coeffs k;
    vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
    vsr_yuv420 a = {ow,
                    oh,
                    {want, want + ow * oh, want + ow * oh * 5 / 4},
                    {(size_t)ow, (size_t)ow / 2, (size_t)ow / 2}};
    vsr_yuv420 b = {ow,
                    oh,
                    {got, got + ow * oh, got + ow * oh * 5 / 4},
                    {(size_t)ow, (size_t)ow / 2, (size_t)ow / 2}};
    for (int run = 0; run < 4; run++) {
        /* whole and tiled; through the backend's conversion, and (host
         * conversion) the engine's own, as for a backend that takes RGB */
        const int tiled = run % 2, host = run / 2;
        vsr_engine_options opt;
        vsr_engine_options_default(&opt);
        opt.backend = "ref";
        opt.tile = tiled ? tile : 0;
        opt.host_conversion = host;
        vsr_error err = {0};
        vsr_engine *e = NULL;
        vsr_engine_ctx *c = NULL;
        int rc = vsr_engine_create(g, &opt, &e, &err);
        if (!rc)
            rc = vsr_engine_ctx_create(e, &c, &err);
        if (!rc) {
            CHECK(!vsr_engine_reads_device_yuv(e)); /* ref: host memory only */
            rc = vsr_engine_upscale_yuv420(c, &rgb, &a, &k, &err);
        }
        if (!rc)
            rc = vsr_engine_upscale_from_yuv(c, &f, &kin, &b, &k, &err);
        CHECK_MSG(rc == 0, "%s: %s", name, err.msg);
        if (!rc)
            CHECK_MSG(!memcmp(want, got, bytes), "%s %dx%d: YUV in, %s%s: not the RGB24 frame's",
                      name, w, h, tiled ? "tiled" : "whole", host ? ", host conversion" : "");
        vsr_engine_ctx_destroy(c);
        vsr_engine_destroy(e);
    }
    free(planes);
    free(want);
    free(got);
    vsr_image_free(&rgb);
}

/* A tile the backend has no memory for is done again in tiles of half the
 * edge (ref fails tiles over VSR_REF_FAIL_ABOVE_PIXELS as a full GPU
 * would): the frame is the one tiles of that edge give; when even the
 * smallest tile fails, the error says so. */
static void check_out_of_memory(const vsr_graph *g, const char *name)
{
    const int w = 70, h = 50;
    vsr_image want = {0}, got = {0};
    int used = 0;
    if (run(g, 0, 35, 0, VSR_PIX_RGB24, w, h, &want, &used) == 0) {
        setenv("VSR_REF_FAIL_ABOVE_PIXELS", "1700", 1); /* 70x50 whole fails; 41x41 fits */
        if (run(g, 0, 0, 0, VSR_PIX_RGB24, w, h, &got, &used) == 0)
            CHECK_MSG(max_diff(&want, &got) == 0,
                      "%s: after the fallback, not the frame of tiles of 35", name);
        unsetenv("VSR_REF_FAIL_ABOVE_PIXELS");
    }
    vsr_image_free(&want);
    vsr_image_free(&got);

    setenv("VSR_REF_FAIL_ABOVE_PIXELS", "100", 1); /* not even a 16-pixel tile */
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = "ref";
    opt.pre_pad = 0;
    vsr_error err = {0};
    vsr_engine *e = NULL;
    vsr_engine_ctx *c = NULL;
    vsr_image in = {0}, out = {0};
    int rc = vsr_engine_create(g, &opt, &e, &err);
    if (!rc)
        rc = vsr_engine_ctx_create(e, &c, &err);
    if (!rc && !(rc = vsr_image_alloc(&in, w, h, VSR_PIX_RGB24, &err)) &&
        !(rc = vsr_image_alloc(&out, w * g->scale, h * g->scale, VSR_PIX_RGB24, &err))) {
        fill(&in);
        rc = vsr_engine_upscale(c, &in, &out, &err);
        CHECK_MSG(rc == VSR_ERR_NOMEM && strstr(err.msg, "VSR_REF_FAIL_ABOVE_PIXELS") &&
                      strstr(err.msg, "tile at"),
                  "%s: smallest tile out of memory: %d %s", name, rc, err.msg);
    }
    unsetenv("VSR_REF_FAIL_ABOVE_PIXELS");
    vsr_image_free(&in);
    vsr_image_free(&out);
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
}

/* Pre-padding changes only what is within the receptive radius of a
 * border: the interior is identical with and without it. */
static void check_pre_pad_effect(const vsr_graph *g, int w, int h)
{
    vsr_image zero = {0}, mirrored = {0};
    int used, s = g->scale, r = g->receptive_radius;
    if (run(g, 0, 0, 0, VSR_PIX_RGB24, w, h, &zero, &used) == 0 &&
        run(g, VSR_DEFAULT_PRE_PAD, 0, 0, VSR_PIX_RGB24, w, h, &mirrored, &used) == 0) {
        int border_diff = 0, interior_diff = 0;
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s * 3; x++) {
                size_t i = (size_t)y * zero.stride + x;
                int d = ((unsigned char *)zero.data)[i] != ((unsigned char *)mirrored.data)[i];
                int interior =
                    y >= r * s && y < (h - r) * s && x / 3 >= r * s && x / 3 < (w - r) * s;
                if (interior)
                    interior_diff |= d;
                else
                    border_diff |= d;
            }
        CHECK(!interior_diff);
        CHECK(border_diff);
    }
    vsr_image_free(&zero);
    vsr_image_free(&mirrored);
}

/* A real model, 8-bit only and without pre-padding (the ref backend is
 * slow on it; the mini models cover pre-padding). */
static void check_model(const char *name, int w, int h, int tile, double tol8)
{
    vsr_graph g;
    vsr_error err = {0};
    int rc = vsr_model_load(name, 0, NULL, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return;
    vsr_image whole = {0}, tiled = {0};
    int used = 0;
    if (run(&g, 0, 0, 0, VSR_PIX_RGB24, w, h, &whole, &used) == 0 &&
        run(&g, 0, tile, 0, VSR_PIX_RGB24, w, h, &tiled, &used) == 0) {
        double d = max_diff(&whole, &tiled);
        CHECK_MSG(d <= tol8, "%s: tiled vs whole max diff %g", name, d);
    }
    vsr_image_free(&whole);
    vsr_image_free(&tiled);
    vsr_graph_free(&g);
}

/* The tile edge the engine picks for a w x h frame of the model under
 * budget (0: the default); -1 if the engine could not be made. */
static int tile_for(const vsr_graph *g, size_t budget, int w, int h)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = "ref";
    opt.memory_budget = budget;
    vsr_error err = {0};
    vsr_engine *e = NULL;
    vsr_engine_ctx *c = NULL;
    int tile = -1;
    if (vsr_engine_create(g, &opt, &e, &err) == 0 && vsr_engine_ctx_create(e, &c, &err) == 0)
        tile = vsr_engine_tile_size(c, w, h);
    CHECK_MSG(tile >= 0, "%s", err.msg);
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
    return tile;
}

/* A deep model (realesrgan-x4plus: a halo of 350 input pixels) is not cut
 * into tiles smaller than their halo under the default budget, which it
 * exceeds at 960x540 (about 4 GiB of float activations): it went 16-pixel
 * tiles and ran 2,000 times slower. An explicit budget is still obeyed. */
static void check_deep_model_tiles(void)
{
    vsr_graph g;
    vsr_error err = {0};
    int rc = vsr_model_load("realesrgan-x4plus", 0, NULL, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return;
    const size_t frame = g.peak_bytes_per_pixel * 960 * 540;
    CHECK_MSG(g.receptive_radius >= 300, "x4plus halo %d", g.receptive_radius);
    CHECK_MSG(frame > (size_t)1 << 30, "x4plus at 960x540: %zu bytes, under the CPU default",
              frame);
    int t = tile_for(&g, 0, 960, 540);
    CHECK_MSG(t == 960, "default budget: x4plus at 960x540 in tiles of %d, not whole", t);
    t = tile_for(&g, (size_t)1 << 30, 960, 540);
    CHECK_MSG(t > 0 && t < 960, "explicit 1 GiB: x4plus at 960x540 in tiles of %d, not obeyed", t);
    vsr_graph_free(&g);
}

int main(void)
{
    /* Mini models: radius 3 (+1 for bicubic); 70x50 frames in tiles of 16
     * have many interior tiles with halo on every side. */
    static const float finals[3] = {1.f, 0.5f, 0.75f};
    for (int i = 0; i < 3; i++) {
        vsr_graph g;
        if (load_mini_srvgg(finals[i], &g))
            continue;
        char name[32];
        snprintf(name, sizeof name, "mini x%d", g.scale);
        /* x3's bicubic ratio 4/3 is inexact in binary: allow rounding. */
        check_graph(&g, name, 0, 70, 50, 16, i == 2 ? 1 : 0);
        check_graph(&g, name, VSR_DEFAULT_PRE_PAD, 70, 50, 16, i == 2 ? 1 : 0);
        check_pre_pad_effect(&g, 40, 30);
        check_yuv(&g, name, VSR_DEFAULT_PRE_PAD, 70, 50, 16);
        check_yuv_in(&g, name, 70, 50, 16);
        if (g.scale % 2 == 0)
            check_yuv_in(&g, name, 69, 49, 16);
        if (i == 0)
            check_out_of_memory(&g, name);
        vsr_graph_free(&g);
    }
    /* The real models: a middle tile with halo on both sides. */
    check_model("realesr-animevideov3-x2", 60, 14, 20, 0);
    check_model("realesr-general-x4v3", 100, 6, 30, 0);
    check_deep_model_tiles();
    return test_report("test_engine_tiling");
}
