#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/gates.h"

int vsr_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vsr %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'vsr %s --help'.\n", cmd);
    va_end(ap);
    return VSR_EXIT_USAGE;
}

int vsr_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vsr %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return VSR_EXIT_FAILURE;
}

int vsr_cli_parse(const char *cmd, const vsr_opt_set *sets, int n_sets, int argc, char **argv,
                  void (*print_help)(void), int *help)
{
    vsr_error err;
    vsr_error_clear(&err);
    *help = 0;
    int st = vsr_opt_parse(sets, n_sets, argc, argv, NULL, &err);
    if (st == VSR_OPT_HELP_ASKED) {
        *help = 1;
        if (print_help)
            print_help();
    } else if (st < 0)
        return vsr_usage_error(cmd, "%s", err.msg);
    return VSR_EXIT_OK;
}

int vsr_opt_parse_task(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    if (!vsr_task_scale(text))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "expected SD2HD, HD24K, SD24K or 4K28K, got '%s'", text);
    *(const char **)((char *)base + o->offset) = text;
    return VSR_OK;
}

int vsr_opt_parse_video_size(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    /* the form first (any size), then the validators' rules */
    const vsr_opt any = {.type = VSR_OPT_SIZE, .offset = o->offset, .min = 0, .max = INT_MAX};
    int st = vsr_opt_set_text(&any, base, text, err);
    if (st < 0)
        return st;
    const int *wh = (const int *)((char *)base + o->offset);
    return vsr_output_size_check(wh[0], wh[1], err);
}

int vsr_opt_parse_backend(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    const char *names[32];
    vsr_opt_backend_names(names, 32);
    for (int i = 0; names[i]; i++) {
        if (!strcmp(text, names[i])) {
            *(const char **)((char *)base + o->offset) = names[i];
            return VSR_OK;
        }
    }
    char list[512];
    vsr_opt_join(names, list, sizeof list);
    return vsr_error_set(err, VSR_ERR_INVALID, "expected %s, got '%s'", list, text);
}

const char *vsr_opt_backend_help(const vsr_opt *o, char *buf, size_t len)
{
    (void)o;
    const char *names[32];
    vsr_opt_backend_names(names, 32);
    char list[256];
    vsr_opt_join(names, list, sizeof list);
    snprintf(buf, len, "%s (default auto: the fastest available)", list);
    return buf;
}

const char *const vsr_opt_scale_choices[] = {"2", "3", "4", NULL};
const int vsr_opt_scale_values[] = {2, 3, 4};

int vsr_opt_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return vsr_usage_error(cmd, "unexpected argument '%s' (this command takes only options)",
                               argv[optind]);
    return 0;
}

int vsr_opt_task_scale(const char *cmd, const char *task, int *scale)
{
    if (!task && !*scale)
        return vsr_usage_error(cmd,
                               "give --task (SD2HD, HD24K, SD24K, 4K28K) or --scale (2, 3, 4)");
    if (task && *scale && *scale != vsr_task_scale(task))
        return vsr_usage_error(cmd, "--task %s means x%d, but --scale says %d", task,
                               vsr_task_scale(task), *scale);
    if (task)
        *scale = vsr_task_scale(task);
    return 0;
}

const char *const vsr_precision_choices[] = {"auto", "fp32", "bf16", "fp16", NULL};
const int vsr_precision_values[] = {VSR_PRECISION_AUTO, VSR_PRECISION_FP32, VSR_PRECISION_BF16,
                                    VSR_PRECISION_FP16};

const char *vsr_precision_name(vsr_precision p)
{
    for (int i = 0; vsr_precision_choices[i]; i++)
        if (vsr_precision_values[i] == (int)p)
            return vsr_precision_choices[i];
    return "unknown";
}

int vsr_opt_backend_names(const char **names, int max)
{
    const vsr_backend_ops *const *list = vsr_backend_list();
    int n = 0;
    if (max < 2)
        return 0;
    names[n++] = "auto";
    for (int i = 0; list[i] && n < max - 1; i++)
        names[n++] = list[i]->name;
    names[n] = NULL;
    return n;
}
