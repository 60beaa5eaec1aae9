/* util/opt_table: one table drives getopt_long (long and short options,
 * clusters, missing values, unknown options), value parsing with ranges and
 * choices, defaults, --help lines, config-file keys and environment
 * variables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "util/opt_table.h"

typedef struct settings {
    const char *input;
    int verbose, workers, size_cap, mode, wh[2], segments;
    long timeout_ms;
    int64_t max_pixels;
    double vmaf;
    float detail;
    char *owned;
} settings;

static const char *const modes[] = {"fast", "balanced", "quality", NULL};
static const int mode_values[] = {10, 20, 30};

static int parse_even(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    int v = atoi(text);
    if (v <= 0 || v % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected an even number, got '%s'", text);
    *(int *)((char *)base + o->offset) = v;
    return VSR_OK;
}

#define F(f) offsetof(settings, f)
static const vsr_opt table[] = {
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .help = "this help"},
    {.name = "input",
     .short_name = 'i',
     .type = VSR_OPT_STRING,
     .arg = "FILE",
     .help = "input video\nsecond line",
     .offset = F(input),
     .flags = VSR_OPTF_NONEMPTY,
     .accepted = "a file name"},
    {.name = "verbose",
     .short_name = 'v',
     .type = VSR_OPT_FLAG,
     .help = "details",
     .offset = F(verbose),
     .key = "verbose",
     .env = "T_VERBOSE"},
    {.type = VSR_OPT_SECTION, .help = "Pipeline:"},
    {.name = "workers",
     .type = VSR_OPT_INT,
     .arg = "N",
     .help = "workers",
     .offset = F(workers),
     .def = "1",
     .min = 1,
     .max = 256,
     .accepted = "1..256",
     .key = "workers",
     .env = "T_WORKERS_OLD T_WORKERS"},
    {.name = "encode-segments",
     .type = VSR_OPT_INT,
     .arg = "N",
     .offset = F(segments),
     .min = 1,
     .max = 64,
     .accepted = "1..64 or auto",
     .special = "auto",
     .special_value = 0},
    {.name = "no-size-cap",
     .type = VSR_OPT_FLAG_OFF,
     .offset = F(size_cap),
     .flags = VSR_OPTF_HIDDEN},
    {.name = "profile",
     .type = VSR_OPT_CHOICE,
     .arg = "P",
     .help = "a profile",
     .offset = F(mode),
     .choices = modes,
     .values = mode_values,
     .def = "balanced"},
    {.name = "size", .type = VSR_OPT_SIZE, .arg = "WxH", .offset = F(wh), .min = 1, .max = 100},
    {.name = "vmaf",
     .type = VSR_OPT_DOUBLE,
     .arg = "V",
     .offset = F(vmaf),
     .min = 0,
     .max = 100,
     .accepted = "a VMAF score in 0..100"},
    {.name = "detail",
     .type = VSR_OPT_FLOAT,
     .offset = F(detail),
     .min = 0,
     .max = 1,
     .accepted = "0..1"},
    {.name = "a-very-long-option-name",
     .type = VSR_OPT_CUSTOM,
     .arg = "N",
     .help = "even",
     .offset = F(workers),
     .parse = parse_even},
    {.type = VSR_OPT_LONG,
     .offset = F(timeout_ms),
     .min = 0,
     .max = 1e9,
     .accepted = "milliseconds",
     .key = "timeout_ms",
     .env = "T_TIMEOUT_MS"},
    {.type = VSR_OPT_INT64, .offset = F(max_pixels), .key = "max_pixels"},
    {.name = "owned", .type = VSR_OPT_STRDUP, .offset = F(owned), .key = "owned"},
    {0},
};
#undef F

static int parse(settings *s, vsr_error *err, int *operand, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "cmd";
    va_list ap;
    va_start(ap, operand);
    for (char *a; argc < 31 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    vsr_opt_set set = {table, s};
    vsr_error_clear(err);
    return vsr_opt_parse(&set, 1, argc, argv, operand, err);
}

static const char *fake_env(const char *name)
{
    if (!strcmp(name, "T_WORKERS_OLD"))
        return "3";
    if (!strcmp(name, "T_WORKERS"))
        return "7"; /* the later name wins */
    if (!strcmp(name, "T_VERBOSE"))
        return "yes";
    if (!strcmp(name, "T_TIMEOUT_MS"))
        return "2500";
    return NULL;
}

static const char *bad_env(const char *name)
{
    return !strcmp(name, "T_TIMEOUT_MS") ? "soon" : NULL;
}

