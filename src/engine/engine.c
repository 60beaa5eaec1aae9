/* The engine: frame in, upscaled frame out, tile by tile.
 *
 * Tiles carry a halo of the model's receptive radius on every side that has
 * image there; only the tile's own region of the result is kept. Since every
 * output pixel then sees exactly the input it would see in a whole-frame run
 * (the zero padding happens at the image border in both cases), tiled output
 * equals untiled output up to float rounding. */
#include "engine/engine.h"

#include "frame/yuv_to_rgb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MEMORY_BUDGET ((size_t)1 << 30)
/* A GPU (a backend with devices) has tens of GiB: 4 GiB a context keeps a
 * 1920x1080 input in one tile for animevideov3 and a 3840x2160 one in two
 * (a tile's halo is work done twice), with room for several workers per
 * card. */
#define DEFAULT_GPU_MEMORY_BUDGET ((size_t)4 << 30)
#define MIN_TILE 16
/* The models batched by default (the options' batch 0) where the backend
 * says batches cost it less: those whose frame keeps a GPU busy for tens
 * of ms (realesrgan-x4plus: 36 MFLOP an input pixel), whose convolution
 * launches leave part of their last wave of tiles idle; two frames a
 * launch gave it 3% on an H100. The compact models (1-3 MFLOP) gained 0-8%
 * in the engine and measured -11% to +13% through `vsr upscale`, whose
 * encoder sets their pace (bench/results/2026-12-07-h100-rrdb-10.md). */
#define BATCH_MIN_FLOPS_PER_PIXEL 10e6

/* How far past the default budget (a guess, not a limit the caller set)
 * a frame may go rather than be cut into tiles smaller than their halo. */
#define DEFAULT_BUDGET_OVERSHOOT 8

struct vsr_engine {
    const vsr_graph *graph;
    const vsr_backend_ops *backend;
    vsr_backend_config config;
    void *weights; /* backend-prepared, read-only, shared by all contexts */
    int tile;
    size_t memory_budget;
    int budget_given; /* by the caller (a limit to obey), not the default (a guess) */
    int pre_pad;
    int host_conversion;
    int batch; /* frames a context runs at once (resolved: 1..VSR_MAX_BATCH) */
};

struct vsr_engine_ctx {
    vsr_engine *engine;
    void *backend_ctx;
    vsr_tensor in, out; /* one tile, planar float; grown as needed */
    size_t in_cap, out_cap;
    unsigned char *in8, *out8; /* one tile, packed RGB24 (the 8-bit path) */
    size_t in8_cap, out8_cap;
    int tile_cap;        /* the largest tile edge that fit in memory so far; 0 = no cap */
    int single;          /* a batch did not fit in memory: frames one at a time */
    int64_t batched;     /* frames run in batches */
    vsr_image frame_rgb; /* a YUV frame converted here, for a backend that takes RGB only */
    /* Output at another size on the host (no frame operations in the
     * backend): the model's whole frame, and the resampler's state. */
    vsr_image model_rgb;
    vsr_resampler resampler;
};

void vsr_engine_options_default(vsr_engine_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->backend = "cpu";
    opt->config.precision = VSR_PRECISION_AUTO;
    opt->pre_pad = VSR_DEFAULT_PRE_PAD;
}

int vsr_engine_create(const vsr_graph *graph, const vsr_engine_options *opt, vsr_engine **engine,
                      vsr_error *err)
{
    *engine = NULL;
    const char *name = opt->backend ? opt->backend : "cpu";
    const vsr_backend_ops *be = strcmp(name, "auto") == 0
                                    ? vsr_backend_auto(graph, &opt->config, err)
                                    : vsr_backend_find(name, err);
    if (!be) {
        if (strcmp(name, "auto") == 0)
            vsr_error_prefix(err, "backend auto: no backend runs %s", graph->name);
        return err && err->code ? err->code : VSR_ERR_INVALID;
    }
    if (!be->available(err)) {
        vsr_error_prefix(err, "backend %s is not available", be->name);
        return err && err->code ? err->code : VSR_ERR_UNSUPPORTED;
    }
    if (opt->tile < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "tile size must be >= 0, got %d", opt->tile);
    if (opt->pre_pad < 0 || opt->pre_pad > 1024)
        return vsr_error_set(err, VSR_ERR_INVALID, "pre-padding must be 0..1024, got %d",
                             opt->pre_pad);
    if (opt->batch < 0 || opt->batch > VSR_MAX_BATCH)
        return vsr_error_set(err, VSR_ERR_INVALID, "batch must be 0..%d, got %d", VSR_MAX_BATCH,
                             opt->batch);
    vsr_engine *e = calloc(1, sizeof *e);
    if (!e)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    e->graph = graph;
    e->backend = be;
    e->config = opt->config;
    if (e->config.precision == VSR_PRECISION_AUTO)
        e->config.precision = be->native_precision;
    e->tile = opt->tile;
    e->pre_pad = opt->pre_pad;
    e->host_conversion = opt->host_conversion;
    e->batch =
        !be->run_batch_yuv420 || opt->host_conversion ? 1
        : opt->batch                                  ? opt->batch
        : (be->caps & VSR_BACKEND_CAP_BATCH) && graph->flops_per_pixel >= BATCH_MIN_FLOPS_PER_PIXEL
            ? 2
            : 1;
    e->budget_given = opt->memory_budget != 0;
    e->memory_budget = opt->memory_budget                  ? opt->memory_budget
                       : be->device_type == VSR_DEVICE_GPU ? DEFAULT_GPU_MEMORY_BUDGET
                                                           : DEFAULT_MEMORY_BUDGET;
    /* asked first: a graph the backend cannot run is refused naming the
     * layer before any device memory is touched */
    int rc = vsr_backend_supports(be, graph, &e->config, err)
                 ? be->weights_create(graph, &e->config, &e->weights, err)
                 : (err && err->code ? err->code : VSR_ERR_UNSUPPORTED);
    if (rc) {
        vsr_error_prefix(err, "%s: preparing %s", be->name, graph->name);
        free(e);
        return rc;
    }
    *engine = e;
    return VSR_OK;
}

