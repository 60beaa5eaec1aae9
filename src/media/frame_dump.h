/* Evidence of what went into the encoder, for tests and debugging: a hash
 * of a frame's RGB pixels, and a lossless PNG of a frame. */
#ifndef VSR_MEDIA_FRAME_DUMP_H
#define VSR_MEDIA_FRAME_DUMP_H

#include "engine/engine.h"
#include "util/error.h"

#define VSR_SHA256_HEX 65

/* SHA-256 of the packed RGB24 rows (no stride padding), as lowercase hex:
 * the same as `sha256sum` of the image as raw rgb24. */
int vsr_frame_sha256(const vsr_image *img, char hex[VSR_SHA256_HEX], vsr_error *err);

/* Writes an RGB24 image as PNG. */
int vsr_frame_write_png(const char *path, const vsr_image *img, vsr_error *err);

#endif
