/* util/log: levels filter, the text sink keeps the old prefixes, the JSON
 * sink writes one escaped object a line, a custom sink gets each message. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "util/log.h"

typedef struct seen {
    int n;
    vsr_log_level level;
    char component[32], msg[256];
} seen;

static void capture(void *opaque, vsr_log_level level, const char *component, const char *msg)
{
    seen *s = opaque;
    s->n++;
    s->level = level;
    snprintf(s->component, sizeof s->component, "%s", component ? component : "");
    snprintf(s->msg, sizeof s->msg, "%s", msg);
}

static void read_all(FILE *f, char *buf, size_t n)
{
    rewind(f);
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = '\0';
}

int main(void)
{
    seen s = {0};
    vsr_log log = {capture, &s, VSR_LOG_INFO};
    vsr_logf(&log, VSR_LOG_DEBUG, "cpu", "dropped %d", 1);
    CHECK(s.n == 0);
    CHECK(!vsr_log_enabled(&log, VSR_LOG_VERBOSE) && vsr_log_enabled(&log, VSR_LOG_ERROR));
    vsr_logf(&log, VSR_LOG_WARN, "serve", "removing %s", "x");
    CHECK(s.n == 1 && s.level == VSR_LOG_WARN && !strcmp(s.component, "serve") &&
          !strcmp(s.msg, "removing x"));

    char buf[1024];
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        vsr_log text = vsr_log_text(f, VSR_LOG_DEBUG);
        vsr_logf(&text, VSR_LOG_INFO, "serve", "GET /health %d", 200);
        vsr_logf(&text, VSR_LOG_WARN, NULL, "stream dropped");
        read_all(f, buf, sizeof buf);
        CHECK_MSG(!strcmp(buf, "vsr serve: GET /health 200\nvsr: warning: stream dropped\n"),
                  "text: %s", buf);
        fclose(f);
    }
    f = tmpfile();
    if (f) {
        vsr_log json = vsr_log_json(f, VSR_LOG_INFO);
        vsr_logf(&json, VSR_LOG_ERROR, "deleter", "say \"no\"\n\\ %c", 1);
        read_all(f, buf, sizeof buf);
        CHECK_MSG(strstr(buf, "\"level\":\"error\",\"component\":\"deleter\","
                              "\"msg\":\"say \\\"no\\\"\\n\\\\ \\u0001\"}\n") &&
                      !strncmp(buf, "{\"time\":\"", 9) &&
                      strchr(buf, '\n') == buf + strlen(buf) - 1,
                  "json: %s", buf);
        fclose(f);
    }

    /* the default: replaced and read back */
    vsr_log keep = *vsr_log_default();
    vsr_log_set_default(&log);
    vsr_logf(NULL, VSR_LOG_ERROR, NULL, "to the default");
    CHECK(s.n == 2 && !strcmp(s.msg, "to the default") && !s.component[0]);
    vsr_log_set_default(&keep);
    CHECK(!strcmp(vsr_log_level_name(VSR_LOG_VERBOSE), "verbose"));
    return test_report("test_log");
}
