#include "frame/resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const filter_names[] = {"lanczos3", "bicubic", "mitchell", "bilinear"};

const char *vsr_resample_filter_name(vsr_resample_filter f)
{
    return (unsigned)f < sizeof filter_names / sizeof *filter_names ? filter_names[f] : "?";
}

static double sinc(double x)
{
    if (fabs(x) < 1e-9)
        return 1.0;
    const double px = M_PI * x;
    return sin(px) / px;
}

/* The filter's kernel at x (in source pixels, unstretched) and its radius. */
static double kernel(vsr_resample_filter f, double x)
{
    x = fabs(x);
    if (f == VSR_RESAMPLE_BILINEAR)
        return x < 1.0 ? 1.0 - x : 0.0;
    if (f == VSR_RESAMPLE_MITCHELL) {
        /* Mitchell and Netravali's cubic, B = C = 1/3 */
        const double B = 1.0 / 3.0, C = 1.0 / 3.0;
        if (x < 1.0)
            return ((12.0 - 9.0 * B - 6.0 * C) * x * x * x + (-18.0 + 12.0 * B + 6.0 * C) * x * x +
                    (6.0 - 2.0 * B)) /
                   6.0;
        if (x < 2.0)
            return ((-B - 6.0 * C) * x * x * x + (6.0 * B + 30.0 * C) * x * x +
                    (-12.0 * B - 48.0 * C) * x + (8.0 * B + 24.0 * C)) /
                   6.0;
        return 0.0;
    }
    if (f == VSR_RESAMPLE_BICUBIC) {
        const double a = -0.5;
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        if (x < 2.0)
            return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
        return 0.0;
    }
    return x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
}

static double radius(vsr_resample_filter f)
{
    return f == VSR_RESAMPLE_BILINEAR                                ? 1.0
           : f == VSR_RESAMPLE_BICUBIC || f == VSR_RESAMPLE_MITCHELL ? 2.0
                                                                     : 3.0;
}

void vsr_resample_table_free(vsr_resample_table *t)
{
    free(t->first);
    free(t->weight);
    memset(t, 0, sizeof *t);
}

int vsr_resample_table_make(vsr_resample_table *t, int in, int out, vsr_resample_filter f,
                            vsr_error *err)
{
    if (t->first && t->in == in && t->out == out && t->filter == f)
        return VSR_OK;
    vsr_resample_table_free(t);
    if (in < 1 || out < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "resample: sizes %d -> %d", in, out);
    /* Shrinking stretches the kernel over ratio source pixels per output
     * pixel (a low-pass first); enlarging keeps it as it is. */
    const double ratio = (double)in / out, stretch = ratio > 1.0 ? ratio : 1.0;
    const double support = radius(f) * stretch;
    /* the most source pixels strictly inside the support, for any centre */
    const int taps = (int)ceil(2.0 * support) + 1;
    t->first = malloc(sizeof *t->first * (size_t)out);
    t->weight = calloc((size_t)out * taps, sizeof *t->weight);
    double *w = malloc(sizeof *w * (size_t)taps);
    if (!t->first || !t->weight || !w) {
        free(w);
        vsr_resample_table_free(t);
        return vsr_error_set(err, VSR_ERR_NOMEM, "resample: tables for %d -> %d", in, out);
    }
    for (int d = 0; d < out; d++) {
        /* pixel centres aligned: output d covers source [d, d + 1) x ratio */
        const double centre = (d + 0.5) * ratio - 0.5;
        const int first = (int)floor(centre - support) + 1;
        double sum = 0.0;
        for (int i = 0; i < taps; i++) {
            w[i] = kernel(f, (first + i - centre) / stretch);
            sum += w[i];
        }
        t->first[d] = first;
        for (int i = 0; i < taps; i++)
            t->weight[(size_t)d * taps + i] = (float)(w[i] / sum);
    }
    free(w);
    t->in = in;
    t->out = out;
    t->taps = taps;
    t->filter = f;
    return VSR_OK;
}

void vsr_resampler_free(vsr_resampler *r)
{
    vsr_resample_table_free(&r->mx);
    vsr_resample_table_free(&r->my);
    vsr_resample_table_free(&r->ix);
    vsr_resample_table_free(&r->iy);
    free(r->rows_m);
    free(r->rows_i);
    memset(r, 0, sizeof *r);
}

