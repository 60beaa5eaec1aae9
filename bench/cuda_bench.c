/* CUDA backend benchmark: frames/s and effective TFLOP/s of whole models
 * on the device, input and output resident on the GPU (what the network
 * costs), per kernel variant and for the cuDNN-only path, plus the
 * host-tensor run() (fp32 NCHW in and out through pinned staging) that the
 * engine interface pays today.
 *
 *   vsr_cuda_bench [--quick] [--profile|--profile-classes] [--no-host]
 *                  [--no-cudnn] [--default-variant] [--contexts K]
 *                  [--size WxHxN]... [--probe] MODEL.param...
 *
 * --size (repeatable) replaces the default sizes (960x540 batch 8, 1080p,
 * 2160p); the per-step profile runs on the second size, or the only one;
 * --profile-classes prints only the sums per class of step. --probe runs
 * the wgmma throughput probe (vsr_cuda_wgmma_probe). --default-variant
 * times only the default body-conv variant, --no-cudnn skips the cuDNN-only
 * path. --contexts K (K >= 2) also times K contexts of the default variant
 * running at once, each on its own stream and host thread, as the
 * pipeline's workers do (two per GPU): the aggregate frames/s, where one
 * context's kernels fill the SMs the other's leave idle at their ends.
 *
 * MODEL is a path to an ncnn .param with its .bin beside it, or a model
 * name that the model registry resolves. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/graph.h"
#include "model/model_registry.h"
#include "util/clock.h"
#include "util/error.h"

typedef struct size_case {
    const char *label;
    int n, w, h;
} size_case;

static const size_case k_default_sizes[] = {
    {"960x540 (batch 8)", 8, 960, 540},
    {"1920x1080", 1, 1920, 1080},
    {"3840x2160", 1, 3840, 2160},
};

/* What the command line asked for. */
typedef struct bench_opts {
    int quick, profile, host, cudnn, default_variant;
    int contexts; /* > 1: also K contexts at once */
    size_case sizes[8];
    char labels[8][48];
    size_t n_sizes;
} bench_opts;

static int iters_for(const vsr_graph *g, const size_case *s, int quick)
{
    double tflop = g->flops_per_pixel * s->n * s->w * s->h / 1e12;
    /* ~1.5 s of work at 300 TFLOP/s, at least 5 */
    int it = (int)(1.5 * 300 / tflop);
    if (quick)
        it /= 4;
    return it < 5 ? 5 : it > 400 ? 400 : it;
}

static void report(const char *model, const char *path, const size_case *s, const vsr_graph *g,
                   double ms)
{
    double fps = s->n * 1000.0 / ms;
    double tflops = g->flops_per_pixel * s->n * s->w * s->h / (ms * 1e-3) / 1e12;
    printf("RESULT model=%s path=%s size=%dx%d batch=%d ms_per_batch=%.3f fps=%.1f tflops=%.1f\n",
           model, path, s->w, s->h, s->n, ms, fps, tflops);
    fflush(stdout);
}

/* One of --contexts' threads: its context's frames, timed on its stream. */
typedef struct ctx_run {
    void *ctx;
    const size_case *s;
    int iters;
    double ms;
    vsr_error err;
    int rc;
} ctx_run;

static void *ctx_run_main(void *arg)
{
    ctx_run *r = arg;
    r->rc =
        vsr_cuda_bench_device(r->ctx, r->s->n, r->s->h, r->s->w, 2, r->iters, 0, &r->ms, &r->err);
    return NULL;
}

/* k contexts on weights w, each running iters batches of s at once. The
 * aggregate is counted on the wall clock from the first start to the last
 * end (warm-ups included, so it errs low), and printed beside the sum of
 * the contexts' own rates (each timed on its stream, which errs high where
 * the streams' timed spans do not coincide). */
