#include "pipeline/compress_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/pixdesc.h>

#include "pipeline/scenes.h"
#include "util/clock.h"

void compress_pts_fix_init(pts_fix *f, const vsr_video_info *info)
{
    f->last = AV_NOPTS_VALUE;
    f->last_dur = 0;
    f->nominal = av_rescale_q(1, av_inv_q(info->frame_rate), info->time_base);
    if (f->nominal <= 0)
        f->nominal = 1;
}

void compress_pts_fix_frame(pts_fix *f, AVFrame *frame)
{
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = frame->pts;
    if (pts == AV_NOPTS_VALUE)
        pts = f->last == AV_NOPTS_VALUE ? 0 : f->last + f->last_dur;
    if (f->last != AV_NOPTS_VALUE && pts <= f->last)
        pts = f->last + 1;
    int64_t dur = frame->pkt_duration > 0 ? frame->pkt_duration : f->nominal;
    f->last = pts;
    f->last_dur = dur;
    frame->pts = pts;
    frame->pkt_duration = dur;
    frame->pict_type = AV_PICTURE_TYPE_NONE; /* the encoder decides */
}

int compress_check_frame(const compress_ctx *c, const AVFrame *f, int64_t i, vsr_error *err)
{
    if (f->format == AV_PIX_FMT_YUV420P)
        return VSR_OK;
    const char *name = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                         "%s: frame %lld is %s; vsr compress takes 8-bit 4:2:0 limited-range "
                         "(yuv420p) input, which it keeps",
                         c->opt->input, (long long)i, name ? name : "of an unknown format");
}

/* Where the samples go (pipeline/scenes.h): K runs of about a second,
 * spread over the scenes; a clip of K + 1 runs or fewer is one sample. */
static void layout_samples(compress_ctx *c)
{
    double fps = av_q2d(c->info.frame_rate);
    int len = (int)lrint(fps > 0 ? fps : 30);
    if (len < 8)
        len = 8;
    int k = c->opt->samples;
    if (k <= 0) {
        int64_t parts = c->frames / (2 * (int64_t)len);
        k = parts < 3 ? 3 : parts > MAX_SAMPLES ? MAX_SAMPLES : (int)parts;
        /* every scene its sample, while memory and MAX_SAMPLES allow */
        if (c->n_cuts + 1 > k)
            k = c->n_cuts + 1 > MAX_SAMPLES ? MAX_SAMPLES : c->n_cuts + 1;
    }
    if (k > MAX_SAMPLES)
        k = MAX_SAMPLES;
    size_t frame_bytes = (size_t)c->video.width * (size_t)c->video.height * 3 / 2;
    while (len > 8 && (size_t)k * (size_t)len * frame_bytes > SAMPLE_MEMORY_BUDGET)
        len--;
    int n_cuts = c->n_cuts < VSR_COMPRESS_MAX_CUTS ? c->n_cuts : VSR_COMPRESS_MAX_CUTS;
    vsr_sample_span spans[MAX_SAMPLES];
    c->n_samples = vsr_sample_layout(c->frames, c->cuts, n_cuts, len, k, spans);
    c->sample_frames = 0;
    for (int i = 0; i < c->n_samples; i++) {
        c->samples[i].first = spans[i].first;
        c->samples[i].n = spans[i].n;
        c->samples[i].weight = spans[i].weight;
        c->sample_frames += spans[i].n;
    }
}

void compress_free_samples(compress_ctx *c)
{
    for (int i = 0; i < c->n_samples; i++) {
        sample *s = &c->samples[i];
        if (s->frames)
            for (int j = 0; j < s->n; j++)
                av_frame_free(&s->frames[j]);
        free(s->frames);
        s->frames = NULL;
    }
}

/* The frame as the encoder gets it: the input's, or (--size) scaled by
 * swscale's Lanczos, the filter `vsr quality` scales the reference with
 * (pipeline/clip_quality.h), so the samples' reference pictures are the
 * ones the validators compare with. *out gets a new reference. */
int compress_to_output(const compress_ctx *c, struct SwsContext **sws, const AVFrame *in,
                       AVFrame **out, vsr_error *err)
{
    *out = NULL;
    if (in->width == c->video.width && in->height == c->video.height) {
        *out = av_frame_clone(in);
        return *out ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    if (!*sws) {
        *sws = sws_getContext(in->width, in->height, (enum AVPixelFormat)in->format, c->video.width,
                              c->video.height, AV_PIX_FMT_YUV420P, SWS_LANCZOS, NULL, NULL, NULL);
        if (!*sws)
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s: cannot scale %dx%d to %dx%d",
                                 c->opt->input, in->width, in->height, c->video.width,
                                 c->video.height);
    }
    AVFrame *f = av_frame_alloc();
    if (!f)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    f->format = AV_PIX_FMT_YUV420P;
    f->width = c->video.width;
    f->height = c->video.height;
    int ret = av_frame_get_buffer(f, 0);
    if (ret >= 0)
        ret = av_frame_copy_props(f, in);
    if (ret < 0) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    if (sws_scale(*sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, f->data,
                  f->linesize) != f->height) {
        av_frame_free(&f);
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: scaling to %dx%d failed", c->opt->input,
                             c->video.width, c->video.height);
    }
    *out = f;
    return VSR_OK;
}

