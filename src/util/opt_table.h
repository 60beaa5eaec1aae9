/* Option tables, in the manner of FFmpeg's AVOption: a setting is declared
 * once, as a row {long name, short letter, type, help, default, range or
 * choices, offset into a settings struct, config-file key, environment
 * variables}, and that row drives everything a setting goes through:
 *   - the command line: getopt_long's option array and optstring are built
 *     from the rows (vsr_opt_parse), every value parsed and range-checked
 *     with one message format ("--opt: expected ACCEPTED, got 'x'");
 *   - --help: the option lines are printed from the rows (vsr_opt_help);
 *   - the environment: vsr_opt_load_env applies the rows' variables;
 *   - a config file: vsr_opt_find_key finds a row by its key, and
 *     vsr_opt_set_text / vsr_opt_set_number / vsr_opt_set_bool store a
 *     value of the file's type (the file's parser, jansson, stays with its
 *     user: util does not read JSON).
 * A command may parse several tables at once (its own and a shared one,
 * each with its own struct): a vsr_opt_set pairs a table with its struct.
 *
 * Errors are returned as messages in a vsr_error, never printed: the
 * command line front end prints them in its own format. */
#ifndef VSR_UTIL_OPT_TABLE_H
#define VSR_UTIL_OPT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

typedef enum vsr_opt_type {
    VSR_OPT_END = 0,  /* ends a table */
    VSR_OPT_SECTION,  /* a heading in --help ("Pipeline:"); help is its text */
    VSR_OPT_HELP,     /* --help: parsing stops, vsr_opt_parse returns VSR_OPT_HELP_ASKED */
    VSR_OPT_FLAG,     /* int: 1 when given (no value) */
    VSR_OPT_FLAG_OFF, /* int: 0 when given (--no-...) */
    VSR_OPT_INT,      /* int in [min, max]; special: a word besides the range */
    VSR_OPT_LONG,     /* long in [min, max] */
    VSR_OPT_INT64,    /* int64_t in [min, max] */
    VSR_OPT_DOUBLE,   /* double in [min, max], not NaN */
    VSR_OPT_FLOAT,    /* float in [min, max], not NaN (parsed as a double) */
    VSR_OPT_STRING,   /* const char *: points at the value (argv, environ); not copied */
    VSR_OPT_STRDUP,   /* char *: a copy the struct owns (the old one freed) */
    VSR_OPT_CHOICE,   /* int: values[i] (or i) for the i-th of choices */
    VSR_OPT_SIZE,     /* int[2] at offset: WIDTHxHEIGHT, sides in [min, max] */
    VSR_OPT_CUSTOM,   /* parse() does it all */
} vsr_opt_type;

/* Row flags. */
enum {
    VSR_OPTF_NONEMPTY = 1u << 0, /* a string or custom value may not be '' */
    VSR_OPTF_HIDDEN = 1u << 1,   /* not in --help */
    VSR_OPTF_NAME = 1u << 2,     /* CHOICE: store the choice's name (const char *), not an int */
};

typedef struct vsr_opt vsr_opt;

struct vsr_opt {
    const char *name; /* long option without "--"; NULL: no command-line option (file or
                         environment only) */
    int short_name;   /* 'i' for -i; 0: none */
    vsr_opt_type type;
    const char *arg;            /* the value's name in --help ("FILE", "N"); NULL for flags */
    const char *help;           /* --help text; '\n' starts a continuation line */
    size_t offset;              /* of the field in the settings struct */
    const char *def;            /* default, as the command line would give it (applied by
                                   vsr_opt_defaults); NULL: the struct's own initialiser's */
    double min, max;            /* numeric range (sides for SIZE) */
    const char *accepted;       /* what the value may be, for messages: "1..256" */
    const char *const *choices; /* CHOICE: NULL-terminated */
    const int *values;          /* CHOICE: the stored value of each choice; NULL: its index */
    const char *special;        /* numbers: a word taken besides the range ("auto") */
    long long special_value;    /* ... and the value it stores */
    /* CUSTOM (and any type, when set): parses text into the field at base;
     * 0, or < 0 with the message (without the option's name: the caller
     * adds "--opt: " or "VAR='x': ") in err. */
    int (*parse)(const vsr_opt *o, void *base, const char *text, vsr_error *err);
    /* --help text made when printed (a list known only at run time), instead
     * of help; writes into buf and returns it. */
    const char *(*help_fn)(const vsr_opt *o, char *buf, size_t len);
    const char *key; /* config-file key; NULL: not in the file */
    const char *env; /* environment variables, space-separated; applied in order, so the
                        last one set wins; NULL: none */
    unsigned flags;  /* VSR_OPTF_* */
};

/* A table and the struct its offsets point into. */
typedef struct vsr_opt_set {
    const vsr_opt *opts;
    void *base;
} vsr_opt_set;

/* vsr_opt_parse's results besides errors. */
enum { VSR_OPT_PARSED = 0, VSR_OPT_HELP_ASKED = 1 };

/* Most rows a parse takes, over all its sets. */
#define VSR_OPT_MAX_ROWS 160

/* Parses argv (argv[0]: the command's name) with getopt_long built from
 * the sets' rows: each value stored through its row. Stops at --help
 * (VSR_OPT_HELP_ASKED). On a bad option or value, < 0 with the message
 * ("--tile: expected ..., got '-3'", "unknown option -x", "option --foo
 * needs a value", ...) in err. *first_operand: the index of the first
 * argument that is not an option (argc if none). */
int vsr_opt_parse(const vsr_opt_set *sets, int n_sets, int argc, char **argv, int *first_operand,
                  vsr_error *err);

/* Parses text as row o's value into base. The message names the value
 * only ("expected 1..256, got '0'"): the caller says where it came from. */
int vsr_opt_set_text(const vsr_opt *o, void *base, const char *text, vsr_error *err);

/* Stores a number from a typed source (a config file's integer) into an
 * INT, LONG, INT64, DOUBLE or FLOAT row: only the type's limits and
 * n >= 0 are checked here ("out of range"); the struct's own validation
 * checks combinations. */
int vsr_opt_set_number(const vsr_opt *o, void *base, long long n, vsr_error *err);

/* Stores a boolean into a FLAG or FLAG_OFF row (FLAG_OFF stores !b). */
int vsr_opt_set_bool(const vsr_opt *o, void *base, int b, vsr_error *err);

/* Applies the rows' defaults (def) to base. */
int vsr_opt_defaults(const vsr_opt *table, void *base, vsr_error *err);

/* Applies every row's environment variables that are set and not empty,
 * in table order; a bad value is an error "VAR='value': expected ...".
 * getenv_fn: where variables come from (getenv; a test's own). */
int vsr_opt_load_env(const vsr_opt *table, void *base, const char *(*getenv_fn)(const char *),
                     vsr_error *err);

/* The row with config-file key k, or NULL. */
const vsr_opt *vsr_opt_find_key(const vsr_opt *table, const char *key);

/* The row with long name name, or NULL. */
const vsr_opt *vsr_opt_find(const vsr_opt *table, const char *name);

/* Prints the table's command-line rows as --help lines: the option
 * ("  -i, --input FILE") padded to column width, then its help, its
 * continuation lines indented to width; a SECTION prints a blank line
 * and its heading. */
void vsr_opt_help(FILE *to, const vsr_opt *table, int width);

/* Frees the STRDUP fields of base. */
void vsr_opt_free(const vsr_opt *table, void *base);

/* Writes "a, b or c" for a NULL-terminated list into buf. */
void vsr_opt_join(const char *const *items, char *buf, size_t len);

#endif
