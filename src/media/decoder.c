#include "media/decoder.h"

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <stdlib.h>
#include <string.h>

struct vsr_decoder {
    char path[4096];
    vsr_decoder_options opt;
    AVFormatContext *fmt;
    AVCodecContext *codec;
    AVPacket *pkt;
    vsr_video_info info;
    int64_t packets;    /* video packets read */
    int64_t frames;     /* frames returned */
    int64_t hw_frames;  /* of them, decoded by NVDEC */
    int64_t gpu_frames; /* of those, returned in GPU memory */
    AVBufferRef *hw;    /* the CUDA device context; NULL: CPU decoding */
    AVFrame *hw_frame;  /* an NVDEC frame, before its copy to the host or our pool */
    /* GPU frames of our own (keep_on_gpu): NVDEC's frames copied there on
     * the GPU; NULL until the first, or when the copy failed once */
    AVBufferRef *gpu_pool;
    int gpu_pool_failed;
    int eof_sent; /* the flush packet went to the decoder */
    int done;
};

/* AV_CUDA_USE_PRIMARY_CONTEXT of libavutil/hwcontext_cuda.h, which cannot
 * be included without CUDA's own headers. NVDEC then works in the device's
 * primary context, the one the CUDA runtime (our backend) uses, instead of
 * a second context the GPU time-slices with ours. FFmpeg refuses it when
 * the context is active with other scheduling flags than its own (blocking
 * sync, which the cuda backend sets); then NVDEC gets a context of its own. */
#define VSR_CUDA_USE_PRIMARY_CONTEXT (1 << 0)

/* Picks the CUDA surface format when the codec offers it (NVDEC can decode
 * this stream), else the first software format (libavcodec offers the
 * software ones after a hwaccel that failed to start). */
static enum AVPixelFormat pick_format(AVCodecContext *c, const enum AVPixelFormat *fmts)
{
    const enum AVPixelFormat *f = fmts;
    for (; *f != AV_PIX_FMT_NONE; f++)
        if (*f == AV_PIX_FMT_CUDA && c->hw_device_ctx)
            return *f;
    for (f = fmts; *f != AV_PIX_FMT_NONE; f++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*f);
        if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL))
            return *f;
    }
    return AV_PIX_FMT_NONE;
}

/* Sets up NVDEC for the decoder when asked and possible; otherwise leaves
 * it on the CPU with the reason in hw_note, or fails if NVDEC is required. */
