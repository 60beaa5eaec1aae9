/* Accuracy of the CUDA backend against the fp32 oracle (ref backend), on
 * 8-bit output. Device-run tool, not part of CTest (CI has no GPU).
 *
 *   cuda_psnr make-ref MODEL IN.ppm OUT.ppm [backend]   oracle output (ref)
 *   cuda_psnr check MODEL IN.ppm REF.ppm [TILE...]     cuda whole frame and
 *                                                      tiled vs REF, >= 45 dB
 *   cuda_psnr selftest MODEL W H                       ref and cuda (fused and
 *                                                      cuDNN paths) on a
 *                                                      synthetic W x H image
 *   cuda_psnr paths MODEL W H FRAMES                   cuda's 8-bit path vs the
 *                                                      host's float conversion,
 *                                                      and its YUV output vs the
 *                                                      host's conversion of its
 *                                                      RGB: same bytes (whole,
 *                                                      tiled); fps of each
 *   cuda_psnr yuv-in MODEL W H FRAMES                  YUV output from a 4:2:0
 *                                                      frame (NV12 in GPU memory,
 *                                                      NV12 and I420 in host
 *                                                      memory) vs from its C
 *                                                      conversion to RGB24: same
 *                                                      bytes (whole, tiled)
 *   cuda_psnr overlap MODEL IN.ppm RUNS                the RRDB convs overlapped
 *                                                      (the default) against one
 *                                                      at a time
 *                                                      (VSR_CUDA_RRDB_OFF=4,
 *                                                      or VSR_PSNR_REF_OFF),
 *                                                      RUNS frames on one
 *                                                      context: same bytes
 *   cuda_psnr variants MODEL                           every body-conv kernel
 *                                                      variant vs variant 0
 *                                                      (mma.sync, checked vs
 *                                                      ref above) on batches
 *                                                      and sizes the engine's
 *                                                      tests do not reach
 * Prints one PSNR line per comparison; exits 1 if any is under 45 dB. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "engine/backend.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/engine.h"
#include "engine/graph.h"
#include "model/model_registry.h"
#include "ppm_read.h"
#include "synthetic_frame.h"
#include "util/clock.h"
#include "util/error.h"

#define MIN_PSNR 45.0

static int write_ppm(const char *path, const vsr_image *img, vsr_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "create %s", path);
    fprintf(f, "P6\n%d %d\n255\n", img->width, img->height);
    size_t n = (size_t)img->width * img->height * 3;
    int ok = fwrite(img->data, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : vsr_error_set(err, VSR_ERR_IO, "write %s", path);
}

static double psnr(const vsr_image *a, const vsr_image *b, int *maxdiff)
{
    const uint8_t *pa = a->data, *pb = b->data;
    size_t n = (size_t)a->width * a->height * 3;
    double se = 0;
    int md = 0;
    for (size_t i = 0; i < n; i++) {
        int d = (int)pa[i] - (int)pb[i];
        se += (double)d * d;
        if (abs(d) > md)
            md = abs(d);
    }
    *maxdiff = md;
    double mse = se / n;
    return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

/* One frame (in, or yuv_in when not NULL) into out, or into yuv (as YUV
 * 4:2:0) when yuv is not NULL. */
static int run_once(vsr_engine_ctx *c, const vsr_image *in, const vsr_yuv_in *yuv_in,
                    vsr_image *out, vsr_yuv420 *yuv, vsr_error *err)
{
    vsr_yuv_coeffs k;
    vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
    vsr_rgb_coeffs kin;
    vsr_rgb_coeffs_init(&kin, 0.2126, 0.0722, 0);
    return yuv_in ? vsr_engine_upscale_from_yuv(c, yuv_in, &kin, yuv, &k, err)
           : yuv  ? vsr_engine_upscale_yuv420(c, in, yuv, &k, err)
                  : vsr_engine_upscale(c, in, out, err);
}

/* An engine of g on backend (tile 0: whole frame; host: 8-bit frames
 * converted on the host) and a context of it (*e, *c NULL unless made). */
static int open_engine(const vsr_graph *g, const char *backend, int tile, int host, vsr_engine **e,
                       vsr_engine_ctx **c, vsr_error *err)
{
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.backend = backend;
    opt.tile = tile;
    opt.host_conversion = host;
    opt.memory_budget = (size_t)16 << 30;
    *e = NULL;
    *c = NULL;
    int rc = vsr_engine_create(g, &opt, e, err);
    if (rc == 0)
        rc = vsr_engine_ctx_create(*e, c, err);
    return rc;
}

