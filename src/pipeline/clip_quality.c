/* See clip_quality.h. The two decoders run in lock step on the caller's
 * thread; scoring uses the session's threads. */
#include "pipeline/clip_quality.h"

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <string.h>

#include "media/decoder.h"
#include "util/clock.h"

typedef struct clip_reader {
    const char *path;
    const char *role; /* "distorted" or "reference" */
    vsr_decoder *dec;
    AVFrame *frame;
    int64_t frames;
} clip_reader;

static int reader_open(clip_reader *r, const char *path, const char *role, int64_t max_pixels,
                       int threads, vsr_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->role = role;
    vsr_decoder_options dopt = {.max_pixels = max_pixels, .threads = threads};
    int rc = vsr_decoder_open(path, &dopt, &r->dec, err);
    if (rc < 0) {
        vsr_error_prefix(err, "%s", role);
        return rc;
    }
    if (!(r->frame = av_frame_alloc()))
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s %s: out of memory", role, path);
    return VSR_OK;
}

static void reader_close(clip_reader *r)
{
    vsr_decoder_close(r->dec);
    av_frame_free(&r->frame);
}

/* 1 with the next frame, 0 at the end; checks the picture format. */
static int reader_next(clip_reader *r, vsr_error *err)
{
    int rc = vsr_decoder_next(r->dec, r->frame, err);
    if (rc < 0) {
        vsr_error_prefix(err, "%s", r->role);
        return rc;
    }
    if (rc == 0)
        return 0;
    int fmt = r->frame->format;
    if (fmt != AV_PIX_FMT_YUV420P && fmt != AV_PIX_FMT_YUVJ420P) {
        const char *name = av_get_pix_fmt_name((enum AVPixelFormat)fmt);
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s %s, frame %lld: pixel format %s; quality is measured on 8-bit "
                             "4:2:0 (yuv420p) only",
                             r->role, r->path, (long long)r->frames, name ? name : "unknown");
    }
    r->frames++;
    return 1;
}

vsr_quality_picture vsr_clip_quality_picture(const AVFrame *f)
{
    vsr_quality_picture p;
    for (int i = 0; i < 3; i++) {
        p.data[i] = f->data[i];
        p.stride[i] = f->linesize[i];
    }
    return p;
}

void vsr_clip_quality_pool_window(const vsr_quality *q, double *vmaf, double *neg, int64_t *n)
{
    int64_t count;
    const vsr_quality_frame *f = vsr_quality_frames(q, &count);
    for (int64_t k = count > 1 ? 1 : 0; k < count; k++) {
        *vmaf += f[k].vmaf;
        *neg += f[k].vmaf_neg;
        (*n)++;
    }
}

/* Counts the frames left in r, for the error message of a count mismatch
 * (decoding errors on the way only stop the count). */
static int64_t count_rest(clip_reader *r)
{
    vsr_error ignored;
    while (reader_next(r, &ignored) == 1) {
    }
    return r->frames;
}

int vsr_clip_quality_measure(const char *distorted, const char *reference,
                             const vsr_clip_quality_options *opt, vsr_clip_quality *out,
                             vsr_error *err)
{
    memset(out, 0, sizeof *out);
    const double t0 = vsr_now_s();
    const int64_t max_pixels = opt->max_pixels > 0 ? opt->max_pixels : (int64_t)8192 * 8192;
    clip_reader dis, ref;
    memset(&ref, 0, sizeof ref);
    struct SwsContext *sws = NULL;
    AVFrame *scaled = NULL;
    int rc = reader_open(&dis, distorted, "distorted", max_pixels, 0, err);
    if (rc >= 0)
        rc = reader_open(&ref, reference, "reference", max_pixels, 0, err);
    while (rc >= 0) {
        int a = reader_next(&dis, err);
        if (a < 0) {
            rc = a;
            break;
        }
        int b = reader_next(&ref, err);
        if (b < 0) {
            rc = b;
            break;
        }
        if (a != b) {
            int64_t nd = a ? count_rest(&dis) : dis.frames;
            int64_t nr = b ? count_rest(&ref) : ref.frames;
            rc = vsr_error_set(err, VSR_ERR_FORMAT,
                               "frame counts differ: distorted %s has %lld frames, reference %s "
                               "has %lld",
                               distorted, (long long)nd, reference, (long long)nr);
            break;
        }
        if (a == 0)
            break;
        const AVFrame *df = dis.frame, *rf = ref.frame;
        if (!out->session) {
            out->width = df->width;
            out->height = df->height;
            out->reference_width = rf->width;
            out->reference_height = rf->height;
            if ((rc = vsr_quality_create(&opt->quality, df->width, df->height, &out->session,
                                         err)) < 0) {
                vsr_error_prefix(err, "distorted %s", distorted);
                break;
            }
        }
        if (df->width != out->width || df->height != out->height ||
            rf->width != out->reference_width || rf->height != out->reference_height) {
            rc = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                               "frame %lld: the picture size changes mid-clip (%dx%d / %dx%d)",
                               (long long)dis.frames - 1, df->width, df->height, rf->width,
                               rf->height);
            break;
        }
        vsr_quality_picture rp = vsr_clip_quality_picture(rf), dp = vsr_clip_quality_picture(df);
        if (rf->width != df->width || rf->height != df->height) {
            if (!sws) {
                int flags =
                    opt->reference_scale == VSR_REFERENCE_SCALE_BICUBIC ? SWS_BICUBIC : SWS_LANCZOS;
                sws =
                    sws_getContext(rf->width, rf->height, (enum AVPixelFormat)rf->format, df->width,
                                   df->height, AV_PIX_FMT_YUV420P, flags, NULL, NULL, NULL);
                scaled = av_frame_alloc();
                if (!sws || !scaled) {
                    rc = vsr_error_set(err, VSR_ERR_NOMEM,
                                       "reference %s: cannot scale %dx%d to %dx%d", reference,
                                       rf->width, rf->height, df->width, df->height);
                    break;
                }
                scaled->format = AV_PIX_FMT_YUV420P;
                scaled->width = df->width;
                scaled->height = df->height;
                if (av_frame_get_buffer(scaled, 0) < 0) {
                    rc =
                        vsr_error_set(err, VSR_ERR_NOMEM, "reference %s: out of memory", reference);
                    break;
                }
                out->reference_scaled = 1;
            }
            if (sws_scale(sws, (const uint8_t *const *)rf->data, rf->linesize, 0, rf->height,
                          scaled->data, scaled->linesize) != df->height) {
                rc =
                    vsr_error_set(err, VSR_ERR_INTERNAL, "reference %s, frame %lld: scaling failed",
                                  reference, (long long)ref.frames - 1);
                break;
            }
            rp = vsr_clip_quality_picture(scaled);
        }
        if ((rc = vsr_quality_add(out->session, &rp, &dp, err)) < 0) {
            vsr_error_prefix(err, "frame %lld", (long long)dis.frames - 1);
            break;
        }
    }
    if (rc >= 0 && !out->session)
        rc = vsr_error_set(err, VSR_ERR_FORMAT, "distorted %s: no video frame", distorted);
    if (rc >= 0)
        rc = vsr_quality_finish(out->session, &out->summary, err);
    sws_freeContext(sws);
    av_frame_free(&scaled);
    reader_close(&dis);
    if (ref.path)
        reader_close(&ref);
    out->seconds = vsr_now_s() - t0;
    if (rc < 0)
        vsr_clip_quality_free(out);
    return rc;
}

void vsr_clip_quality_free(vsr_clip_quality *cq)
{
    vsr_quality_free(cq->session);
    cq->session = NULL;
}
