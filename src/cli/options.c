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
                  int *help)
{
    vsr_error err;
    vsr_error_clear(&err);
    *help = 0;
    int st = vsr_opt_parse(sets, n_sets, argc, argv, NULL, &err);
    if (st == VSR_OPT_HELP_ASKED)
        *help = 1;
    else if (st < 0)
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

/* The getopt-loop helpers of the commands not yet on option tables. */
void vsr_opt_begin(void)
{
    /* 0, not 1: glibc then also resets its internal state (a cluster of
     * short options left half-read by an earlier parse). */
    optind = 0;
    opterr = 0;
}

int vsr_opt_unknown(const char *cmd, int c, char **argv)
{
    /* getopt has moved optind past the offending word; for a short option
     * inside a cluster (-xvf) optopt names the letter. */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') {
        if (optopt && optopt < 256 && word[0] == '-' && word[1] != '-')
            return vsr_usage_error(cmd, "option -%c needs a value", optopt);
        return vsr_usage_error(cmd, "option %s needs a value", word);
    }
    if (c == '?' && optopt && optopt < 256)
        return vsr_usage_error(cmd, "unknown option -%c", optopt);
    if (c == '?')
        return vsr_usage_error(cmd, "unknown or ambiguous option '%s'", word);
    /* an option in the command's table that its switch forgot */
    return vsr_usage_error(cmd, "option '%s' is not handled here", word);
}

int vsr_opt_int(const char *cmd, const char *opt, const char *arg, long min, long max,
                const char *accepted, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || v < min || v > max)
        return vsr_usage_error(cmd, "%s: expected %s, got '%s'", opt, accepted, arg);
    *out = (int)v;
    return 0;
}

int vsr_opt_double(const char *cmd, const char *opt, const char *arg, double min, double max,
                   const char *accepted, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end != '\0' || isnan(v) || v < min || v > max)
        return vsr_usage_error(cmd, "%s: expected %s, got '%s'", opt, accepted, arg);
    *out = v;
    return 0;
}

int vsr_opt_size(const char *cmd, const char *opt, const char *arg, int even, int max_side, int *w,
                 int *h)
{
    char *end;
    errno = 0;
    long a = strtol(arg, &end, 10), b = -1;
    if (!errno && end != arg && (*end == 'x' || *end == 'X') && end[1] >= '0' && end[1] <= '9') {
        const char *second = end + 1;
        b = strtol(second, &end, 10);
        if (errno || *end != '\0')
            b = -1;
    }
    if (b < 0 || a < 0 || a > INT_MAX || b > INT_MAX)
        return vsr_usage_error(cmd, "%s: expected WIDTHxHEIGHT (e.g. 1920x1080), got '%s'", opt,
                               arg);
    vsr_error err;
    vsr_error_clear(&err);
    if (even && vsr_output_size_check((int)a, (int)b, &err) < 0)
        return vsr_usage_error(cmd, "%s: %s", opt, err.msg);
    if (!even && (a < 1 || b < 1 || a > max_side || b > max_side))
        return vsr_usage_error(cmd, "%s: expected sides of 1..%d, got '%s'", opt, max_side, arg);
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int vsr_opt_detail(const char *cmd, const char *opt, const char *arg, float *detail)
{
    double d = 1.0; /* set on success; GCC 12 -O3 cannot see it */
    int st = vsr_opt_double(cmd, opt, arg, 0.0, 1.0,
                            "a detail strength of 0..1 (1 = the model "
                            "alone, 0 = the input Lanczos-scaled)",
                            &d);
    if (st == 0)
        *detail = (float)d;
    return st;
}

int vsr_opt_choice(const char *cmd, const char *opt, const char *arg, const char *const *choices,
                   int *index)
{
    for (int i = 0; choices[i]; i++) {
        if (!strcmp(arg, choices[i])) {
            *index = i;
            return 0;
        }
    }
    char list[512];
    vsr_opt_join(choices, list, sizeof list);
    return vsr_usage_error(cmd, "%s: expected %s, got '%s'", opt, list, arg);
}

int vsr_opt_scale(const char *cmd, const char *opt, const char *arg, int *scale)
{
    static const char *const scales[] = {"2", "3", "4", NULL};
    int i = 0;
    int st = vsr_opt_choice(cmd, opt, arg, scales, &i);
    if (st == 0)
        *scale = i + 2;
    return st;
}

int vsr_opt_task(const char *cmd, const char *arg, const char **task)
{
    if (!vsr_task_scale(arg))
        return vsr_usage_error(cmd, "--task: expected SD2HD, HD24K, SD24K or 4K28K, got '%s'", arg);
    *task = arg;
    return 0;
}

int vsr_opt_precision(const char *cmd, const char *opt, const char *arg, vsr_precision *p)
{
    int i = 0;
    int st = vsr_opt_choice(cmd, opt, arg, vsr_precision_choices, &i);
    if (st == 0)
        *p = (vsr_precision)vsr_precision_values[i];
    return st;
}

int vsr_opt_backend(const char *cmd, const char *opt, const char *arg, const char **name)
{
    const char *names[32];
    vsr_opt_backend_names(names, 32);
    int i = 0;
    int st = vsr_opt_choice(cmd, opt, arg, names, &i);
    if (st == 0)
        *name = names[i];
    return st;
}
