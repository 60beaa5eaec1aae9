/* Loads ncnn .param/.bin models into the graph IR (DESIGN.md §4 has the
 * format). Split layers become blob aliases; Convolution + PReLU pairs stay
 * separate nodes (backends fuse what they can). Every refusal names the
 * file, the line or layer, and the reason. */
#ifndef VSR_MODEL_NCNN_LOADER_H
#define VSR_MODEL_NCNN_LOADER_H

#include <stddef.h>

#include "engine/graph.h"
#include "util/error.h"

int vsr_ncnn_load_files(const char *param_path, const char *bin_path, vsr_graph *g, vsr_error *err);

/* The same from memory; names are used in messages only. */
int vsr_ncnn_load_memory(const char *param_text, size_t param_len, const char *param_name,
                         const unsigned char *bin, size_t bin_len, const char *bin_name,
                         vsr_graph *g, vsr_error *err);

#endif
