/* What a pipeline worker's execution context costs before its first frame
 * (the start of every clip): W threads at once on one device, as the
 * pipeline's workers do, each through the device pool (the server's and
 * the CLI's placement): make the context, plan it for the frame size, run
 * the first frame and a second one, let it go. Several rounds in one
 * process, as a server runs one clip after another: a context the pool
 * keeps between clips shows up as a cheap later round.
 *
 *   context_cost BACKEND MODEL SCALE WxH WORKERS ROUNDS
 *   context_cost cuda realesr-animevideov3 2 960x540 4 3
 *
 * Prints per round the slowest worker's time for each step and when the
 * last worker had its first frame. Models come from $VSR_MODELS_DIR (or
 * the default models directory). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_frames.h"
#include "model/model_registry.h"
#include "pipeline/device_pool.h"
#include "util/clock.h"

enum { CREATE, PREPARE, FIRST, SECOND, DESTROY, STEPS };
static const char *const step_name[STEPS] = {"create", "prepare", "first frame", "second frame",
                                             "destroy"};

typedef struct worker {
    vsr_upscaler *up;
    const vsr_image *in;
    double t_start;
    double step_s[STEPS];
    double first_done_at; /* since t_start */
    int failed;
} worker;

static void *work(void *opaque)
{
    worker *w = opaque;
    vsr_error err;
    vsr_error_clear(&err);
    void *ctx = NULL;
    vsr_image out = bench_output_frame(w->up, w->in);
    double t = vsr_now_s();
    int rc = out.data ? w->up->ctx_create(w->up->shared, &ctx, &err) : -1;
    w->step_s[CREATE] = vsr_now_s() - t;
    if (rc >= 0 && w->up->prepare) {
        t = vsr_now_s();
        rc = w->up->prepare(ctx, 1, w->in->width, w->in->height, &err);
        w->step_s[PREPARE] = vsr_now_s() - t;
    }
    for (int k = FIRST; rc >= 0 && k <= SECOND; k++) {
        t = vsr_now_s();
        rc = w->up->run(ctx, w->in, &out, &err);
        w->step_s[k] = vsr_now_s() - t;
        if (k == FIRST)
            w->first_done_at = vsr_now_s() - w->t_start;
    }
    if (rc < 0) {
        fprintf(stderr, "worker: %s\n", out.data ? err.msg : "out of memory");
        w->failed = 1;
    }
    t = vsr_now_s();
    if (ctx)
        w->up->ctx_destroy(ctx);
    w->step_s[DESTROY] = vsr_now_s() - t;
    free(out.data);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s BACKEND MODEL SCALE WxH WORKERS ROUNDS\n", argv[0]);
        return 2;
    }
    const char *backend = argv[1], *model = argv[2];
    int scale = atoi(argv[3]), w = 0, h = 0, nw = atoi(argv[5]), rounds = atoi(argv[6]);
    if (sscanf(argv[4], "%dx%d", &w, &h) != 2 || w < 1 || h < 1 || nw < 1 || nw > 64 ||
        rounds < 1) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    vsr_error err;
    vsr_error_clear(&err);
    vsr_graph g;
    memset(&g, 0, sizeof g);
    if (vsr_model_load(model, scale, NULL, &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    vsr_engine_options eo;
    vsr_engine_options_default(&eo);
    eo.backend = backend;
    const int device = 0;
    vsr_device_pool *pool;
    if (vsr_device_pool_create(&g, &eo, &device, 1, &pool, &err) < 0) {
        fprintf(stderr, "device pool: %s\n", err.msg);
        return 1;
    }
    vsr_upscaler up;
    vsr_upscaler_device_pool(&up, pool);
    vsr_image in = bench_pattern_frame(w, h);

    printf("%s x%d on %s:0, %dx%d, %d workers at once, %d rounds\n", g.name, g.scale, backend, w, h,
           nw, rounds);
    int failed = !in.data;
    for (int r = 0; r < rounds && !failed; r++) {
        worker ws[64];
        pthread_t th[64];
        const double t0 = vsr_now_s();
        for (int i = 0; i < nw; i++) {
            ws[i] = (worker){.up = &up, .in = &in, .t_start = t0};
            if (pthread_create(&th[i], NULL, work, &ws[i]) != 0) {
                fprintf(stderr, "cannot start worker %d\n", i);
                return 1;
            }
        }
        double slowest[STEPS] = {0}, first_all = 0;
        for (int i = 0; i < nw; i++) {
            pthread_join(th[i], NULL);
            failed |= ws[i].failed;
            for (int k = 0; k < STEPS; k++)
                slowest[k] = ws[i].step_s[k] > slowest[k] ? ws[i].step_s[k] : slowest[k];
            first_all = ws[i].first_done_at > first_all ? ws[i].first_done_at : first_all;
        }
        printf("  round %d: every worker's first frame after %.1f ms; slowest:", r + 1,
               first_all * 1e3);
        for (int k = 0; k < STEPS; k++)
            printf(" %s %.1f ms%s", step_name[k], slowest[k] * 1e3, k + 1 < STEPS ? "," : "\n");
    }
    vsr_device_pool_destroy(pool);
    free(in.data);
    vsr_graph_free(&g);
    return failed ? 1 : 0;
}