void vsr_engine_destroy(vsr_engine *e)
{
    if (!e)
        return;
    e->backend->weights_destroy(e->weights);
    free(e);
}

const vsr_graph *vsr_engine_graph(const vsr_engine *e)
{
    return e->graph;
}

const vsr_backend_ops *vsr_engine_backend(const vsr_engine *e)
{
    return e->backend;
}

int vsr_engine_device(const vsr_engine *e)
{
    return e->config.device;
}

int vsr_engine_prefers_yuv420(const vsr_engine *e)
{
    return e->backend->run_yuv420 && e->backend->device_type == VSR_DEVICE_GPU &&
           !e->host_conversion;
}

int vsr_engine_ctx_create(vsr_engine *e, vsr_engine_ctx **ctx, vsr_error *err)
{
    *ctx = NULL;
    vsr_engine_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    c->engine = e;
    int rc = e->backend->context_create(e->graph, e->weights, &e->config, &c->backend_ctx, err);
    if (rc) {
        vsr_error_prefix(err, "%s: creating a context", e->backend->name);
        free(c);
        return rc;
    }
    *ctx = c;
    return VSR_OK;
}

void vsr_engine_ctx_destroy(vsr_engine_ctx *c)
{
    if (!c)
        return;
    c->engine->backend->context_destroy(c->backend_ctx);
    free(c->in.data);
    free(c->out.data);
    free(c->in8);
    free(c->out8);
    vsr_image_free(&c->frame_rgb);
    vsr_image_free(&c->model_rgb);
    vsr_resampler_free(&c->resampler);
    free(c);
}

static int capped(const vsr_engine_ctx *c, int tile)
{
    return c->tile_cap > 0 && tile > c->tile_cap ? c->tile_cap : tile;
}

int64_t vsr_engine_ctx_batched_frames(const vsr_engine_ctx *c)
{
    return c->batched;
}

int vsr_engine_ctx_tiles_capped(const vsr_engine_ctx *c)
{
    return c->tile_cap > 0 || c->single;
}

/* The input pixels the memory budget holds at once. */
static double budget_pixels(const vsr_engine *e)
{
    size_t per_pixel = e->graph->peak_bytes_per_pixel;
    if (e->backend->extra_bytes_per_pixel)
        per_pixel += e->backend->extra_bytes_per_pixel(e->graph, &e->config);
    if (per_pixel == 0)
        per_pixel = 1;
    return (double)e->memory_budget / (double)per_pixel;
}

/* The frame's input pixels with the pre-padding. */
static double padded_pixels(const vsr_engine *e, int w, int h)
{
    return (double)(w + 2 * e->pre_pad) * (h + 2 * e->pre_pad);
}

/* The tile edge for a w x h frame from the options and the memory budget,
 * before any context's cap. */
static int budget_tile(const vsr_engine *e, int w, int h)
{
    int whole = w > h ? w : h;
    if (e->tile > 0)
        return e->tile < whole ? e->tile : whole;
    double pixels = budget_pixels(e);
    double frame = padded_pixels(e, w, h);
    if (frame <= pixels)
        return whole;
    const int halo = e->graph->receptive_radius;
    int tile = (int)sqrt(pixels) - 2 * halo;
    /* A tile smaller than twice its halo does the frame's work more than
     * four times over ((tile + 2 halo)^2 / tile^2): realesrgan-x4plus,
     * whose halo is 350 input pixels, got 16-pixel tiles at 960x540 under
     * the 4 GiB GPU default, about 2,000 times the work (0.01 fps where
     * the whole frame runs at 18). The default budget is a guess: up to
     * DEFAULT_BUDGET_OVERSHOOT times it, the frame goes whole, or the tile
     * grows to twice the halo. A device without that memory fails the
     * tile, which is then done again in tiles of half the edge
     * (shrink_after). A budget the caller set is obeyed. */
    if (!e->budget_given && tile < 2 * halo) {
        double room = DEFAULT_BUDGET_OVERSHOOT * pixels;
        if (frame <= room)
            return whole;
        if ((double)(4 * halo) * (4 * halo) <= room)
            tile = 2 * halo;
    }
    if (tile < MIN_TILE)
        tile = MIN_TILE;
    return tile < whole ? tile : whole;
}

int vsr_engine_tile_size(const vsr_engine_ctx *c, int w, int h)
{
    return capped(c, budget_tile(c->engine, w, h));
}

int vsr_engine_batch_for(const vsr_engine *e, int w, int h)
{
    /* whole frames only; as a whole frame may, the batch may overshoot a
     * default budget */
    const double room = budget_pixels(e) * (e->budget_given ? 1 : DEFAULT_BUDGET_OVERSHOOT);
    return e->batch > 1 && budget_tile(e, w, h) >= (w > h ? w : h) &&
                   e->batch * padded_pixels(e, w, h) <= room
               ? e->batch
               : 1;
}

int vsr_engine_batch_fits(const vsr_engine_ctx *c, int w, int h)
{
    return !c->single && c->tile_cap == 0 && vsr_engine_batch_for(c->engine, w, h) > 1;
}

