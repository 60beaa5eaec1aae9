/* vsr check: does an upscaled file pass the Vidaio validator's gates
 * (DESIGN.md §5) against its input? Prints every gate with the values seen;
 * the exit status says whether all passed. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "media/gates.h"
#include "media/probe.h"

static const char *const CMD = "check";

enum { OPT_INPUT = 0x2000, OPT_TASK, OPT_SCALE };

static void help(void)
{
    printf("usage: vsr check OUT --input IN (--task T | --scale N)\n\n"
           "Checks an upscaled video against its input with the Vidaio validator's\n"
           "gates: resolution = input x scale; file size <= 8x input (x2) or 20x (x4);\n"
           "frame count within 5 (the exact counts are printed); HEVC Main/Main 10 or\n"
           "AV1 Main; yuv420p; SAR 1:1; MP4; average frame rate within 0.3; colour\n"
           "matrix, transfer and primaries equal where both files are tagged.\n\n"
           "  --input FILE   the original clip\n"
           "  --task T       SD2HD, HD24K, 4K28K (x2) or SD24K (x4)\n"
           "  --scale N      2, 3 or 4\n\n"
           "Exit status: 0 every gate passed, 1 a gate failed or a file was unreadable,\n"
           "2 wrong usage.\n");
}

int vsr_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"input", required_argument, NULL, OPT_INPUT},
        {"task", required_argument, NULL, OPT_TASK},
        {"scale", required_argument, NULL, OPT_SCALE},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *task = NULL;
    int scale = 0, r, c;
    vsr_opt_begin();
    while ((c = getopt_long(argc, argv, ":hi:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return VSR_EXIT_OK;
        case 'i':
        case OPT_INPUT: input = optarg; break;
        case OPT_TASK:
            if ((r = vsr_opt_task(CMD, optarg, &task)))
                return r;
            break;
        case OPT_SCALE:
            if ((r = vsr_opt_scale(CMD, "--scale", optarg, &scale)))
                return r;
            break;
        default: return vsr_opt_unknown(CMD, c, argv);
        }
    }
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

    vsr_gate gates[VSR_MAX_GATES];
    int n = vsr_gates_check(&out, &in, scale, gates);
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
