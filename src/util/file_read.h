/* Reads a whole file into memory, with a size limit: model files are
 * parsed from memory, and a file over the limit is refused rather than
 * read. */
#ifndef VSR_UTIL_FILE_READ_H
#define VSR_UTIL_FILE_READ_H

#include <stddef.h>

#include "util/error.h"

/* *data (malloc'd, one extra NUL byte after the *len bytes read) on
 * success; VSR_ERR_FORMAT when the file is larger than max bytes, naming
 * what (e.g. "not an ONNX model with its weights inside"; may be NULL). */
int vsr_read_file(const char *path, size_t max, const char *what, unsigned char **data, size_t *len,
                  vsr_error *err);

#endif