static int setup_nvdec(vsr_decoder *d, const AVCodec *codec, vsr_error *err)
{
    vsr_video_info *in = &d->info;
    in->hw_device = -1;
    if (d->opt.nvdec == VSR_NVDEC_OFF)
        return VSR_OK;
    if (d->opt.nvdec == VSR_NVDEC_PREFER &&
        (int64_t)d->codec->width * d->codec->height < d->opt.nvdec_min_pixels) {
        snprintf(in->hw_note, sizeof in->hw_note,
                 "%dx%d is under %lld pixels: the CPU gives the first frame sooner",
                 d->codec->width, d->codec->height, (long long)d->opt.nvdec_min_pixels);
        return VSR_OK;
    }
    int supported = 0;
    for (int i = 0;; i++) {
        const AVCodecHWConfig *hc = avcodec_get_hw_config(codec, i);
        if (!hc)
            break;
        if (hc->device_type == AV_HWDEVICE_TYPE_CUDA &&
            (hc->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
            supported = 1;
    }
    char dev[16];
    snprintf(dev, sizeof dev, "%d", d->opt.nvdec_device);
    int ret = 0;
    if (!supported)
        snprintf(in->hw_note, sizeof in->hw_note, "FFmpeg has no NVDEC decoding for %s",
                 codec->name);
    else if (av_hwdevice_ctx_create(&d->hw, AV_HWDEVICE_TYPE_CUDA, dev, NULL,
                                    VSR_CUDA_USE_PRIMARY_CONTEXT) >= 0)
        in->hw_shared_context = 1;
    else if ((ret = av_hwdevice_ctx_create(&d->hw, AV_HWDEVICE_TYPE_CUDA, dev, NULL, 0)) < 0)
        snprintf(in->hw_note, sizeof in->hw_note, "no CUDA device %s for NVDEC: %s", dev,
                 av_err2str(ret));
    if (!d->hw) {
        if (d->opt.nvdec == VSR_NVDEC_REQUIRE)
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: %s", d->path, in->hw_note);
        return VSR_OK;
    }
    d->codec->hw_device_ctx = av_buffer_ref(d->hw);
    d->hw_frame = av_frame_alloc();
    if (!d->codec->hw_device_ctx || !d->hw_frame)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", d->path);
    d->codec->get_format = pick_format;
    in->hw_device = d->opt.nvdec_device;
    return VSR_OK;
}

static int open_failed(vsr_decoder *d, int code, vsr_error *err)
{
    vsr_decoder_close(d);
    return code ? code : (err ? err->code : VSR_ERR_INTERNAL);
}

/* Whether the caller's interrupt fired: a read it cut short can come back
 * as a short packet flagged corrupt, an I/O error or invalid data (while
 * opening), not only as AVERROR_EXIT, and must be reported as the
 * cancellation it is (a job past its deadline, not a corrupt input). */
static int interrupted(const vsr_decoder *d)
{
    return d->opt.interrupted && d->opt.interrupted(d->opt.opaque);
}

int vsr_decoder_open(const char *path, const vsr_decoder_options *opt, vsr_decoder **out,
                     vsr_error *err)
{
    *out = NULL;
    vsr_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
    snprintf(d->path, sizeof d->path, "%s", path);
    if (opt)
        d->opt = *opt;

    d->fmt = avformat_alloc_context();
    if (!d->fmt)
        return open_failed(d, vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path), err);
    if (d->opt.interrupted) {
        d->fmt->interrupt_callback.callback = d->opt.interrupted;
        d->fmt->interrupt_callback.opaque = d->opt.opaque;
    }
    int ret = avformat_open_input(&d->fmt, path, NULL, NULL);
    if (ret == AVERROR_EXIT || (ret < 0 && interrupted(d)))
        return open_failed(d, vsr_error_set(err, VSR_ERR_CANCELLED, "%s: opening cancelled", path),
                           err);
    if (ret < 0) {
        int code = ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) ? VSR_ERR_IO : VSR_ERR_FORMAT;
        return open_failed(
            d, vsr_error_set(err, code, "%s: cannot open: %s", path, av_err2str(ret)), err);
    }
    ret = avformat_find_stream_info(d->fmt, NULL);
    if (ret < 0 && (ret == AVERROR_EXIT || interrupted(d)))
        return open_failed(d, vsr_error_set(err, VSR_ERR_CANCELLED, "%s: opening cancelled", path),
                           err);
    if (ret < 0)
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_FORMAT, "%s: cannot read stream info: %s",
                                         path, av_err2str(ret)),
                           err);
    int idx = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (idx < 0 || (d->fmt->streams[idx]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_FORMAT,
                                         "%s: no video stream (format %s, %u streams)", path,
                                         d->fmt->iformat->name, d->fmt->nb_streams),
                           err);
    AVStream *st = d->fmt->streams[idx];
    AVCodecParameters *par = st->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                         "%s: no decoder for video codec '%s' in this FFmpeg build",
                                         path, avcodec_get_name(par->codec_id)),
                           err);
    if (par->width <= 0 || par->height <= 0)
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_FORMAT,
                                         "%s: video stream has no size (%dx%d)", path, par->width,
                                         par->height),
                           err);
    if (d->opt.max_pixels > 0 && (int64_t)par->width * par->height > d->opt.max_pixels)
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                         "%s: video is %dx%d = %lld pixels, over the limit of %lld "
                                         "(--max-pixels)",
                                         path, par->width, par->height,
                                         (long long)par->width * par->height,
                                         (long long)d->opt.max_pixels),
                           err);

    d->codec = avcodec_alloc_context3(codec);
    d->pkt = av_packet_alloc();
    if (!d->codec || !d->pkt)
        return open_failed(d, vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path), err);
    ret = avcodec_parameters_to_context(d->codec, par);
    if (ret >= 0) {
        int st_ret = setup_nvdec(d, codec, err);
        if (st_ret < 0)
            return open_failed(d, st_ret, err);
        d->codec->pkt_timebase = st->time_base;
        d->codec->thread_count = d->opt.threads;
        ret = avcodec_open2(d->codec, codec, NULL);
    }
    if (ret < 0)
        return open_failed(d,
                           vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: cannot open %s decoder: %s",
                                         path, codec->name, av_err2str(ret)),
                           err);

    /* Only the chosen video stream is decoded; streams the output copies
     * stay readable, the rest are skipped in the demuxer. */
    for (unsigned i = 0; i < d->fmt->nb_streams; i++) {
        enum AVMediaType t = d->fmt->streams[i]->codecpar->codec_type;
        int keep = (int)i == idx ||
                   (d->opt.on_packet && (t == AVMEDIA_TYPE_AUDIO || t == AVMEDIA_TYPE_SUBTITLE));
        if (!keep)
            d->fmt->streams[i]->discard = AVDISCARD_ALL;
    }

    vsr_video_info *in = &d->info;
    in->stream_index = idx;
    in->width = par->width;
    in->height = par->height;
    in->pix_fmt = par->format;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(par->format);
    in->bit_depth = desc ? desc->comp[0].depth : 8;
    in->codec_name = codec->name;
    in->time_base = st->time_base;
    in->avg_frame_rate = st->avg_frame_rate;
    if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0)
        in->frame_rate = st->avg_frame_rate;
    else if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0)
        in->frame_rate = st->r_frame_rate;
    else
        in->frame_rate = (AVRational){25, 1};
    in->frames_expected = st->nb_frames > 0 ? st->nb_frames : -1;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        in->duration_s = st->duration * av_q2d(st->time_base);
    else if (d->fmt->duration > 0)
        in->duration_s = d->fmt->duration / (double)AV_TIME_BASE;
    in->frames_estimate = in->frames_expected > 0 ? in->frames_expected
                          : in->duration_s > 0
                              ? (int64_t)(in->duration_s * av_q2d(in->frame_rate) + 0.5)
                              : -1;
    in->file_size = d->fmt->pb ? avio_size(d->fmt->pb) : -1;
    size_t sd_size = 0;
    const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &sd_size);
    if (sd && sd_size >= sizeof in->display_matrix) {
        memcpy(in->display_matrix, sd, sizeof in->display_matrix);
        in->has_display_matrix = 1;
    }
    in->matrix = par->color_space;
    in->range = par->color_range;
    in->primaries = par->color_primaries;
    in->trc = par->color_trc;
    *out = d;
    return VSR_OK;
}

