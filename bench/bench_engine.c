/* Times a model on a backend: frames/s and GFLOP/s of the backend's run()
 * (the network on N x 3 x H x W fp32, no 8-bit conversion, no tiling).
 *
 *   bench_engine [--backend cpu] [--model NAME|PATH] [--precision fp32|bf16]
 *                [--threads N] [--batch N] [--runs N] [--size WxH]...
 *                [--input FILE --output FILE]
 *
 * Prints one line per size: "backend precision WxH batch fps ms/frame
 * GFLOP/s", with the best run and the process CPU time per frame (the
 * better measure on a machine that other work keeps busy: with --threads 1
 * it is close to the time on a core of one's own). With --input, runs
 * once on the raw fp32 NCHW image in FILE (size from the first --size) and
 * writes the raw fp32 output to --output (bench/cpu_bench.sh compares it
 * with PyTorch's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend.h"
#include "model/model_registry.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of the whole process (all threads). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_engine [--backend NAME] [--model NAME|PATH] [--precision "
                    "fp32|bf16] [--threads N] [--batch N] [--runs N] [--size WxH]... [--input "
                    "FILE --output FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *backend = "cpu", *model = "realesr-animevideov3-x4", *input = NULL, *output = NULL;
    vsr_backend_config cfg = {.precision =
                                  VSR_PRECISION_FP32}; /* settings zeroed: the environment's */
    int batch = 1, runs = 3, n_sizes = 0, sizes[16][2];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--backend"))
            backend = v;
        else if (!strcmp(a, "--model"))
            model = v;
        else if (!strcmp(a, "--precision")) {
            if (!strcmp(v, "fp32"))
                cfg.precision = VSR_PRECISION_FP32;
            else if (!strcmp(v, "bf16"))
                cfg.precision = VSR_PRECISION_BF16;
            else if (!strcmp(v, "fp16"))
                cfg.precision = VSR_PRECISION_FP16;
            else
                usage();
        } else if (!strcmp(a, "--threads"))
            cfg.threads = atoi(v);
        else if (!strcmp(a, "--batch"))
            batch = atoi(v);
        else if (!strcmp(a, "--runs"))
            runs = atoi(v);
        else if (!strcmp(a, "--size") && n_sizes < 16) {
            if (sscanf(v, "%dx%d", &sizes[n_sizes][0], &sizes[n_sizes][1]) != 2)
                usage();
            n_sizes++;
        } else if (!strcmp(a, "--input"))
            input = v;
        else if (!strcmp(a, "--output"))
            output = v;
        else
            usage();
    }
    if (!n_sizes) {
        sizes[0][0] = 480, sizes[0][1] = 270;
        n_sizes = 1;
    }
    if (batch < 1 || runs < 1 || (input && !output))
        usage();

    vsr_error err = {0};
    vsr_graph g;
    const vsr_backend_ops *be = vsr_backend_find(backend, &err);
    if (!be || vsr_model_load(model, 0, NULL, &g, &err)) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    void *w = NULL, *ctx = NULL;
    if (!be->available(&err) || be->weights_create(&g, &cfg, &w, &err) ||
        be->context_create(&g, w, &cfg, &ctx, &err)) {
        fprintf(stderr, "bench_engine: %s: %s\n", backend, err.msg);
        return 1;
    }
    const char *prec = cfg.precision == VSR_PRECISION_BF16 ? "bf16" : "fp32";
    int rc = 0;
    for (int s = 0; s < n_sizes && !rc; s++) {
        int W = sizes[s][0], H = sizes[s][1];
        vsr_tensor in = {batch, g.in_channels, H, W, NULL};
        vsr_tensor out = {batch, g.out_channels, H * g.scale, W * g.scale, NULL};
        size_t nin = (size_t)batch * g.in_channels * H * W;
        size_t nout = (size_t)batch * g.out_channels * out.h * out.w;
        in.data = malloc(nin * sizeof(float));
        out.data = malloc(nout * sizeof(float));
        if (!in.data || !out.data) {
            fprintf(stderr, "bench_engine: out of memory\n");
            return 1;
        }
        if (input) {
            FILE *f = fopen(input, "rb");
            if (!f || fread(in.data, sizeof(float), nin, f) != nin) {
                fprintf(stderr, "bench_engine: cannot read %zu floats from %s\n", nin, input);
                return 1;
            }
            fclose(f);
            rc = be->run(ctx, &in, &out, &err);
            f = rc ? NULL : fopen(output, "wb");
            if (!rc && (!f || fwrite(out.data, sizeof(float), nout, f) != nout || fclose(f))) {
                fprintf(stderr, "bench_engine: cannot write %s\n", output);
                return 1;
            }
            if (rc)
                fprintf(stderr, "bench_engine: %s\n", err.msg);
            free(in.data);
            free(out.data);
            break;
        }
        unsigned seed = 1;
        for (size_t i = 0; i < nin; i++) {
            seed = seed * 1664525u + 1013904223u;
            in.data[i] = (float)(seed >> 8) / 16777216.0f;
        }
        double t0 = now();
        rc = be->run(ctx, &in, &out, &err); /* warm-up: builds the plan */
        double first = now() - t0;
        double times[64], cpu_times[64];
        int n = runs < 64 ? runs : 64;
        for (int r = 0; r < n && !rc; r++) {
            t0 = now();
            double c0 = cpu_now();
            rc = be->run(ctx, &in, &out, &err);
            times[r] = now() - t0;
            cpu_times[r] = cpu_now() - c0;
        }
        if (rc) {
            fprintf(stderr, "bench_engine: %s\n", err.msg);
            break;
        }
        qsort(times, (size_t)n, sizeof(double), cmp_double);
        qsort(cpu_times, (size_t)n, sizeof(double), cmp_double);
        double t = times[n / 2] / batch; /* median, per frame */
        double gflop = g.flops_per_pixel * W * H * 1e-9;
        printf("vsr-%s %s %dx%d batch %d threads %d: %.3f fps, %.1f ms/frame, %.1f GFLOP/s "
               "(best %.1f ms, first run %.0f ms, cpu %.1f ms/frame = %.1f GFLOP/cpu-s)\n",
               backend, prec, W, H, batch, cfg.threads, 1.0 / t, t * 1e3, gflop / t,
               times[0] / batch * 1e3, first * 1e3, cpu_times[0] / batch * 1e3,
               gflop / (cpu_times[0] / batch));
        fflush(stdout);
        free(in.data);
        free(out.data);
    }
    be->context_destroy(ctx);
    be->weights_destroy(w);
    vsr_graph_free(&g);
    return rc ? 1 : 0;
}