/* A tile the device had no memory for (its memory is shared with other
 * contexts and jobs) is not the frame's fault: the frame is done again in
 * tiles of half the edge, down to MIN_TILE, and the context keeps the
 * smaller edge. Returns 1 to try again. */
static int shrink_after(vsr_engine_ctx *c, int rc, int size, vsr_error *err)
{
    if (rc != VSR_ERR_NOMEM || size <= MIN_TILE)
        return 0;
    c->tile_cap = size / 2 > MIN_TILE ? size / 2 : MIN_TILE;
    vsr_error_clear(err);
    return 1;
}

static int ensure(float **buf, size_t *cap, size_t count, vsr_error *err)
{
    if (count <= *cap)
        return VSR_OK;
    float *p = realloc(*buf, count * sizeof(float));
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for a %zu-value tile buffer",
                             count);
    *buf = p;
    *cap = count;
    return VSR_OK;
}

/* Copies region [x0,x1) x [y0,y1) of the virtual frame (img mirrored past
 * its borders) into planar float t (3 planes). */
static void load_region(const vsr_image *img, int x0, int y0, int x1, int y1, vsr_tensor *t)
{
    const int w = x1 - x0, h = y1 - y0;
    const size_t plane = (size_t)w * h;
    for (int y = 0; y < h; y++) {
        const unsigned char *row = (const unsigned char *)img->data +
                                   (size_t)vsr_mirror(y0 + y, img->height) * img->stride;
        float *r = t->data + (size_t)y * w, *g = r + plane, *b = g + plane;
        for (int x = 0; x < w; x++) {
            int sx = vsr_mirror(x0 + x, img->width);
            if (img->format == VSR_PIX_RGB24) {
                const unsigned char *p = row + (size_t)sx * 3;
                r[x] = p[0] * (1.f / 255.f);
                g[x] = p[1] * (1.f / 255.f);
                b[x] = p[2] * (1.f / 255.f);
            } else {
                const float *p = (const float *)row + (size_t)sx * 3;
                r[x] = p[0];
                g[x] = p[1];
                b[x] = p[2];
            }
        }
    }
}

static int ensure_bytes(unsigned char **buf, size_t *cap, size_t bytes, vsr_error *err)
{
    if (bytes <= *cap)
        return VSR_OK;
    unsigned char *p = realloc(*buf, bytes);
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory for a %zu-byte tile buffer", bytes);
    *buf = p;
    *cap = bytes;
    return VSR_OK;
}

/* As load_region, for the 8-bit path: packed RGB24, compact. */
static void load_region_rgb24(const vsr_image *img, int x0, int y0, int x1, int y1,
                              unsigned char *dst)
{
    const int w = x1 - x0;
    for (int y = y0; y < y1; y++) {
        const unsigned char *row =
            (const unsigned char *)img->data + (size_t)vsr_mirror(y, img->height) * img->stride;
        unsigned char *d = dst + (size_t)(y - y0) * w * 3;
        int x = x0;
        /* the mirrored left border, the frame's own pixels (one copy), the right border */
        for (; x < 0 && x < x1; x++, d += 3)
            memcpy(d, row + (size_t)vsr_mirror(x, img->width) * 3, 3);
        int inside = (x1 < img->width ? x1 : img->width) - x;
        if (inside > 0) {
            memcpy(d, row + (size_t)x * 3, (size_t)inside * 3);
            d += (size_t)inside * 3;
            x += inside;
        }
        for (; x < x1; x++, d += 3)
            memcpy(d, row + (size_t)vsr_mirror(x, img->width) * 3, 3);
    }
}

static float clamp01(float v)
{
    return v < 0.f ? 0.f : v > 1.f ? 1.f : v;
}

/* Writes the part of planar t that starts at (sx, sy) in t, of size w x h,
 * to img at (dx, dy), converting to img's format. */
static void store_region(const vsr_tensor *t, int sx, int sy, int w, int h, vsr_image *img, int dx,
                         int dy)
{
    const size_t plane = (size_t)t->w * t->h;
    for (int y = 0; y < h; y++) {
        const float *r = t->data + (size_t)(sy + y) * t->w + sx, *g = r + plane, *b = g + plane;
        unsigned char *row = (unsigned char *)img->data + (size_t)(dy + y) * img->stride;
        if (img->format == VSR_PIX_RGB24) {
            unsigned char *p = row + (size_t)dx * 3;
            for (int x = 0; x < w; x++) {
                p[3 * x] = (unsigned char)(clamp01(r[x]) * 255.f + 0.5f);
                p[3 * x + 1] = (unsigned char)(clamp01(g[x]) * 255.f + 0.5f);
                p[3 * x + 2] = (unsigned char)(clamp01(b[x]) * 255.f + 0.5f);
            }
        } else {
            float *p = (float *)row + (size_t)dx * 3;
            for (int x = 0; x < w; x++) {
                p[3 * x] = clamp01(r[x]);
                p[3 * x + 1] = clamp01(g[x]);
                p[3 * x + 2] = clamp01(b[x]);
            }
        }
    }
}

/* One tile: its own region [tx, x1) x [ty, y1) of the input and, around
 * it, the halo clipped to the virtual (pre-padded) frame. */
typedef struct tile {
    int tx, ty, x1, y1;
    int hx0, hy0, hx1, hy1;
} tile;

