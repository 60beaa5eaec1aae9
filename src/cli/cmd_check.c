/* vsr check: does an upscaled file pass the Vidaio validator's gates
 * (DESIGN.md §5) against its input? Prints every gate with the values seen;
 * the exit status says whether all passed. */
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "media/gates.h"
#include "media/probe.h"
#include "pipeline/clip_quality.h"
#include "util/cores.h"

static const char *const CMD = "check";

typedef struct check_args {
    const char *input, *task, *reference;
    int scale, threads;
} check_args;

#define F(f) offsetof(check_args, f)
/* clang-format off */
static const vsr_opt options[] = {
    {.name = "input", .short_name = 'i', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(input), .help = "the original clip"},
    {.name = "task", .type = VSR_OPT_CUSTOM, .arg = "T", .offset = F(task),
     .parse = vsr_opt_parse_task, .help = "SD2HD, HD24K, 4K28K (x2) or SD24K (x4)"},
    {.name = "scale", .type = VSR_OPT_CHOICE, .arg = "N", .offset = F(scale),
     .choices = vsr_opt_scale_choices, .values = vsr_opt_scale_values, .help = "2, 3 or 4"},
    {.name = "reference", .type = VSR_OPT_STRING, .arg = "PRISTINE", .offset = F(reference),
     .help = "also the quality gates: VMAF v0.6.1 >= 50 against the\n"
             "pristine original, and |VMAF - VMAF NEG| <= 3 against\n"
             "the input Lanczos-scaled to the output size (decodes\n"
             "all three clips)"},
    {.name = "threads", .type = VSR_OPT_INT, .arg = "N", .offset = F(threads), .min = 1,
     .max = 1024, .accepted = "1..1024",
     .help = "threads for the quality gates (default: every core)"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .help = "this help"},
    {0},
};
/* clang-format on */
#undef F

static void help(void)
{
    printf("usage: vsr check OUT --input IN (--task T | --scale N) [--reference PRISTINE]\n\n"
           "Checks an upscaled video against its input with the Vidaio validator's\n"
           "gates: resolution = input x scale; file size <= 8x input (x2) or 20x (x4);\n"
           "frame count within 5 (the exact counts are printed); HEVC Main/Main 10 or\n"
           "AV1 Main; yuv420p; SAR 1:1; MP4; average frame rate within 0.3; colour\n"
           "matrix, transfer and primaries equal where both files are tagged.\n\n");
    vsr_opt_help(stdout, options, 22);
    printf("\nExit status: 0 every gate passed, 1 a gate failed or a file was unreadable,\n"
           "2 wrong usage.\n");
}

/* The validators' quality gates (DESIGN.md §5): VMAF >= 50 against the
 * pristine original, and the NEG delta <= 3 against the input scaled to
 * the output's size with Lanczos. Fills two gates; -1 after printing why
 * a clip could not be measured. */
static int quality_gates(const char *output, const char *input, const char *pristine, int threads,
                         vsr_gate *gates)
{
    vsr_error err;
    vsr_error_clear(&err);
    vsr_clip_quality_options opt = {
        .quality = {.metrics = VSR_QUALITY_VMAF, .threads = threads, .subsample = 1},
        .reference_scale = VSR_REFERENCE_SCALE_LANCZOS,
    };
    vsr_clip_quality cq;
    if (vsr_clip_quality_measure(output, pristine, &opt, &cq, &err) < 0)
        return vsr_cli_fail(CMD, "VMAF against the pristine clip: %s", err.msg), -1;
    const double vmaf = cq.summary.vmaf.mean;
    vsr_clip_quality_free(&cq);
    gates[0].name = "vmaf";
    gates[0].pass = vmaf >= 50.0;
    snprintf(gates[0].detail, sizeof gates[0].detail, "VMAF %.3f against %s (needs >= 50)", vmaf,
             pristine);

    opt.quality.metrics = VSR_QUALITY_VMAF | VSR_QUALITY_VMAF_NEG;
    if (vsr_clip_quality_measure(output, input, &opt, &cq, &err) < 0)
        return vsr_cli_fail(CMD, "VMAF NEG against the input: %s", err.msg), -1;
    const double v = cq.summary.vmaf.mean, neg = cq.summary.vmaf_neg.mean;
    vsr_clip_quality_free(&cq);
    gates[1].name = "neg_delta";
    gates[1].pass = fabs(v - neg) <= 3.0;
    snprintf(gates[1].detail, sizeof gates[1].detail,
             "|VMAF %.3f - NEG %.3f| = %.3f against the input Lanczos-scaled (needs <= 3)", v, neg,
             fabs(v - neg));
    return 0;
}

int vsr_cmd_check(int argc, char **argv)
{
    check_args a = {.threads = vsr_cores_online()};
    const vsr_opt_set set = {options, &a};
    int help_asked, r = vsr_cli_parse(CMD, &set, 1, argc, argv, help, &help_asked);
    if (r || help_asked)
        return r;
    const char *input = a.input, *task = a.task, *reference = a.reference;
    int scale = a.scale, threads = a.threads;
    if (optind != argc - 1)
        return vsr_usage_error(CMD, "expected one output file to check, got %d", argc - optind);
    const char *output = argv[optind];
    if (!input)
        return vsr_usage_error(CMD, "--input IN (the original clip) is needed");
    if ((r = vsr_opt_task_scale(CMD, task, &scale)))
        return r;

    vsr_error err;
    vsr_error_clear(&err);
    vsr_probe in, out;
    if (vsr_probe_file(input, &in, &err) < 0)
        return vsr_cli_fail(CMD, "input: %s", err.msg);
    if (vsr_probe_file(output, &out, &err) < 0)
        return vsr_cli_fail(CMD, "output: %s", err.msg);

    vsr_gate gates[VSR_MAX_GATES + 2];
    int n = vsr_gates_check(&out, &in, scale, gates);
    if (reference && (r = quality_gates(output, input, reference, threads, gates + n)) < 0)
        return VSR_EXIT_FAILURE;
    n += reference ? 2 : 0;
    int failed = 0;
    printf("%s against %s (x%d%s%s)\n", output, input, scale, task ? ", task " : "",
           task ? task : "");
    for (int i = 0; i < n; i++) {
        printf("  %s  %-20s %s\n", gates[i].pass ? "PASS" : "FAIL", gates[i].name, gates[i].detail);
        failed += !gates[i].pass;
    }
    if (failed)
        printf("%d of %d gates failed\n", failed, n);
    else
        printf("all %d gates passed\n", n);
    return failed ? VSR_EXIT_FAILURE : VSR_EXIT_OK;
}