static int bench_contexts(const vsr_graph *g, void *w, const vsr_backend_config *cfg,
                          const size_case *s, int k, int iters)
{
    ctx_run runs[16];
    pthread_t th[16];
    int made = 0, started = 0, rc = 0;
    vsr_error err = {0};
    memset(runs, 0, sizeof runs);
    for (; made < k; made++) {
        runs[made].s = s;
        runs[made].iters = iters;
        double ms;
        /* planned (buffers, algorithms) and warm before the clock starts */
        if (vsr_backend_cuda.context_create(g, w, cfg, &runs[made].ctx, &err) < 0 ||
            vsr_cuda_bench_device(runs[made].ctx, s->n, s->h, s->w, 1, 1, 0, &ms, &err) < 0) {
            fprintf(stderr, "context %d of %d: %s\n", made + 1, k, err.msg);
            if (runs[made].ctx)
                made++; /* destroyed below */
            rc = 1;
            break;
        }
    }
    const double t0 = vsr_now_s();
    for (; rc == 0 && started < made; started++)
        if (pthread_create(&th[started], NULL, ctx_run_main, &runs[started]) != 0) {
            fprintf(stderr, "cannot start thread %d of %d\n", started + 1, k);
            rc = 1;
            break;
        }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    const double wall = vsr_now_s() - t0;
    double sum_fps = 0;
    for (int i = 0; i < started; i++) {
        if (runs[i].rc < 0) {
            fprintf(stderr, "context %d of %d: %s\n", i + 1, k, runs[i].err.msg);
            rc = 1;
        } else
            sum_fps += s->n * 1000.0 / runs[i].ms;
    }
    if (rc == 0) {
        const double frames = (double)k * s->n * (iters + 2);
        const double ms = wall * 1000.0 * s->n / frames; /* a batch's share of the wall */
        char path[48];
        snprintf(path, sizeof path, "fused/default-x%d-contexts", k);
        report(g->name, path, s, g, ms);
        printf("  %d contexts: %.1f fps on the wall clock, %.1f fps summed over the streams\n", k,
               frames / wall, sum_fps);
    }
    for (int i = 0; i < made; i++)
        vsr_backend_cuda.context_destroy(runs[i].ctx);
    return rc;
}

