/* Loads ONNX models (opsets 11 to 20) into the graph IR, so that every
 * backend runs them. The protobuf is decoded by C code that protoc-c
 * generates at build time from Debian's onnx.proto (CMakeLists.txt).
 *
 * The graph must be an image-to-image network: one 4-D input N x C x H x W
 * with a fixed C (H and W may be symbolic or fixed: declared sizes are not
 * enforced, the network runs at any size), one 4-D output, weights stored
 * inside the file. README.md ("ONNX models") lists the supported ops and
 * what is refused; every refusal names the file, the node, its op and the
 * opset. */
#ifndef VSR_MODEL_ONNX_LOADER_H
#define VSR_MODEL_ONNX_LOADER_H

#include <stddef.h>

#include "engine/graph.h"
#include "util/error.h"

/* The opsets of the default domain this loader accepts. */
#define VSR_ONNX_MIN_OPSET 11
#define VSR_ONNX_MAX_OPSET 20

int vsr_onnx_load_file(const char *path, vsr_graph *g, vsr_error *err);

/* The same from memory; name is used in messages and for the graph's name
 * (its base name without extension). */
int vsr_onnx_load_memory(const unsigned char *data, size_t len, const char *name, vsr_graph *g,
                         vsr_error *err);

#endif
