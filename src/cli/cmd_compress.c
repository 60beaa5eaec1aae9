/* vsr compress: the smallest encoding of a clip that still meets a VMAF
 * target against it (the Vidaio compression track; pipeline/compress.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json_print.h"
#include "cli/options.h"
#include "pipeline/compress.h"

static const char *const CMD = "compress";

/* Ctrl-C (or SIGTERM) sets this; the search stops after the frame in
 * progress and removes its files. */
static volatile sig_atomic_t g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

static int print_json(const vsr_compress_options *o, const vsr_compress_result *r)
{
    json_t *trials = json_array(), *encodes = json_array();
    for (int i = 0; trials && i < r->n_trials; i++) {
        const vsr_compress_trial *t = &r->trials[i];
        json_array_append_new(trials, json_pack("{s:i,s:f,s:f,s:I,s:f}", "crf", t->crf, "vmaf",
                                                t->vmaf, "vmaf_neg", t->vmaf_neg, "bytes",
                                                (json_int_t)t->bytes, "seconds", t->seconds));
    }
    for (int i = 0; encodes && i < r->n_encodes; i++) {
        const vsr_compress_encode *e = &r->encodes[i];
        json_t *o =
            json_pack("{s:f,s:f,s:I,s:I,s:b,s:f,s:f}", "vmaf", e->vmaf, "vmaf_neg", e->vmaf_neg,
                      "bytes", (json_int_t)e->bytes, "bitrate", (json_int_t)e->bitrate, "passed",
                      e->passed, "encode_seconds", e->encode_s, "measure_seconds", e->measure_s);
        if (o && e->aim > 0)
            json_object_set_new(o, "aim", json_integer(e->aim));
        else if (o)
            json_object_set_new(o, "crf", json_integer(e->crf));
        json_array_append_new(encodes, o);
    }
    json_t *samples = json_array(), *cuts = json_array();
    for (int i = 0; samples && i < r->samples; i++)
        json_array_append_new(
            samples, json_pack("{s:I,s:i,s:f}", "first", (json_int_t)r->sample[i].first, "frames",
                               r->sample[i].frames, "weight", r->sample[i].weight));
    for (int i = 0; cuts && i < r->n_cuts && i < VSR_COMPRESS_MAX_CUTS; i++)
        json_array_append_new(cuts, json_integer(r->cuts[i]));
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:I,s:I,s:f,s:I,s:f,s:f,s:f,s:f,s:f,s:i,s:i,"
        "s:o,s:o,s:i,s:o,s:o}",
        "input", o->input, "output", o->output, "mode", o->mode == VSR_COMPRESS_VBR ? "vbr" : "crf",
        "encoder", r->encoder, "preset", r->preset, "rate_control", r->rate_control, "gop_size",
        r->gop_size, "width", r->width, "height", r->height, "frames", (json_int_t)r->frames,
        "bytes", (json_int_t)r->bytes, "input_bytes", (json_int_t)r->input_bytes, "size_ratio",
        r->input_bytes > 0 ? (double)r->bytes / (double)r->input_bytes : 0.0, "bitrate",
        (json_int_t)r->bitrate, "duration", r->duration_s, "vmaf", r->vmaf, "vmaf_neg", r->vmaf_neg,
        "neg_delta", r->vmaf - r->vmaf_neg, "seconds", r->seconds, "sample_frames",
        r->sample_frames, "encoders", r->encoders, "samples", samples, "scene_cuts", cuts,
        "scene_cut_count", r->n_cuts, "trials", trials, "encodes", encodes);
    if (root && o->mode == VSR_COMPRESS_VBR) {
        json_object_set_new(root, "target_bitrate", json_integer(o->bitrate));
        if (o->vmaf_target >= 0)
            json_object_set_new(root, "vmaf_target", json_real(o->vmaf_target));
    } else if (root) {
        json_object_set_new(root, "crf", json_integer(r->crf));
        json_object_set_new(
            root, "objective",
            json_string(o->objective == VSR_COMPRESS_MAX_SCORE ? "score" : "bytes"));
        json_object_set_new(root, "vmaf_target", json_real(o->vmaf_target));
    }
    if (root && o->vmaf_target >= 0)
        json_object_set_new(root, "margin", json_real(o->margin));
    if (root) {
        json_object_set_new(root, "encoder_params", json_string(r->params));
        json_object_set_new(root, "vidaio_score", json_real(r->score));
    }
    return vsr_cli_print_json(CMD, root);
}

