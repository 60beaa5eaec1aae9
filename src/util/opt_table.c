#include "util/opt_table.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's value of a row without a short letter: above any
 * character, the row's index over all sets added. */
#define LONG_ONLY_BASE 0x1000

void vsr_opt_join(const char *const *items, char *buf, size_t len)
{
    size_t n = 0;
    while (items[n])
        n++;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + used, len - used, "%s%s", sep, items[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static void *field(const vsr_opt *o, void *base)
{
    return (char *)base + o->offset;
}

static int expected(const vsr_opt *o, const char *text, vsr_error *err)
{
    char list[512];
    const char *what = o->accepted;
    if (o->type == VSR_OPT_CHOICE && o->choices) {
        vsr_opt_join(o->choices, list, sizeof list);
        what = list;
    }
    return vsr_error_set(err, VSR_ERR_INVALID, "expected %s, got '%s'", what ? what : "a value",
                         text);
}

/* An integer of text in [o->min, o->max] (or the special word). */
static int parse_integer(const vsr_opt *o, const char *text, long long *out, vsr_error *err)
{
    if (o->special && !strcmp(text, o->special)) {
        *out = o->special_value;
        return VSR_OK;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || (double)v < o->min || (double)v > o->max)
        return expected(o, text, err);
    *out = v;
    return VSR_OK;
}

static int parse_size(const vsr_opt *o, const char *text, int *wh, vsr_error *err)
{
    char *end;
    errno = 0;
    long a = strtol(text, &end, 10), b = -1;
    if (!errno && end != text && (*end == 'x' || *end == 'X') && end[1] >= '0' && end[1] <= '9') {
        const char *second = end + 1;
        b = strtol(second, &end, 10);
        if (errno || *end != '\0')
            b = -1;
    }
    if (b < 0 || a < 0 || a > INT_MAX || b > INT_MAX)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "expected WIDTHxHEIGHT (e.g. 1920x1080), got '%s'", text);
    if (a < o->min || b < o->min || a > o->max || b > o->max)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected sides of %.0f..%.0f, got '%s'", o->min,
                             o->max, text);
    wh[0] = (int)a;
    wh[1] = (int)b;
    return VSR_OK;
}

static int set_string(char **slot, const char *value, vsr_error *err)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return VSR_OK;
}

int vsr_opt_set_text(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    void *f = field(o, base);
    if ((o->flags & VSR_OPTF_NONEMPTY) && !*text)
        return expected(o, text, err);
    if (o->parse)
        return o->parse(o, base, text, err);
    long long n = 0; /* set on success; GCC -O3 cannot see it */
    int st;
    switch (o->type) {
    case VSR_OPT_FLAG:
    case VSR_OPT_FLAG_OFF: {
        /* from the environment: 1/true/yes/on or 0/false/no/off */
        static const char *const words[] = {"0", "false", "no", "off", "1", "true", "yes", "on"};
        for (int i = 0; i < 8; i++)
            if (!strcmp(text, words[i]))
                return vsr_opt_set_bool(o, base, i >= 4, err);
        return vsr_error_set(err, VSR_ERR_INVALID, "expected 1 or 0, got '%s'", text);
    }
    case VSR_OPT_INT:
    case VSR_OPT_LONG:
    case VSR_OPT_INT64:
        if ((st = parse_integer(o, text, &n, err)) < 0)
            return st;
        if (o->type == VSR_OPT_INT)
            *(int *)f = (int)n;
        else if (o->type == VSR_OPT_LONG)
            *(long *)f = (long)n;
        else
            *(int64_t *)f = (int64_t)n;
        return VSR_OK;
    case VSR_OPT_DOUBLE:
    case VSR_OPT_FLOAT: {
        if (o->special && !strcmp(text, o->special)) {
            if (o->type == VSR_OPT_DOUBLE)
                *(double *)f = (double)o->special_value;
            else
                *(float *)f = (float)o->special_value;
            return VSR_OK;
        }
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end != '\0' || isnan(v) || v < o->min || v > o->max)
            return expected(o, text, err);
        if (o->type == VSR_OPT_DOUBLE)
            *(double *)f = v;
        else
            *(float *)f = (float)v;
        return VSR_OK;
    }
    case VSR_OPT_STRING: *(const char **)f = text; return VSR_OK;
    case VSR_OPT_STRDUP: return set_string(f, text, err);
    case VSR_OPT_CHOICE:
        for (int i = 0; o->choices && o->choices[i]; i++) {
            if (!strcmp(text, o->choices[i])) {
                if (o->flags & VSR_OPTF_NAME)
                    *(const char **)f = o->choices[i];
                else
                    *(int *)f = o->values ? o->values[i] : i;
                return VSR_OK;
            }
        }
        return expected(o, text, err);
    case VSR_OPT_SIZE: return parse_size(o, text, f, err);
    default:
        return vsr_error_set(err, VSR_ERR_INTERNAL, "option %s: no parser for its type",
                             o->name  ? o->name
                             : o->key ? o->key
                                      : "?");
    }
}