/* Upscales in (or yuv_in when not NULL) with backend (tile 0: whole frame)
 * into out (allocated), or into yuv when not NULL, frames times (host:
 * 8-bit frames converted on the host). */
static int upscale_any(const vsr_graph *g, const char *backend, int tile, int host, int frames,
                       const vsr_image *in, const vsr_yuv_in *yuv_in, vsr_image *out,
                       vsr_yuv420 *yuv, double *secs, vsr_error *err)
{
    vsr_engine *e;
    vsr_engine_ctx *c;
    int rc = open_engine(g, backend, tile, host, &e, &c, err);
    if (rc == 0 && !yuv)
        rc = vsr_image_alloc(out, in->width * g->scale, in->height * g->scale, VSR_PIX_RGB24, err);
    if (rc == 0 && frames > 1)
        rc = run_once(c, in, yuv_in, out, yuv, err); /* warm-up: plans, cuDNN algorithms */
    if (rc == 0) {
        double t0 = vsr_now_s();
        for (int k = 0; k < frames && rc == 0; k++)
            rc = run_once(c, in, yuv_in, out, yuv, err);
        *secs = vsr_now_s() - t0;
    }
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
    return rc;
}

static int upscale_n(const vsr_graph *g, const char *backend, int tile, int host, int frames,
                     const vsr_image *in, vsr_image *out, double *secs, vsr_error *err)
{
    return upscale_any(g, backend, tile, host, frames, in, NULL, out, NULL, secs, err);
}

/* I420 of w x h in one buffer (free data.plane[0]). */
static int alloc_i420(vsr_yuv420 *y, int w, int h, vsr_error *err)
{
    unsigned char *p = malloc((size_t)w * h * 3 / 2);
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    *y = (vsr_yuv420){w,
                      h,
                      {p, p + (size_t)w * h, p + (size_t)w * h * 5 / 4},
                      {(size_t)w, (size_t)w / 2, (size_t)w / 2}};
    return 0;
}

static int upscale(const vsr_graph *g, const char *backend, int tile, const vsr_image *in,
                   vsr_image *out, double *secs, vsr_error *err)
{
    return upscale_n(g, backend, tile, 0, 1, in, out, secs, err);
}

/* Overlapped launches (RrdbConvArgs) change when a tile runs, never what
 * it computes: every frame of runs on one context (flags and claim
 * counters reused) must give the bytes of the convs run one at a time.
 * A tile that read its inputs before they were written, or wrote over
 * ones still to be read, shows here. Returns the number of failures. */
static int overlap_check(const vsr_graph *g, const vsr_image *in, int runs)
{
    vsr_error err = {0};
    vsr_image one = {0}, got = {0};
    double secs = 0;
    /* the knobs are read when the engine is made: the reference with the
     * environment's VSR_CUDA_RRDB_OFF bits and the overlap's (4), or with
     * VSR_PSNR_REF_OFF's (other refinements that must not change a byte
     * either, e.g. 16: the stores by the copy engine) */
    const char *env = getenv("VSR_CUDA_RRDB_OFF"), *ref_env = getenv("VSR_PSNR_REF_OFF");
    const int bits = env ? atoi(env) : 0, ref_bits = ref_env ? atoi(ref_env) : bits | 4;
    char knob[2][16];
    snprintf(knob[0], sizeof knob[0], "%d", ref_bits);
    snprintf(knob[1], sizeof knob[1], "%d", bits);
    setenv("VSR_CUDA_RRDB_OFF", knob[0], 1);
    int rc = upscale(g, "cuda", 0, in, &one, &secs, &err);
    setenv("VSR_CUDA_RRDB_OFF", knob[1], 1);
    vsr_engine *e = NULL;
    vsr_engine_ctx *c = NULL;
    if (rc == 0)
        rc = open_engine(g, "cuda", 0, 0, &e, &c, &err);
    if (rc == 0)
        rc = vsr_image_alloc(&got, one.width, one.height, VSR_PIX_RGB24, &err);
    int fails = 0;
    for (int k = 0; k < runs && rc == 0; k++) {
        memset(got.data, 0, (size_t)got.width * got.height * 3);
        rc = run_once(c, in, NULL, &got, NULL, &err);
        int md = 0;
        if (rc == 0)
            psnr(&got, &one, &md);
        fails += md != 0;
        if (rc == 0 && md) {
            /* where: the box of the differing output pixels, in input pixels */
            const uint8_t *pg = got.data, *po = one.data;
            int x0 = got.width, y0 = got.height, x1 = -1, y1 = -1;
            for (int y = 0; y < got.height; y++)
                for (int x = 0; x < got.width * 3; x++)
                    if (pg[(size_t)y * got.width * 3 + x] != po[(size_t)y * got.width * 3 + x]) {
                        x0 = x / 3 < x0 ? x / 3 : x0;
                        x1 = x / 3 > x1 ? x / 3 : x1;
                        y0 = y < y0 ? y : y0;
                        y1 = y > y1 ? y : y1;
                    }
            printf("OVERLAP %s %dx%d run %d: max|diff| %d against one conv at a time FAIL "
                   "(input x %d..%d, y %d..%d)\n",
                   g->name, in->width, in->height, k, md, x0 / g->scale, x1 / g->scale,
                   y0 / g->scale, y1 / g->scale);
        }
    }
    printf("OVERLAP %s %dx%d (VSR_CUDA_RRDB_OFF=%d): %d of %d runs differ from one conv at a "
           "time (OFF=%d) %s\n",
           g->name, in->width, in->height, bits, fails, runs, ref_bits, fails ? "FAIL" : "ok");
    if (rc < 0) {
        fprintf(stderr, "overlap: %s\n", err.msg);
        fails++;
    }
    vsr_engine_ctx_destroy(c);
    vsr_engine_destroy(e);
    vsr_image_free(&one);
    vsr_image_free(&got);
    return fails;
}

