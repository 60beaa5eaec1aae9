/* VMAF on CUDA against the CPU (device run: bench/device/gpu_run.sh vmaf).
 *
 *   vmaf_cuda_bench [--quick] [--threads N] [--device D]
 *
 * Frames are made here (no FFmpeg): a textured picture of several octaves
 * of value noise, edges and stripes, panning with a little sensor noise;
 * the distorted picture is blurred and noised, or sharpened on every third
 * frame (where VMAF NEG departs from VMAF). For each size:
 *   1. accuracy: the same frames scored by a CPU session and a CUDA session
 *      (device pictures; host upload for the odd sizes), per-frame and
 *      pooled |VMAF diff| for both models;
 *   2. CUDA fps: frames resident on the GPU (uploaded once, reused), both
 *      gain-limit variants at once, many frames in flight, per batch size,
 *      and through a quality session (vsr_quality_add_device, with the
 *      host's SVM prediction);
 *   3. CPU fps of the CPU session with N threads (16 by default), and the
 *      ratio. */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality/quality.h"
#include "quality/vmaf_cuda.h"
#include "util/clock.h"
#include "util/error.h"

typedef struct clip {
    int w, h, n;
    uint8_t **ref, **dis; /* n pictures each, w x h, stride w */
} clip;

static uint32_t hash3(int x, int y, int s)
{
    uint32_t h = (uint32_t)x * 0x8da6b343u ^ (uint32_t)y * 0xd8163841u ^ (uint32_t)s * 0xcb1ab31fu;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return h;
}

static float lattice(int x, int y, int s)
{
    return (float)(hash3(x, y, s) & 0xffff) / 65535.0f;
}

/* value noise, bilinear, period `cell` pixels */
static float value_noise(float x, float y, float cell, int s)
{
    float fx = x / cell, fy = y / cell;
    int ix = (int)floorf(fx), iy = (int)floorf(fy);
    float tx = fx - ix, ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    float a = lattice(ix, iy, s), b = lattice(ix + 1, iy, s);
    float c = lattice(ix, iy + 1, s), d = lattice(ix + 1, iy + 1, s);
    return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}

static float texture(float x, float y)
{
    float v = 0.45f * value_noise(x, y, 180.0f, 1) + 0.25f * value_noise(x, y, 47.0f, 2) +
              0.15f * value_noise(x, y, 11.0f, 3) + 0.07f * value_noise(x, y, 3.0f, 4);
    /* hard edges: a checker of large tiles, stripes in some of them */
    int tile = ((int)floorf(x / 256.0f) + (int)floorf(y / 192.0f)) & 1;
    v += tile ? 0.12f : -0.05f;
    if (((int)floorf(x / 256.0f) % 3) == 1)
        v += 0.08f * sinf(x * 0.35f + y * 0.12f);
    return v;
}

static uint8_t clamp8(float v)
{
    return (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v + 0.5f);
}

static int clip_make(clip *c, int w, int h, int n)
{
    c->w = w;
    c->h = h;
    c->n = n;
    c->ref = calloc((size_t)n, sizeof *c->ref);
    c->dis = calloc((size_t)n, sizeof *c->dis);
    if (!c->ref || !c->dis)
        return -1;
    float *blur = malloc((size_t)w * h * sizeof(float));
    if (!blur)
        return -1;
    for (int t = 0; t < n; t++) {
        uint8_t *r = c->ref[t] = malloc((size_t)w * h);
        uint8_t *d = c->dis[t] = malloc((size_t)w * h);
        if (!r || !d)
            return -1;
        const float scale = 3840.0f / (float)w; /* the same scene at every size */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = texture((x + 3.7f * t) * scale * 0.5f, (y + 1.3f * t) * scale * 0.5f);
                float noise = ((float)(hash3(x, y, 100 + t) & 0xff) / 255.0f - 0.5f) * 6.0f;
                r[(size_t)y * w + x] = clamp8(30.0f + 190.0f * v + noise);
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float s = 0.0f;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                        int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                        s += r[(size_t)yy * w + xx];
                    }
                blur[(size_t)y * w + x] = s / 9.0f;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                float noise = ((float)(hash3(x, y, 900 + t) & 0xff) / 255.0f - 0.5f) * 8.0f;
                float v = t % 3 == 2 ? r[i] + 0.9f * (r[i] - blur[i]) /* sharpened */
                                     : blur[i] + noise * (0.5f + 0.25f * (t % 3));
                d[i] = clamp8(v);
            }
    }
    free(blur);
    return 0;
}