int vsr_opt_set_number(const vsr_opt *o, void *base, long long n, vsr_error *err)
{
    void *f = field(o, base);
    if (n < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "%lld is out of range", n);
    switch (o->type) {
    case VSR_OPT_INT:
        if (n > INT_MAX)
            return vsr_error_set(err, VSR_ERR_INVALID, "%lld is out of range", n);
        *(int *)f = (int)n;
        return VSR_OK;
    case VSR_OPT_LONG: *(long *)f = (long)n; return VSR_OK;
    case VSR_OPT_INT64: *(int64_t *)f = (int64_t)n; return VSR_OK;
    case VSR_OPT_DOUBLE: *(double *)f = (double)n; return VSR_OK;
    case VSR_OPT_FLOAT: *(float *)f = (float)n; return VSR_OK;
    default: return vsr_error_set(err, VSR_ERR_INVALID, "is not a number setting");
    }
}

int vsr_opt_set_bool(const vsr_opt *o, void *base, int b, vsr_error *err)
{
    if (o->type != VSR_OPT_FLAG && o->type != VSR_OPT_FLAG_OFF)
        return vsr_error_set(err, VSR_ERR_INVALID, "is not a true/false setting");
    *(int *)field(o, base) = o->type == VSR_OPT_FLAG ? !!b : !b;
    return VSR_OK;
}

int vsr_opt_defaults(const vsr_opt *table, void *base, vsr_error *err)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++) {
        if (!o->def)
            continue;
        int st = vsr_opt_set_text(o, base, o->def, err);
        if (st < 0) {
            vsr_error_prefix(err, "the default of %s", o->name ? o->name : o->key);
            return st;
        }
    }
    return VSR_OK;
}

int vsr_opt_load_env(const vsr_opt *table, void *base, const char *(*getenv_fn)(const char *),
                     vsr_error *err)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++) {
        for (const char *p = o->env; p && *p;) {
            size_t n = strcspn(p, " ");
            char var[128];
            if (n > 0 && n < sizeof var) {
                memcpy(var, p, n);
                var[n] = '\0';
                const char *v = getenv_fn(var);
                if (v && *v) {
                    vsr_error why;
                    vsr_error_clear(&why);
                    int st = vsr_opt_set_text(o, base, v, &why);
                    if (st < 0) {
                        /* "VAR='x': expected ..." (the message less its ", got ...") */
                        char *got = strstr(why.msg, ", got '");
                        if (got)
                            *got = '\0';
                        return vsr_error_set(err, st, "%s='%.64s': %s", var, v, why.msg);
                    }
                }
            }
            p += n;
            p += strspn(p, " ");
        }
    }
    return VSR_OK;
}

const vsr_opt *vsr_opt_find_key(const vsr_opt *table, const char *key)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++)
        if (o->key && !strcmp(o->key, key))
            return o;
    return NULL;
}

const vsr_opt *vsr_opt_find(const vsr_opt *table, const char *name)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++)
        if (o->name && !strcmp(o->name, name))
            return o;
    return NULL;
}

void vsr_opt_free(const vsr_opt *table, void *base)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++) {
        if (o->type == VSR_OPT_STRDUP) {
            char **slot = field(o, base);
            free(*slot);
            *slot = NULL;
        }
    }
}

static int is_option_row(const vsr_opt *o)
{
    return o->name && o->type != VSR_OPT_SECTION;
}

static int takes_value(const vsr_opt *o)
{
    return o->type != VSR_OPT_HELP && o->type != VSR_OPT_FLAG && o->type != VSR_OPT_FLAG_OFF;
}

/* What getopt_long could not take: ':' a missing value, '?' an unknown or
 * ambiguous option (the word is argv[optind - 1]). */