static tile tile_at(const vsr_engine_ctx *c, int width, int height, int tx, int ty, int size)
{
    const int halo = c->engine->graph->receptive_radius, pad = c->engine->pre_pad;
    tile t = {.tx = tx, .ty = ty};
    t.x1 = tx + size < width ? tx + size : width;
    t.y1 = ty + size < height ? ty + size : height;
    t.hx0 = tx - halo > -pad ? tx - halo : -pad;
    t.hy0 = ty - halo > -pad ? ty - halo : -pad;
    t.hx1 = t.x1 + halo < width + pad ? t.x1 + halo : width + pad;
    t.hy1 = t.y1 + halo < height + pad ? t.y1 + halo : height + pad;
    return t;
}

static int check_frame(const vsr_engine_ctx *c, int in_w, int in_h, int out_w, int out_h,
                       vsr_error *err)
{
    const vsr_graph *g = c->engine->graph;
    if (g->in_channels != 3 || g->out_channels != 3)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "model %s maps %d to %d channels; frames need RGB to RGB", g->name,
                             g->in_channels, g->out_channels);
    if (in_w <= 0 || in_h <= 0 || out_w != in_w * g->scale || out_h != in_h * g->scale)
        return vsr_error_set(err, VSR_ERR_INVALID, "output %dx%d does not match input %dx%d x%d",
                             out_w, out_h, in_w, in_h, g->scale);
    return VSR_OK;
}

static int tile_failed(const vsr_engine_ctx *c, const tile *t, int rc, vsr_error *err)
{
    vsr_error_prefix(err, "%s: tile at %d,%d", c->engine->backend->name, t->tx, t->ty);
    return rc;
}

/* Loads the tile's input as compact RGB24 into c->in8 and makes room for
 * out_bytes of output in c->out8 (the backend's 8-bit paths). */
static int stage_tile_bytes(vsr_engine_ctx *c, const vsr_image *in, const tile *t, size_t out_bytes,
                            vsr_error *err)
{
    const size_t rw = (size_t)(t->hx1 - t->hx0), rh = (size_t)(t->hy1 - t->hy0);
    int rc = ensure_bytes(&c->in8, &c->in8_cap, rw * rh * 3, err);
    if (!rc)
        rc = ensure_bytes(&c->out8, &c->out8_cap, out_bytes, err);
    if (!rc)
        load_region_rgb24(in, t->hx0, t->hy0, t->hx1, t->hy1, c->in8);
    return rc;
}

/* The tile's output through the backend's 8-bit path: compact RGB24 in
 * c->out8. */
static int run_tile_rgb24(vsr_engine_ctx *c, const vsr_image *in, const tile *t, vsr_error *err)
{
    const int s = c->engine->graph->scale, ow = (t->x1 - t->tx) * s, oh = (t->y1 - t->ty) * s;
    int rc = stage_tile_bytes(c, in, t, (size_t)ow * oh * 3, err);
    if (!rc)
        rc = c->engine->backend->run_rgb24(c->backend_ctx, c->in8, t->hx1 - t->hx0, t->hy1 - t->hy0,
                                           (t->tx - t->hx0) * s, (t->ty - t->hy0) * s, ow, oh,
                                           c->out8, err);
    return rc ? tile_failed(c, t, rc, err) : VSR_OK;
}

/* The tile's output through the float path: planar float in c->out (the
 * whole haloed tile, upscaled). */
static int run_tile_float(vsr_engine_ctx *c, const vsr_image *in, const tile *t, vsr_error *err)
{
    const int s = c->engine->graph->scale;
    c->in = (vsr_tensor){1, 3, t->hy1 - t->hy0, t->hx1 - t->hx0, c->in.data};
    c->out = (vsr_tensor){1, 3, c->in.h * s, c->in.w * s, c->out.data};
    int rc = ensure(&c->in.data, &c->in_cap, (size_t)3 * c->in.h * c->in.w, err);
    if (!rc)
        rc = ensure(&c->out.data, &c->out_cap, (size_t)3 * c->out.h * c->out.w, err);
    if (rc)
        return rc;
    load_region(in, t->hx0, t->hy0, t->hx1, t->hy1, &c->in);
    rc = c->engine->backend->run(c->backend_ctx, &c->in, &c->out, err);
    return rc ? tile_failed(c, t, rc, err) : VSR_OK;
}

/* Writes the tile's own output region from the float result into img at
 * (dx, dy). */
static void store_tile(const vsr_engine_ctx *c, const tile *t, vsr_image *img, int dx, int dy)
{
    const int s = c->engine->graph->scale;
    store_region(&c->out, (t->tx - t->hx0) * s, (t->ty - t->hy0) * s, (t->x1 - t->tx) * s,
                 (t->y1 - t->ty) * s, img, dx, dy);
}

/* 8-bit frames go to the backend as bytes where it takes them. */
static int use_rgb24_path(const vsr_engine_ctx *c)
{
    return c->engine->backend->run_rgb24 && !c->engine->host_conversion;
}

/* One pass over the frame in tiles of edge size. */
static int upscale_rgb_tiles(vsr_engine_ctx *c, const vsr_image *in, vsr_image *out, int size,
                             vsr_error *err)
{
    int rc;
    const int s = c->engine->graph->scale;
    const int eight_bit =
        use_rgb24_path(c) && in->format == VSR_PIX_RGB24 && out->format == VSR_PIX_RGB24;
    for (int ty = 0; ty < in->height; ty += size) {
        for (int tx = 0; tx < in->width; tx += size) {
            const tile t = tile_at(c, in->width, in->height, tx, ty, size);
            if (!eight_bit) {
                if ((rc = run_tile_float(c, in, &t, err)))
                    return rc;
                store_tile(c, &t, out, tx * s, ty * s);
                continue;
            }
            if ((rc = run_tile_rgb24(c, in, &t, err)))
                return rc;
            const size_t row = (size_t)(t.x1 - tx) * s * 3;
            for (int y = 0; y < (t.y1 - ty) * s; y++)
                memcpy((unsigned char *)out->data + (size_t)(ty * s + y) * out->stride +
                           (size_t)tx * s * 3,
                       c->out8 + (size_t)y * row, row);
        }
    }
    return VSR_OK;
}

