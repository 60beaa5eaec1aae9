/* Text for a JSON reply. Messages quote what a client or a file sent (a
 * JSON parser's error, a decoder's, a path), which need not be UTF-8, and
 * jansson refuses such a string: the reply would lose its message, or
 * its whole body. */
#ifndef VSR_SERVER_JSON_TEXT_H
#define VSR_SERVER_JSON_TEXT_H

#include <jansson.h>

/* s as a JSON string; when s is not UTF-8, every byte of 0x80 and above
 * becomes '?'. NULL only when out of memory. */
json_t *vsr_json_text(const char *s);

#endif
