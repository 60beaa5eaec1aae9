/* vsr quality: scores a distorted clip against a reference with VMAF
 * v0.6.1 and v0.6.1neg (what the Vidaio validators compute), PSNR and
 * optionally SSIM; per-frame and pooled, as text or JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/json_print.h"
#include "cli/options.h"
#include "pipeline/clip_quality.h"
#include "util/cores.h"

static const char *const CMD = "quality";

typedef struct quality_args {
    vsr_clip_quality_options opt;
    const char *reference;
    int model, scale, json, ssim, cuda_device;
} quality_args;

static const char *const models[] = {"both", "vmaf", "vmaf-neg", "none", NULL};
static const int model_metrics[] = {VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG, VSR_QUALITY_VMAF,
                                    VSR_QUALITY_VMAF_NEG, 0};
static const char *const scales[] = {"lanczos", "bicubic", NULL};
static const char *const features[] = {"integer", "float", NULL};

#define F(f) offsetof(quality_args, f)
/* clang-format off */
static const vsr_opt options[] = {
    {.name = "reference", .type = VSR_OPT_STRING, .arg = "FILE", .offset = F(reference),
     .help = "the clip to compare with (required)"},
    {.name = "model", .type = VSR_OPT_CHOICE, .arg = "M", .offset = F(model), .choices = models,
     .values = model_metrics, .help = "vmaf, vmaf-neg, both (default) or none"},
    {.name = "reference-scale", .type = VSR_OPT_CHOICE, .arg = "S", .offset = F(scale),
     .choices = scales, .help = "lanczos (default) or bicubic"},
    {.name = "subsample", .type = VSR_OPT_INT, .arg = "N", .offset = F(opt.quality.subsample),
     .min = 1, .max = 1000, .accepted = "1..1000",
     .help = "score frames 0, N, 2N, ... (default 1: all)"},
    {.name = "threads", .type = VSR_OPT_INT, .arg = "N", .offset = F(opt.quality.threads),
     .min = 1, .max = 1024, .accepted = "1..1024", .help = "threads (default: every core)"},
    {.name = "ssim", .type = VSR_OPT_FLAG, .offset = F(ssim), .help = "also SSIM"},
    {.name = "features", .type = VSR_OPT_CHOICE, .arg = "F", .offset = F(opt.quality.float_models),
     .choices = features,
     .help = "integer (default: libvmaf's integer extractors, what\n"
             "the validators run) or float (its float extractors,\n"
             "the only ones of libvmaf 1.x); they differ in VIF"},
    {.name = "unclipped", .type = VSR_OPT_FLAG, .offset = F(opt.quality.unclipped),
     .help = "VMAF and NEG as the models predict them, not clipped\n"
             "to 0..100 (a sharper output than its reference scores\n"
             "over 100; the validators clip)"},
    {.name = "model-file", .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(opt.quality.vmaf_model_path),
     .help = "a libvmaf JSON model instead of the built-in v0.6.1"},
    {.name = "neg-model-file", .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(opt.quality.vmaf_neg_model_path), .help = "the same for the NEG model"},
    {.name = "cuda-device", .type = VSR_OPT_INT, .arg = "N", .offset = F(cuda_device), .min = 0,
     .max = 63, .accepted = "0..63",
     .help = "VMAF's features on CUDA device N (PSNR, SSIM on the CPU)"},
    {.name = "json", .type = VSR_OPT_FLAG, .offset = F(json),
     .help = "print one JSON object (per-frame scores included)"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .flags = VSR_OPTF_HIDDEN},
    {0},
};
/* clang-format on */
#undef F

static void help(void)
{
    printf("usage: vsr quality DISTORTED --reference REF [options]\n\n"
           "Scores DISTORTED against REF, frame by frame: VMAF v0.6.1 and its NEG variant\n"
           "(libvmaf's float models, built in), PSNR (Y and the (6Y+U+V)/8 mean) and, on\n"
           "request, SSIM on Y. Both clips are decoded by vsr; they must have the same\n"
           "frame count and 8-bit 4:2:0 pictures. A reference of another size is scaled\n"
           "to the distorted size first (the validators' NEG gate compares an upscaled\n"
           "output with its input Lanczos-scaled).\n\n");
    vsr_opt_help(stdout, options, 26);
    printf("\nExit status: 0 scored, 1 a file was unreadable or unsuitable, 2 wrong usage.\n");
}

static json_t *pooled_json(const vsr_quality_pooled *p)
{
    return json_pack("{s:f,s:f,s:f,s:f}", "mean", p->mean, "harmonic_mean", p->harmonic_mean, "min",
                     p->min, "max", p->max);
}