/* Bits/s: a positive number with an optional k or M (x1000, x1000000). */
static int parse_bitrate_value(const char *arg, int64_t *out)
{
    errno = 0;
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || errno)
        return -1;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1e6, end++;
    if (*end || !(v >= 1000 && v <= 2e9))
        return -1;
    *out = (int64_t)llround(v);
    return 0;
}

/* WxH, even sides of 2..8192. */
static int parse_size_value(const char *arg, int *w, int *h)
{
    char *end;
    errno = 0;
    long a = strtol(arg, &end, 10);
    if (end == arg || (*end != 'x' && *end != 'X') || errno)
        return -1;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end || errno || a < 2 || b < 2 || a > 8192 || b > 8192 || a % 2 || b % 2)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

static int parse_bitrate(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    if (parse_bitrate_value(text, (int64_t *)((char *)base + o->offset)))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "expected bits/s from 1000 to 2000000000 (a number, or with k or "
                             "M: 5000k, 5M), got '%s'",
                             text);
    return VSR_OK;
}

static int parse_size(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    vsr_compress_options *opt = (vsr_compress_options *)((char *)base + o->offset);
    if (parse_size_value(text, &opt->width, &opt->height))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "expected WxH with even sides of 2..8192 (1280x720), got '%s'", text);
    return VSR_OK;
}

typedef struct compress_args {
    vsr_compress_options opt;
    double vmaf; /* < 0: not given */
    int verbose, json;
} compress_args;

static const char *const codecs[] = {"hevc", "av1", "h264", "vp9", NULL};
static const char *const modes[] = {"crf", "vbr", NULL};
static const int mode_values[] = {VSR_COMPRESS_CRF, VSR_COMPRESS_VBR};
static const char *const objectives[] = {"bytes", "score", NULL};
static const int objective_values[] = {VSR_COMPRESS_MIN_BYTES, VSR_COMPRESS_MAX_SCORE};