int vsr_engine_ctx_prepare(vsr_engine_ctx *c, int n, int w, int h, vsr_error *err)
{
    if (!c->engine->backend->prepare || w <= 0 || h <= 0)
        return VSR_OK;
    const tile t = tile_at(c, w, h, 0, 0, vsr_engine_tile_size(c, w, h));
    const int batch = n > 1 && vsr_engine_batch_fits(c, w, h) ? c->engine->batch : 1;
    return c->engine->backend->prepare(c->backend_ctx, batch, t.hx1 - t.hx0, t.hy1 - t.hy0, err);
}

int vsr_engine_upscale(vsr_engine_ctx *c, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    int rc = check_frame(c, in->width, in->height, out->width, out->height, err);
    for (int again = !rc; again;) {
        const int size = vsr_engine_tile_size(c, in->width, in->height);
        rc = upscale_rgb_tiles(c, in, out, size, err);
        again = shrink_after(c, rc, size, err);
    }
    return rc;
}

/* Copies a compact I420 block of w x h (the backend's output) into out at
 * (x, y). */
static void store_i420(const unsigned char *src, int w, int h, vsr_yuv420 *out, int x, int y)
{
    for (int p = 0; p < 3; p++) {
        const int pw = p ? w / 2 : w, ph = p ? h / 2 : h, px = p ? x / 2 : x, py = p ? y / 2 : y;
        for (int r = 0; r < ph; r++)
            memcpy(out->plane[p] + (size_t)(py + r) * out->stride[p] + px, src + (size_t)r * pw,
                   (size_t)pw);
        src += (size_t)pw * ph;
    }
}

/* A frame to upscale to YUV: packed RGB24 on the host, or 4:2:0 YUV (a
 * decoder's frame, maybe on the GPU) with its colour. */
typedef struct yuv_source {
    int width, height;
    const vsr_image *rgb;
    const vsr_yuv_in *yuv;
    const vsr_rgb_coeffs *yuv_colour_in;
} yuv_source;

/* out's planes as one compact I420 buffer (Cb right after Y, Cr after
 * Cb, rows unpadded: the pipeline's frames at most sizes), or NULL. */
static unsigned char *compact_i420(const vsr_yuv420 *o)
{
    const size_t w = (size_t)o->width, luma = w * (size_t)o->height;
    const int compact = o->stride[0] == w && o->stride[1] == w / 2 && o->stride[2] == w / 2 &&
                        o->plane[1] == o->plane[0] + luma && o->plane[2] == o->plane[1] + luma / 4;
    return compact ? o->plane[0] : NULL;
}

/* The tile's output from the backend, converted to YUV there, as compact
 * I420 into dst, or into c->out8 when dst is NULL. */
static int run_tile_yuv420(vsr_engine_ctx *c, const yuv_source *src, const tile *t,
                           const vsr_yuv_coeffs *k, unsigned char *dst, vsr_error *err)
{
    const vsr_backend_ops *be = c->engine->backend;
    const int s = c->engine->graph->scale, ow = (t->x1 - t->tx) * s, oh = (t->y1 - t->ty) * s;
    const int hw = t->hx1 - t->hx0, hh = t->hy1 - t->hy0, ox = (t->tx - t->hx0) * s,
              oy = (t->ty - t->hy0) * s;
    const size_t out_bytes = dst ? 0 : (size_t)ow * oh * 3 / 2;
    int rc;
    if (src->yuv) {
        rc = ensure_bytes(&c->out8, &c->out8_cap, out_bytes, err);
        if (!rc)
            rc = be->run_from_yuv(c->backend_ctx, src->yuv, src->yuv_colour_in, t->hx0, t->hy0, hw,
                                  hh, ox, oy, ow, oh, k, dst ? dst : c->out8, err);
    } else {
        rc = stage_tile_bytes(c, src->rgb, t, out_bytes, err);
        if (!rc)
            rc = be->run_yuv420(c->backend_ctx, c->in8, hw, hh, ox, oy, ow, oh, k,
                                dst ? dst : c->out8, err);
    }
    return rc ? tile_failed(c, t, rc, err) : VSR_OK;
}

/* One pass over the frame in tiles of edge size (even at an odd scale). */
static int upscale_yuv_tiles(vsr_engine_ctx *c, const yuv_source *src, vsr_yuv420 *out,
                             const vsr_yuv_coeffs *k, int size, vsr_error *err)
{
    int rc;
    const int s = c->engine->graph->scale;
    const vsr_image *in = src->rgb;
    for (int ty = 0; ty < src->height; ty += size) {
        for (int tx = 0; tx < src->width; tx += size) {
            const tile t = tile_at(c, src->width, src->height, tx, ty, size);
            const int ow = (t.x1 - tx) * s, oh = (t.y1 - ty) * s;
            if (src->yuv || (c->engine->backend->run_yuv420 && !c->engine->host_conversion)) {
                /* a whole frame goes straight into a compact frame: one
                 * frame-sized copy less */
                unsigned char *direct =
                    ow == out->width && oh == out->height ? compact_i420(out) : NULL;
                if ((rc = run_tile_yuv420(c, src, &t, k, direct, err)))
                    return rc;
                if (!direct)
                    store_i420(c->out8, ow, oh, out, tx * s, ty * s);
                continue;
            }
            /* No YUV output in the backend: its RGB24 tile, converted here. */
            if (use_rgb24_path(c)) {
                rc = run_tile_rgb24(c, in, &t, err);
            } else if (!(rc = run_tile_float(c, in, &t, err)) &&
                       !(rc = ensure_bytes(&c->out8, &c->out8_cap, (size_t)ow * oh * 3, err))) {
                vsr_image rgb = {ow, oh, VSR_PIX_RGB24, (size_t)ow * 3, c->out8};
                store_tile(c, &t, &rgb, 0, 0);
            }
            if (rc)
                return rc;
            vsr_rgb24_to_yuv420(c->out8, (size_t)ow * 3, ow, oh, k, out, tx * s, ty * s);
        }
    }
    return VSR_OK;
}