static int load(const char *spec, vsr_graph *g, vsr_error *err)
{
    memset(g, 0, sizeof *g);
    return vsr_model_load(spec, 0, NULL, g, err);
}

static int verdict(const char *what, const vsr_image *got, const vsr_image *ref, double secs)
{
    int md;
    double p = psnr(got, ref, &md);
    printf("PSNR %-60s %6.2f dB  max|diff| %3d  (%.3f s)  %s\n", what, p, md, secs,
           p >= MIN_PSNR ? "ok" : "FAIL");
    fflush(stdout);
    return p >= MIN_PSNR ? 0 : 1;
}

static size_t count_diff(const vsr_yuv420 *a, const vsr_yuv420 *b)
{
    size_t n = (size_t)a->width * a->height * 3 / 2, diff = 0;
    for (size_t i = 0; i < n; i++)
        diff += a->plane[0][i] != b->plane[0][i];
    return diff;
}

/* A w x h 4:2:0 frame (odd sizes allowed) upscaled to YUV from NV12 in
 * GPU memory (the NVDEC path), from NV12 and I420 in host memory (the
 * backend's copy path, a CPU decoder's frames) and from its C conversion
 * to RGB24: all must give the same bytes. Returns the number of failures. */
static int yuv_paths(const vsr_graph *g, int w, int h, int frames)
{
    vsr_error err = {0};
    const size_t cw = (size_t)(w + 1) / 2, ch = (size_t)(h + 1) / 2;
    const size_t luma = (size_t)w * h, bytes = luma + 2 * cw * ch;
    unsigned char *nv12 = malloc(bytes), *i420 = malloc(bytes);
    vsr_image rgb = {0};
    void *dev = NULL;
    if (!nv12 || !i420 || vsr_image_alloc(&rgb, w, h, VSR_PIX_RGB24, &err) < 0 ||
        cudaMalloc(&dev, bytes) != cudaSuccess) {
        fprintf(stderr, "yuv: out of memory\n");
        return 1;
    }
    unsigned s = 777;
    for (size_t i = 0; i < bytes; i++) {
        s = s * 1103515245u + 12345u;
        const size_t c = i - luma, x = i < luma ? i % w : c % (2 * cw),
                     y = i < luma ? i / w : c / (2 * cw);
        nv12[i] = (unsigned char)(i < luma ? 40 + (x * 3 + y * 2) % 160 + (s >> 16) % 30
                                           : 90 + (x * 5 + y * 7) % 80 + (s >> 16) % 9);
        if (i < luma)
            i420[i] = nv12[i];
        else /* de-interleaved: Cb plane, then Cr plane */
            i420[luma + (x % 2) * cw * ch + y * cw + x / 2] = nv12[i];
    }
    cudaMemcpy(dev, nv12, bytes, cudaMemcpyHostToDevice);
    vsr_yuv_in in[3];
    in[0] = (vsr_yuv_in){.width = w,
                         .height = h,
                         .luma = nv12,
                         .cb = nv12 + luma,
                         .cr = nv12 + luma + 1,
                         .luma_stride = (size_t)w,
                         .chroma_stride = 2 * cw,
                         .chroma_step = 2,
                         .device = -1};
    in[1] = in[0];
    in[1].luma = dev;
    in[1].cb = (unsigned char *)dev + luma;
    in[1].cr = in[1].cb + 1;
    in[1].device = 0;
    in[2] = (vsr_yuv_in){.width = w,
                         .height = h,
                         .luma = i420,
                         .cb = i420 + luma,
                         .cr = i420 + luma + cw * ch,
                         .luma_stride = (size_t)w,
                         .chroma_stride = cw,
                         .chroma_step = 1,
                         .device = -1};
    const char *names[3] = {"host NV12", "GPU NV12", "host I420"};
    vsr_rgb_coeffs kin;
    vsr_rgb_coeffs_init(&kin, 0.2126, 0.0722, 0);
    vsr_yuv_in_to_rgb24(&in[0], &kin, 0, 0, w, h, rgb.data);
    int fails = 0;
    for (int tile = 0; tile <= 1; tile++) {
        int t = tile ? (w > 64 ? w / 3 : 16) : 0;
        vsr_yuv420 want, got;
        double s_rgb = 0, secs = 0;
        if (alloc_i420(&want, w * g->scale, h * g->scale, &err) < 0 ||
            alloc_i420(&got, w * g->scale, h * g->scale, &err) < 0 ||
            upscale_any(g, "cuda", t, 0, frames, &rgb, NULL, NULL, &want, &s_rgb, &err) < 0) {
            fprintf(stderr, "cuda: %s\n", err.msg);
            return fails + 1;
        }
        for (int k = 0; k < 3; k++) {
            memset(got.plane[0], 0, (size_t)got.width * got.height * 3 / 2);
            if (upscale_any(g, "cuda", t, 0, frames, NULL, &in[k], NULL, &got, &secs, &err) < 0) {
                fprintf(stderr, "cuda %s: %s\n", names[k], err.msg);
                return fails + 1;
            }
            size_t d = count_diff(&got, &want);
            printf("YUV-IN %s %dx%d %s, %s: %.1f fps (RGB24 path %.1f fps); %zu bytes differ "
                   "from the RGB24 path %s\n",
                   g->name, w, h, tile ? "tiled" : "whole", names[k], frames / secs, frames / s_rgb,
                   d, d == 0 ? "ok" : "FAIL");
            fflush(stdout);
            fails += d != 0;
        }
        free(want.plane[0]);
        free(got.plane[0]);
    }
    cudaFree(dev);
    free(nv12);
    free(i420);
    vsr_image_free(&rgb);
    return fails;
}