static void clip_free(clip *c)
{
    for (int t = 0; t < c->n; t++) {
        if (c->ref)
            free(c->ref[t]);
        if (c->dis)
            free(c->dis[t]);
    }
    free(c->ref);
    free(c->dis);
}

/* Scores c with a session; 0 or -1. seconds: the wall time of add + finish. */
static int score(const clip *c, int use_cuda, int device, int threads, int on_device, int subsample,
                 int period, vsr_quality **out, vsr_quality_summary *sum, double *seconds)
{
    vsr_error err;
    vsr_error_clear(&err);
    vsr_quality_options o = {.metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG,
                             .threads = threads,
                             .subsample = subsample,
                             .use_cuda = use_cuda,
                             .cuda_device = device};
    vsr_quality *q;
    if (vsr_quality_create(&o, c->w, c->h, &q, &err) < 0) {
        fprintf(stderr, "create: %s\n", err.msg);
        return -1;
    }
    uint8_t *dref = NULL, *ddis = NULL;
    size_t plane = (size_t)c->w * c->h;
    if (on_device) {
        if (cudaMalloc((void **)&dref, plane * period) != cudaSuccess ||
            cudaMalloc((void **)&ddis, plane * period) != cudaSuccess) {
            fprintf(stderr, "cudaMalloc failed\n");
            return -1;
        }
        for (int t = 0; t < period; t++) {
            cudaMemcpy(dref + plane * t, c->ref[t], plane, cudaMemcpyHostToDevice);
            cudaMemcpy(ddis + plane * t, c->dis[t], plane, cudaMemcpyHostToDevice);
        }
    }
    double t0 = vsr_now_s();
    int rc = 0;
    for (int t = 0; t < c->n && rc >= 0; t++) {
        if (on_device) {
            rc = vsr_quality_add_device(q, dref + plane * (t % period), c->w,
                                        ddis + plane * (t % period), c->w, NULL, &err);
        } else {
            vsr_quality_picture r = {{c->ref[t], c->ref[t], c->ref[t]}, {c->w, 0, 0}};
            vsr_quality_picture d = {{c->dis[t], c->dis[t], c->dis[t]}, {c->w, 0, 0}};
            rc = vsr_quality_add(q, &r, &d, &err);
        }
    }
    if (rc >= 0)
        rc = vsr_quality_finish(q, sum, &err);
    *seconds = vsr_now_s() - t0;
    cudaFree(dref);
    cudaFree(ddis);
    if (rc < 0) {
        fprintf(stderr, "score: %s\n", err.msg);
        vsr_quality_free(q);
        return -1;
    }
    *out = q;
    return 0;
}

/* CPU against CUDA on c; returns 0 when within tolerance. *cpu_fps: the
 * CPU session's. */