static int print_json(const char *dist, const char *ref, const vsr_clip_quality *cq,
                      unsigned metrics)
{
    const vsr_quality_summary *s = &cq->summary;
    json_t *root = json_pack("{s:s,s:s,s:i,s:i,s:I,s:I,s:b,s:f}", "distorted", dist, "reference",
                             ref, "width", cq->width, "height", cq->height, "frame_count",
                             (json_int_t)s->pictures, "scored_frames", (json_int_t)s->scored,
                             "reference_scaled", cq->reference_scaled, "seconds", cq->seconds);
    json_t *pooled = json_object();
    json_t *frames = json_array();
    if (!root || !pooled || !frames)
        goto oom;
    json_object_set_new(root, "pooled", pooled);
    json_object_set_new(root, "frames", frames);
    if (metrics & VSR_QUALITY_VMAF)
        json_object_set_new(pooled, "vmaf", pooled_json(&s->vmaf));
    if (metrics & VSR_QUALITY_VMAF_NEG)
        json_object_set_new(pooled, "vmaf_neg", pooled_json(&s->vmaf_neg));
    json_object_set_new(pooled, "psnr_y", pooled_json(&s->psnr_y));
    json_object_set_new(pooled, "psnr_yuv", pooled_json(&s->psnr_yuv));
    if (metrics & VSR_QUALITY_SSIM)
        json_object_set_new(pooled, "ssim", pooled_json(&s->ssim));
    if ((metrics & VSR_QUALITY_VMAF) && (metrics & VSR_QUALITY_VMAF_NEG))
        json_object_set_new(root, "neg_delta", json_real(s->vmaf.mean - s->vmaf_neg.mean));
    int64_t n;
    const vsr_quality_frame *f = vsr_quality_frames(cq->session, &n);
    for (int64_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:I,s:f,s:f,s:f,s:f}", "frame", (json_int_t)f[i].index, "psnr_y",
                              f[i].psnr_y, "psnr_u", f[i].psnr_u, "psnr_v", f[i].psnr_v, "psnr_yuv",
                              f[i].psnr_yuv);
        if (!o)
            goto oom;
        if (metrics & VSR_QUALITY_VMAF)
            json_object_set_new(o, "vmaf", json_real(f[i].vmaf));
        if (metrics & VSR_QUALITY_VMAF_NEG)
            json_object_set_new(o, "vmaf_neg", json_real(f[i].vmaf_neg));
        if (metrics & VSR_QUALITY_SSIM)
            json_object_set_new(o, "ssim", json_real(f[i].ssim));
        json_array_append_new(frames, o);
    }
    return vsr_cli_print_json(CMD, root);
oom:
    json_decref(root);
    return vsr_cli_fail(CMD, "out of memory");
}

static void print_pooled(const char *name, const vsr_quality_pooled *p, const char *unit)
{
    printf("  %-9s mean %8.4f%s  harmonic mean %8.4f  min %8.4f  max %8.4f\n", name, p->mean, unit,
           p->harmonic_mean, p->min, p->max);
}

static void print_text(const char *dist, const char *ref, const vsr_clip_quality *cq,
                       unsigned metrics)
{
    const vsr_quality_summary *s = &cq->summary;
    printf("%s against %s: %lld frames of %dx%d", dist, ref, (long long)s->pictures, cq->width,
           cq->height);
    if (s->scored != s->pictures)
        printf(" (%lld scored)", (long long)s->scored);
    if (cq->reference_scaled)
        printf(", reference scaled from %dx%d", cq->reference_width, cq->reference_height);
    printf(", %.2f s (%.1f fps)\n", cq->seconds,
           cq->seconds > 0 ? (double)s->pictures / cq->seconds : 0.0);
    if (metrics & VSR_QUALITY_VMAF)
        print_pooled("VMAF", &s->vmaf, "");
    if (metrics & VSR_QUALITY_VMAF_NEG)
        print_pooled("VMAF NEG", &s->vmaf_neg, "");
    if ((metrics & VSR_QUALITY_VMAF) && (metrics & VSR_QUALITY_VMAF_NEG))
        printf("  NEG delta %.4f (the validators' gate: <= 3)\n", s->vmaf.mean - s->vmaf_neg.mean);
    print_pooled("PSNR Y", &s->psnr_y, " dB");
    print_pooled("PSNR YUV", &s->psnr_yuv, " dB");
    if (metrics & VSR_QUALITY_SSIM)
        print_pooled("SSIM", &s->ssim, "");
}

int vsr_cmd_quality(int argc, char **argv)
{
    quality_args a = {
        .opt = {.quality = {.threads = vsr_cores_online(), .subsample = 1},
                .reference_scale = VSR_REFERENCE_SCALE_LANCZOS},
        .model = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG, /* "both", the first choice */
        .cuda_device = -1,
    };
    const vsr_opt_set set = {options, &a};
    int help_asked, r = vsr_cli_parse(CMD, &set, 1, argc, argv, help, &help_asked);
    if (r || help_asked)
        return r;
    vsr_clip_quality_options opt = a.opt;
    const char *reference = a.reference;
    if (a.cuda_device >= 0) {
        opt.quality.use_cuda = 1;
        opt.quality.cuda_device = a.cuda_device;
    }
    if (optind != argc - 1)
        return vsr_usage_error(CMD, "expected one distorted clip, got %d", argc - optind);
    if (!reference)
        return vsr_usage_error(CMD, "--reference REF (the clip to compare with) is needed");
    const char *distorted = argv[optind];
    opt.quality.metrics = (unsigned)a.model | VSR_QUALITY_PSNR | (a.ssim ? VSR_QUALITY_SSIM : 0);
    opt.reference_scale = a.scale == 1 ? VSR_REFERENCE_SCALE_BICUBIC : VSR_REFERENCE_SCALE_LANCZOS;

    vsr_error err;
    vsr_error_clear(&err);
    vsr_clip_quality cq;
    if (vsr_clip_quality_measure(distorted, reference, &opt, &cq, &err) < 0)
        return vsr_cli_fail(CMD, "%s", err.msg);
    int status = VSR_EXIT_OK;
    if (a.json)
        status = print_json(distorted, reference, &cq, opt.quality.metrics);
    else
        print_text(distorted, reference, &cq, opt.quality.metrics);
    vsr_clip_quality_free(&cq);
    return status;
}
