/* Reads weight blobs from an ncnn .bin image in memory, in .param order.
 * A tagged blob (Convolution weights) starts with a 4-byte tag: fp16,
 * int8 (refused), scaled fp32, an 8-bit quantization table, or raw fp32;
 * untagged blobs (biases, PReLU slopes) are raw fp32. */
#ifndef VSR_MODEL_NCNN_BIN_H
#define VSR_MODEL_NCNN_BIN_H

#include <stddef.h>

#include "util/error.h"

typedef struct ncnn_bin_reader {
    const unsigned char *data;
    size_t len;
    size_t pos;
    const char *name; /* file name, for messages */
} ncnn_bin_reader;

/* Reads count values into out (fp32). what names the layer and blob. */
int ncnn_bin_read_tagged(ncnn_bin_reader *r, size_t count, float *out, const char *what,
                         vsr_error *err);
int ncnn_bin_read_raw(ncnn_bin_reader *r, size_t count, float *out, const char *what,
                      vsr_error *err);

float ncnn_half_to_float(unsigned short h);

#endif