void vsr_decoder_close(vsr_decoder *d)
{
    if (!d)
        return;
    av_packet_free(&d->pkt);
    av_frame_free(&d->hw_frame);
    av_buffer_unref(&d->gpu_pool);
    avcodec_free_context(&d->codec);
    av_buffer_unref(&d->hw);
    avformat_close_input(&d->fmt);
    free(d);
}

const vsr_video_info *vsr_decoder_info(const vsr_decoder *d)
{
    return &d->info;
}

AVFormatContext *vsr_decoder_format(vsr_decoder *d)
{
    return d->fmt;
}

int64_t vsr_decoder_frames(const vsr_decoder *d)
{
    return d->frames;
}

int64_t vsr_decoder_hw_frames(const vsr_decoder *d)
{
    return d->hw_frames;
}

int64_t vsr_decoder_gpu_frames(const vsr_decoder *d)
{
    return d->gpu_frames;
}

/* An NVDEC frame stays on the GPU for a consumer that asked for it and can
 * read it: 8-bit 4:2:0 (NV12), in the context the consumer uses. */
static int stays_on_gpu(const vsr_decoder *d, const AVFrame *frame)
{
    if (!d->opt.keep_on_gpu || !d->info.hw_shared_context || !frame->hw_frames_ctx)
        return 0;
    const AVHWFramesContext *fc = (const AVHWFramesContext *)frame->hw_frames_ctx->data;
    return fc->sw_format == AV_PIX_FMT_NV12;
}

