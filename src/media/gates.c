#include "media/gates.h"

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static vsr_gate *add(vsr_gate *g, int *n, const char *name, int pass)
{
    vsr_gate *x = &g[(*n)++];
    x->name = name;
    x->pass = pass;
    x->detail[0] = '\0';
    return x;
}

/* Unspecified and reserved values are "not tagged": the validator only
 * compares tags both files carry. */
static int tagged(int v, int unspecified, int zero_is_value)
{
    return v != unspecified && v != 3 /* reserved */ && (v != 0 || zero_is_value);
}

int vsr_task_scale(const char *task)
{
    static const struct {
        const char *name;
        int scale;
    } tasks[] = {
        {"SD2HD", 2},
        {"HD24K", 2},
        {"SD24K", 4},
        {"4K28K", 2},
    };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (!strcasecmp(task, tasks[i].name))
            return tasks[i].scale;
    return 0;
}

double vsr_size_gate_factor(int scale)
{
    /* DESIGN.md §5: 8x for x2, 20x for x4; x3 is no task, so it gets a
     * gate between the two. */
    return scale <= 2 ? 8.0 : scale >= 4 ? 20.0 : 14.0;
}

int vsr_output_size_check(int w, int h, vsr_error *err)
{
    if (w <= 0 || h <= 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "output size %dx%d: both sides must be positive",
                             w, h);
    if (w % 2 || h % 2)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "output size %dx%d: both sides must be even (YUV 4:2:0)", w, h);
    if (w > VSR_OUTPUT_MAX_SIDE || h > VSR_OUTPUT_MAX_SIDE)
        return vsr_error_set(err, VSR_ERR_INVALID, "output size %dx%d: over %d pixels a side", w, h,
                             VSR_OUTPUT_MAX_SIDE);
    if ((long long)w * h > VSR_OUTPUT_MAX_PIXELS)
        return vsr_error_set(err, VSR_ERR_INVALID, "output size %dx%d: %lld pixels, over %lld", w,
                             h, (long long)w * h, VSR_OUTPUT_MAX_PIXELS);
    return VSR_OK;
}

static void colour_gate(vsr_gate *g, int *n, const char *name, int out, int in, int unspecified,
                        int zero_is_value, const char *out_name, const char *in_name)
{
    int both = tagged(out, unspecified, zero_is_value) && tagged(in, unspecified, zero_is_value);
    vsr_gate *x = add(g, n, name, !both || out == in);
    snprintf(x->detail, sizeof x->detail, "output %s, input %s%s", out_name ? out_name : "?",
             in_name ? in_name : "?", both ? "" : " (not both tagged: not compared)");
}

int vsr_gates_check(const vsr_probe *out, const vsr_probe *in, int scale, vsr_gate *g)
{
    int n = 0;
    vsr_gate *x;

    int mp4 = strstr(out->format_name, "mp4") != NULL && strcmp(out->major_brand, "qt  ") != 0;
    x = add(g, &n, "container", mp4);
    snprintf(x->detail, sizeof x->detail, "%s, brand '%s'%s", out->format_name, out->major_brand,
             out->faststart ? ", index at the front (faststart)" : "");

    x = add(g, &n, "resolution",
            out->width == in->width * scale && out->height == in->height * scale);
    snprintf(x->detail, sizeof x->detail, "%dx%d; expected %dx%d (input %dx%d x%d)", out->width,
             out->height, in->width * scale, in->height * scale, in->width, in->height, scale);

    double factor = vsr_size_gate_factor(scale);
    double limit = factor * (double)in->file_size;
    x = add(g, &n, "file size", in->file_size > 0 && out->file_size > 0 && out->file_size <= limit);
    snprintf(x->detail, sizeof x->detail, "%lld bytes = %.2fx input (%lld bytes); limit %.0fx",
             (long long)out->file_size,
             in->file_size > 0 ? (double)out->file_size / in->file_size : 0.0,
             (long long)in->file_size, factor);

    long long d = (long long)(out->frames - in->frames);
    x = add(g, &n, "frame count", llabs(d) <= 5);
    snprintf(x->detail, sizeof x->detail, "%lld frames, input %lld (%s%lld)%s",
             (long long)out->frames, (long long)in->frames, d >= 0 ? "+" : "", d,
             d == 0          ? ", exact"
             : llabs(d) <= 5 ? "; within 5"
                             : "; more than 5 off");

    int codec_ok = (!strcmp(out->codec, "hevc") && (out->profile == FF_PROFILE_HEVC_MAIN ||
                                                    out->profile == FF_PROFILE_HEVC_MAIN_10)) ||
                   (!strcmp(out->codec, "av1") && out->profile == FF_PROFILE_AV1_MAIN);
    x = add(g, &n, "codec", codec_ok);
    snprintf(x->detail, sizeof x->detail, "%s profile %s; expected HEVC Main/Main 10 or AV1 Main",
             out->codec, out->profile_name);

    const char *pf = av_get_pix_fmt_name(out->pix_fmt);
    x = add(g, &n, "pixel format", out->pix_fmt == AV_PIX_FMT_YUV420P);
    snprintf(x->detail, sizeof x->detail, "%s; expected yuv420p", pf ? pf : "unknown");

    x = add(g, &n, "sample aspect ratio", out->sar.num == 1 && out->sar.den == 1);
    snprintf(x->detail, sizeof x->detail, "%d:%d; expected 1:1", out->sar.num, out->sar.den);

    double fo = av_q2d(out->avg_frame_rate), fi = av_q2d(in->avg_frame_rate);
    x = add(g, &n, "frame rate",
            out->avg_frame_rate.den && in->avg_frame_rate.den && fabs(fo - fi) <= 0.3);
    snprintf(x->detail, sizeof x->detail, "%.4f fps (%d/%d), input %.4f fps; within 0.3", fo,
             out->avg_frame_rate.num, out->avg_frame_rate.den, fi);

    colour_gate(g, &n, "colour matrix", out->matrix, in->matrix, AVCOL_SPC_UNSPECIFIED, 1,
                av_color_space_name(out->matrix), av_color_space_name(in->matrix));
    colour_gate(g, &n, "colour transfer", out->trc, in->trc, AVCOL_TRC_UNSPECIFIED, 0,
                av_color_transfer_name(out->trc), av_color_transfer_name(in->trc));
    colour_gate(g, &n, "colour primaries", out->primaries, in->primaries, AVCOL_PRI_UNSPECIFIED, 0,
                av_color_primaries_name(out->primaries), av_color_primaries_name(in->primaries));
    return n;
}