/* check_frame for a YUV 4:2:0 output, whose sides must be even. */
static int check_yuv_frame(const vsr_engine_ctx *c, int w, int h, const vsr_yuv420 *out,
                           vsr_error *err)
{
    int rc = check_frame(c, w, h, out->width, out->height, err);
    if (!rc && (out->width % 2 || out->height % 2))
        rc = vsr_error_set(err, VSR_ERR_INVALID, "YUV 4:2:0 output needs even sizes (%dx%d)",
                           out->width, out->height);
    return rc;
}

static int upscale_yuv(vsr_engine_ctx *c, const yuv_source *src, vsr_yuv420 *out,
                       const vsr_yuv_coeffs *k, vsr_error *err)
{
    const int w = src->width, h = src->height;
    int rc = check_yuv_frame(c, w, h, out, err);
    for (int again = !rc; again;) {
        int size = vsr_engine_tile_size(c, w, h);
        /* Chroma blocks must not straddle tiles: tiles start at even output
         * coordinates (with an odd scale, that needs an even tile edge). */
        if (c->engine->graph->scale % 2 && size % 2 && size < (w > h ? w : h))
            size--;
        rc = upscale_yuv_tiles(c, src, out, k, size, err);
        again = shrink_after(c, rc, size, err);
    }
    return rc;
}

int vsr_engine_upscale_yuv420(vsr_engine_ctx *c, const vsr_image *in, vsr_yuv420 *out,
                              const vsr_yuv_coeffs *k, vsr_error *err)
{
    if (in->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INVALID, "YUV 4:2:0 output needs an RGB24 input");
    const yuv_source src = {in->width, in->height, in, NULL, NULL};
    return upscale_yuv(c, &src, out, k, err);
}

int vsr_engine_reads_device_yuv(const vsr_engine *e)
{
    return e->backend->run_from_yuv && e->backend->device_type == VSR_DEVICE_GPU &&
           !e->host_conversion;
}

int vsr_engine_decoder_device(const vsr_engine *e)
{
    return e->backend->caps & VSR_BACKEND_CAP_DECODER_SURFACES ? e->config.device : -1;
}

/* A 4:2:0 frame in host memory as RGB24 in c->frame_rgb (vsr_yuv_in's
 * arithmetic), for a backend that takes RGB only. */
static int host_rgb_of(vsr_engine_ctx *c, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin,
                       vsr_error *err)
{
    if (c->frame_rgb.width != in->width || c->frame_rgb.height != in->height) {
        vsr_image_free(&c->frame_rgb);
        int rc = vsr_image_alloc(&c->frame_rgb, in->width, in->height, VSR_PIX_RGB24, err);
        if (rc)
            return rc;
    }
    vsr_yuv_in_to_rgb24(in, kin, 0, 0, in->width, in->height, c->frame_rgb.data);
    return VSR_OK;
}

int vsr_engine_upscale_from_yuv(vsr_engine_ctx *c, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin,
                                vsr_yuv420 *out, const vsr_yuv_coeffs *k, vsr_error *err)
{
    const vsr_engine *e = c->engine;
    if (e->backend->run_from_yuv && (!e->host_conversion || in->device >= 0)) {
        const yuv_source src = {in->width, in->height, NULL, in, kin};
        return upscale_yuv(c, &src, out, k, err);
    }
    if (in->device >= 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "backend %s cannot read frames on a GPU",
                             e->backend->name);
    /* The backend takes RGB only: the same conversion here, whole frame. */
    int rc = host_rgb_of(c, in, kin, err);
    return rc ? rc : vsr_engine_upscale_yuv420(c, &c->frame_rgb, out, k, err);
}

/* ---- output at any size (issue 18) ---- */

int vsr_engine_resamples_on_device(const vsr_engine *e)
{
    return e->backend->frame_tile && e->backend->frame_yuv420 && !e->host_conversion;
}

/* Whether out and rs ask for more than the model's own output. */
static int resampling(const vsr_engine_ctx *c, int w, int h, const vsr_yuv420 *out,
                      const vsr_resample *rs)
{
    const int s = c->engine->graph->scale;
    return rs && (rs->detail < 1.f || out->width != w * s || out->height != h * s);
}

static int check_resample(const vsr_engine_ctx *c, int w, int h, const vsr_yuv420 *out,
                          const vsr_resample *rs, vsr_error *err)
{
    const vsr_graph *g = c->engine->graph;
    if (g->in_channels != 3 || g->out_channels != 3)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "model %s maps %d to %d channels; frames need RGB to RGB", g->name,
                             g->in_channels, g->out_channels);
    if (w <= 0 || h <= 0 || out->width < 2 || out->height < 2 || out->width % 2 || out->height % 2)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "input %dx%d to YUV 4:2:0 output %dx%d: sizes must be positive, "
                             "the output's even",
                             w, h, out->width, out->height);
    if (!(rs->detail >= 0.f && rs->detail <= 1.f))
        return vsr_error_set(err, VSR_ERR_INVALID, "detail %g is not in [0, 1]", rs->detail);
    return VSR_OK;
}

