/* Output at any size on the GPU (issue 18): the CUDA backend's resample,
 * blend and I420 conversion (cuda_resample.cu) against the host's
 * (frame/resample.c, the same arithmetic) and against the pipeline's CPU
 * path (swscale), and its speed at 4K output beside the model's own time.
 * Device-run tool, not part of CTest (CI has no GPU).
 *
 *   cuda_resample check MODEL IN.ppm REFDIR
 *       for each case of resample_cases.h: the GPU's frame against the
 *       host's on the same model output (the engine with host conversion:
 *       the model on the GPU, the resample here): same bytes, whole and
 *       tiled, from RGB24 and from 4:2:0 frames (NV12 in GPU memory, I420
 *       in host memory); and against the CPU path's frame from the fp32
 *       oracle (REFDIR, resample_ref.c): PSNR of Y and chroma >= 45 dB.
 *   cuda_resample bench MODELS_DIR
 *       ms per frame at 4K output: the model's own output, the same
 *       resampled or blended, the input alone (detail 0), Lanczos-3 and
 *       bicubic; the resample's share of the model's time.
 * Exits 1 if a check failed. VSR_RESAMPLE_BACKEND=cpu runs it all on the
 * CPU backend instead (the tool's own dry run, no GPU: the NV12-in-GPU-
 * memory case is left out). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "engine/engine.h"
#include "model/model_registry.h"
#include "ppm_read.h"
#include "resample_cases.h"
#include "synthetic_frame.h"
#include "util/clock.h"

#define MIN_PSNR_CPU 45.0

static vsr_yuv420 i420(int w, int h)
{
    unsigned char *p = calloc((size_t)w * h * 3 / 2, 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return (vsr_yuv420){w,
                        h,
                        {p, p + (size_t)w * h, p + (size_t)w * h * 5 / 4},
                        {(size_t)w, (size_t)w / 2, (size_t)w / 2}};
}

/* An engine and a context on the cuda backend: host = 1 converts 8-bit
 * frames on the host, so the resample runs here (frame/resample.c). */
typedef struct runner {
    vsr_engine *e;
    vsr_engine_ctx *c;
} runner;

static const char *backend(void)
{
    const char *b = getenv("VSR_RESAMPLE_BACKEND");
    return b && *b ? b : "cuda";
}

static int runner_make(runner *r, const vsr_graph *g, int host, int tile, vsr_error *err)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = backend();
    opt.tile = tile;
    opt.host_conversion = host;
    opt.memory_budget = (size_t)16 << 30;
    r->e = NULL;
    r->c = NULL;
    int rc = vsr_engine_create(g, &opt, &r->e, err);
    if (rc == 0)
        rc = vsr_engine_ctx_create(r->e, &r->c, err);
    return rc;
}

static void runner_free(runner *r)
{
    vsr_engine_ctx_destroy(r->c);
    vsr_engine_destroy(r->e);
}

static vsr_yuv_coeffs bt709(void)
{
    vsr_yuv_coeffs k;
    vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
    return k;
}

/* Differing bytes of two I420 frames and the largest difference. */
static size_t count_diff(const vsr_yuv420 *a, const vsr_yuv420 *b, int *maxdiff)
{
    size_t n = (size_t)a->width * a->height * 3 / 2, diff = 0;
    int md = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs(a->plane[0][i] - b->plane[0][i]);
        diff += d != 0;
        md = d > md ? d : md;
    }
    *maxdiff = md;
    return diff;
}

static double plane_psnr(const unsigned char *a, const unsigned char *b, size_t n)
{
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        se += d * d;
    }
    return se == 0 ? 99.0 : 10 * log10(255.0 * 255.0 * n / se);
}

static int same(const char *what, const vsr_yuv420 *a, const vsr_yuv420 *b)
{
    int md;
    size_t diff = count_diff(a, b, &md);
    const size_t n = (size_t)a->width * a->height * 3 / 2;
    printf("SAME %-58s %zu of %zu bytes differ, max|diff| %d  %s\n", what, diff, n, md,
           md <= 1 ? "ok" : "FAIL");
    fflush(stdout);
    return md <= 1 ? 0 : 1;
}