/* Replaces frame (NVDEC's, in GPU memory) by a copy of it: in host memory
 * (pool NULL), or in a frame of pool on the GPU. frame is untouched on
 * failure. */
static int copy_frame(vsr_decoder *d, AVFrame *frame, AVBufferRef *pool)
{
    av_frame_unref(d->hw_frame);
    int ret = pool ? av_hwframe_get_buffer(pool, d->hw_frame, 0) : 0;
    if (ret >= 0 && pool) {
        d->hw_frame->width = frame->width; /* the pool's may be rounded up to even */
        d->hw_frame->height = frame->height;
    }
    if (ret >= 0)
        ret = av_hwframe_transfer_data(d->hw_frame, frame, 0);
    if (ret >= 0)
        ret = av_frame_copy_props(d->hw_frame, frame);
    if (ret < 0)
        return ret;
    av_frame_unref(frame);
    av_frame_move_ref(frame, d->hw_frame);
    d->hw_frames++;
    return 0;
}

/* An NVDEC frame copied to the host, in place. */
static int download_frame(vsr_decoder *d, AVFrame *frame, vsr_error *err)
{
    int ret = copy_frame(d, frame, NULL);
    if (ret < 0) {
        av_frame_unref(frame);
        return vsr_error_set(err, VSR_ERR_BACKEND, "%s: frame %lld: copying from NVDEC: %s",
                             d->path, (long long)d->frames, av_err2str(ret));
    }
    return VSR_OK;
}

/* A pool of NV12 frames on the decoder's GPU, of the frame's size. */
static int make_gpu_pool(vsr_decoder *d, const AVFrame *frame)
{
    d->gpu_pool = av_hwframe_ctx_alloc(d->hw);
    if (!d->gpu_pool)
        return AVERROR(ENOMEM);
    AVHWFramesContext *fc = (AVHWFramesContext *)d->gpu_pool->data;
    fc->format = AV_PIX_FMT_CUDA;
    fc->sw_format = AV_PIX_FMT_NV12;
    fc->width = (frame->width + 1) & ~1;
    fc->height = (frame->height + 1) & ~1;
    return av_hwframe_ctx_init(d->gpu_pool);
}

/* An NVDEC frame that stays on the GPU is first copied, on the GPU, into a
 * frame of our own pool: FFmpeg's frame holds one of the decoder's few
 * surfaces until freed, and the pipeline holds a frame for a while (18
 * frames in flight on two GPUs ran NVDEC out of surfaces). Where the copy
 * fails, frames go to the host instead (the consumer gets the same bytes
 * either way). */
static int keep_frame(vsr_decoder *d, AVFrame *frame, vsr_error *err)
{
    int ret = d->gpu_pool_failed ? -1 : 0;
    if (ret >= 0 && !d->gpu_pool)
        ret = make_gpu_pool(d, frame);
    if (ret >= 0)
        ret = copy_frame(d, frame, d->gpu_pool);
    if (ret < 0) {
        d->gpu_pool_failed = 1;
        return download_frame(d, frame, err);
    }
    d->gpu_frames++;
    return VSR_OK;
}