int main(void)
{
    settings s;
    vsr_error err;
    int operand = -1;

    /* defaults from the rows' def; the rest left as initialised */
    memset(&s, 0, sizeof s);
    s.size_cap = 1; /* the struct's own default: a FLAG_OFF row clears it when given */
    CHECK(vsr_opt_defaults(table, &s, &err) == VSR_OK);
    CHECK(s.workers == 1 && s.size_cap == 1 && s.mode == 20 && s.verbose == 0);

    /* long and short options, a cluster, '=' values, typed stores */
    CHECK(parse(&s, &err, &operand, "-vi", "in.mp4", "--workers=12", "--profile", "quality",
                "--no-size-cap", "--size", "64x48", "--vmaf", "93.5", "--detail", "0.25",
                "--encode-segments", "auto", "rest", NULL) == VSR_OPT_PARSED);
    CHECK(s.verbose == 1 && s.input && !strcmp(s.input, "in.mp4") && s.workers == 12);
    CHECK(s.mode == 30 && s.size_cap == 0 && s.wh[0] == 64 && s.wh[1] == 48);
    CHECK(s.vmaf == 93.5 && s.detail == 0.25f && s.segments == 0);
    CHECK_MSG(operand == 15, "first operand %d", operand);
    CHECK(parse(&s, &err, NULL, "--encode-segments", "5", NULL) == VSR_OPT_PARSED &&
          s.segments == 5);

    /* --help stops the parse, even before a bad option */
    CHECK(parse(&s, &err, NULL, "--help", "--bogus", NULL) == VSR_OPT_HELP_ASKED);
    CHECK(parse(&s, &err, NULL, "-h", NULL) == VSR_OPT_HELP_ASKED);

    /* the messages, with the option's name and the value */
    struct {
        const char *args[3];
        const char *msg;
    } bad[] = {
        {{"--workers", "0"}, "--workers: expected 1..256, got '0'"},
        {{"--workers", "9x"}, "--workers: expected 1..256, got '9x'"},
        {{"--encode-segments", "65"}, "--encode-segments: expected 1..64 or auto, got '65'"},
        {{"--profile", "slow"}, "--profile: expected fast, balanced or quality, got 'slow'"},
        {{"--size", "64"}, "--size: expected WIDTHxHEIGHT (e.g. 1920x1080), got '64'"},
        {{"--size", "640x48"}, "--size: expected sides of 1..100, got '640x48'"},
        {{"--vmaf", "nan"}, "--vmaf: expected a VMAF score in 0..100, got 'nan'"},
        {{"--detail", "1.5"}, "--detail: expected 0..1, got '1.5'"},
        {{"-i", ""}, "--input: expected a file name, got ''"},
        {{"--a-very-long-option-name", "3"},
         "--a-very-long-option-name: expected an even number, got '3'"},
        {{"--workers"}, "option --workers needs a value"},
        {{"-i"}, "option -i needs a value"},
        {{"-x"}, "unknown option -x"},
        {{"--bogus"}, "unknown or ambiguous option '--bogus'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int st = parse(&s, &err, NULL, bad[k].args[0], bad[k].args[1], NULL);
        CHECK_MSG(st < 0 && !strcmp(err.msg, bad[k].msg), "%s: got '%s'", bad[k].msg, err.msg);
    }
    /* a unique prefix is the option, as getopt_long takes it */
    CHECK(parse(&s, &err, NULL, "--work", "4", NULL) == VSR_OPT_PARSED && s.workers == 4);

    /* a custom parser */
    CHECK(parse(&s, &err, NULL, "--a-very-long-option-name", "8", NULL) == VSR_OPT_PARSED &&
          s.workers == 8);

    /* the environment: rows' variables in order, the last set wins */
    memset(&s, 0, sizeof s);
    CHECK(vsr_opt_load_env(table, &s, fake_env, &err) == VSR_OK);
    CHECK(s.workers == 7 && s.verbose == 1 && s.timeout_ms == 2500);
    vsr_error_clear(&err);
    CHECK(vsr_opt_load_env(table, &s, bad_env, &err) < 0);
    CHECK_MSG(!strcmp(err.msg, "T_TIMEOUT_MS='soon': expected milliseconds"), "%s", err.msg);

    /* config-file keys: typed stores, ranges of the type, owned strings */
    const vsr_opt *k = vsr_opt_find_key(table, "max_pixels");
    CHECK(k && vsr_opt_set_number(k, &s, 5000000000LL, &err) == VSR_OK &&
          s.max_pixels == 5000000000LL);
    k = vsr_opt_find_key(table, "workers");
    CHECK(k && vsr_opt_set_number(k, &s, 5000000000LL, &err) < 0);
    CHECK(k && vsr_opt_set_number(k, &s, -1, &err) < 0);
    CHECK(k && vsr_opt_set_bool(k, &s, 1, &err) < 0);
    k = vsr_opt_find_key(table, "verbose");
    CHECK(k && vsr_opt_set_bool(k, &s, 0, &err) == VSR_OK && s.verbose == 0);
    CHECK(!vsr_opt_find_key(table, "input")); /* command line only */
    CHECK(!vsr_opt_find_key(table, "nope"));
    k = vsr_opt_find_key(table, "owned");
    CHECK(k && vsr_opt_set_text(k, &s, "one", &err) == VSR_OK && !strcmp(s.owned, "one"));
    CHECK(k && vsr_opt_set_text(k, &s, "two", &err) == VSR_OK && !strcmp(s.owned, "two"));
    vsr_opt_free(table, &s);
    CHECK(s.owned == NULL);
    CHECK(vsr_opt_find(table, "profile") == &table[7]);

    /* --help: aligned at the column, continuation lines indented, sections,
     * hidden rows and file-only rows left out, a long option on its own
     * line */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (f) {
        vsr_opt_help(f, table, 24);
        fclose(f);
        const char *want = "  -h, --help            this help\n"
                           "  -i, --input FILE      input video\n"
                           "                        second line\n"
                           "  -v, --verbose         details\n"
                           "\nPipeline:\n"
                           "  --workers N           workers\n";
        CHECK_MSG(!strncmp(buf, want, strlen(want)), "help:\n%s", buf);
        CHECK(strstr(buf, "  --a-very-long-option-name N\n                        even\n"));
        CHECK(!strstr(buf, "no-size-cap"));
        CHECK(!strstr(buf, "timeout"));
        free(buf);
    }
    return test_report("test_opt_table");
}
