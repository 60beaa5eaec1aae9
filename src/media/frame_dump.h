/* Evidence of what went into the encoder, for tests and debugging: a hash
 * of a frame's pixels, and a lossless PNG of a frame. */
#ifndef VSR_MEDIA_FRAME_DUMP_H
#define VSR_MEDIA_FRAME_DUMP_H

#include "frame/image.h"
#include "frame/yuv420.h"
#include "util/error.h"

#define VSR_SHA256_HEX 65

/* SHA-256 of the packed RGB24 rows (no stride padding), as lowercase hex:
 * the same as `sha256sum` of the image as raw rgb24. */
int vsr_frame_sha256(const vsr_image *img, char hex[VSR_SHA256_HEX], vsr_error *err);

/* SHA-256 of a YUV 4:2:0 frame's planes (Y, then Cb, then Cr; no stride
 * padding): `sha256sum` of the frame as raw yuv420p. */
int vsr_yuv420_sha256(const vsr_yuv420 *img, char hex[VSR_SHA256_HEX], vsr_error *err);

/* Writes an RGB24 image as PNG. */
int vsr_frame_write_png(const char *path, const vsr_image *img, vsr_error *err);

#endif