/* Reads packets until one for the decoder is sent (or the flush packet). */
static int feed(vsr_decoder *d, vsr_error *err)
{
    for (;;) {
        int ret = av_read_frame(d->fmt, d->pkt);
        if (ret < 0 && ret != AVERROR_EOF && interrupted(d))
            ret = AVERROR_EXIT;
        if (ret == AVERROR_EOF) {
            ret = avcodec_send_packet(d->codec, NULL);
            d->eof_sent = 1;
            if (ret < 0 && ret != AVERROR_EOF)
                return vsr_error_set(err, VSR_ERR_FORMAT, "%s: flushing the decoder: %s", d->path,
                                     av_err2str(ret));
            return VSR_OK;
        }
        if (ret == AVERROR_EXIT)
            return vsr_error_set(err, VSR_ERR_CANCELLED, "%s: reading cancelled", d->path);
        if (ret < 0)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: read error after video packet %lld: %s",
                                 d->path, (long long)d->packets, av_err2str(ret));
        if (d->pkt->stream_index != d->info.stream_index) {
            if (d->opt.on_packet) {
                ret = d->opt.on_packet(d->opt.opaque, d->pkt, err);
                av_packet_unref(d->pkt);
                if (ret < 0)
                    return ret;
            } else {
                av_packet_unref(d->pkt);
            }
            continue;
        }
        d->packets++;
        if (d->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            av_packet_unref(d->pkt);
            if (interrupted(d))
                return vsr_error_set(err, VSR_ERR_CANCELLED, "%s: reading cancelled", d->path);
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: video packet %lld is corrupt or cut short (truncated file?)",
                                 d->path, (long long)d->packets);
        }
        ret = avcodec_send_packet(d->codec, d->pkt);
        av_packet_unref(d->pkt);
        /* EAGAIN cannot happen: we only send after the decoder asked for
         * input, so every failure here is the data's. */
        if (ret < 0)
            return vsr_error_set(
                err, VSR_ERR_FORMAT, "%s: cannot decode video packet %lld (after frame %lld): %s",
                d->path, (long long)d->packets, (long long)d->frames, av_err2str(ret));
        return VSR_OK;
    }
}

int vsr_decoder_next(vsr_decoder *d, AVFrame *frame, vsr_error *err)
{
    av_frame_unref(frame);
    if (d->done)
        return 0;
    for (;;) {
        int ret = avcodec_receive_frame(d->codec, frame);
        if (ret >= 0) {
            if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
                av_frame_unref(frame);
                return vsr_error_set(err, VSR_ERR_FORMAT, "%s: frame %lld decoded with errors",
                                     d->path, (long long)d->frames);
            }
            if (frame->width != d->info.width || frame->height != d->info.height) {
                int w = frame->width, h = frame->height;
                av_frame_unref(frame);
                return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                     "%s: frame %lld is %dx%d but the stream is %dx%d; size "
                                     "changes are not supported",
                                     d->path, (long long)d->frames, w, h, d->info.width,
                                     d->info.height);
            }
            if (frame->format == AV_PIX_FMT_CUDA &&
                (ret = stays_on_gpu(d, frame) ? keep_frame(d, frame, err)
                                              : download_frame(d, frame, err)) < 0)
                return ret;
            if (d->hw && d->opt.nvdec == VSR_NVDEC_REQUIRE && d->hw_frames <= d->frames) {
                av_frame_unref(frame);
                return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                     "%s: frame %lld: NVDEC cannot decode this stream (libavcodec "
                                     "fell back to the CPU)",
                                     d->path, (long long)d->frames);
            }
            d->frames++;
            return 1;
        }
        if (ret == AVERROR_EOF) {
            d->done = 1;
            if (d->frames == 0)
                return vsr_error_set(err, VSR_ERR_FORMAT, "%s: the video stream has no frames",
                                     d->path);
            /* A container that declares its sample count (MP4, MOV) lets
             * us tell a complete file from one cut at a packet boundary.
             * Packets, not frames, are compared: a decoder may rightly
             * drop frames it cannot show (HEVC RASL pictures after a CRA
             * at the start), but a missing packet is missing data. */
            if (d->info.frames_expected > 0 && d->packets < d->info.frames_expected)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "%s: only %lld of the %lld video packets the container "
                                     "declares could be read (truncated file?)",
                                     d->path, (long long)d->packets,
                                     (long long)d->info.frames_expected);
            return 0;
        }
        if (ret != AVERROR(EAGAIN))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: decoding after frame %lld: %s", d->path,
                                 (long long)d->frames, av_err2str(ret));
        if (d->eof_sent)
            return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: decoder wants input after the flush",
                                 d->path);
        ret = feed(d, err);
        if (ret < 0)
            return ret;
    }
}