static int ensure_rows(float **rows, size_t *cap, size_t count, vsr_error *err)
{
    if (count <= *cap)
        return VSR_OK;
    float *p = realloc(*rows, count * sizeof *p);
    if (!p)
        return vsr_error_set(err, VSR_ERR_NOMEM, "resample: %zu floats of rows", count);
    *rows = p;
    *cap = count;
    return VSR_OK;
}

/* The pass along x of img to tx's output width, every source row. */
static int pass_x(const vsr_image *img, const vsr_resample_table *tx, float **rows, size_t *cap,
                  vsr_error *err)
{
    const size_t len = (size_t)tx->out * 3;
    int rc = ensure_rows(rows, cap, len * (size_t)img->height, err);
    if (rc)
        return rc;
    for (int y = 0; y < img->height; y++) {
        const unsigned char *src = (const unsigned char *)img->data + (size_t)y * img->stride;
        float *dst = *rows + (size_t)y * len;
        for (int x = 0; x < tx->out; x++)
            vsr_resample_x(src, img->width, tx->first[x], tx->weight + (size_t)x * tx->taps,
                           tx->taps, dst + 3 * (size_t)x);
    }
    return VSR_OK;
}

static int check_image(const vsr_image *img, const char *what, vsr_error *err)
{
    if (!img || img->format != VSR_PIX_RGB24 || img->width < 1 || img->height < 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "resample: the %s frame must be RGB24", what);
    return VSR_OK;
}

int vsr_resample_yuv420(vsr_resampler *r, const vsr_image *model, const vsr_image *input,
                        const vsr_resample *rs, const vsr_yuv_coeffs *k, vsr_yuv420 *out,
                        vsr_error *err)
{
    const float d = rs->detail;
    const int use_m = d > 0.f, use_i = d < 1.f, w = out->width, h = out->height;
    if (!(d >= 0.f && d <= 1.f))
        return vsr_error_set(err, VSR_ERR_INVALID, "resample: detail %g is not in [0, 1]", d);
    if (w < 2 || h < 2 || w % 2 || h % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "resample: YUV 4:2:0 output %dx%d is odd", w, h);
    int rc = VSR_OK;
    if (use_m && !(rc = check_image(model, "model's", err)) &&
        !(rc = vsr_resample_table_make(&r->mx, model->width, w, rs->filter, err)) &&
        !(rc = vsr_resample_table_make(&r->my, model->height, h, rs->filter, err)))
        rc = pass_x(model, &r->mx, &r->rows_m, &r->cap_m, err);
    if (!rc && use_i && !(rc = check_image(input, "input", err)) &&
        !(rc = vsr_resample_table_make(&r->ix, input->width, w, rs->input_filter, err)) &&
        !(rc = vsr_resample_table_make(&r->iy, input->height, h, rs->input_filter, err)))
        rc = pass_x(input, &r->ix, &r->rows_i, &r->cap_i, err);
    if (rc)
        return rc;
    const size_t len = (size_t)w * 3;
    for (int by = 0; by < h / 2; by++) {
        unsigned char *y0 = out->plane[0] + (size_t)(2 * by) * out->stride[0];
        unsigned char *cb = out->plane[1] + (size_t)by * out->stride[1];
        unsigned char *cr = out->plane[2] + (size_t)by * out->stride[2];
        for (int bx = 0; bx < w / 2; bx++) {
            unsigned char p[12], luma[4];
            for (int q = 0; q < 4; q++) {
                const int x = 2 * bx + (q & 1), y = 2 * by + (q >> 1);
                float m[3] = {0.f, 0.f, 0.f}, in[3] = {0.f, 0.f, 0.f};
                if (use_m)
                    vsr_resample_y(r->rows_m, len, model->height, x, r->my.first[y],
                                   r->my.weight + (size_t)y * r->my.taps, r->my.taps, m);
                if (use_i)
                    vsr_resample_y(r->rows_i, len, input->height, x, r->iy.first[y],
                                   r->iy.weight + (size_t)y * r->iy.taps, r->iy.taps, in);
                vsr_resample_blend(m, in, d, p + 3 * q);
            }
            vsr_yuv_block(k, p, luma, cb + bx, cr + bx);
            y0[2 * bx] = luma[0];
            y0[2 * bx + 1] = luma[1];
            y0[out->stride[0] + 2 * bx] = luma[2];
            y0[out->stride[0] + 2 * bx + 1] = luma[3];
        }
    }
    return VSR_OK;
}