/* Every body-conv variant against variant 0 through the backend itself:
 * batches of frames (the engine runs one at a time), widths that are not
 * a multiple of any kernel's tile, and heights that make the TMA kernel's
 * per-CTA ranges cross from one column of tiles (or image) to the next. */
static int variants(const vsr_graph *g)
{
    static const struct {
        int n, w, h;
    } cases[] = {{3, 960, 540}, {1, 1920, 1080}, {2, 333, 197},
                 {5, 130, 3},   {1, 1, 1},       {4, 257, 31}};
    vsr_error err = {0};
    vsr_backend_config cfg = {.precision =
                                  VSR_PRECISION_FP16}; /* settings zeroed: the environment's */
    void *wts = NULL, *ctx = NULL;
    int fails = 0;
    setenv("VSR_CUDA_FUSED", "1", 1);
    if (vsr_backend_cuda.weights_create(g, &cfg, &wts, &err) < 0 ||
        vsr_backend_cuda.context_create(g, wts, &cfg, &ctx, &err) < 0) {
        fprintf(stderr, "cuda: %s\n", err.msg);
        return 1;
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        vsr_tensor in = {cases[k].n, g->in_channels, cases[k].h, cases[k].w, NULL};
        vsr_tensor out = {in.n, g->out_channels, in.h * g->scale, in.w * g->scale, NULL};
        size_t ni = (size_t)in.n * in.c * in.h * in.w, no = (size_t)out.n * out.c * out.h * out.w;
        float *want = malloc(no * sizeof(float));
        in.data = malloc(ni * sizeof(float));
        out.data = malloc(no * sizeof(float));
        if (!want || !in.data || !out.data) {
            fprintf(stderr, "out of host memory\n");
            fails++;
            goto next;
        }
        /* smooth per-frame patterns plus noise: frames differ, so a tile
         * written to the wrong frame shows */
        for (size_t i = 0; i < ni; i++) {
            size_t x = i % in.w, y = i / in.w % in.h, f = i / ((size_t)in.w * in.h * in.c);
            in.data[i] = 0.5f + 0.35f * sinf(0.07f * x + 0.05f * y + 0.9f * f) +
                         (float)((i * 2654435761u) >> 8 & 0xff) / 2550.f - 0.05f;
        }
        for (int v = 0; v < vsr_cuda_num_variants(); v++) {
            vsr_cuda_ctx_set_variant(ctx, v);
            vsr_tensor ref = out;
            ref.data = want; /* variant 0's output: the oracle of the others */
            if (vsr_backend_cuda.run(ctx, &in, v ? &out : &ref, &err) < 0) {
                fprintf(stderr, "variant %d, %dx%dx%d: %s\n", v, in.n, in.w, in.h, err.msg);
                fails++;
                break;
            }
            if (!v)
                continue;
            double se = 0, md = 0;
            for (size_t i = 0; i < no; i++) {
                double d = fabs((double)out.data[i] - want[i]) * 255.0;
                se += d * d;
                md = d > md ? d : md;
            }
            double p = se == 0 ? 99.0 : 10 * log10(255.0 * 255.0 * no / se);
            printf("VARIANT %-28s vs %s, %s %dx%d batch %d: %6.2f dB, max|diff| %.3f of 255 %s\n",
                   vsr_cuda_variant_name(v), vsr_cuda_variant_name(0), g->name, in.w, in.h, in.n, p,
                   md, p >= MIN_PSNR && md < 4 ? "ok" : "FAIL");
            fflush(stdout);
            fails += !(p >= MIN_PSNR && md < 4);
        }
    next:
        free(want);
        free(in.data);
        free(out.data);
    }
    vsr_backend_cuda.context_destroy(ctx);
    vsr_backend_cuda.weights_destroy(wts);
    return fails;
}

