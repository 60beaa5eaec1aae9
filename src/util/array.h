/* Growing an array by doubling, for the loaders' node and blob lists. */
#ifndef VSR_UTIL_ARRAY_H
#define VSR_UTIL_ARRAY_H

#include <stddef.h>

#include "util/error.h"

/* Makes *ptr (of *cap elements of elem bytes) hold at least need
 * elements, doubling from 64; VSR_ERR_NOMEM leaves it as it was. */
int vsr_array_grow(void **ptr, int *cap, int need, size_t elem, vsr_error *err);

#endif
