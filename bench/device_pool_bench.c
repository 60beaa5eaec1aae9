/* Inference throughput on one device against all of them, in one run:
 * the multi-device placement (src/pipeline/device_pool.c) with W worker
 * threads per device, each upscaling frames through its own context for a
 * fixed time. Prints frames/s for the first device alone, for all, and the
 * ratio (the target for 2 GPUs is >= 1.9).
 *
 *   device_pool_bench BACKEND MODEL SCALE WxH DEVICES WORKERS_PER_DEVICE SECONDS
 *   device_pool_bench cuda realesr-animevideov3 2 960x540 0,1 2 10
 *
 * Models come from $VSR_MODELS_DIR (or the default models directory). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_frames.h"
#include "model/model_registry.h"
#include "pipeline/device_pool.h"
#include "util/clock.h"

typedef struct worker {
    vsr_upscaler *up;
    const vsr_image *in;
    double until;
    atomic_long *frames;
    int failed;
} worker;

static void *work(void *opaque)
{
    worker *w = opaque;
    vsr_error err;
    vsr_error_clear(&err);
    void *ctx = NULL;
    vsr_image out = bench_output_frame(w->up, w->in);
    if (!out.data || w->up->ctx_create(w->up->shared, &ctx, &err) < 0) {
        fprintf(stderr, "worker: %s\n", err.msg);
        w->failed = 1;
        free(out.data);
        return NULL;
    }
    while (vsr_now_s() < w->until) {
        if (w->up->run(ctx, w->in, &out, &err) < 0) {
            fprintf(stderr, "worker: %s\n", err.msg);
            w->failed = 1;
            break;
        }
        atomic_fetch_add(w->frames, 1);
    }
    w->up->ctx_destroy(ctx);
    free(out.data);
    return NULL;
}

/* frames/s over n devices with per_device workers each; -1 on failure. */
static double measure(const vsr_graph *g, const vsr_engine_options *eo, const int *devices, int n,
                      int per_device, double seconds, const vsr_image *in)
{
    vsr_error err;
    vsr_error_clear(&err);
    vsr_device_pool *pool;
    if (vsr_device_pool_create(g, eo, devices, n, &pool, &err) < 0) {
        fprintf(stderr, "device pool: %s\n", err.msg);
        return -1;
    }
    vsr_upscaler up;
    vsr_upscaler_device_pool(&up, pool);
    int nw = n * per_device;
    worker *ws = calloc((size_t)nw, sizeof *ws);
    pthread_t *th = calloc((size_t)nw, sizeof *th);
    atomic_long frames = 0, warm = 0;
    /* Warm-up: every worker makes its context and runs a second, uncounted. */
    double t0 = vsr_now_s();
    for (int i = 0; i < nw; i++) {
        ws[i] = (worker){&up, in, t0 + 1.0, &warm, 0};
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    for (int i = 0; i < nw; i++)
        pthread_join(th[i], NULL);
    t0 = vsr_now_s();
    for (int i = 0; i < nw; i++) {
        ws[i] = (worker){&up, in, t0 + seconds, &frames, 0};
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    int failed = 0;
    for (int i = 0; i < nw; i++) {
        pthread_join(th[i], NULL);
        failed |= ws[i].failed;
    }
    double fps = (double)atomic_load(&frames) / (vsr_now_s() - t0);
    vsr_device_stat st[VSR_MAX_DEVICES];
    int k = vsr_device_pool_stats(pool, st, VSR_MAX_DEVICES);
    for (int i = 0; i < k; i++)
        printf("    %s: %lld frames (warm-up included), busy %.2f s\n", st[i].name,
               (long long)st[i].frames, st[i].busy_s);
    free(ws);
    free(th);
    vsr_device_pool_destroy(pool);
    return failed ? -1 : fps;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: %s BACKEND MODEL SCALE WxH DEVICES WORKERS_PER_DEVICE SECONDS\n",
                argv[0]);
        return 2;
    }
    const char *backend = argv[1], *model = argv[2];
    int scale = atoi(argv[3]), w = 0, h = 0, per_device = atoi(argv[6]);
    double seconds = atof(argv[7]);
    if (sscanf(argv[4], "%dx%d", &w, &h) != 2 || w < 1 || h < 1 || per_device < 1 || seconds <= 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    vsr_error err;
    vsr_error_clear(&err);
    int devices[VSR_MAX_DEVICES], n;
    if (vsr_parse_devices(argv[5], backend, devices, &n, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    vsr_graph g;
    memset(&g, 0, sizeof g);
    if (vsr_model_load(model, scale, NULL, &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    vsr_engine_options eo;
    vsr_engine_options_default(&eo);
    eo.backend = backend;
    eo.config.precision = VSR_PRECISION_FP16;
    vsr_image in = bench_pattern_frame(w, h);
    if (!in.data) {
        fprintf(stderr, "out of memory for a %dx%d frame\n", w, h);
        return 1;
    }

    printf("%s x%d on %s, %dx%d, %d worker(s) per device, %.0f s each\n", g.name, g.scale, backend,
           w, h, per_device, seconds);
    printf("  1 device:\n");
    double one = measure(&g, &eo, devices, 1, per_device, seconds, &in);
    printf("  %.1f fps\n", one);
    printf("  %d devices:\n", n);
    double all = measure(&g, &eo, devices, n, per_device, seconds, &in);
    printf("  %.1f fps\n", all);
    if (one > 0 && all > 0)
        printf("ratio %d devices / 1 device: %.2fx\n", n, all / one);
    free(in.data);
    vsr_graph_free(&g);
    return one > 0 && all > 0 ? 0 : 1;
}
