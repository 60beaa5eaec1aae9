#include "server/json_text.h"

#include <stdlib.h>
#include <string.h>

json_t *vsr_json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *ascii = strdup(s);
    if (!ascii)
        return NULL;
    for (char *p = ascii; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(ascii);
    free(ascii);
    return j;
}