static int check(const clip *c, int device, int threads, int on_device, int subsample,
                 double *cpu_fps)
{
    vsr_quality *qc = NULL, *qg = NULL;
    vsr_quality_summary sc, sg;
    double tc, tg;
    if (score(c, 0, 0, threads, 0, subsample, c->n, &qc, &sc, &tc) < 0 ||
        score(c, 1, device, threads, on_device, subsample, c->n, &qg, &sg, &tg) < 0) {
        vsr_quality_free(qc);
        return -1;
    }
    int64_t n, ng;
    const vsr_quality_frame *fc = vsr_quality_frames(qc, &n), *fg = vsr_quality_frames(qg, &ng);
    double dv = 0.0, dn = 0.0;
    for (int64_t i = 0; i < n && i < ng; i++) {
        double a = fabs(fc[i].vmaf - fg[i].vmaf), b = fabs(fc[i].vmaf_neg - fg[i].vmaf_neg);
        dv = a > dv ? a : dv;
        dn = b > dn ? b : dn;
    }
    double pv = fabs(sc.vmaf.mean - sg.vmaf.mean), pn = fabs(sc.vmaf_neg.mean - sg.vmaf_neg.mean);
    int ok = n == ng && pv <= 0.01 && pn <= 0.01;
    printf("CHECK %dx%d frames=%lld subsample=%d input=%s  cpu vmaf=%.4f neg=%.4f  cuda vmaf=%.4f "
           "neg=%.4f  pooled |diff| vmaf=%.6f neg=%.6f  max frame |diff| vmaf=%.6f neg=%.6f  %s\n",
           c->w, c->h, (long long)n, subsample, on_device ? "device" : "host", sc.vmaf.mean,
           sc.vmaf_neg.mean, sg.vmaf.mean, sg.vmaf_neg.mean, pv, pn, dv, dn, ok ? "ok" : "FAIL");
    if (n <= 24)
        for (int64_t i = 0; i < n && i < ng; i++)
            printf("  frame %lld: cpu %.4f / %.4f  cuda %.4f / %.4f\n", (long long)fc[i].index,
                   fc[i].vmaf, fc[i].vmaf_neg, fg[i].vmaf, fg[i].vmaf_neg);
    if (cpu_fps)
        *cpu_fps = c->n / tc;
    printf("CPU %dx%d threads=%d: %.1f fps (%d frames, both models)\n", c->w, c->h, threads,
           c->n / tc, c->n);
    fflush(stdout);
    vsr_quality_free(qc);
    vsr_quality_free(qg);
    return ok ? 0 : 1;
}

/* CUDA fps with the raw API, frames resident on the GPU. */
static double cuda_fps(const clip *c, int device, int batch, int frames)
{
    vsr_error err;
    vsr_error_clear(&err);
    vsr_vmaf_cuda_options o = {.device = device,
                               .width = c->w,
                               .height = c->h,
                               .n_limits = 2,
                               .adm_gain_limits = {100.0, 1.0},
                               .vif_gain_limits = {100.0, 1.0},
                               .batch = batch};
    vsr_vmaf_cuda *v;
    if (vsr_vmaf_cuda_create(&o, &v, &err) < 0) {
        fprintf(stderr, "create: %s\n", err.msg);
        return -1;
    }
    size_t plane = (size_t)c->w * c->h;
    uint8_t *dref, *ddis;
    if (cudaMalloc((void **)&dref, plane * c->n) != cudaSuccess ||
        cudaMalloc((void **)&ddis, plane * c->n) != cudaSuccess)
        return -1;
    for (int t = 0; t < c->n; t++) {
        cudaMemcpy(dref + plane * t, c->ref[t], plane, cudaMemcpyHostToDevice);
        cudaMemcpy(ddis + plane * t, c->dis[t], plane, cudaMemcpyHostToDevice);
    }
    vsr_vmaf_cuda_features out[64];
    double checksum = 0.0, t0 = 0.0;
    int64_t got = 0;
    const int warm = 2 * batch;
    for (int i = 0; i < warm + frames; i++) {
        if (i == warm) {
            while (vsr_vmaf_cuda_pending(v) > 0) {
                int k = vsr_vmaf_cuda_collect(v, out, 64, 1, &err);
                if (k < 0)
                    goto fail;
            }
            t0 = vsr_now_s();
        }
        int t = i % c->n;
        if (vsr_vmaf_cuda_submit(v, dref + plane * t, c->w, ddis + plane * t, c->w, NULL, &err) < 0)
            goto fail;
        int k = vsr_vmaf_cuda_collect(v, out, 64, 0, &err);
        if (k < 0)
            goto fail;
        for (int j = 0; j < k; j++)
            checksum += out[j].vif_num[0][0];
        got += i >= warm ? k : 0;
    }
    while (vsr_vmaf_cuda_pending(v) > 0) {
        int k = vsr_vmaf_cuda_collect(v, out, 64, 1, &err);
        if (k < 0)
            goto fail;
        for (int j = 0; j < k; j++)
            checksum += out[j].vif_num[0][0];
    }
    double s = vsr_now_s() - t0;
    vsr_vmaf_cuda_free(v);
    cudaFree(dref);
    cudaFree(ddis);
    double fps = frames / s;
    printf("CUDA %dx%d batch=%d: %.1f fps (%d frames in %.3f s, both variants; checksum %.6g)\n",
           c->w, c->h, batch, fps, frames, s, checksum);
    fflush(stdout);
    return fps;
fail:
    fprintf(stderr, "cuda: %s\n", err.msg);
    vsr_vmaf_cuda_free(v);
    return -1;
}

