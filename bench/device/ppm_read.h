/* Reads the binary PPM test images of bench/device/gpu_prepare.sh (P6, maxval
 * 255) into an RGB24 image; shared by the device tools. */
#ifndef VSR_BENCH_DEVICE_PPM_READ_H
#define VSR_BENCH_DEVICE_PPM_READ_H

#include <stdio.h>

#include "frame/image.h"
#include "util/error.h"

static inline int read_ppm(const char *path, vsr_image *img, vsr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "open %s", path);
    int w, h, maxv;
    if (fscanf(f, "P6 %d %d %d", &w, &h, &maxv) != 3 || maxv != 255 || fgetc(f) == EOF) {
        fclose(f);
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: not a P6 PPM with maxval 255", path);
    }
    int rc = vsr_image_alloc(img, w, h, VSR_PIX_RGB24, err);
    if (rc == 0 && fread(img->data, 1, (size_t)w * h * 3, f) != (size_t)w * h * 3)
        rc = vsr_error_set(err, VSR_ERR_FORMAT, "%s: short file", path);
    fclose(f);
    return rc;
}

#endif
