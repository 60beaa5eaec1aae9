/* Still images in and out through FFmpeg's libraries.
 *
 * Reading takes anything FFmpeg's image demuxers and decoders take (PNG,
 * JPEG, WebP, BMP, TIFF, ...) and returns packed RGB24, converted exactly as
 * `ffmpeg -i IN -pix_fmt rgb24` converts it (same swscale flags, the
 * stream's own matrix and range, so full-range JPEG stays full range).
 * Writing picks PNG (lossless rgb24) or JPEG (mjpeg, full-range 4:2:0 or
 * 4:4:4) from the output's extension and goes through a temporary file in
 * the same directory that is renamed into place only when complete, so a
 * failure never leaves a partial file behind. */
#ifndef VSR_MEDIA_IMAGE_IO_H
#define VSR_MEDIA_IMAGE_IO_H

#include "frame/image.h"
#include "util/error.h"

/* Size limits for images read or written. Together they keep every frame
 * inside FFmpeg's own limit ((w + 128) * (h + 128) < 2^28) and bound the
 * memory one image can make us allocate. */
#define VSR_IMAGE_MAX_SIDE 16384
#define VSR_IMAGE_MAX_PIXELS 250000000LL

typedef enum vsr_image_file_format {
    VSR_IMAGE_FILE_PNG,
    VSR_IMAGE_FILE_JPEG,
} vsr_image_file_format;

typedef struct vsr_image_write_options {
    int jpeg_quality;   /* 1 (smallest) .. 100 (best); 0 = VSR_JPEG_QUALITY_DEFAULT */
    int jpeg_chroma444; /* 1: no chroma subsampling (yuvj444p); 0: yuvj420p */
} vsr_image_write_options;

#define VSR_JPEG_QUALITY_DEFAULT 95

void vsr_image_write_options_default(vsr_image_write_options *opt);

/* The writable format for path's extension (.png, .jpg, .jpeg, any case);
 * VSR_ERR_UNSUPPORTED with the accepted list otherwise. Lets callers refuse
 * a bad output name before doing any work. */
int vsr_image_file_format_from_path(const char *path, vsr_image_file_format *fmt, vsr_error *err);

/* 0 if a w x h image is within the limits above; VSR_ERR_INVALID (w or h
 * not positive) or VSR_ERR_NOMEM (too large) with a message naming what
 * (e.g. "output image") otherwise. */
int vsr_image_check_size(int w, int h, const char *what, vsr_error *err);

/* Decodes the first frame of path into img, allocated here as RGB24 with
 * vsr_image_alloc (free with vsr_image_free). On failure img is left
 * empty. */
int vsr_image_read(const char *path, vsr_image *img, vsr_error *err);

/* Encodes img (RGB24, or RGBF32 rounded to 8 bits) to path in the format
 * its extension names. opt may be NULL for the defaults. */
int vsr_image_write(const char *path, const vsr_image *img, const vsr_image_write_options *opt,
                    vsr_error *err);

#endif