static int bench_model(const char *spec, const bench_opts *o)
{
    const int quick = o->quick, profile = o->profile, host = o->host;
    const size_case *k_sizes = o->sizes;
    const size_t n_sizes = o->n_sizes;
    const size_t profile_at = n_sizes > 1 ? 1 : 0;
    vsr_error err = {0};
    vsr_graph g;
    memset(&g, 0, sizeof g);
    if (vsr_model_load(spec, 0, NULL, &g, &err) < 0) {
        fprintf(stderr, "load %s: %s\n", spec, err.msg);
        return 1;
    }
    printf("model %s: %d nodes, scale %d, %.3f MFLOP/pixel\n", g.name, g.n_nodes, g.scale,
           g.flops_per_pixel / 1e6);
    vsr_backend_config cfg = {.precision =
                                  VSR_PRECISION_FP16}; /* settings zeroed: the environment's */
    int rc = 1;
    void *wf = NULL, *wc = NULL, *ctx = NULL;

    /* the fused path */
    setenv("VSR_CUDA_FUSED", "1", 1);
    if (vsr_backend_cuda.weights_create(&g, &cfg, &wf, &err) < 0 ||
        vsr_backend_cuda.context_create(&g, wf, &cfg, &ctx, &err) < 0) {
        fprintf(stderr, "cuda (fused): %s\n", err.msg);
        goto done;
    }
    {
        static char plan[16384];
        vsr_cuda_plan_describe(wf, plan, sizeof plan);
        printf("plan (fused):\n%s", plan);
    }
    for (size_t si = 0; si < n_sizes; si++) {
        const size_case *s = &k_sizes[si];
        int it = iters_for(&g, s, quick);
        int best = 0;
        double best_ms = 1e30;
        if (o->default_variant) {
            /* the context's own variant, timed once */
            if (vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 2, it, 0, &best_ms, &err) < 0) {
                fprintf(stderr, "bench %s %s: %s\n", g.name, s->label, err.msg);
                goto done;
            }
            report(g.name, "fused/default", s, &g, best_ms);
            best = -1;
            if (o->contexts > 1 && bench_contexts(&g, wf, &cfg, s, o->contexts, 4 * it) != 0)
                goto done;
        }
        for (int v = 0; best >= 0 && v < vsr_cuda_num_variants(); v++) {
            double ms = 0;
            vsr_cuda_ctx_set_variant(ctx, v);
            if (vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 2, it, 0, &ms, &err) < 0) {
                fprintf(stderr, "bench %s %s variant %d: %s\n", g.name, s->label, v, err.msg);
                goto done;
            }
            char path[96];
            snprintf(path, sizeof path, "fused/%s", vsr_cuda_variant_name(v));
            report(g.name, path, s, &g, ms);
            if (ms < best_ms) {
                best_ms = ms;
                best = v;
            }
        }
        if (best >= 0) {
            vsr_cuda_ctx_set_variant(ctx, best);
            double ms = 0;
            if (vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 1, it, 0, &ms, &err) < 0) {
                fprintf(stderr, "bench: %s\n", err.msg);
                goto done;
            }
            report(g.name, "fused-best", s, &g, ms < best_ms ? ms : best_ms);
        }
        if (profile && si == profile_at) {
            double ms = 0;
            printf("  per-step profile, %s, %s, variant %s:\n", g.name, s->label,
                   best < 0 ? "default" : vsr_cuda_variant_name(best));
            if (vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 0, 1, profile, &ms, &err) < 0) {
                fprintf(stderr, "profile: %s\n", err.msg);
                goto done;
            }
        }
        if (host) {
            /* the backend's run(): host fp32 NCHW in and out */
            vsr_tensor in = {s->n, g.in_channels, s->h, s->w, NULL};
            vsr_tensor out = {s->n, g.out_channels, s->h * g.scale, s->w * g.scale, NULL};
            size_t ni = (size_t)in.n * in.c * in.h * in.w,
                   no = (size_t)out.n * out.c * out.h * out.w;
            in.data = malloc(ni * sizeof(float));
            out.data = malloc(no * sizeof(float));
            if (!in.data || !out.data) {
                fprintf(stderr, "out of host memory\n");
                free(in.data);
                free(out.data);
                goto done;
            }
            for (size_t i = 0; i < ni; i++)
                in.data[i] = (float)((i * 2654435761u) >> 8 & 0xffff) / 65535.f;
            memset(out.data, 0, no * sizeof(float));
            int hit = quick ? 2 : 5;
            if (vsr_backend_cuda.run(ctx, &in, &out, &err) < 0) {
                fprintf(stderr, "run: %s\n", err.msg);
                free(in.data);
                free(out.data);
                goto done;
            }
            double t0 = vsr_now_s();
            for (int i = 0; i < hit; i++)
                if (vsr_backend_cuda.run(ctx, &in, &out, &err) < 0) {
                    fprintf(stderr, "run: %s\n", err.msg);
                    break;
                }
            double ms_host = (vsr_now_s() - t0) * 1000.0 / hit;
            report(g.name, "fused-best+host-fp32-io", s, &g, ms_host);
            free(in.data);
            free(out.data);
        }
    }
    vsr_backend_cuda.context_destroy(ctx);
    ctx = NULL;

    if (!o->cudnn) {
        rc = 0;
        goto done;
    }
    /* cuDNN for every convolution (+ separate bias/activation pass) */
    setenv("VSR_CUDA_FUSED", "0", 1);
    if (vsr_backend_cuda.weights_create(&g, &cfg, &wc, &err) < 0 ||
        vsr_backend_cuda.context_create(&g, wc, &cfg, &ctx, &err) < 0) {
        fprintf(stderr, "cuda (cudnn): %s\n", err.msg);
        goto done;
    }
    for (size_t si = 0; si < n_sizes; si++) {
        const size_case *s = &k_sizes[si];
        double ms = 0;
        if (vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 2, iters_for(&g, s, 1), 0, &ms, &err) <
            0) {
            fprintf(stderr, "bench cudnn %s: %s\n", s->label, err.msg);
            goto done;
        }
        report(g.name, "cudnn+kernels", s, &g, ms);
        if (profile && si == profile_at) {
            printf("  per-step profile (cuDNN path), %s, %s:\n", g.name, s->label);
            vsr_cuda_bench_device(ctx, s->n, s->h, s->w, 0, 1, profile, &ms, &err);
        }
    }
    rc = 0;