/* The GPU's frame against the CPU path's (REFDIR). */
static int against_cpu(const char *what, const vsr_yuv420 *gpu, const char *path)
{
    const size_t luma = (size_t)gpu->width * gpu->height, n = luma * 3 / 2;
    unsigned char *ref = malloc(n);
    FILE *f = fopen(path, "rb");
    if (!ref || !f || fread(ref, 1, n, f) != n) {
        fprintf(stderr, "%s: cannot read %zu bytes\n", path, n);
        if (f)
            fclose(f);
        free(ref);
        return 1;
    }
    fclose(f);
    const double y = plane_psnr(gpu->plane[0], ref, luma),
                 cb = plane_psnr(gpu->plane[0] + luma, ref + luma, luma / 4),
                 cr = plane_psnr(gpu->plane[0] + luma * 5 / 4, ref + luma * 5 / 4, luma / 4);
    const double c = cb < cr ? cb : cr;
    const int ok = y >= MIN_PSNR_CPU && c >= MIN_PSNR_CPU;
    printf("CPU  %-58s Y %6.2f dB, Cb/Cr %6.2f dB against the CPU path  %s\n", what, y, c,
           ok ? "ok" : "FAIL");
    fflush(stdout);
    free(ref);
    return !ok;
}

static int check(const vsr_graph *g, const char *in_path, const char *refdir)
{
    vsr_error err = {0};
    vsr_image in = {0};
    runner gpu = {0}, host = {0}, gpu_t = {0}, host_t = {0};
    if (read_ppm(in_path, &in, &err) < 0 || runner_make(&gpu, g, 0, 0, &err) < 0 ||
        runner_make(&host, g, 1, 0, &err) < 0 || runner_make(&gpu_t, g, 0, 96, &err) < 0 ||
        runner_make(&host_t, g, 1, 96, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        runner_free(&gpu);
        runner_free(&host);
        runner_free(&gpu_t);
        vsr_image_free(&in);
        return 1;
    }
    const vsr_yuv_coeffs k = bt709();
    vsr_rgb_coeffs kin;
    vsr_rgb_coeffs_init(&kin, 0.2126, 0.0722, 0);
    /* the input as a decoder's 4:2:0 frame: I420 in host memory, NV12 in
     * GPU memory */
    vsr_yuv420 src = i420(in.width, in.height);
    vsr_rgb24_to_yuv420(in.data, in.stride, in.width, in.height, &k, &src, 0, 0);
    const size_t luma = (size_t)in.width * in.height, cw = (size_t)in.width / 2,
                 ch = (size_t)in.height / 2;
    unsigned char *nv12 = malloc(luma + 2 * cw * ch);
    memcpy(nv12, src.plane[0], luma);
    for (size_t i = 0; i < cw * ch; i++) {
        nv12[luma + 2 * i] = src.plane[1][i];
        nv12[luma + 2 * i + 1] = src.plane[2][i];
    }
    void *dev = NULL;
    const int on_gpu = !strcmp(backend(), "cuda");
    if (on_gpu &&
        (cudaMalloc(&dev, luma + 2 * cw * ch) != cudaSuccess ||
         cudaMemcpy(dev, nv12, luma + 2 * cw * ch, cudaMemcpyHostToDevice) != cudaSuccess)) {
        fprintf(stderr, "cuda: cannot stage the NV12 frame\n");
        return 1;
    }
    const vsr_yuv_in host_i420 = {.width = in.width,
                                  .height = in.height,
                                  .luma = src.plane[0],
                                  .cb = src.plane[1],
                                  .cr = src.plane[2],
                                  .luma_stride = (size_t)in.width,
                                  .chroma_stride = cw,
                                  .chroma_step = 1,
                                  .device = -1};
    const vsr_yuv_in dev_nv12 = {.width = in.width,
                                 .height = in.height,
                                 .luma = dev,
                                 .cb = (unsigned char *)dev + luma,
                                 .cr = (unsigned char *)dev + luma + 1,
                                 .luma_stride = (size_t)in.width,
                                 .chroma_stride = cw * 2,
                                 .chroma_step = 2,
                                 .device = 0};
    int fails = 0;
    for (int i = 0; i < N_RESAMPLE_CASES; i++) {
        const resample_case *rc = &RESAMPLE_CASES[i];
        const vsr_resample rs = {rc->detail, rc->filter, rc->input_filter};
        char what[160], path[4200];
        vsr_yuv420 a = i420(rc->w, rc->h), b = i420(rc->w, rc->h);
        snprintf(what, sizeof what, "%dx%d %.2f %s/%s (%s)", rc->w, rc->h, rc->detail,
                 vsr_resample_filter_name(rc->filter), vsr_resample_filter_name(rc->input_filter),
                 rc->what);
        double t0 = vsr_now_s();
        int st = vsr_engine_upscale_yuv420_to(gpu.c, &in, &a, &k, &rs, &err);
        double t1 = vsr_now_s();
        if (st == 0)
            st = vsr_engine_upscale_yuv420_to(host.c, &in, &b, &k, &rs, &err);
        if (st < 0) {
            fprintf(stderr, "%s: %s\n", what, err.msg);
            return 1;
        }
        printf("RUN  %-58s GPU %.1f ms (first run of the size)\n", what, (t1 - t0) * 1e3);
        fails += same(what, &a, &b);
        resample_ref_path(path, sizeof path, refdir, rc);
        fails += against_cpu(what, &a, path);
        if (i < 2) { /* tiles placed in the device frame; 4:2:0 inputs */
            char w2[200];
            st = vsr_engine_upscale_yuv420_to(gpu_t.c, &in, &a, &k, &rs, &err);
            if (st == 0)
                st = vsr_engine_upscale_yuv420_to(host_t.c, &in, &b, &k, &rs, &err);
            snprintf(w2, sizeof w2, "%s, tiles of 96", what);
            fails += st < 0 ? (fprintf(stderr, "%s: %s\n", w2, err.msg), 1) : same(w2, &a, &b);
            st = vsr_engine_upscale_from_yuv_to(gpu.c, on_gpu ? &dev_nv12 : &host_i420, &kin, &a,
                                                &k, &rs, &err);
            if (st == 0)
                st = vsr_engine_upscale_from_yuv_to(host.c, &host_i420, &kin, &b, &k, &rs, &err);
            snprintf(w2, sizeof w2, "%s, NV12 on the GPU vs I420 here", what);
            fails += st < 0 ? (fprintf(stderr, "%s: %s\n", w2, err.msg), 1) : same(w2, &a, &b);
            st = vsr_engine_upscale_from_yuv_to(gpu.c, &host_i420, &kin, &a, &k, &rs, &err);
            snprintf(w2, sizeof w2, "%s, I420 here to the GPU", what);
            fails += st < 0 ? (fprintf(stderr, "%s: %s\n", w2, err.msg), 1) : same(w2, &a, &b);
        }
        free(a.plane[0]);
        free(b.plane[0]);
    }
    if (dev)
        cudaFree(dev);
    free(nv12);
    free(src.plane[0]);
    runner_free(&gpu);
    runner_free(&host);
    runner_free(&gpu_t);
    runner_free(&host_t);
    vsr_image_free(&in);
    printf("resample check: %s\n", fails ? "FAILURES" : "ALL OK");
    return fails ? 1 : 0;
}

/* ms per frame of in to an I420 frame of w x h (rs NULL: the model's own
 * size), after a warm-up, over frames runs. */
static double time_frames(runner *r, const vsr_image *in, int w, int h, const vsr_resample *rs,
                          int frames)
{
    vsr_error err = {0};
    const vsr_yuv_coeffs k = bt709();
    vsr_yuv420 out = i420(w, h);
    double ms = -1;
    if (vsr_engine_upscale_yuv420_to(r->c, in, &out, &k, rs, &err) == 0) {
        double t0 = vsr_now_s();
        int st = 0;
        for (int i = 0; i < frames && st == 0; i++)
            st = vsr_engine_upscale_yuv420_to(r->c, in, &out, &k, rs, &err);
        ms = st == 0 ? (vsr_now_s() - t0) * 1e3 / frames : -1;
    }
    if (ms < 0)
        fprintf(stderr, "bench %dx%d: %s\n", w, h, err.msg);
    free(out.plane[0]);
    return ms;
}

static int bench(const char *models_dir)
{
    static const struct {
        const char *model;
        int in_w, in_h;
        const char *task;
    } S[] = {
        {"realesr-general-x4v3", 960, 540, "SD24K: x4 model at its own size, 4K"},
        {"realesr-animevideov3-x2", 1920, 1080, "HD24K: x2 model at its own size, 4K"},
        {"realesr-general-x4v3", 1920, 1080, "HD24K with an x4 model: 8K frames to 4K"},
        {"realesr-animevideov3-x4", 1920, 1080, "HD24K with animevideov3-x4: 8K frames to 4K"},
    };
    int fails = 0;
    for (size_t s = 0; s < sizeof S / sizeof S[0]; s++) {
        vsr_error err = {0};
        vsr_graph g;
        memset(&g, 0, sizeof g);
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.param", models_dir, S[s].model);
        runner r;
        vsr_image in = {0};
        if (vsr_model_load(path, 0, NULL, &g, &err) < 0 || runner_make(&r, &g, 0, 0, &err) < 0 ||
            vsr_image_alloc(&in, S[s].in_w, S[s].in_h, VSR_PIX_RGB24, &err) < 0) {
            fprintf(stderr, "%s: %s\n", S[s].model, err.msg);
            return 1;
        }
        fill_synthetic(&in); /* content does not change the speed much; nothing degenerate */
        const int mw = S[s].in_w * g.scale, mh = S[s].in_h * g.scale, frames = 12;
        const double own = time_frames(&r, &in, mw, mh, NULL, frames);
        printf("BENCH %s %dx%d (%s): model's own %dx%d: %.2f ms/frame\n", S[s].model, S[s].in_w,
               S[s].in_h, S[s].task, mw, mh, own);
        for (int f = 0; f < 2; f++) {
            const struct {
                float detail;
                const char *what;
            } D[] = {{1.f, "resampled"}, {0.5f, "resampled + blend 0.5"}, {0.f, "input alone"}};
            for (int d = 0; d < 3; d++) {
                const vsr_resample_filter rf = f ? VSR_RESAMPLE_BICUBIC : VSR_RESAMPLE_LANCZOS3;
                const vsr_resample rs = {D[d].detail, rf, rf};
                const double ms = time_frames(&r, &in, 3840, 2160, &rs, frames);
                fails += ms < 0;
                printf("BENCH   -> 3840x2160 %-22s %-8s %8.2f ms/frame  (%+.2f ms vs the model's "
                       "own output; %.1f%% of it)\n",
                       D[d].what, vsr_resample_filter_name(rs.filter), ms, ms - own,
                       100.0 * (ms - (D[d].detail > 0 ? own : 0)) / own);
                fflush(stdout);
            }
        }
        vsr_image_free(&in);
        runner_free(&r);
        vsr_graph_free(&g);
    }
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "check")) {
        vsr_error err = {0};
        vsr_graph g;
        memset(&g, 0, sizeof g);
        if (vsr_model_load(argv[2], 0, NULL, &g, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        int rc = check(&g, argv[3], argv[4]);
        vsr_graph_free(&g);
        return rc;
    }
    if (argc == 3 && !strcmp(argv[1], "bench"))
        return bench(argv[2]);
    fprintf(stderr, "usage: see the top of bench/device/cuda_resample.c\n");
    return 2;
}
