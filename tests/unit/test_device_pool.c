/* The device pool keeps a worker's context for the next clip: the next
 * worker placed on that device gets it back, and its frames are the ones a
 * fresh context gives, at the size it had and at another; a device out of
 * rotation keeps none, nor is a context kept that ran out of memory; the
 * count kept is capped. On ref "devices" with a miniature model. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "mini_model.h"
#include "pipeline/device_pool.h"
#include "test_util.h"

static vsr_graph g_model;

/* A pool of n ref devices and its upscaler in *u; NULL on failure. */
static vsr_device_pool *make_pool(int n, vsr_upscaler *u)
{
    const int devices[2] = {0, 1};
    vsr_engine_options eo;
    vsr_engine_options_default(&eo);
    eo.backend = "ref";
    eo.pre_pad = 0;
    vsr_device_pool *pool = NULL;
    vsr_error err = {0};
    CHECK_MSG(vsr_device_pool_create(&g_model, &eo, devices, n, &pool, &err) == 0, "pool: %s",
              err.msg);
    if (pool)
        vsr_upscaler_device_pool(u, pool);
    return pool;
}

/* idle[i]: contexts device i keeps. */
static void idle_counts(vsr_device_pool *pool, int idle[2])
{
    vsr_device_stat st[VSR_MAX_DEVICES];
    int n = vsr_device_pool_stats(pool, st, VSR_MAX_DEVICES);
    idle[0] = n > 0 ? st[0].idle : -1;
    idle[1] = n > 1 ? st[1].idle : 0;
}

static void fill(vsr_image *img)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width * 3; x++)
            ((unsigned char *)img->data)[(size_t)y * img->stride + (size_t)x] =
                (unsigned char)((x * 7 + y * 13) % 251);
}

/* One frame of w x h through a context of u; 0 on success, out filled. */
static int frame_through(const vsr_upscaler *u, void *ctx, int w, int h, vsr_image *out)
{
    vsr_image in = {0};
    vsr_error err = {0};
    int rc = vsr_image_alloc(&in, w, h, VSR_PIX_RGB24, &err);
    if (!rc)
        rc = vsr_image_alloc(out, w * u->scale, h * u->scale, VSR_PIX_RGB24, &err);
    if (!rc) {
        fill(&in);
        rc = u->run(ctx, &in, out, &err);
    }
    CHECK_MSG(rc == 0, "frame %dx%d: %s", w, h, err.msg);
    vsr_image_free(&in);
    return rc;
}

static int same(const vsr_image *a, const vsr_image *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int y = 0; y < a->height; y++)
        if (memcmp((const char *)a->data + (size_t)y * a->stride,
                   (const char *)b->data + (size_t)y * b->stride, (size_t)a->width * 3))
            return 0;
    return 1;
}

/* A context let go is kept and handed out again; its frames, at its old
 * size and at a new one, are a fresh context's. */
static void check_reuse(void)
{
    vsr_upscaler u;
    vsr_device_pool *pool = make_pool(1, &u);
    if (!pool)
        return;
    vsr_error err = {0};
    void *a = NULL, *b = NULL;
    vsr_image fresh = {0}, fresh_other = {0}, again = {0}, other = {0};
    int idle[2];
    CHECK(u.ctx_create(u.shared, &a, &err) == 0 && u.ctx_create(u.shared, &b, &err) == 0);
    if (a && b && u.prepare(a, 1, 30, 20, &err) == 0 && frame_through(&u, a, 30, 20, &fresh) == 0 &&
        frame_through(&u, b, 17, 9, &fresh_other) == 0) {
        u.ctx_destroy(a);
        u.ctx_destroy(b);
        a = b = NULL;
        idle_counts(pool, idle);
        CHECK_MSG(idle[0] == 2, "two contexts let go, %d kept", idle[0]);
        /* the next clip's workers take them */
        CHECK(u.ctx_create(u.shared, &a, &err) == 0 && u.ctx_create(u.shared, &b, &err) == 0);
        idle_counts(pool, idle);
        CHECK_MSG(idle[0] == 0, "two contexts taken, %d still kept", idle[0]);
        if (a && b && frame_through(&u, a, 30, 20, &again) == 0 &&
            frame_through(&u, b, 30, 20, &other) == 0) {
            CHECK_MSG(same(&fresh, &again) && same(&fresh, &other),
                      "a kept context's frame differs from a fresh one's");
        }
        vsr_image_free(&other);
        if (a && frame_through(&u, a, 17, 9, &other) == 0)
            CHECK_MSG(same(&fresh_other, &other), "a kept context at a new size differs");
    }
    u.ctx_destroy(a);
    u.ctx_destroy(b);
    vsr_image_free(&fresh);
    vsr_image_free(&fresh_other);
    vsr_image_free(&again);
    vsr_image_free(&other);
    vsr_device_pool_destroy(pool); /* frees the kept ones (ASan: no leak) */
}

