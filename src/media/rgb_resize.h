/* Resampling a packed RGB24 image to another size with swscale's
 * Lanczos-3 (issue 18): vsr image's model output at its own scale to the
 * size asked, and its input for the detail blend. */
#ifndef VSR_MEDIA_RGB_RESIZE_H
#define VSR_MEDIA_RGB_RESIZE_H

#include "frame/image.h"
#include "util/error.h"

/* in (RGB24) resampled into out (RGB24, allocated by the caller at the
 * size wanted); a copy when the sizes are equal. */
int vsr_rgb24_resize(const vsr_image *in, vsr_image *out, vsr_error *err);

#endif
