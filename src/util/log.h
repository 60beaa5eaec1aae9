/* The library's log: levels and a sink, as FFmpeg's av_log or
 * ggml_log_set.
 *
 * A vsr_log is a context that owns its sink: a function that takes one
 * finished message (level, component, text without a newline) and writes
 * it somewhere. Two sinks are built in: text (for a terminal: "vsr
 * COMPONENT: message", warnings with "warning: ") and JSON lines (for the
 * server: one object a line with time, level, component and message).
 *
 * Code that is given a vsr_log writes to it; code that is not (deep in a
 * backend or the device pool) writes to the process default, passing
 * NULL. The default is the one piece of process-wide state: it starts as
 * text on stderr at VSR_LOG_INFO, and only the program's top sets it
 * (cli/main.c at start, `vsr serve` for its JSON lines), before any
 * thread that logs starts; vsr_log_set_default is not for libraries. */
#ifndef VSR_UTIL_LOG_H
#define VSR_UTIL_LOG_H

#include <stdio.h>

typedef enum vsr_log_level {
    VSR_LOG_ERROR = 0, /* an operation failed */
    VSR_LOG_WARN,      /* something was dropped or worked around */
    VSR_LOG_INFO,      /* what a service does (requests, devices taken out) */
    VSR_LOG_VERBOSE,   /* details asked for (-v) */
    VSR_LOG_DEBUG,     /* plans, per-step timings */
} vsr_log_level;

/* One message; called from any thread, so a sink must be thread-safe
 * (the built-in ones write each message with one locked stdio call). */
typedef void (*vsr_log_sink)(void *opaque, vsr_log_level level, const char *component,
                             const char *msg);

typedef struct vsr_log {
    vsr_log_sink sink;   /* NULL: messages are dropped */
    void *opaque;        /* the sink's; for the built-in ones a FILE * (NULL = stderr) */
    vsr_log_level level; /* the most detailed level written */
} vsr_log;

/* The built-in sinks (opaque: FILE *, NULL = stderr). */
void vsr_log_sink_text(void *opaque, vsr_log_level level, const char *component, const char *msg);
void vsr_log_sink_json(void *opaque, vsr_log_level level, const char *component, const char *msg);

/* A log writing to f (NULL = stderr) as text or JSON lines. */
vsr_log vsr_log_text(FILE *f, vsr_log_level level);
vsr_log vsr_log_json(FILE *f, vsr_log_level level);

/* "error", "warn", "info", "verbose", "debug". */
const char *vsr_log_level_name(vsr_log_level level);

/* Whether a message at level would be written (log NULL: the default). */
int vsr_log_enabled(const vsr_log *log, vsr_log_level level);

/* Formats and writes a message at level (log NULL: the default);
 * component names the writer ("serve", "cpu", "deleter"; NULL: none). */
void vsr_logf(const vsr_log *log, vsr_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The process default (see above): copied; set it before threads start. */
void vsr_log_set_default(const vsr_log *log);
const vsr_log *vsr_log_default(void);

#endif
