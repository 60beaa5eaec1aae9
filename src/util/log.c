#include "util/log.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "verbose", "debug"};

/* The process default: text on stderr at info until the program's top
 * sets another (util/log.h). */
static vsr_log g_default = {vsr_log_sink_text, NULL, VSR_LOG_INFO};

const char *vsr_log_level_name(vsr_log_level level)
{
    return level >= VSR_LOG_ERROR && level <= VSR_LOG_DEBUG ? level_names[level] : "?";
}

void vsr_log_sink_text(void *opaque, vsr_log_level level, const char *component, const char *msg)
{
    FILE *f = opaque ? opaque : stderr;
    fprintf(f, "vsr%s%s: %s%s\n", component ? " " : "", component ? component : "",
            level == VSR_LOG_WARN ? "warning: " : "", msg);
}

/* msg as a JSON string body: quotes, backslashes and control characters
 * escaped; other bytes as they are (the library's messages are UTF-8). */
static void json_escape(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else if (c < 0x20) {
            k += (size_t)snprintf(out + k, n - k, "\\u%04x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = '\0';
}

void vsr_log_sink_json(void *opaque, vsr_log_level level, const char *component, const char *msg)
{
    FILE *f = opaque ? opaque : stderr;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[32], comp[128], text[8192];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    json_escape(component ? component : "", comp, sizeof comp);
    json_escape(msg, text, sizeof text);
    fprintf(f, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":\"%s\",\"msg\":\"%s\"}\n",
            when, (long)(tv.tv_usec / 1000), vsr_log_level_name(level), comp, text);
}

vsr_log vsr_log_text(FILE *f, vsr_log_level level)
{
    return (vsr_log){vsr_log_sink_text, f, level};
}

vsr_log vsr_log_json(FILE *f, vsr_log_level level)
{
    return (vsr_log){vsr_log_sink_json, f, level};
}

int vsr_log_enabled(const vsr_log *log, vsr_log_level level)
{
    if (!log)
        log = &g_default;
    return log->sink && level <= log->level;
}

void vsr_logf(const vsr_log *log, vsr_log_level level, const char *component, const char *fmt, ...)
{
    if (!log)
        log = &g_default;
    if (!log->sink || level > log->level)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log->sink(log->opaque, level, component, msg);
}

void vsr_log_set_default(const vsr_log *log)
{
    g_default = *log;
}

const vsr_log *vsr_log_default(void)
{
    return &g_default;
}
