/* The CPU path's frames for the resample device check (prepare time, on
 * the development machine: FFmpeg is not on the device): the fp32
 * oracle's x4 output of an image and the image itself, resampled to each
 * size of resample_cases.h by swscale (Lanczos-3, BT.709) and blended in
 * YUV exactly as pipeline.c's workers do; written as compact I420.
 *
 *   resample_ref MODEL_OUT.ppm INPUT.ppm OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "frame/blend.h"
#include "media/colour.h"
#include "ppm_read.h"
#include "resample_cases.h"

static vsr_yuv420 of_frame(const AVFrame *f)
{
    return (vsr_yuv420){f->width,
                        f->height,
                        {f->data[0], f->data[1], f->data[2]},
                        {(size_t)f->linesize[0], (size_t)f->linesize[1], (size_t)f->linesize[2]}};
}

static int one(const vsr_image *model, const vsr_image *input, const resample_case *c,
               const char *path, vsr_error *err)
{
    const vsr_colour bt709 = {AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, AVCOL_PRI_BT709, AVCOL_TRC_BT709};
    vsr_rgb_to_yuv *m = NULL, *in = NULL;
    AVFrame *out = av_frame_alloc(), *b = av_frame_alloc();
    int rc = !out || !b ? vsr_error_set(err, VSR_ERR_NOMEM, "out of memory") : 0;
    if (!rc)
        rc = vsr_rgb_to_yuv_create_scaled(&m, &bt709, NULL, c->w, c->h, err);
    if (!rc)
        rc = vsr_rgb_to_yuv_create_scaled(&in, &bt709, NULL, c->w, c->h, err);
    if (!rc && c->input_filter != c->filter) /* --input-filter's floor, as the pipeline sets it */
        rc = vsr_rgb_to_yuv_set_filter(in, c->input_filter, err);
    if (!rc)
        rc = vsr_rgb_to_yuv_run(c->detail > 0.f ? m : in, c->detail > 0.f ? model : input, out, 0,
                                err);
    if (!rc && c->detail > 0.f && c->detail < 1.f &&
        !(rc = vsr_rgb_to_yuv_run(in, input, b, 0, err))) {
        vsr_yuv420 o = of_frame(out), i = of_frame(b);
        rc = vsr_yuv420_blend(&o, &i, c->detail, err);
    }
    FILE *f = rc ? NULL : fopen(path, "wb");
    if (!rc && !f)
        rc = vsr_error_set(err, VSR_ERR_IO, "create %s", path);
    for (int p = 0; !rc && p < 3; p++) {
        const int w = p ? c->w / 2 : c->w, h = p ? c->h / 2 : c->h;
        for (int y = 0; y < h; y++)
            if (fwrite(out->data[p] + (size_t)y * out->linesize[p], 1, (size_t)w, f) != (size_t)w)
                rc = vsr_error_set(err, VSR_ERR_IO, "write %s", path);
    }
    if (f && fclose(f) != 0 && !rc)
        rc = vsr_error_set(err, VSR_ERR_IO, "write %s", path);
    vsr_rgb_to_yuv_destroy(m);
    vsr_rgb_to_yuv_destroy(in);
    av_frame_free(&out);
    av_frame_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: resample_ref MODEL_OUT.ppm INPUT.ppm OUTDIR\n");
        return 2;
    }
    vsr_error err = {0};
    vsr_image model = {0}, input = {0};
    if (read_ppm(argv[1], &model, &err) < 0 || read_ppm(argv[2], &input, &err) < 0) {
        fprintf(stderr, "resample_ref: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < N_RESAMPLE_CASES; i++) {
        char path[4200];
        resample_ref_path(path, sizeof path, argv[3], &RESAMPLE_CASES[i]);
        if (one(&model, &input, &RESAMPLE_CASES[i], path, &err) < 0) {
            fprintf(stderr, "resample_ref: %s\n", err.msg);
            return 1;
        }
        printf("%s\n", path);
    }
    vsr_image_free(&model);
    vsr_image_free(&input);
    return 0;
}
