#include "util/array.h"

#include <stdlib.h>

int vsr_array_grow(void **ptr, int *cap, int need, size_t elem, vsr_error *err)
{
    if (need <= *cap)
        return VSR_OK;
    int n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*ptr, (size_t)n * elem);
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    *ptr = p;
    *cap = n;
    return VSR_OK;
}