#define F(f) offsetof(compress_args, f)
/* clang-format off */
static const vsr_opt options[] = {
    {.name = "input", .short_name = 'i', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(opt.input), .help = "the clip (8-bit 4:2:0)"},
    {.name = "output", .short_name = 'o', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(opt.output), .help = "the MP4 to write"},
    {.name = "vmaf", .type = VSR_OPT_DOUBLE, .arg = "T", .offset = F(vmaf), .min = 0, .max = 100,
     .accepted = "a VMAF score in 0..100",
     .help = "the VMAF target, 0..100 (validators: 85, 89, 93); with\n"
             "--mode vbr optional: the output must then reach it"},
    {.name = "mode", .type = VSR_OPT_CHOICE, .arg = "crf|vbr", .offset = F(opt.mode),
     .choices = modes, .values = mode_values,
     .help = "crf (default): the fewest bytes at T; vbr: the best\n"
             "quality at --bitrate"},
    {.name = "objective", .type = VSR_OPT_CHOICE, .arg = "bytes|score",
     .offset = F(opt.objective), .choices = objectives, .values = objective_values,
     .help = "CRF mode: bytes (default) keeps the fewest bytes that\n"
             "pass; score the highest validator-vidaio score,\n"
             "(0.7 (1 - bytes/input bytes) + 0.3 VMAF/100) / 1.12,\n"
             "trying lower CRFs while the samples say it rises"},
    {.name = "bitrate", .type = VSR_OPT_CUSTOM, .arg = "BPS", .offset = F(opt.bitrate),
     .parse = parse_bitrate,
     .help = "VBR's average bits/s (container included), e.g.\n"
             "5000000, 5000k or 5M"},
    {.name = "codec", .type = VSR_OPT_CHOICE, .arg = "C", .offset = F(opt.codec),
     .choices = codecs, .flags = VSR_OPTF_NAME,
     .help = "hevc (default, libx265), av1 (libsvtav1), h264\n"
             "(libx264), vp9 (libvpx-vp9)"},
    {.name = "size", .type = VSR_OPT_CUSTOM, .arg = "WxH", .offset = F(opt), .parse = parse_size,
     .help = "output size (even sides), scaled with Lanczos; VMAF is\n"
             "then against IN scaled the same way (as vsr quality)"},
    {.name = "margin", .type = VSR_OPT_DOUBLE, .arg = "M", .offset = F(opt.margin), .min = 0,
     .max = 20, .accepted = "0..20 VMAF points",
     .help = "VMAF required above T (default 0.15, 3x the largest\n"
             "difference seen between vsr's VMAF and libvmaf's)"},
    {.name = "deadline", .type = VSR_OPT_DOUBLE, .arg = "S", .offset = F(opt.deadline_s),
     .min = 0, .max = 86400, .accepted = "seconds, 0 (none) to 86400",
     .help = "seconds for everything; picks the slowest preset that\n"
             "fits (default: none, the slowest preset)"},
    {.name = "preset", .type = VSR_OPT_STRING, .arg = "P", .offset = F(opt.preset),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a preset name",
     .help = "the encoder preset, instead of the deadline's choice\n"
             "(vp9: libvpx's cpu-used)"},
    {.name = "encoder-params", .type = VSR_OPT_STRING, .arg = "S", .offset = F(opt.encoder_params),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "key=value:...",
     .help = "encoder settings over the search's, key=value:...\n"
             "(x265-params, x264-params, svtav1-params, libvpx\n"
             "options); SVT-AV1 and libvpx refuse unknown keys,\n"
             "x265 and x264 (FFmpeg 5.1) skip them"},
    {.name = "threads", .type = VSR_OPT_INT, .arg = "N", .offset = F(opt.threads), .min = 1,
     .max = 1024, .accepted = "1..1024", .help = "cores to use (default: every core)"},
    {.name = "samples", .type = VSR_OPT_INT, .arg = "N", .offset = F(opt.samples), .min = 1,
     .max = 5, .accepted = "1..5", .help = "samples of the clip, 1..5 (default: by length)"},
    {.name = "encode-segments", .type = VSR_OPT_INT, .arg = "N", .offset = F(opt.encoders),
     .min = 1, .max = 64, .accepted = "1..64 or auto", .special = "auto", .special_value = 0,
     .help = "encode the whole clip as N segments in parallel (auto,\n"
             "the default: one encoder per 4 cores up to 1080p)"},
    {.name = "operator-id", .type = VSR_OPT_STRING, .arg = "STR", .offset = F(opt.operator_id),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a string",
     .help = "mark the file with STR's hash (MP4 comment) so that two\n"
             "operators' outputs differ in bytes and size"},
    {.name = "verbose", .short_name = 'v', .type = VSR_OPT_FLAG, .offset = F(verbose),
     .help = "print each step with its numbers"},
    {.name = "json", .type = VSR_OPT_FLAG, .offset = F(json),
     .help = "print the result as one JSON object"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .flags = VSR_OPTF_HIDDEN},
    {0},
};
/* clang-format on */
#undef F

static void help(void)
{
    printf("usage: vsr compress -i IN -o OUT --vmaf T [options]\n"
           "       vsr compress -i IN -o OUT --mode vbr --bitrate BPS [--vmaf T] [options]\n\n"
           "Writes the encoding of IN with the fewest bytes whose VMAF v0.6.1 (pooled mean)\n"
           "against IN is at least T + margin and whose NEG delta (VMAF - VMAF NEG) is at\n"
           "most 3: what the Vidaio validators score on the compression track. Samples of\n"
           "the clip, spread over its scenes, are encoded at a few CRFs and scored to find\n"
           "the CRF; the whole clip is then encoded, measured against IN and repaired if it\n"
           "misses. VBR mode encodes at an average bitrate instead (two passes where the\n"
           "encoder has them), under 1.05x it (validators: 1.1x). Frame count, timestamps\n"
           "and colour tags are kept, the resolution too unless --size; yuv420p, MP4\n"
           "+faststart, audio copied. Nothing is written at OUT unless it passes and is\n"
           "under 0.8x IN's size.\n\n");
    vsr_opt_help(stdout, options, 24);
    printf("\nExit status: 0 written, 1 failed (nothing passes, too large, bitrate not kept,\n"
           "deadline, bad input), 2 wrong usage.\n");
}