static int open_input(compress_ctx *c, vsr_decoder_options *dopt, vsr_decoder **dec, vsr_error *err)
{
    int ret = vsr_decoder_open(c->opt->input, dopt, dec, err);
    if (ret < 0)
        return ret;
    c->info = *vsr_decoder_info(*dec);
    c->info.codec_name = NULL; /* points into the decoder */
    if (c->info.has_display_matrix)
        memcpy(c->display_matrix, c->info.display_matrix, sizeof c->display_matrix);
    return VSR_OK;
}

/* Decodes the input twice: first every frame's format and scene score
 * (so the frame count, which a container may lack, and the cuts are known
 * before the samples are placed), then the sample frames, kept at the
 * output size. */
int compress_load(compress_ctx *c, vsr_error *err)
{
    vsr_decoder_options dopt = {.threads = c->cores};
    vsr_decoder *dec = NULL;
    int ret = open_input(c, &dopt, &dec, err);
    if (ret < 0)
        return ret;
    if (c->info.width % 2 || c->info.height % 2) {
        vsr_decoder_close(dec);
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: %dx%d has an odd side; 4:2:0 output needs even sizes",
                             c->opt->input, c->info.width, c->info.height);
    }
    c->video.width = c->opt->width > 0 ? c->opt->width : c->info.width;
    c->video.height = c->opt->height > 0 ? c->opt->height : c->info.height;

    /* pass 1: count, check, score scenes */
    vsr_scene_detector sd;
    memset(&sd, 0, sizeof sd);
    double *scores = NULL;
    int64_t cap = 0, n = 0;
    AVFrame *f = av_frame_alloc();
    ret = f ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    double t0 = vsr_now_s();
    while (ret >= 0 && (ret = vsr_decoder_next(dec, f, err)) > 0) {
        if ((ret = compress_check_frame(c, f, n, err)) < 0)
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 512;
            double *p = realloc(scores, sizeof *p * (size_t)cap);
            if (!p) {
                ret = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
                break;
            }
            scores = p;
        }
        scores[n++] = vsr_scene_score(&sd, f->data[0], f->linesize[0], f->width, f->height);
        av_frame_unref(f);
        if ((ret = compress_cancelled(c, err)) < 0)
            break;
    }
    vsr_decoder_close(dec);
    dec = NULL;
    if (ret >= 0 && n == 0)
        ret = vsr_error_set(err, VSR_ERR_FORMAT, "%s: no video frames", c->opt->input);
    if (ret >= 0) {
        c->frames = n;
        c->n_cuts = vsr_scene_cuts(scores, n, c->cuts, VSR_COMPRESS_MAX_CUTS);
    }
    free(scores);
    if (ret < 0) {
        av_frame_free(&f);
        return ret;
    }
    layout_samples(c);
    compress_say(c,
                 "%lld frames, %d scene cut(s), scored in %.2f s; samples:", (long long)c->frames,
                 c->n_cuts, vsr_now_s() - t0);
    for (int i = 0; i < c->n_samples; i++) {
        compress_say(c, "  frames %lld-%lld, standing for %.0f", (long long)c->samples[i].first,
                     (long long)(c->samples[i].first + c->samples[i].n - 1), c->samples[i].weight);
        c->samples[i].frames = calloc((size_t)c->samples[i].n, sizeof(AVFrame *));
        if (!c->samples[i].frames) {
            av_frame_free(&f);
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for samples",
                                 c->opt->input);
        }
    }

    /* pass 2: the sample frames */
    if ((ret = open_input(c, &dopt, &dec, err)) < 0) {
        av_frame_free(&f);
        return ret;
    }
    pts_fix fix;
    compress_pts_fix_init(&fix, &c->info);
    int64_t i = 0;
    int s = 0;
    const sample *last = &c->samples[c->n_samples - 1];
    /* up to the last sample's end: the rest was read the first time */
    while (i < last->first + last->n && (ret = vsr_decoder_next(dec, f, err)) > 0) {
        compress_pts_fix_frame(&fix, f);
        while (s < c->n_samples && i >= c->samples[s].first + c->samples[s].n)
            s++;
        if (s < c->n_samples && i >= c->samples[s].first) {
            if ((ret = compress_check_frame(c, f, i, err)) < 0 ||
                (ret = compress_to_output(c, &c->sws, f,
                                          &c->samples[s].frames[i - c->samples[s].first], err)) < 0)
                break;
        }
        av_frame_unref(f);
        i++;
        if ((ret = compress_cancelled(c, err)) < 0)
            break;
    }
    av_frame_free(&f);
    vsr_decoder_close(dec);
    if (ret < 0)
        return ret;
    if (i != last->first + last->n)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %lld frames decoded, %lld the first time",
                             c->opt->input, (long long)i, (long long)c->frames);
    struct stat sb;
    c->input_bytes = stat(c->opt->input, &sb) == 0 ? (int64_t)sb.st_size : c->info.file_size;
    return VSR_OK;
}
