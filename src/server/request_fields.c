#include "server/request_fields.h"

#include <string.h>
#include <strings.h>

int vsr_request_is_url(const char *s)
{
    return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

int vsr_request_task_id_ok(const char *s, size_t min_len, const char *punct)
{
    size_t n = strlen(s);
    if (n < min_len || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr(punct, s[i])))
            return 0;
    return 1;
}
