/* The quality module on synthetic pictures, where the answer is known or
 * bounded: identical pictures score PSNR 60, SSIM 1 and the same VMAF for
 * both models; PSNR is exact for a known error; more blur scores lower;
 * sharpening scores lower under NEG than under the default model;
 * results do not depend on the thread count; subsampling scores frames
 * 0, N, 2N; pooling follows libvmaf's harmonic mean; bad models and
 * sizes fail with errors that name them. (Agreement with libvmaf itself
 * is tests/cli/test_quality_vectors.sh and test_quality_oracle.sh.) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "quality/quality.h"
#include "quality/vmaf_model.h"
#include "test_util.h"

#define W 192
#define H 128

typedef struct picture {
    uint8_t y[W * H], u[W * H / 4], v[W * H / 4];
} picture;

/* A natural-like picture: smooth shapes, edges and fine texture, moving
 * with t (so that the motion feature is not zero). */
static void make_picture(picture *p, int t, unsigned seed)
{
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            int x = j + 2 * t, y = i + t;
            double v =
                128 + 60 * sin(x * 0.07) * cos(y * 0.05) + ((x / 24 + y / 16) % 2 ? 30 : -30);
            seed = seed * 1103515245u + 12345u;
            v += (int)((seed >> 16) % 9) - 4;
            p->y[i * W + j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    for (int i = 0; i < W * H / 4; i++) {
        p->u[i] = (uint8_t)(128 + (i % 7));
        p->v[i] = (uint8_t)(120 + (i % 5));
    }
}

/* 3x3 box blur applied n times (n = 0: a copy), or an unsharp mask when
 * sharpen is set. */
static void degrade(const picture *src, picture *dst, int n, int sharpen)
{
    *dst = *src;
    for (int pass = 0; pass < (sharpen ? 1 : n); pass++) {
        picture tmp = *dst;
        for (int i = 1; i < H - 1; i++)
            for (int j = 1; j < W - 1; j++) {
                int s = 0;
                for (int a = -1; a <= 1; a++)
                    for (int b = -1; b <= 1; b++)
                        s += tmp.y[(i + a) * W + j + b];
                int v =
                    sharpen ? tmp.y[i * W + j] + (tmp.y[i * W + j] * 9 - s) * n / 9 : (s + 4) / 9;
                dst->y[i * W + j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
}

static vsr_quality_picture view(const picture *p)
{
    vsr_quality_picture v = {{p->y, p->u, p->v}, {W, W / 2, W / 2}};
    return v;
}

/* Scores `frames` moving pictures degraded by (blur, sharpen). */
static int score(unsigned metrics, int threads, int subsample, int frames, int blur, int sharpen,
                 vsr_quality_summary *sum, vsr_quality_frame *first)
{
    static picture ref, dis;
    vsr_quality_options opt = {.metrics = metrics, .threads = threads, .subsample = subsample};
    vsr_quality *q;
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_quality_create(&opt, W, H, &q, &err) < 0) {
        fprintf(stderr, "create: %s\n", err.msg);
        return -1;
    }
    for (int t = 0; t < frames; t++) {
        make_picture(&ref, t, 7u + (unsigned)t);
        degrade(&ref, &dis, blur, sharpen);
        vsr_quality_picture r = view(&ref), d = view(&dis);
        if (vsr_quality_add(q, &r, &d, &err) < 0) {
            fprintf(stderr, "add: %s\n", err.msg);
            vsr_quality_free(q);
            return -1;
        }
    }
    int rc = vsr_quality_finish(q, sum, &err);
    if (rc < 0)
        fprintf(stderr, "finish: %s\n", err.msg);
    int64_t n;
    const vsr_quality_frame *f = vsr_quality_frames(q, &n);
    if (first && n > 0)
        *first = f[0];
    vsr_quality_free(q);
    return rc;
}

static const unsigned ALL =
    VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG | VSR_QUALITY_PSNR | VSR_QUALITY_SSIM;

static void test_identical(void)
{
    vsr_quality_summary s;
    CHECK(score(ALL, 1, 1, 4, 0, 0, &s, NULL) == 0);
    CHECK_NEAR(s.psnr_y.mean, 60.0, 1e-12);
    CHECK_NEAR(s.psnr_yuv.mean, 60.0, 1e-12);
    CHECK_NEAR(s.ssim.mean, 1.0, 1e-5);
    /* no enhancement: NEG's gain limits change nothing */
    CHECK_NEAR(s.vmaf.mean, s.vmaf_neg.mean, 1e-9);
    CHECK_MSG(s.vmaf.min > 95.0, "identical pictures scored VMAF %.3f", s.vmaf.min);
}

static void test_psnr_exact(void)
{
    static picture a, b;
    memset(&a, 100, sizeof a);
    memset(&b, 100, sizeof b);
    memset(b.y, 110, sizeof b.y); /* MSE 100 on Y, 0 on U and V */
    vsr_quality_options opt = {.metrics = VSR_QUALITY_PSNR, .threads = 1, .subsample = 1};
    vsr_quality *q;
    vsr_error err;
    vsr_quality_summary s;
    CHECK(vsr_quality_create(&opt, W, H, &q, &err) == 0);
    vsr_quality_picture r = view(&a), d = view(&b);
    CHECK(vsr_quality_add(q, &r, &d, &err) == 0);
    CHECK(vsr_quality_finish(q, &s, &err) == 0);
    double y = 10.0 * log10(255.0 * 255.0 / 100.0);
    CHECK_NEAR(s.psnr_y.mean, y, 1e-9);
    CHECK_NEAR(s.psnr_yuv.mean, (6.0 * y + 60.0 + 60.0) / 8.0, 1e-9);
    vsr_quality_free(q);
}

static void test_monotonic_and_neg(void)
{
    vsr_quality_summary s1, s3, sharp;
    CHECK(score(ALL, 1, 1, 3, 1, 0, &s1, NULL) == 0);
    CHECK(score(ALL, 1, 1, 3, 3, 0, &s3, NULL) == 0);
    CHECK_MSG(s3.vmaf.mean < s1.vmaf.mean - 1.0, "blur x3 %.3f vs x1 %.3f", s3.vmaf.mean,
              s1.vmaf.mean);
    CHECK(s3.psnr_y.mean < s1.psnr_y.mean);
    CHECK(s3.ssim.mean < s1.ssim.mean && s1.ssim.mean < 1.0);
    CHECK(score(ALL, 1, 1, 3, 2, 1, &sharp, NULL) == 0);
    /* the enhancement NEG discounts */
    CHECK_MSG(sharp.vmaf.mean > sharp.vmaf_neg.mean + 1.0, "sharpened: VMAF %.3f NEG %.3f",
              sharp.vmaf.mean, sharp.vmaf_neg.mean);
}

static void test_threads_and_subsample(void)
{
    vsr_quality_summary a, b, sub;
    vsr_quality_frame fa, fb;
    CHECK(score(ALL, 1, 1, 5, 1, 0, &a, &fa) == 0);
    CHECK(score(ALL, 3, 1, 5, 1, 0, &b, &fb) == 0);
    CHECK(a.vmaf.mean == b.vmaf.mean && a.vmaf_neg.mean == b.vmaf_neg.mean);
    CHECK(a.ssim.mean == b.ssim.mean && fa.vmaf == fb.vmaf);
    CHECK(score(ALL, 1, 2, 5, 1, 0, &sub, NULL) == 0);
    CHECK(sub.pictures == 5 && sub.scored == 3);
}

static void test_pool(void)
{
    const double v[3] = {90.0, 80.0, 100.0};
    vsr_quality_pooled p = vsr_quality_pool(v, 3);
    CHECK_NEAR(p.mean, 90.0, 1e-12);
    CHECK_NEAR(p.harmonic_mean, 3.0 / (1.0 / 91 + 1.0 / 81 + 1.0 / 101) - 1.0, 1e-12);
    CHECK(p.min == 80.0 && p.max == 100.0);
}

static void check_model_error(const char *json, const char *needle)
{
    vsr_vmaf_model *m = (vsr_vmaf_model *)1;
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_vmaf_model_parse(json, strlen(json), "test.json", &m, &err);
    CHECK_MSG(rc < 0 && m == NULL, "parsed: %s", json);
    CHECK_MSG(strstr(err.msg, "test.json") && strstr(err.msg, needle), "message '%s' lacks '%s'",
              err.msg, needle);
}

static void test_model_errors(void)
{
    check_model_error("{", "not JSON");
    check_model_error("{}", "model_dict");
    check_model_error("{\"model_dict\": {\"model_type\": \"RESNET\"}}", "LIBSVMNUSVR");
    check_model_error("{\"model_dict\": {\"model_type\": \"LIBSVMNUSVR\", \"norm_type\": "
                      "\"linear_rescale\", \"feature_names\": [\"a\",\"b\",\"c\",\"d\",\"e\","
                      "\"f\"]}}",
                      "not one vsr computes");
    vsr_vmaf_model *m;
    vsr_error err;
    CHECK(vsr_vmaf_model_load("/nonexistent/model.json", &m, &err) < 0);
    CHECK(strstr(err.msg, "/nonexistent/model.json") != NULL);
    CHECK(vsr_vmaf_model_builtin("vmaf_v0.6.1neg", &m, &err) == 0);
    CHECK(vsr_vmaf_model_adm_gain_limit(m) == 1.0 && vsr_vmaf_model_vif_gain_limit(m) == 1.0);
    vsr_vmaf_model_free(m);
    CHECK(vsr_vmaf_model_builtin("vmaf_v0.6.1", &m, &err) == 0);
    CHECK(vsr_vmaf_model_adm_gain_limit(m) == 100.0);
    vsr_vmaf_model_free(m);
    CHECK(vsr_vmaf_model_builtin("vmaf_4k", &m, &err) < 0);
}

/* The models' score_clip (0..100) and the unclipped prediction the detail
 * probe uses: features of an output sharper than its reference (VIF and
 * ADM over 1, which NEG's gain limits cap) predict over 100 unclipped,
 * exactly 100 clipped; inside the range the two are the same. */
static void test_unclipped(void)
{
    vsr_error err;
    vsr_vmaf_model *m;
    CHECK(vsr_vmaf_model_builtin("vmaf_v0.6.1", &m, &err) == 0);
    double sharp[VSR_VMAF_N_FEATURES], mid[VSR_VMAF_N_FEATURES];
    sharp[VSR_VMAF_ADM2] = 1.15;
    mid[VSR_VMAF_ADM2] = 0.9;
    sharp[VSR_VMAF_MOTION2] = mid[VSR_VMAF_MOTION2] = 4.0;
    for (int f = VSR_VMAF_VIF0; f <= VSR_VMAF_VIF3; f++) {
        sharp[f] = 1.2;
        mid[f] = 0.6;
    }
    const double unclipped = vsr_vmaf_model_predict(m, sharp, 0);
    CHECK_MSG(unclipped > 100.0, "sharp features predicted %.3f unclipped", unclipped);
    CHECK(vsr_vmaf_model_predict(m, sharp, 1) == 100.0);
    const double inside = vsr_vmaf_model_predict(m, mid, 1);
    CHECK_MSG(inside > 0.0 && inside < 100.0, "mid features predicted %.3f", inside);
    CHECK(vsr_vmaf_model_predict(m, mid, 0) == inside);
    vsr_vmaf_model_free(m);
}

static void test_bad_sizes(void)
{
    vsr_quality_options opt = {.metrics = ALL, .threads = 1, .subsample = 1};
    vsr_quality *q;
    vsr_error err;
    CHECK(vsr_quality_create(&opt, 16, 16, &q, &err) < 0 && strstr(err.msg, "16x16"));
    CHECK(vsr_quality_create(&opt, 65, 64, &q, &err) < 0);
    CHECK(vsr_quality_create(&opt, 100000, 100000, &q, &err) < 0);
    opt.metrics = 0;
    CHECK(vsr_quality_create(&opt, 64, 64, &q, &err) < 0);
    opt.metrics = ALL;
    CHECK(vsr_quality_create(&opt, 64, 64, &q, &err) == 0);
    vsr_quality_summary s;
    CHECK(vsr_quality_finish(q, &s, &err) < 0); /* no picture */
    vsr_quality_free(q);
}

int main(void)
{
    test_identical();
    test_psnr_exact();
    test_monotonic_and_neg();
    test_threads_and_subsample();
    test_pool();
    test_model_errors();
    test_unclipped();
    test_bad_sizes();
    return test_report("test_quality");
}