/* The model's output of every tile into the backend's frame on the
 * device, in tiles of edge size. */
static int frame_tiles(vsr_engine_ctx *c, const yuv_source *src, int size, vsr_error *err)
{
    const vsr_backend_ops *be = c->engine->backend;
    const int s = c->engine->graph->scale, fw = src->width * s, fh = src->height * s;
    for (int ty = 0; ty < src->height; ty += size) {
        for (int tx = 0; tx < src->width; tx += size) {
            const tile t = tile_at(c, src->width, src->height, tx, ty, size);
            const int hw = t.hx1 - t.hx0, hh = t.hy1 - t.hy0, ox = (tx - t.hx0) * s,
                      oy = (ty - t.hy0) * s, ow = (t.x1 - tx) * s, oh = (t.y1 - ty) * s;
            int rc = src->yuv ? VSR_OK : stage_tile_bytes(c, src->rgb, &t, 0, err);
            if (!rc)
                rc = be->frame_tile(c->backend_ctx, src->yuv ? NULL : c->in8, src->yuv,
                                    src->yuv_colour_in, t.hx0, t.hy0, hw, hh, ox, oy, ow, oh, fw,
                                    fh, tx * s, ty * s, err);
            if (rc)
                return tile_failed(c, &t, rc, err);
        }
    }
    return VSR_OK;
}

static int resample_on_device(vsr_engine_ctx *c, const yuv_source *src, vsr_yuv420 *out,
                              const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    const vsr_backend_ops *be = c->engine->backend;
    const int s = c->engine->graph->scale, with_model = rs->detail > 0.f;
    int rc = VSR_OK;
    for (int again = with_model; again;) {
        const int size = vsr_engine_tile_size(c, src->width, src->height);
        rc = frame_tiles(c, src, size, err);
        again = shrink_after(c, rc, size, err);
    }
    if (rc)
        return rc;
    unsigned char *direct = compact_i420(out);
    if (!direct &&
        (rc = ensure_bytes(&c->out8, &c->out8_cap, (size_t)out->width * out->height * 3 / 2, err)))
        return rc;
    rc = be->frame_yuv420(c->backend_ctx, src->rgb ? src->rgb->data : NULL,
                          src->rgb ? src->rgb->stride : 0, src->yuv, src->yuv_colour_in, src->width,
                          src->height, with_model ? src->width * s : 0,
                          with_model ? src->height * s : 0, rs, out->width, out->height, k,
                          direct ? direct : c->out8, err);
    if (rc) {
        vsr_error_prefix(err, "%s: resampling to %dx%d", be->name, out->width, out->height);
        return rc;
    }
    if (!direct)
        store_i420(c->out8, out->width, out->height, out, 0, 0);
    return VSR_OK;
}

static int resample_on_host(vsr_engine_ctx *c, const yuv_source *src, vsr_yuv420 *out,
                            const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    const vsr_image *in = src->rgb;
    int rc;
    if (src->yuv) {
        if (src->yuv->device >= 0)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "backend %s cannot read frames on a GPU",
                                 c->engine->backend->name);
        if ((rc = host_rgb_of(c, src->yuv, src->yuv_colour_in, err)))
            return rc;
        in = &c->frame_rgb;
    }
    const int s = c->engine->graph->scale, with_model = rs->detail > 0.f;
    if (with_model) {
        if (c->model_rgb.width != in->width * s || c->model_rgb.height != in->height * s) {
            vsr_image_free(&c->model_rgb);
            rc = vsr_image_alloc(&c->model_rgb, in->width * s, in->height * s, VSR_PIX_RGB24, err);
            if (rc)
                return rc;
        }
        if ((rc = vsr_engine_upscale(c, in, &c->model_rgb, err)))
            return rc;
    }
    return vsr_resample_yuv420(&c->resampler, with_model ? &c->model_rgb : NULL, in, rs, k, out,
                               err);
}

static int upscale_resampled(vsr_engine_ctx *c, const yuv_source *src, vsr_yuv420 *out,
                             const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    int rc = check_resample(c, src->width, src->height, out, rs, err);
    if (rc)
        return rc;
    const vsr_engine *e = c->engine;
    const int device =
        vsr_engine_resamples_on_device(e) ||
        (src->yuv && src->yuv->device >= 0 && e->backend->frame_tile && e->backend->frame_yuv420);
    return device ? resample_on_device(c, src, out, k, rs, err)
                  : resample_on_host(c, src, out, k, rs, err);
}

int vsr_engine_upscale_yuv420_to(vsr_engine_ctx *c, const vsr_image *in, vsr_yuv420 *out,
                                 const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    if (!resampling(c, in->width, in->height, out, rs))
        return vsr_engine_upscale_yuv420(c, in, out, k, err);
    if (in->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INVALID, "YUV 4:2:0 output needs an RGB24 input");
    const yuv_source src = {in->width, in->height, in, NULL, NULL};
    return upscale_resampled(c, &src, out, k, rs, err);
}

int vsr_engine_upscale_from_yuv_to(vsr_engine_ctx *c, const vsr_yuv_in *in,
                                   const vsr_rgb_coeffs *kin, vsr_yuv420 *out,
                                   const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    if (!resampling(c, in->width, in->height, out, rs))
        return vsr_engine_upscale_from_yuv(c, in, kin, out, k, err);
    const yuv_source src = {in->width, in->height, NULL, in, kin};
    return upscale_resampled(c, &src, out, k, rs, err);
}

