#include "util/file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vsr_read_file(const char *path, size_t max, const char *what, unsigned char **data, size_t *len,
                  vsr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = VSR_OK;
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                rc = vsr_error_set(err, VSR_ERR_FORMAT, "%s: larger than %zu bytes%s%s", path, max,
                                   what ? ", " : "", what ? what : "");
                break;
            }
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > max)
                cap = max;
            unsigned char *p = realloc(buf, cap + 1);
            if (!p) {
                rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = vsr_error_set(err, VSR_ERR_IO, "read error on %s", path);
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return VSR_OK;
}