done:
    setenv("VSR_CUDA_FUSED", "1", 1);
    if (ctx)
        vsr_backend_cuda.context_destroy(ctx);
    if (wf)
        vsr_backend_cuda.weights_destroy(wf);
    if (wc)
        vsr_backend_cuda.weights_destroy(wc);
    vsr_graph_free(&g);
    return rc;
}

/* --one WxH: a few runs of one size with the default kernel variant (for
 * profilers such as ncu). */
static int run_one(const char *spec, int w, int h)
{
    vsr_error err = {0};
    vsr_graph g;
    memset(&g, 0, sizeof g);
    if (vsr_model_load(spec, 0, NULL, &g, &err) < 0) {
        fprintf(stderr, "load %s: %s\n", spec, err.msg);
        return 1;
    }
    vsr_backend_config cfg = {.precision =
                                  VSR_PRECISION_FP16}; /* settings zeroed: the environment's */
    void *wt = NULL, *ctx = NULL;
    double ms = 0;
    int rc = 1;
    if (vsr_backend_cuda.weights_create(&g, &cfg, &wt, &err) == 0 &&
        vsr_backend_cuda.context_create(&g, wt, &cfg, &ctx, &err) == 0 &&
        vsr_cuda_bench_device(ctx, 1, h, w, 1, 3, 0, &ms, &err) == 0) {
        printf("one: %s %dx%d %.3f ms\n", g.name, w, h, ms);
        rc = 0;
    } else
        fprintf(stderr, "%s\n", err.msg);
    if (ctx)
        vsr_backend_cuda.context_destroy(ctx);
    if (wt)
        vsr_backend_cuda.weights_destroy(wt);
    vsr_graph_free(&g);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0, any = 0, one_w = 0, one_h = 0;
    bench_opts o;
    memset(&o, 0, sizeof o);
    o.host = 1;
    o.cudnn = 1;
    vsr_error err = {0};
    if (!vsr_backend_cuda.available(&err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    char info[512];
    if (vsr_cuda_device_info(0, info, sizeof info, &err) == 0)
        printf("device: %s\n", info);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            o.quick = 1;
        else if (!strcmp(argv[i], "--profile"))
            o.profile = 1;
        else if (!strcmp(argv[i], "--profile-classes"))
            o.profile = 2;
        else if (!strcmp(argv[i], "--no-host"))
            o.host = 0;
        else if (!strcmp(argv[i], "--no-cudnn"))
            o.cudnn = 0;
        else if (!strcmp(argv[i], "--default-variant"))
            o.default_variant = 1;
        else if (!strcmp(argv[i], "--contexts") && i + 1 < argc) {
            o.contexts = atoi(argv[++i]);
            if (o.contexts < 2 || o.contexts > 16) {
                fprintf(stderr, "--contexts %s: expected 2 to 16\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--probe")) {
            rc |= vsr_cuda_wgmma_probe() != 0;
            any = 1;
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size_case *c = &o.sizes[o.n_sizes];
            if (o.n_sizes == 8 || sscanf(argv[++i], "%dx%dx%d", &c->w, &c->h, &c->n) != 3 ||
                c->w < 1 || c->h < 1 || c->n < 1) {
                fprintf(stderr, "--size %s: expected WxHxN (at most 8 sizes)\n", argv[i]);
                return 2;
            }
            snprintf(o.labels[o.n_sizes], sizeof o.labels[0], "%dx%d (batch %d)", c->w, c->h, c->n);
            c->label = o.labels[o.n_sizes++];
        } else if (!strcmp(argv[i], "--one") && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &one_w, &one_h);
        else if (one_w > 0) {
            rc |= run_one(argv[i], one_w, one_h);
            any = 1;
        } else {
            if (o.n_sizes == 0) {
                o.n_sizes = sizeof k_default_sizes / sizeof k_default_sizes[0];
                memcpy(o.sizes, k_default_sizes, sizeof k_default_sizes);
            }
            rc |= bench_model(argv[i], &o);
            any = 1;
        }
    }
    if (!any) {
        fprintf(
            stderr,
            "usage: %s [--quick] [--profile|--profile-classes] [--no-host] [--no-cudnn] "
            "[--default-variant] [--contexts K] [--size WxHxN]... [--probe] [--one WxH] MODEL...\n",
            argv[0]);
        return 2;
    }
    return rc;
}
