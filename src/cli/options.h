/* Option parsing shared by every `vsr` command.
 *
 * Conventions: a command declares its options as tables (util/opt_table.h:
 * name, type, range, help, offset into its settings struct), parses them
 * with vsr_cli_parse (with vsr_cli_engine_table where it runs a model) and
 * prints its --help with vsr_opt_help. A bad value is reported as
 * "vsr CMD: --opt: expected ..., got '...'" and a hint, exit status
 * VSR_EXIT_USAGE. */
#ifndef VSR_CLI_OPTIONS_H
#define VSR_CLI_OPTIONS_H

#include <stdio.h>

#include "engine/backend.h"
#include "util/opt_table.h" /* vsr_opt_join */

enum {
    VSR_EXIT_OK = 0,
    VSR_EXIT_FAILURE = 1, /* the work failed: unreadable input, model error, ... */
    VSR_EXIT_USAGE = 2,   /* the command line was wrong */
};

/* Prints "vsr CMD: <message>" and "Try 'vsr CMD --help'." to stderr;
 * returns VSR_EXIT_USAGE. */
int vsr_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "vsr CMD: error: <message>" to stderr; returns VSR_EXIT_FAILURE. */
int vsr_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses argv (argv[0] = the command's name) with the option tables in
 * sets (util/opt_table.h); VSR_EXIT_OK, or VSR_EXIT_USAGE after printing
 * the message as vsr_usage_error does. *help: 1 when --help was given
 * (the parse stopped there). getopt's optind is left at the first operand
 * (vsr_opt_no_operands). */
int vsr_cli_parse(const char *cmd, const vsr_opt_set *sets, int n_sets, int argc, char **argv,
                  int *help);

/* Option-table parsers for the values the commands share; each leaves
 * its message (without the option's name) in err. */
/* --task: a Vidaio task (const char * field). */
int vsr_opt_parse_task(const vsr_opt *o, void *base, const char *text, vsr_error *err);
/* --size of a video output (int[2] field): the validators' output sizes. */
int vsr_opt_parse_video_size(const vsr_opt *o, void *base, const char *text, vsr_error *err);
/* --backend: "auto" or a compiled backend (const char * field, pointing at
 * a static name). */
int vsr_opt_parse_backend(const vsr_opt *o, void *base, const char *text, vsr_error *err);
/* The --backend help line: the compiled backends listed. */
const char *vsr_opt_backend_help(const vsr_opt *o, char *buf, size_t len);

/* The table row of --detail (a float field), and --scale's choices and
 * values (an int field). */
#define VSR_OPT_ROW_DETAIL(field_offset)                                                         \
    {                                                                                            \
        .name = "detail", .type = VSR_OPT_FLOAT, .arg = "D", .offset = (field_offset), .min = 0, \
        .max = 1,                                                                                \
        .accepted =                                                                              \
            "a detail strength of 0..1 (1 = the model alone, 0 = the input Lanczos-scaled)",     \
        .help = "detail strength 0..1 (default 1): D x the model's\n"                            \
                "output + (1 - D) x the input Lanczos-scaled to the\n"                           \
                "output size; 0 = Lanczos alone (the model not run)"                             \
    }
extern const char *const vsr_opt_scale_choices[];
extern const int vsr_opt_scale_values[];
extern const char *const vsr_precision_choices[]; /* --precision's, and ... */
extern const int vsr_precision_values[];          /* ... the vsr_precision of each */

/* Fails unless every argument was an option (no positional arguments). */
int vsr_opt_no_operands(const char *cmd, int argc, char **argv);

/* The scale a command runs at from --task and --scale (0 = not given):
 * one of them is needed, and they must agree. */
int vsr_opt_task_scale(const char *cmd, const char *task, int *scale);

/* "auto" and the compiled backends' names, NULL-terminated, into names
 * (max entries including the NULL); returns the count. */
int vsr_opt_backend_names(const char **names, int max);

const char *vsr_precision_name(vsr_precision p);

/* The getopt-loop helpers of the commands not yet on option tables. */
#include <getopt.h>

/* Resets getopt for a fresh parse of a command's argv (argv[0] = the
 * command's name) and turns off getopt's own messages. */
void vsr_opt_begin(void);

/* Reports what getopt_long returned for an option it could not take ('?':
 * unknown or ambiguous, ':': missing value), or for an option the command
 * lists but does not handle; returns VSR_EXIT_USAGE. */
int vsr_opt_unknown(const char *cmd, int c, char **argv);

/* An integer in [min, max]; accepted describes the range for the message
 * (e.g. "0 (automatic) or 1..1024"). */
int vsr_opt_int(const char *cmd, const char *opt, const char *arg, long min, long max,
                const char *accepted, int *out);

/* A non-negative number; accepted as for vsr_opt_int. */
int vsr_opt_double(const char *cmd, const char *opt, const char *arg, double min, double max,
                   const char *accepted, double *out);

/* One of choices (NULL-terminated); *index gets its position. The message
 * lists the choices: "expected ref or cpu, got 'x'". */
int vsr_opt_choice(const char *cmd, const char *opt, const char *arg, const char *const *choices,
                   int *index);

/* --scale: 2, 3 or 4. */
int vsr_opt_scale(const char *cmd, const char *opt, const char *arg, int *scale);

/* --task: a Vidaio task (DESIGN.md §5), case-insensitive. */
int vsr_opt_task(const char *cmd, const char *arg, const char **task);

/* --size WxH (issue 18): two positive integers joined by 'x'; video
 * (even = 1) takes the validators' output sizes (vsr_output_size_check:
 * even, at most 8192 a side and 33,554,432 pixels), images any size up to
 * max_side a side. The message says which rule the value breaks. */
int vsr_opt_size(const char *cmd, const char *opt, const char *arg, int even, int max_side, int *w,
                 int *h);

/* --detail: a number of 0..1 (not NaN). */
int vsr_opt_detail(const char *cmd, const char *opt, const char *arg, float *detail);

/* --precision: auto (the backend's own), fp32, bf16 or fp16. */
int vsr_opt_precision(const char *cmd, const char *opt, const char *arg, vsr_precision *p);

/* --backend: "auto" or a backend compiled into this build. *name points
 * into static strings (the backend table or "auto"). */
int vsr_opt_backend(const char *cmd, const char *opt, const char *arg, const char **name);

#endif
