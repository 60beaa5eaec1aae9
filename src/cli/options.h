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
 * (the parse stopped there), after print_help (may be NULL) printed the
 * command's help. getopt's optind is left at the first operand
 * (vsr_opt_no_operands). */
int vsr_cli_parse(const char *cmd, const vsr_opt_set *sets, int n_sets, int argc, char **argv,
                  void (*print_help)(void), int *help);

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

#endif
