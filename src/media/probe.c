#include "media/probe.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <string.h>

/* Finds the first top-level "moov" and "mdat" boxes of an ISO BMFF file. */
static void read_box_order(const char *path, vsr_probe *p)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    int64_t pos = 0, moov = -1, mdat = -1;
    unsigned char h[16];
    while (moov < 0 || mdat < 0) {
        if (fseeko(f, pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8)
            break;
        uint64_t size = ((uint64_t)h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3];
        if (size == 1) {
            if (fread(h + 8, 1, 8, f) != 8)
                break;
            size = 0;
            for (int i = 8; i < 16; i++)
                size = size << 8 | h[i];
        }
        if (!memcmp(h + 4, "moov", 4) && moov < 0)
            moov = pos;
        if (!memcmp(h + 4, "mdat", 4) && mdat < 0)
            mdat = pos;
        if (size < 8)
            break;
        pos += (int64_t)size;
    }
    fclose(f);
    p->faststart = moov >= 0 && (mdat < 0 || moov < mdat);
}

int vsr_probe_file(const char *path, vsr_probe *p, vsr_error *err)
{
    memset(p, 0, sizeof *p);
    p->frames_declared = -1;
    AVFormatContext *fmt = NULL;
    int ret = avformat_open_input(&fmt, path, NULL, NULL);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot open: %s", path, av_err2str(ret));
    ret = avformat_find_stream_info(fmt, NULL);
    if (ret < 0) {
        avformat_close_input(&fmt);
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: cannot read stream info: %s", path,
                             av_err2str(ret));
    }
    int idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (idx < 0) {
        avformat_close_input(&fmt);
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: no video stream", path);
    }
    AVStream *st = fmt->streams[idx];
    AVCodecParameters *par = st->codecpar;
    snprintf(p->format_name, sizeof p->format_name, "%s", fmt->iformat->name);
    AVDictionaryEntry *brand = av_dict_get(fmt->metadata, "major_brand", NULL, 0);
    if (brand)
        snprintf(p->major_brand, sizeof p->major_brand, "%s", brand->value);
    p->file_size = fmt->pb ? avio_size(fmt->pb) : -1;
    p->duration_s = fmt->duration > 0 ? fmt->duration / (double)AV_TIME_BASE : 0;
    p->width = par->width;
    p->height = par->height;
    snprintf(p->codec, sizeof p->codec, "%s", avcodec_get_name(par->codec_id));
    p->profile = par->profile;
    const char *pn = avcodec_profile_name(par->codec_id, par->profile);
    snprintf(p->profile_name, sizeof p->profile_name, "%s", pn ? pn : "unknown");
    p->pix_fmt = par->format;
    p->sar = par->sample_aspect_ratio.num ? par->sample_aspect_ratio : st->sample_aspect_ratio;
    if (!p->sar.num)
        p->sar = (AVRational){0, 1};
    p->avg_frame_rate = st->avg_frame_rate;
    p->frames_declared = st->nb_frames > 0 ? st->nb_frames : -1;
    p->matrix = par->color_space;
    p->range = par->color_range;
    p->primaries = par->color_primaries;
    p->trc = par->color_trc;

    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != idx)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) {
        avformat_close_input(&fmt);
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
    }
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == idx)
            p->frames++;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    if (ret != AVERROR_EOF)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: read error after %lld video packets: %s",
                             path, (long long)p->frames, av_err2str(ret));
    if (p->major_brand[0])
        read_box_order(path, p);
    return VSR_OK;
}