/* ---- batches ---- */

static void frame_size(const vsr_engine_frame *f, int *w, int *h)
{
    *w = f->yuv ? f->yuv->width : f->rgb->width;
    *h = f->yuv ? f->yuv->height : f->rgb->height;
}

/* Whether f[0..n) go to the backend as one batch: at most a batch of
 * frames of one size and kind (RGB24, or 4:2:0 of one colour) that the
 * backend's batch reads as its single runs would, each to the model's own
 * output (the checks of the single path's upscale_yuv). */
static int batchable(const vsr_engine_ctx *c, int n, const vsr_engine_frame *f,
                     const vsr_resample *rs)
{
    const vsr_engine *e = c->engine;
    int w, h;
    frame_size(&f[0], &w, &h);
    if (n < 1 || n > e->batch || !vsr_engine_batch_fits(c, w, h) ||
        (f[0].yuv ? !e->backend->run_from_yuv : !e->backend->run_yuv420))
        return 0;
    for (int i = 0; i < n; i++) {
        int wi, hi;
        frame_size(&f[i], &wi, &hi);
        if (wi != w || hi != h || !f[i].yuv != !f[0].yuv || resampling(c, w, h, f[i].out, rs) ||
            check_yuv_frame(c, w, h, f[i].out, NULL))
            return 0;
        if (f[i].yuv ? memcmp(f[i].kin, f[0].kin, sizeof *f[0].kin)
                     : f[i].rgb->format != VSR_PIX_RGB24)
            return 0;
    }
    return 1;
}

/* One backend run of a whole batch; frames n..batch-1 repeat frame n-1
 * into scratch outputs. */
static int run_batch(vsr_engine_ctx *c, int n, const vsr_engine_frame *f, const vsr_yuv_coeffs *k,
                     vsr_error *err)
{
    const vsr_engine *e = c->engine;
    const int s = e->graph->scale, b = e->batch;
    int w, h;
    frame_size(&f[0], &w, &h);
    const tile t = tile_at(c, w, h, 0, 0, w > h ? w : h);
    const int hw = t.hx1 - t.hx0, hh = t.hy1 - t.hy0, ow = w * s, oh = h * s;
    const size_t in_bytes = (size_t)hw * hh * 3, out_bytes = (size_t)ow * oh * 3 / 2;
    int rc = ensure_bytes(&c->out8, &c->out8_cap, out_bytes * b, err);
    if (!rc && !f[0].yuv)
        rc = ensure_bytes(&c->in8, &c->in8_cap, in_bytes * n, err);
    if (rc)
        return rc;
    const unsigned char *rgb[VSR_MAX_BATCH];
    vsr_yuv_in yuv[VSR_MAX_BATCH];
    unsigned char *out[VSR_MAX_BATCH];
    for (int i = 0; i < b; i++) {
        const int src = i < n ? i : n - 1;
        out[i] = i < n ? compact_i420(f[i].out) : NULL;
        if (!out[i])
            out[i] = c->out8 + out_bytes * i;
        if (f[0].yuv) {
            yuv[i] = *f[src].yuv;
        } else {
            rgb[i] = c->in8 + in_bytes * src;
            if (i < n)
                load_region_rgb24(f[i].rgb, t.hx0, t.hy0, t.hx1, t.hy1, c->in8 + in_bytes * i);
        }
    }
    rc = e->backend->run_batch_yuv420(c->backend_ctx, b, f[0].yuv ? NULL : rgb,
                                      f[0].yuv ? yuv : NULL, f[0].kin, t.hx0, t.hy0, hw, hh,
                                      (t.tx - t.hx0) * s, (t.ty - t.hy0) * s, ow, oh, k, out, err);
    if (rc) {
        vsr_error_prefix(err, "%s: a batch of %d frames (%d repeated)", e->backend->name, b, b - n);
        return rc;
    }
    for (int i = 0; i < n; i++)
        if (out[i] == c->out8 + out_bytes * i)
            store_i420(out[i], ow, oh, f[i].out, 0, 0);
    c->batched += n;
    return VSR_OK;
}

static int upscale_one(vsr_engine_ctx *c, const vsr_engine_frame *f, const vsr_yuv_coeffs *k,
                       const vsr_resample *rs, vsr_error *err)
{
    return f->yuv ? vsr_engine_upscale_from_yuv_to(c, f->yuv, f->kin, f->out, k, rs, err)
                  : vsr_engine_upscale_yuv420_to(c, f->rgb, f->out, k, rs, err);
}

int vsr_engine_upscale_batch(vsr_engine_ctx *c, int n, const vsr_engine_frame *f,
                             const vsr_yuv_coeffs *k, const vsr_resample *rs, vsr_error *err)
{
    if (n < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "a batch of %d frames", n);
    const int b = c->engine->batch;
    for (int at = 0; at < n; at += b) {
        const int m = n - at < b ? n - at : b;
        if (batchable(c, m, f + at, rs)) {
            int rc = run_batch(c, m, f + at, k, err);
            if (rc == VSR_OK)
                continue;
            if (rc != VSR_ERR_NOMEM)
                return rc;
            /* No memory for the batch (the GPU is shared): this context
             * runs frames one at a time from now on, in smaller tiles
             * where they must. */
            c->single = 1;
            vsr_error_clear(err);
        }
        for (int i = 0; i < m; i++) {
            int rc = upscale_one(c, &f[at + i], k, rs, err);
            if (rc)
                return rc;
        }
    }
    return VSR_OK;
}