/* A device out of rotation keeps nothing: its worker moves, and what it let
 * go is destroyed; the device that did the work keeps its context. */
static void check_fault(void)
{
    vsr_upscaler u;
    vsr_device_pool *pool = make_pool(2, &u);
    if (!pool)
        return;
    vsr_device_pool_inject_fault(pool, 0, 0);
    vsr_error err = {0};
    void *a = NULL;
    vsr_image out = {0};
    int idle[2];
    /* placed on device 0 (the first least loaded), which fails: moved to 1 */
    if (u.ctx_create(u.shared, &a, &err) == 0 && frame_through(&u, a, 12, 10, &out) == 0) {
        u.ctx_destroy(a);
        a = NULL;
        idle_counts(pool, idle);
        CHECK_MSG(idle[0] == 0 && idle[1] == 1,
                  "after a fault: kept %d on the failed, %d on the other", idle[0], idle[1]);
    }
    u.ctx_destroy(a);
    vsr_image_free(&out);
    vsr_device_pool_destroy(pool);
}

/* A context that ran out of memory keeps to small tiles for its life: it
 * is not handed to the next clip. */
static void check_out_of_memory_not_kept(void)
{
    vsr_upscaler u;
    vsr_device_pool *pool = make_pool(1, &u);
    if (!pool)
        return;
    vsr_error err = {0};
    void *a = NULL;
    vsr_image out = {0};
    int idle[2];
    setenv("VSR_REF_FAIL_ABOVE_PIXELS", "1700", 1); /* 70x50 whole fails; 41x41 fits */
    if (u.ctx_create(u.shared, &a, &err) == 0 && frame_through(&u, a, 70, 50, &out) == 0) {
        u.ctx_destroy(a);
        a = NULL;
        idle_counts(pool, idle);
        CHECK_MSG(idle[0] == 0, "a context capped to small tiles was kept");
    }
    unsetenv("VSR_REF_FAIL_ABOVE_PIXELS");
    u.ctx_destroy(a);
    vsr_image_free(&out);
    vsr_device_pool_destroy(pool);
}

/* More contexts let go at once than the cap: the rest are destroyed. */
static void check_cap(void)
{
    enum { N = 20 };
    vsr_upscaler u;
    vsr_device_pool *pool = make_pool(1, &u);
    if (!pool)
        return;
    vsr_error err = {0};
    void *c[N] = {0};
    int made = 0, idle[2];
    while (made < N && u.ctx_create(u.shared, &c[made], &err) == 0)
        made++;
    CHECK_MSG(made == N, "made %d contexts: %s", made, err.msg);
    for (int i = 0; i < made; i++)
        u.ctx_destroy(c[i]);
    idle_counts(pool, idle);
    CHECK_MSG(idle[0] > 0 && idle[0] < N, "%d let go, %d kept: not capped", made, idle[0]);
    vsr_device_pool_destroy(pool);
}

int main(void)
{
    if (load_mini_srvgg(1.f, &g_model))
        return test_report("test_device_pool");
    check_reuse();
    check_fault();
    check_out_of_memory_not_kept();
    check_cap();
    vsr_graph_free(&g_model);
    return test_report("test_device_pool");
}
