/* Batches (vsr_engine_upscale_batch): frames run through the backend n at
 * a time give the bytes each gives alone, from RGB24 and from 4:2:0
 * frames, into compact and strided outputs, a short batch filled with
 * repeats; frames a batch cannot take (other sizes, a resampled output,
 * no room in the memory budget) go one at a time, to the same bytes. On
 * the ref backend, whose run_batch_yuv420 runs its n-image tensor as a
 * batching GPU backend does. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "mini_model.h"
#include "test_util.h"

#define FRAMES 3

/* A 4:2:0 frame in host memory (I420), its content set by seed. */
typedef struct test_frame {
    int w, h;
    unsigned char *planes;
    vsr_yuv_in yuv;
    vsr_image rgb; /* the same frame converted to RGB24 */
} test_frame;

static void frame_make(test_frame *f, int w, int h, int seed, const vsr_rgb_coeffs *kin)
{
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    const size_t luma = (size_t)w * h, chroma = (size_t)cw * ch;
    f->w = w;
    f->h = h;
    f->planes = malloc(luma + 2 * chroma);
    for (size_t i = 0; i < luma + 2 * chroma; i++)
        f->planes[i] = (unsigned char)(i < luma ? 16 + (i % w * (3 + seed) + i / w * 5) % 210
                                                : 90 + ((i - luma) * (7 + seed) % 71));
    f->yuv = (vsr_yuv_in){.width = w,
                          .height = h,
                          .luma = f->planes,
                          .cb = f->planes + luma,
                          .cr = f->planes + luma + chroma,
                          .luma_stride = (size_t)w,
                          .chroma_stride = (size_t)cw,
                          .chroma_step = 1,
                          .device = -1};
    f->rgb = (vsr_image){w, h, VSR_PIX_RGB24, (size_t)w * 3, malloc(luma * 3)};
    vsr_yuv_in_to_rgb24(&f->yuv, kin, 0, 0, w, h, f->rgb.data);
}

static void frame_free(test_frame *f)
{
    free(f->planes);
    free(f->rgb.data);
}

/* An output of w x h; pad > 0: rows pad bytes longer than the picture
 * (not compact, so the engine copies out of its own buffer). */
typedef struct test_out {
    unsigned char *bytes;
    vsr_yuv420 yuv;
} test_out;

static void out_make(test_out *o, int w, int h, int pad)
{
    const size_t ls = (size_t)w + pad, cs = (size_t)w / 2 + pad;
    const size_t luma = ls * h, chroma = cs * (h / 2);
    o->bytes = calloc(luma + 2 * chroma, 1);
    o->yuv =
        (vsr_yuv420){w, h, {o->bytes, o->bytes + luma, o->bytes + luma + chroma}, {ls, cs, cs}};
}

static int out_equal(const test_out *a, const test_out *b)
{
    for (int p = 0; p < 3; p++) {
        const int w = p ? a->yuv.width / 2 : a->yuv.width,
                  h = p ? a->yuv.height / 2 : a->yuv.height;
        for (int y = 0; y < h; y++)
            if (memcmp(a->yuv.plane[p] + (size_t)y * a->yuv.stride[p],
                       b->yuv.plane[p] + (size_t)y * b->yuv.stride[p], (size_t)w))
                return 0;
    }
    return 1;
}

typedef struct engine_pair {
    vsr_engine *e;
    vsr_engine_ctx *c;
} engine_pair;

static int engine_open(const vsr_graph *g, int batch, size_t budget, int host, engine_pair *ep)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = "ref";
    opt.batch = batch;
    opt.memory_budget = budget;
    opt.host_conversion = host;
    vsr_error err = {0};
    ep->e = NULL;
    ep->c = NULL;
    int rc = vsr_engine_create(g, &opt, &ep->e, &err);
    if (!rc)
        rc = vsr_engine_ctx_create(ep->e, &ep->c, &err);
    CHECK_MSG(rc == 0, "engine (batch %d): %s", batch, err.msg);
    return rc;
}

static void engine_close(engine_pair *ep)
{
    vsr_engine_ctx_destroy(ep->c);
    vsr_engine_destroy(ep->e);
}

/* Frames fr[0..n) through an engine of batch (yuv: from their 4:2:0
 * planes, else RGB24) against each alone through a batch-1 engine; the
 * frames run in batches must number want_batched. */