int main(int argc, char **argv)
{
    vsr_error err = {0};
    if (argc < 3) {
        fprintf(stderr, "usage: see the top of bench/device/cuda_psnr.c\n");
        return 2;
    }
    const char *mode = argv[1];
    vsr_graph g;
    if (load(argv[2], &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int fails = 0;
    vsr_image in = {0}, ref = {0}, out = {0};
    double secs = 0;
    if (!strcmp(mode, "make-ref") && argc >= 5) {
        const char *be = argc >= 6 ? argv[5] : "ref";
        if (read_ppm(argv[3], &in, &err) < 0 || upscale(&g, be, 0, &in, &out, &secs, &err) < 0 ||
            write_ppm(argv[4], &out, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        printf("%s: %s %dx%d -> %s in %.1f s (%s)\n", g.name, argv[3], in.width, in.height, argv[4],
               secs, be);
    } else if (!strcmp(mode, "check") && argc >= 5) {
        if (read_ppm(argv[3], &in, &err) < 0 || read_ppm(argv[4], &ref, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        for (int k = 5; k <= argc; k++) {
            int tile = k < argc ? atoi(argv[k]) : 0;
            if (upscale(&g, "cuda", tile, &in, &out, &secs, &err) < 0) {
                fprintf(stderr, "cuda (tile %d): %s\n", tile, err.msg);
                return 2;
            }
            char what[256];
            snprintf(what, sizeof what, "%s %s %s", g.name,
                     strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3],
                     tile ? "tiled" : "whole");
            if (tile)
                snprintf(what + strlen(what), sizeof what - strlen(what), " %d", tile);
            fails += verdict(what, &out, &ref, secs);
            const char *dump = getenv("VSR_PSNR_DUMP");
            if (dump && !tile)
                write_ppm(dump, &out, &err);
            vsr_image_free(&out);
        }
    } else if (!strcmp(mode, "overlap") && argc >= 5) {
        if (read_ppm(argv[3], &in, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        fails += overlap_check(&g, &in, atoi(argv[4]));
    } else if (!strcmp(mode, "paths") && argc >= 6) {
        int w = atoi(argv[3]), h = atoi(argv[4]), frames = atoi(argv[5]);
        if (vsr_image_alloc(&in, w, h, VSR_PIX_RGB24, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        fill_synthetic(&in);
        for (int tile = 0; tile <= 1; tile++) {
            int t = tile ? (w > 64 ? w / 3 : 16) : 0;
            double s8 = 0, sh = 0;
            if (upscale_n(&g, "cuda", t, 0, frames, &in, &out, &s8, &err) < 0 ||
                upscale_n(&g, "cuda", t, 1, frames, &in, &ref, &sh, &err) < 0) {
                fprintf(stderr, "cuda: %s\n", err.msg);
                return 2;
            }
            int md;
            double pv = psnr(&out, &ref, &md);
            printf("PATHS %s %dx%d %s: 8-bit path %.1f fps, host conversion %.1f fps (%.2fx); "
                   "max|diff| %d (%.2f dB) %s\n",
                   g.name, w, h, tile ? "tiled" : "whole", frames / s8, frames / sh, sh / s8, md,
                   pv, md == 0 ? "ok" : "FAIL");
            fflush(stdout);
            fails += md != 0;
            /* The YUV output converted on the GPU: the bytes of the C
             * conversion of the 8-bit path's RGB frame. */
            vsr_yuv420 gpu, host;
            double sy = 0;
            if (alloc_i420(&gpu, w * g.scale, h * g.scale, &err) < 0 ||
                alloc_i420(&host, w * g.scale, h * g.scale, &err) < 0 ||
                upscale_any(&g, "cuda", t, 0, frames, &in, NULL, NULL, &gpu, &sy, &err) < 0) {
                fprintf(stderr, "cuda yuv: %s\n", err.msg);
                return 2;
            }
            vsr_yuv_coeffs k;
            vsr_yuv_coeffs_init(&k, 0.2126, 0.0722);
            vsr_rgb24_to_yuv420(out.data, out.stride, out.width, out.height, &k, &host, 0, 0);
            size_t n = (size_t)out.width * out.height * 3 / 2, diff = 0;
            for (size_t i = 0; i < n; i++)
                diff += gpu.plane[0][i] != host.plane[0][i];
            printf("YUV %s %dx%d %s: GPU conversion %.1f fps (%.2fx the RGB24 path); %zu of %zu "
                   "bytes differ from the host's conversion %s\n",
                   g.name, w, h, tile ? "tiled" : "whole", frames / sy, s8 / sy, diff, n,
                   diff == 0 ? "ok" : "FAIL");
            fflush(stdout);
            fails += diff != 0;
            free(gpu.plane[0]);
            free(host.plane[0]);
            vsr_image_free(&out);
            vsr_image_free(&ref);
        }
    } else if (!strcmp(mode, "variants")) {
        fails += variants(&g);
    } else if (!strcmp(mode, "yuv-in") && argc >= 6) {
        fails += yuv_paths(&g, atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    } else if (!strcmp(mode, "selftest") && argc >= 5) {
        int w = atoi(argv[3]), h = atoi(argv[4]);
        if (vsr_image_alloc(&in, w, h, VSR_PIX_RGB24, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        fill_synthetic(&in);
        if (upscale(&g, "ref", 0, &in, &ref, &secs, &err) < 0) {
            fprintf(stderr, "ref: %s\n", err.msg);
            return 2;
        }
        const char *paths[2] = {"1", "0"};
        for (int k = 0; k < 2; k++) {
            setenv("VSR_CUDA_FUSED", paths[k], 1);
            for (int tile = 0; tile <= 1; tile++) {
                int t = tile ? (w > 64 ? w / 3 : 16) : 0;
                if (upscale(&g, "cuda", t, &in, &out, &secs, &err) < 0) {
                    fprintf(stderr, "cuda: %s\n", err.msg);
                    return 2;
                }
                char what[256];
                snprintf(what, sizeof what, "%s synthetic %dx%d %s %s", g.name, w, h,
                         k ? "cudnn-path" : "fused-path", tile ? "tiled" : "whole");
                fails += verdict(what, &out, &ref, secs);
                vsr_image_free(&out);
            }
        }
        setenv("VSR_CUDA_FUSED", "1", 1);
    } else {
        fprintf(stderr, "bad arguments; see the top of bench/device/cuda_psnr.c\n");
        return 2;
    }
    vsr_image_free(&in);
    vsr_image_free(&ref);
    vsr_image_free(&out);
    vsr_graph_free(&g);
    return fails ? 1 : 0;
}