static int unknown(int c, char **argv, vsr_error *err)
{
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') {
        if (optopt && optopt < 256 && word[0] == '-' && word[1] != '-')
            return vsr_error_set(err, VSR_ERR_INVALID, "option -%c needs a value", optopt);
        return vsr_error_set(err, VSR_ERR_INVALID, "option %s needs a value", word);
    }
    if (optopt && optopt < 256)
        return vsr_error_set(err, VSR_ERR_INVALID, "unknown option -%c", optopt);
    return vsr_error_set(err, VSR_ERR_INVALID, "unknown or ambiguous option '%s'", word);
}

int vsr_opt_parse(const vsr_opt_set *sets, int n_sets, int argc, char **argv, int *first_operand,
                  vsr_error *err)
{
    struct option longopts[VSR_OPT_MAX_ROWS + 1];
    const vsr_opt *rows[VSR_OPT_MAX_ROWS];
    void *bases[VSR_OPT_MAX_ROWS];
    char optstring[2 * VSR_OPT_MAX_ROWS + 2] = ":";
    size_t olen = 1;
    int n = 0;
    for (int s = 0; s < n_sets; s++) {
        for (const vsr_opt *o = sets[s].opts; o->type != VSR_OPT_END; o++) {
            if (!is_option_row(o))
                continue;
            if (n == VSR_OPT_MAX_ROWS)
                return vsr_error_set(err, VSR_ERR_INTERNAL, "more than %d options",
                                     VSR_OPT_MAX_ROWS);
            rows[n] = o;
            bases[n] = sets[s].base;
            longopts[n] = (struct option){o->name, takes_value(o) ? required_argument : no_argument,
                                          NULL, o->short_name ? o->short_name : LONG_ONLY_BASE + n};
            if (o->short_name) {
                optstring[olen++] = (char)o->short_name;
                if (takes_value(o))
                    optstring[olen++] = ':';
            }
            n++;
        }
    }
    optstring[olen] = '\0';
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    /* 0, not 1: glibc then also resets its internal state (a cluster of
     * short options left half-read by an earlier parse); its own messages
     * off: ours name the command. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        int i = -1;
        if (c >= LONG_ONLY_BASE && c < LONG_ONLY_BASE + n)
            i = c - LONG_ONLY_BASE;
        for (int k = 0; k < n && i < 0 && c != ':' && c != '?'; k++)
            if (rows[k]->short_name == c)
                i = k;
        if (i < 0)
            return unknown(c, argv, err);
        const vsr_opt *o = rows[i];
        if (o->type == VSR_OPT_HELP)
            return VSR_OPT_HELP_ASKED;
        int st = o->type == VSR_OPT_FLAG || o->type == VSR_OPT_FLAG_OFF
                     ? vsr_opt_set_bool(o, bases[i], 1, err)
                     : vsr_opt_set_text(o, bases[i], optarg, err);
        if (st < 0) {
            vsr_error_prefix(err, "--%s", o->name);
            return st;
        }
    }
    if (first_operand)
        *first_operand = optind;
    return VSR_OPT_PARSED;
}

void vsr_opt_help(FILE *to, const vsr_opt *table, int width)
{
    for (const vsr_opt *o = table; o->type != VSR_OPT_END; o++) {
        if (o->type == VSR_OPT_SECTION) {
            fprintf(to, "\n%s\n", o->help ? o->help : "");
            continue;
        }
        if (!o->name || (o->flags & VSR_OPTF_HIDDEN))
            continue;
        char left[160];
        int len;
        if (o->short_name)
            len = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->name,
                           o->arg ? " " : "", o->arg ? o->arg : "");
        else
            len = snprintf(left, sizeof left, "  --%s%s%s", o->name, o->arg ? " " : "",
                           o->arg ? o->arg : "");
        if (len >= width)
            fprintf(to, "%s\n%*s", left, width, "");
        else
            fprintf(to, "%-*s", width, left);
        char made[1024];
        const char *h = o->help_fn ? o->help_fn(o, made, sizeof made) : o->help ? o->help : "";
        for (;;) {
            size_t k = strcspn(h, "\n");
            fprintf(to, "%.*s\n", (int)k, h);
            if (!h[k])
                break;
            h += k + 1;
            fprintf(to, "%*s", width, "");
        }
    }
}