static void check_batch(const vsr_graph *g, const char *what, int batch, size_t budget,
                        test_frame *fr, int n, int yuv, int pad, const vsr_resample *rs,
                        const vsr_rgb_coeffs *kin, int64_t want_batched)
{
    vsr_yuv_coeffs k;
    vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
    engine_pair single, batched;
    if (engine_open(g, 1, budget, 0, &single) || engine_open(g, batch, budget, 0, &batched)) {
        engine_close(&single);
        return;
    }
    test_out want[FRAMES + 1], got[FRAMES + 1];
    vsr_engine_frame f[FRAMES + 1];
    vsr_error err = {0};
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const int ow = rs ? 2 * fr[i].w - 2 : fr[i].w * g->scale,
                  oh = rs ? 2 * fr[i].h - 2 : fr[i].h * g->scale;
        out_make(&want[i], ow, oh, 0);
        out_make(&got[i], ow, oh, pad);
        f[i] = (vsr_engine_frame){.rgb = yuv ? NULL : &fr[i].rgb,
                                  .yuv = yuv ? &fr[i].yuv : NULL,
                                  .kin = kin,
                                  .out = &got[i].yuv};
        if (!rc)
            rc = yuv ? vsr_engine_upscale_from_yuv_to(single.c, &fr[i].yuv, kin, &want[i].yuv, &k,
                                                      rs, &err)
                     : vsr_engine_upscale_yuv420_to(single.c, &fr[i].rgb, &want[i].yuv, &k, rs,
                                                    &err);
    }
    if (!rc)
        rc = vsr_engine_upscale_batch(batched.c, n, f, &k, rs, &err);
    CHECK_MSG(rc == 0, "%s: %s", what, err.msg);
    for (int i = 0; !rc && i < n; i++)
        CHECK_MSG(out_equal(&want[i], &got[i]), "%s: frame %d differs from its run alone", what, i);
    CHECK_MSG(vsr_engine_ctx_batched_frames(batched.c) == want_batched,
              "%s: %lld frames ran in batches, expected %lld", what,
              (long long)vsr_engine_ctx_batched_frames(batched.c), (long long)want_batched);
    for (int i = 0; i < n; i++) {
        free(want[i].bytes);
        free(got[i].bytes);
    }
    engine_close(&single);
    engine_close(&batched);
}

/* What vsr_engine_batch_for makes of the options (a 40x30 frame fits
 * any batch in the default budget). */
static void check_batch_option(const vsr_graph *g)
{
    engine_pair ep;
    if (!engine_open(g, 0, 0, 0, &ep)) {
        /* ref runs batches but they cost it no less: one at a time */
        CHECK_MSG(vsr_engine_batch_for(ep.e, 40, 30) == 1, "ref, batch 0: %d",
                  vsr_engine_batch_for(ep.e, 40, 30));
        engine_close(&ep);
    }
    if (!engine_open(g, 3, 0, 0, &ep)) {
        CHECK(vsr_engine_batch_for(ep.e, 40, 30) == 3 && vsr_engine_batch_fits(ep.c, 40, 30));
        /* beyond even the overshoot */
        CHECK(vsr_engine_batch_for(ep.e, 4000, 3000) == 1 &&
              !vsr_engine_batch_fits(ep.c, 4000, 3000));
        engine_close(&ep);
    }
    /* a budget that holds one 40x30 frame (pre-padded: 60x50) whole */
    if (!engine_open(g, 2, g->peak_bytes_per_pixel * 60 * 50, 0, &ep)) {
        CHECK(vsr_engine_batch_for(ep.e, 40, 30) == 1 && vsr_engine_tile_size(ep.c, 40, 30) == 40);
        engine_close(&ep);
    }
    if (!engine_open(g, 2, 0, 1, &ep)) { /* host conversion: no 8-bit batches */
        CHECK(vsr_engine_batch_for(ep.e, 40, 30) == 1);
        engine_close(&ep);
    }
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = "ref";
    opt.batch = VSR_MAX_BATCH + 1;
    vsr_engine *e = NULL;
    vsr_error err = {0};
    CHECK(vsr_engine_create(g, &opt, &e, &err) == VSR_ERR_INVALID && !e);
    CHECK_MSG(strstr(err.msg, "batch") != NULL, "%s", err.msg);
}

int main(void)
{
    vsr_graph g;
    if (load_mini_srvgg(0.5f, &g)) /* x2 */
        return test_report("test_engine_batch");
    vsr_rgb_coeffs kin;
    vsr_rgb_coeffs_init(&kin, 0.2126, 0.0722, 0);
    test_frame fr[FRAMES + 1];
    for (int i = 0; i < FRAMES; i++)
        frame_make(&fr[i], 40, 30, i, &kin);
    frame_make(&fr[FRAMES], 42, 30, 9, &kin); /* another size */

    check_batch_option(&g);
    /* three frames in batches of two: a full batch, then one filled with a
     * repeat; from 4:2:0 into strided outputs, from RGB24 into compact ones */
    check_batch(&g, "yuv, batches of 2", 2, 0, fr, 3, 1, 8, NULL, &kin, 3);
    check_batch(&g, "rgb, batches of 2", 2, 0, fr, 3, 0, 0, NULL, &kin, 3);
    check_batch(&g, "yuv, a batch of 3", 3, 0, fr, 3, 1, 0, NULL, &kin, 3);
    /* what a batch cannot take goes alone */
    check_batch(&g, "two sizes", 2, 0, fr + 2, 2, 1, 0, NULL, &kin, 0);
    const vsr_resample rs = {.detail = 0.5f, .filter = VSR_RESAMPLE_LANCZOS3};
    check_batch(&g, "resampled", 2, 0, fr, 2, 1, 0, &rs, &kin, 0);
    /* a budget that holds one frame whole but not two: tiles would be
     * needed, so no batch */
    const size_t one_frame = g.peak_bytes_per_pixel * 60 * 50;
    check_batch(&g, "budget of one frame", 2, one_frame, fr, 2, 1, 0, NULL, &kin, 0);

    for (int i = 0; i <= FRAMES; i++)
        frame_free(&fr[i]);
    vsr_graph_free(&g);
    return test_report("test_engine_batch");
}