/* fps of a quality session fed device pictures (both models, SVM on the host). */
static double session_fps(const clip *c, int device, int frames)
{
    clip big = *c;
    vsr_quality *q;
    vsr_quality_summary s;
    double sec;
    /* repeat the clip's frames to `frames` pictures */
    big.n = frames;
    big.ref = malloc((size_t)frames * sizeof *big.ref);
    big.dis = malloc((size_t)frames * sizeof *big.dis);
    for (int i = 0; i < frames; i++) {
        big.ref[i] = c->ref[i % c->n];
        big.dis[i] = c->dis[i % c->n];
    }
    double fps = -1.0; /* the c->n distinct pictures uploaded once, outside the timing */
    if (score(&big, 1, device, 1, 1, 1, c->n, &q, &s, &sec) == 0) {
        fps = frames / sec;
        printf("SESSION %dx%d: %.1f fps (vsr_quality_add_device, %d frames, both models, mean "
               "vmaf %.3f neg %.3f)\n",
               c->w, c->h, fps, frames, s.vmaf.mean, s.vmaf_neg.mean);
        vsr_quality_free(q);
    }
    free(big.ref);
    free(big.dis);
    fflush(stdout);
    return fps;
}

int main(int argc, char **argv)
{
    int quick = 0, threads = 16, device = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--quick] [--threads N] [--device D]\n", argv[0]);
            return 2;
        }
    }
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        fprintf(stderr, "no CUDA device %d\n", device);
        return 1;
    }
    printf("device %d: %s, %d SMs\n", device, prop.name, prop.multiProcessorCount);
    int fail = 0;
    /* odd sizes: tile overhang, small scales, subsampling (motion-only frames) */
    {
        clip c;
        if (clip_make(&c, 1282, 722, 6) < 0)
            return 1;
        fail |= check(&c, device, threads, 0, 1, NULL) != 0;
        clip_free(&c);
        if (clip_make(&c, 352, 288, 12) < 0)
            return 1;
        fail |= check(&c, device, threads, 0, 3, NULL) != 0;
        clip_free(&c);
    }
    static const int sizes[2][3] = {{1920, 1080, 16}, {3840, 2160, 8}};
    for (int s = 0; s < 2; s++) {
        clip c;
        if (clip_make(&c, sizes[s][0], sizes[s][1], sizes[s][2]) < 0)
            return 1;
        double cpu = 0.0;
        fail |= check(&c, device, threads, 1, 1, &cpu) != 0;
        const int frames = (s == 0 ? 3000 : 800) / (quick ? 4 : 1);
        double best = 0.0;
        static const int batches[] = {4, 8, 16, 32};
        for (int b = 0; b < 4; b++) {
            double f = cuda_fps(&c, device, batches[b], frames);
            best = f > best ? f : best;
        }
        session_fps(&c, device, frames / 2);
        printf("RATIO %dx%d: CUDA %.1f fps / CPU (%d threads) %.1f fps = %.1fx\n", c.w, c.h, best,
               threads, cpu, cpu > 0 ? best / cpu : 0.0);
        fflush(stdout);
        clip_free(&c);
    }
    printf("%s\n", fail ? "FAIL" : "ok");
    return fail;
}