int vsr_cmd_compress(int argc, char **argv)
{
    compress_args a = {.vmaf = -1};
    vsr_compress_options_default(&a.opt);
    const vsr_opt_set set = {options, &a};
    int help_asked, r = vsr_cli_parse(CMD, &set, 1, argc, argv, help, &help_asked);
    if (r || help_asked)
        return r;
    vsr_compress_options opt = a.opt;
    const int verbose = a.verbose, json = a.json, have_target = a.vmaf >= 0;
    if (have_target)
        opt.vmaf_target = a.vmaf;
    if ((r = vsr_opt_no_operands(CMD, argc, argv)))
        return r;
    if (!opt.input || !opt.output)
        return vsr_usage_error(CMD, "-i IN and -o OUT are needed");
    if (opt.mode == VSR_COMPRESS_VBR && !opt.bitrate)
        return vsr_usage_error(CMD, "--mode vbr needs --bitrate BPS (the average bits/s)");
    if (opt.mode == VSR_COMPRESS_VBR && opt.objective == VSR_COMPRESS_MAX_SCORE)
        return vsr_usage_error(CMD, "--objective score is for CRF mode (VBR's bitrate is given)");
    if (opt.mode == VSR_COMPRESS_CRF && opt.bitrate)
        return vsr_usage_error(CMD, "--bitrate is for --mode vbr; CRF mode finds its own rate");
    if (!have_target && opt.mode == VSR_COMPRESS_CRF)
        return vsr_usage_error(CMD, "--vmaf T (the VMAF target, 0..100) is needed");
    if (!have_target)
        opt.vmaf_target = -1; /* VBR: no VMAF requirement */
    if (have_target && opt.vmaf_target + opt.margin > 100)
        return vsr_usage_error(CMD, "--vmaf %g with --margin %g asks for more than VMAF 100",
                               opt.vmaf_target, opt.margin);
    const vsr_log progress = vsr_log_text(NULL, VSR_LOG_VERBOSE);
    if (verbose)
        opt.log = &progress;

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_cancel = 0;
    opt.cancel = &g_cancel;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    vsr_error err;
    vsr_error_clear(&err);
    vsr_compress_result *res = calloc(1, sizeof *res);
    if (!res)
        return vsr_cli_fail(CMD, "out of memory");
    int ret = vsr_compress_run(&opt, res, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (ret < 0) {
        free(res);
        if (ret == VSR_ERR_CANCELLED) {
            fprintf(stderr, "vsr compress: cancelled; nothing written\n");
            return 130;
        }
        return vsr_cli_fail(CMD, "%s", err.msg);
    }
    int status = VSR_EXIT_OK;
    char rc[64], goal[64] = "";
    if (opt.mode == VSR_COMPRESS_VBR)
        snprintf(rc, sizeof rc, "%s at %lld bit/s", res->rate_control, (long long)opt.bitrate);
    else
        snprintf(rc, sizeof rc, "CRF %d", res->crf);
    if (opt.vmaf_target >= 0)
        snprintf(goal, sizeof goal, " (target %g + %g)", opt.vmaf_target, opt.margin);
    if (json)
        status = print_json(&opt, res);
    else
        printf("%s: %lld bytes (%.3fx the input's %lld), %lld bit/s, VMAF %.3f%s, NEG delta "
               "%.3f; %s preset %s %s; %d sample trials, %d clip encodes, %.1f s\n",
               opt.output, (long long)res->bytes,
               res->input_bytes > 0 ? (double)res->bytes / (double)res->input_bytes : 0.0,
               (long long)res->input_bytes, (long long)res->bitrate, res->vmaf, goal,
               res->vmaf - res->vmaf_neg, res->encoder, res->preset, rc, res->n_trials,
               res->n_encodes, res->seconds);
    free(res);
    return status;
}
