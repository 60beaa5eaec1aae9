/* The output sizes and detail strengths the resample device check runs
 * (bench/device/cuda_resample.c) and the CPU path's references are made for
 * (bench/device/resample_ref.c, at prepare time): a 480x270 input through a
 * x4 model (1920x1080 frames) to each of them. */
#ifndef VSR_BENCH_DEVICE_RESAMPLE_CASES_H
#define VSR_BENCH_DEVICE_RESAMPLE_CASES_H

#include <stdio.h>

#include "frame/resample.h"

typedef struct resample_case {
    int w, h;
    float detail;
    vsr_resample_filter filter;       /* the model's frame's */
    vsr_resample_filter input_filter; /* the input's, for the blend (--input-filter) */
    const char *what;
} resample_case;

static const resample_case RESAMPLE_CASES[] = {
    {960, 540, 1.0f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "x4 model for an x2 task"},
    {960, 540, 0.5f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "x2 task, detail 0.5"},
    {1280, 720, 0.7f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "odd ratio, detail 0.7"},
    {2560, 1440, 0.5f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "enlarging, detail 0.5"},
    {1920, 1080, 0.0f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "the input alone (detail 0)"},
    {1920, 1080, 0.5f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_LANCZOS3, "model's size, detail 0.5"},
    {960, 540, 0.5f, VSR_RESAMPLE_BICUBIC, VSR_RESAMPLE_BICUBIC, "x2 task, detail 0.5, bicubic"},
    {1280, 720, 0.7f, VSR_RESAMPLE_BICUBIC, VSR_RESAMPLE_BICUBIC, "odd ratio, detail 0.7, bicubic"},
    /* --input-filter: a softer floor under Lanczos-3's model frame */
    {960, 540, 0.5f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_MITCHELL,
     "x2 task, detail 0.5, floor mitchell"},
    {1920, 1080, 0.0f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_BILINEAR, "detail 0, floor bilinear"},
    {1280, 720, 0.7f, VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_BICUBIC,
     "odd ratio, detail 0.7, floor bicubic"},
};
#define N_RESAMPLE_CASES (int)(sizeof RESAMPLE_CASES / sizeof RESAMPLE_CASES[0])

/* DIR/cpu_WxH_dNN[_FILTER].yuv: the CPU path's frame (the model's frame
 * is always swscale's Lanczos-3 there; the input's is input_filter, named
 * when it is not Lanczos-3). */
static inline void resample_ref_path(char *buf, size_t len, const char *dir, const resample_case *c)
{
    const int named = c->input_filter != VSR_RESAMPLE_LANCZOS3 && c->input_filter != c->filter;
    snprintf(buf, len, "%s/cpu_%dx%d_d%02d%s%s.yuv", dir, c->w, c->h, (int)(c->detail * 100 + 0.5f),
             named ? "_" : "", named ? vsr_resample_filter_name(c->input_filter) : "");
}

#endif
