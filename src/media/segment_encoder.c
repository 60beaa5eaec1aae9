#include "media/segment_encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/mem.h>

struct vsr_segment_encoder {
    AVCodecContext *codec;
    char name[32];
    enum AVCodecID codec_id;
    int64_t index, first_frame;
    int64_t frames_in;
    AVPacket **pkts;
    int n_pkts, cap_pkts;
    uint8_t *extradata;
    int extradata_size;
    vsr_encoder_options two_pass; /* pass and stats, for a first pass's statistics */
    char stats[4096];
};

int vsr_segment_encoder_open(const vsr_encoder_options *opt, const vsr_encoder_video *v,
                             int64_t index, int64_t first_frame, vsr_segment_encoder **out,
                             vsr_error *err)
{
    *out = NULL;
    vsr_segment_encoder *se = calloc(1, sizeof *se);
    if (!se)
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory", (long long)index);
    se->index = index;
    se->first_frame = first_frame;
    /* Global header, as the MP4 output's own encoder: the parameter sets
     * go to extradata, to be compared with the stream's, not in-band. */
    se->two_pass.pass = opt->pass;
    if (opt->stats) {
        snprintf(se->stats, sizeof se->stats, "%s", opt->stats);
        se->two_pass.stats = se->stats;
    }
    int ret = vsr_encoder_codec_open(opt, v, 1, index, &se->codec, err);
    if (ret < 0) {
        vsr_error_prefix(err, "segment %lld (from frame %lld)", (long long)index,
                         (long long)first_frame);
        free(se);
        return ret;
    }
    snprintf(se->name, sizeof se->name, "%s", se->codec->codec->name);
    se->codec_id = se->codec->codec_id;
    *out = se;
    return VSR_OK;
}

/* Keeps every packet the encoder has ready. */
static int drain(vsr_segment_encoder *se, vsr_error *err)
{
    for (;;) {
        AVPacket *pkt = av_packet_alloc();
        if (!pkt)
            return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory",
                                 (long long)se->index);
        int ret = avcodec_receive_packet(se->codec, pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            av_packet_free(&pkt);
            return VSR_OK;
        }
        if (ret < 0) {
            av_packet_free(&pkt);
            return vsr_error_set(err, VSR_ERR_BACKEND,
                                 "segment %lld: encoder %s failed near frame %lld: %s",
                                 (long long)se->index, se->name,
                                 (long long)(se->first_frame + se->frames_in), av_err2str(ret));
        }
        if (se->n_pkts == se->cap_pkts) {
            int cap = se->cap_pkts ? se->cap_pkts * 2 : 64;
            AVPacket **p = realloc(se->pkts, sizeof *p * (size_t)cap);
            if (!p) {
                av_packet_free(&pkt);
                return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory",
                                     (long long)se->index);
            }
            se->pkts = p;
            se->cap_pkts = cap;
        }
        se->pkts[se->n_pkts++] = pkt;
    }
}

int vsr_segment_encoder_send(vsr_segment_encoder *se, AVFrame *frame, vsr_error *err)
{
    int ret = avcodec_send_frame(se->codec, frame);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_BACKEND,
                             "segment %lld: encoder %s refused frame %lld: %s",
                             (long long)se->index, se->name,
                             (long long)(se->first_frame + se->frames_in), av_err2str(ret));
    se->frames_in++;
    return drain(se, err);
}

int vsr_segment_encoder_finish(vsr_segment_encoder *se, vsr_error *err)
{
    int ret = avcodec_send_frame(se->codec, NULL);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_BACKEND, "segment %lld: flushing encoder %s: %s",
                             (long long)se->index, se->name, av_err2str(ret));
    if (drain(se, err) < 0)
        return err ? err->code : VSR_ERR_BACKEND;
    /* a first pass may give no packets (libvpx: statistics only) */
    if (se->n_pkts != se->frames_in && !(se->two_pass.pass == 1 && se->n_pkts == 0))
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "segment %lld: encoder %s returned %d packets for %lld frames",
                             (long long)se->index, se->name, se->n_pkts, (long long)se->frames_in);
    if ((ret = vsr_encoder_codec_save_stats(se->codec, &se->two_pass, se->index, err)) < 0)
        return ret;
    if (se->codec->extradata_size > 0) {
        se->extradata = av_memdup(se->codec->extradata, (size_t)se->codec->extradata_size);
        if (!se->extradata)
            return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory",
                                 (long long)se->index);
        se->extradata_size = se->codec->extradata_size;
    }
    avcodec_free_context(&se->codec);
    return VSR_OK;
}

int64_t vsr_segment_encoder_index(const vsr_segment_encoder *se)
{
    return se->index;
}

int64_t vsr_segment_encoder_first_frame(const vsr_segment_encoder *se)
{
    return se->first_frame;
}

AVPacket **vsr_segment_encoder_packets(vsr_segment_encoder *se, int *n)
{
    *n = se->n_pkts;
    return se->pkts;
}

const uint8_t *vsr_segment_encoder_extradata(const vsr_segment_encoder *se, int *size)
{
    *size = se->extradata_size;
    return se->extradata;
}

int vsr_segment_encoder_open_decoder(const vsr_segment_encoder *se, int threads,
                                     AVCodecContext **out, vsr_error *err)
{
    *out = NULL;
    const AVCodec *codec = avcodec_find_decoder(se->codec_id);
    if (!codec)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "no %s decoder in this FFmpeg build",
                             avcodec_get_name(se->codec_id));
    AVCodecContext *d = avcodec_alloc_context3(codec);
    if (!d)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s decoder: out of memory", codec->name);
    if (se->extradata_size > 0) {
        d->extradata = av_mallocz((size_t)se->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!d->extradata) {
            avcodec_free_context(&d);
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s decoder: out of memory", codec->name);
        }
        memcpy(d->extradata, se->extradata, (size_t)se->extradata_size);
        d->extradata_size = se->extradata_size;
    }
    d->thread_count = threads;
    int r = avcodec_open2(d, codec, NULL);
    if (r < 0) {
        avcodec_free_context(&d);
        return vsr_error_set(err, VSR_ERR_BACKEND, "%s decoder: %s", codec->name, av_err2str(r));
    }
    *out = d;
    return VSR_OK;
}

void vsr_segment_encoder_free(vsr_segment_encoder *se)
{
    if (!se)
        return;
    if (se->frames_in == 0)
        vsr_encoder_codec_close_unused(&se->codec);
    avcodec_free_context(&se->codec);
    for (int i = 0; i < se->n_pkts; i++)
        av_packet_free(&se->pkts[i]);
    free(se->pkts);
    av_free(se->extradata);
    free(se);
}
