#include "media/encoder.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/scratch_file.h"

#include <errno.h>
#include <libavutil/opt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct vsr_encoder {
    char path[4096];
    char tmp_path[4200];
    AVFormatContext *mux;
    AVCodecContext *codec;
    AVStream *video;
    AVPacket *pkt;
    int *copy_map;       /* input stream index -> output stream index, -1 = dropped */
    AVRational *copy_tb; /* input time base of each copied stream */
    unsigned n_copy_map;
    AVRational frame_dur; /* one frame in the codec time base, for packets that lack a duration */
    AVRational codec_tb;  /* the time base of encoded packets (the muxer may change the stream's) */
    char name[32];        /* the encoder's; kept when a segmented open closes it */
    char preset[32];      /* as applied; "" = none */
    int crf;              /* as applied; -1 = none */
    int64_t frames_in, packets_out;
    double mux_s;
    int64_t final_size; /* bytes of the finished file */
    int header_written, finished;
    vsr_encoder_options two_pass; /* pass and stats, for a first pass's statistics */
    char stats[4096];
};

void vsr_encoder_options_default(vsr_encoder_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->codec = "hevc";
    opt->crf = -1;
}

static const char *default_encoder(const char *codec)
{
    if (!strcmp(codec, "hevc"))
        return "libx265";
    if (!strcmp(codec, "av1"))
        return "libsvtav1";
    if (!strcmp(codec, "h264"))
        return "libx264";
    if (!strcmp(codec, "vp9"))
        return "libvpx-vp9";
    return NULL;
}

static int has_option(AVCodecContext *c, const char *name)
{
    return c->priv_data && av_opt_find(c->priv_data, name, NULL, 0, 0) != NULL;
}

static int is_vpx(const char *name)
{
    return !strncmp(name, "libvpx", 6);
}

int vsr_encoder_has_two_pass(const char *encoder)
{
    return encoder && (!strcmp(encoder, "libx265") || !strcmp(encoder, "libx264") ||
                       !strcmp(encoder, "libvpx-vp9"));
}

void vsr_encoder_stats_path(const char *stats, int64_t index, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%lld", stats, (long long)index);
}

void vsr_encoder_stats_remove(const char *stats, int64_t count)
{
    /* x265 writes <file>.cutree, x264 <file>.mbtree, both through
     * <name>.temp renamed at the end (left behind by an encoder that
     * failed) */
    static const char *const suffix[] = {"",        ".temp",       ".cutree", ".cutree.temp",
                                         ".mbtree", ".mbtree.temp"};
    char base[4200], path[4300];
    for (int64_t i = 0; i < count; i++) {
        vsr_encoder_stats_path(stats, i, base, sizeof base);
        for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
            snprintf(path, sizeof path, "%s%s", base, suffix[k]);
            unlink(path);
        }
    }
}

/* libvpx takes the first pass's statistics from the caller (stats_in,
 * base64 text) rather than from a file: read instance's file. */
static int read_stats(AVCodecContext *c, const char *path, vsr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, VSR_ERR_IO, "two-pass statistics %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? av_malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        av_free(buf);
        return vsr_error_set(err, VSR_ERR_IO, "two-pass statistics %s: cannot read", path);
    }
    fclose(f);
    buf[n] = '\0';
    c->stats_in = buf;
    return VSR_OK;
}

int vsr_encoder_codec_save_stats(AVCodecContext *c, const vsr_encoder_options *opt,
                                 int64_t instance, vsr_error *err)
{
    if (!c || opt->pass != 1 || !opt->stats || !is_vpx(c->codec->name))
        return VSR_OK;
    char path[4200];
    vsr_encoder_stats_path(opt->stats, instance, path, sizeof path);
    if (!c->stats_out)
        return vsr_error_set(err, VSR_ERR_BACKEND, "encoder %s gave no first-pass statistics",
                             c->codec->name);
    FILE *f = fopen(path, "wb");
    size_t n = strlen(c->stats_out);
    int ok = f && fwrite(c->stats_out, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        return vsr_error_set(err, VSR_ERR_IO, "two-pass statistics %s: cannot write", path);
    return VSR_OK;
}

/* Appends ":key=value:..." (or the first "key=value") to buf. */
static void append_params(char *buf, size_t len, const char *params)
{
    if (!params || !*params)
        return;
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s", n ? ":" : "", params);
}

/* libvpx has no params string: each key=value is one of its AVOptions. */
static int vpx_params(AVCodecContext *c, const char *params, AVDictionary **dict, vsr_error *err)
{
    AVDictionary *d = NULL;
    if (av_dict_parse_string(&d, params, "=", ":", 0) < 0) {
        av_dict_free(&d);
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "encoder parameters '%s': expected key=value:key=value", params);
    }
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(d, "", e, AV_DICT_IGNORE_SUFFIX))) {
        if (!has_option(c, e->key)) {
            int r = vsr_error_set(err, VSR_ERR_INVALID, "encoder %s has no option '%s'",
                                  c->codec->name, e->key);
            av_dict_free(&d);
            return r;
        }
        av_dict_set(dict, e->key, e->value, 0);
    }
    av_dict_free(&d);
    return VSR_OK;
}

/* Quality and speed settings for the encoders we know; others get only
 * what the caller passed, as generic options. Preset and CRF come from
 * the profile for the output's size (media/encoder_profile.h) unless given
 * explicitly; NVENC keeps the reference miner's CQ 35. A bitrate replaces
 * the CRF. *applied_preset and *applied_crf report the result. */
static int configure(AVCodecContext *c, const char *name, const vsr_encoder_options *opt,
                     int64_t instance, AVDictionary **dict, const char **applied_preset,
                     int *applied_crf, vsr_error *err)
{
    int nvenc = strstr(name, "_nvenc") != NULL;
    int crf = opt->crf;
    const char *preset = opt->preset, *vpx_preset = NULL;
    char buf[4600], stats[4200] = "";
    vsr_encoder_setting prof;
    if (vsr_encoder_profile_pick(opt->profile, name, c->width, c->height, &prof)) {
        if (crf < 0)
            crf = prof.crf;
        if (!preset)
            preset = prof.preset;
    }
    if (opt->bitrate > 0)
        crf = -1;
    if (opt->pass) {
        if (opt->bitrate <= 0 || !opt->stats || (opt->pass != 1 && opt->pass != 2))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "two-pass encoding needs a bitrate and a statistics file");
        if (!vsr_encoder_has_two_pass(name))
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "encoder %s has no two-pass mode in this FFmpeg", name);
        vsr_encoder_stats_path(opt->stats, instance, stats, sizeof stats);
    }
    if (opt->params && *opt->params)
        c->err_recognition |= AV_EF_EXPLODE; /* a key the encoder refuses fails the open */
    if (!strcmp(name, "libx265")) {
        /* x265 prints a banner and statistics by default; errors still show.
         * libavcodec does not pass thread_count on to x265, whose pool
         * would otherwise take every core: give the thread count as the
         * pool size, so that parallel segment encoders share the cores.
         * FFmpeg 5.1's libx265 ignores the two-pass flags: x265's own
         * pass and stats settings do it. */
        if (opt->threads > 0)
            snprintf(buf, sizeof buf, "log-level=error:info=0:pools=%d", opt->threads);
        else
            snprintf(buf, sizeof buf, "log-level=error:info=0");
        if (opt->pass) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, ":pass=%d:stats=%s", opt->pass, stats);
        }
        append_params(buf, sizeof buf, opt->params);
        av_dict_set(dict, "x265-params", buf, 0);
    } else if (!strcmp(name, "libsvtav1")) {
        /* SVT-AV1 logs through its own channel, set by the environment;
         * keep its banner out unless the user asked for it. */
        setenv("SVT_LOG", "1", 0);
        if (opt->params && *opt->params)
            av_dict_set(dict, "svtav1-params", opt->params, 0);
    } else if (!strcmp(name, "libx264")) {
        if (opt->pass)
            av_dict_set(dict, "stats", stats, 0);
        if (opt->params && *opt->params)
            av_dict_set(dict, "x264-params", opt->params, 0);
    } else if (is_vpx(name)) {
        /* VP9 (DESIGN.md §5 lists it among the validators' codecs): good
         * quality deadline, the preset is libvpx's cpu-used; row-based
         * threading and tile columns (log2; a tile is at least 256 pixels
         * wide) so that its threads have work at 1080p; constant quality
         * is crf with a bitrate of 0. */
        av_dict_set(dict, "deadline", "good", 0);
        if (preset) {
            av_dict_set(dict, "cpu-used", preset, 0);
            vpx_preset = preset;
            preset = NULL;
        }
        if (!strcmp(name, "libvpx-vp9")) {
            int log2 = 0;
            while (log2 < 4 && (c->width >> (log2 + 1)) >= 256)
                log2++;
            snprintf(buf, sizeof buf, "%d", log2);
            av_dict_set(dict, "tile-columns", buf, 0);
            av_dict_set(dict, "row-mt", "1", 0);
        }
        /* FFmpeg 5.1's libvpx wrapper gives libvpx each frame's duration
         * as ticks_per_frame time-base units: one tick of a fine stream
         * time base (1/15360) would be a 15360 fps clip to its rate
         * control, which then undershoots a bitrate 3-5x */
        int64_t ticks = av_rescale_q(1, av_inv_q(c->framerate), c->time_base);
        if (ticks >= 1 && ticks <= INT32_MAX)
            c->ticks_per_frame = (int)ticks;
        if (opt->pass == 2) {
            int ret = read_stats(c, stats, err);
            if (ret < 0)
                return ret;
        }
        if (opt->params && *opt->params) {
            int ret = vpx_params(c, opt->params, dict, err);
            if (ret < 0)
                return ret;
        }
    } else if (nvenc) {
        if (!preset)
            preset = "p4";
        av_dict_set(dict, "rc", "vbr", 0);
        snprintf(buf, sizeof buf, "%d", crf < 0 ? 35 : crf);
        av_dict_set(dict, "cq", buf, 0);
        c->bit_rate = 0;
        crf = -1;
    }
    if (opt->pass == 1)
        c->flags |= AV_CODEC_FLAG_PASS1;
    else if (opt->pass == 2)
        c->flags |= AV_CODEC_FLAG_PASS2;
    if (opt->bitrate > 0 && !nvenc) {
        c->bit_rate = opt->bitrate;
    } else if (crf >= 0) {
        if (!has_option(c, "crf"))
            return vsr_error_set(err, VSR_ERR_INVALID, "encoder %s has no crf option", name);
        snprintf(buf, sizeof buf, "%d", crf);
        av_dict_set(dict, "crf", buf, 0);
        if (is_vpx(name))
            c->bit_rate = 0; /* crf alone: constant quality, no bitrate cap */
    }
    if (preset) {
        if (!has_option(c, "preset"))
            return vsr_error_set(err, VSR_ERR_INVALID, "encoder %s has no preset option", name);
        av_dict_set(dict, "preset", preset, 0);
    }
    if (opt->max_bitrate > 0) {
        /* A VBV ceiling over a capped-CRF encode: quality as asked, but the
         * file cannot outgrow the validator's size gate on noisy input. */
        int64_t vbv = opt->max_bitrate / 2;
        c->rc_max_rate = opt->max_bitrate;
        c->rc_buffer_size = (int)(vbv > INT32_MAX ? INT32_MAX : vbv);
    }
    *applied_preset = vpx_preset ? vpx_preset : preset;
    *applied_crf = nvenc ? -1 : crf;
    return VSR_OK;
}

static const char *encoder_for(const vsr_encoder_options *opt, vsr_error *err)
{
    const char *codec_name = opt->codec ? opt->codec : "hevc";
    const char *name = opt->encoder ? opt->encoder : default_encoder(codec_name);
    if (!name)
        vsr_error_set(err, VSR_ERR_INVALID, "unknown codec '%s' (expected hevc, av1, h264 or vp9)",
                      codec_name);
    return name;
}

static int codec_open(const vsr_encoder_options *opt, const vsr_encoder_video *v, int global_header,
                      int64_t instance, AVCodecContext **out, const char **applied_preset,
                      int *applied_crf, vsr_error *err)
{
    *out = NULL;
    const char *name = encoder_for(opt, err);
    if (!name)
        return VSR_ERR_INVALID;
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "video encoder '%s' is not in this FFmpeg build", name);
    if (v->width % 2 || v->height % 2)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "output %dx%d has an odd side; YUV 4:2:0 needs even sizes", v->width,
                             v->height);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "encoder %s: out of memory", name);
    c->width = v->width;
    c->height = v->height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = v->time_base;
    c->framerate = v->frame_rate;
    c->sample_aspect_ratio = (AVRational){1, 1};
    c->colorspace = v->colour.matrix;
    c->color_range = v->colour.range;
    c->color_primaries = v->colour.primaries;
    c->color_trc = v->colour.trc;
    c->thread_count = opt->threads;
    if (opt->gop_size > 0)
        c->gop_size = opt->gop_size;
    if (global_header)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary *dict = NULL;
    int ret = configure(c, name, opt, instance, &dict, applied_preset, applied_crf, err);
    if (ret < 0) {
        av_dict_free(&dict);
        av_freep(&c->stats_in);
        avcodec_free_context(&c);
        return ret;
    }
    ret = avcodec_open2(c, codec, &dict);
    /* libvpx decoded its copy of the statistics; stats_in is the caller's */
    av_freep(&c->stats_in);
    /* An option the encoder did not take is a typo we should not ignore. */
    AVDictionaryEntry *left = av_dict_get(dict, "", NULL, AV_DICT_IGNORE_SUFFIX);
    char left_name[64];
    snprintf(left_name, sizeof left_name, "%s", left ? left->key : "");
    av_dict_free(&dict);
    if (ret < 0) {
        avcodec_free_context(&c);
        return vsr_error_set(
            err, VSR_ERR_UNSUPPORTED, "cannot open encoder %s for %dx%d: %s%s", name, v->width,
            v->height, av_err2str(ret),
            strstr(name, "_nvenc") ? " (needs an NVIDIA GPU with NVENC and its driver)" : "");
    }
    if (left_name[0]) {
        avcodec_free_context(&c);
        return vsr_error_set(err, VSR_ERR_INVALID, "encoder %s ignored option '%s'", name,
                             left_name);
    }
    *out = c;
    return VSR_OK;
}

void vsr_encoder_codec_close_unused(AVCodecContext **codec)
{
    AVCodecContext *c = *codec;
    if (c && !strcmp(c->codec->name, "libsvtav1")) {
        /* SVT-AV1 1.4 cannot close an encoder that never saw a frame: its
         * deinit waits for an end of stream, and an end of stream with no
         * frame before it waits forever. One blank frame lets it finish. */
        AVFrame *f = av_frame_alloc();
        AVPacket *pkt = av_packet_alloc();
        if (f && pkt) {
            f->format = c->pix_fmt;
            f->width = c->width;
            f->height = c->height;
            f->pts = 0;
            if (av_frame_get_buffer(f, 0) >= 0) {
                for (int p = 0; p < 3; p++) {
                    int h = p ? (c->height + 1) / 2 : c->height;
                    memset(f->data[p], p ? 128 : 16, (size_t)f->linesize[p] * (size_t)h);
                }
                if (avcodec_send_frame(c, f) >= 0 && avcodec_send_frame(c, NULL) >= 0)
                    while (avcodec_receive_packet(c, pkt) >= 0)
                        av_packet_unref(pkt);
            }
        }
        av_frame_free(&f);
        av_packet_free(&pkt);
    }
    avcodec_free_context(codec);
}

int vsr_encoder_codec_open(const vsr_encoder_options *opt, const vsr_encoder_video *v,
                           int global_header, int64_t instance, AVCodecContext **codec,
                           vsr_error *err)
{
    const char *preset;
    int crf;
    return codec_open(opt, v, global_header, instance, codec, &preset, &crf, err);
}

static int open_fail(vsr_encoder *e, int code)
{
    vsr_encoder_destroy(e);
    return code;
}

static int add_copy_streams(vsr_encoder *e, AVFormatContext *in, vsr_error *err)
{
    e->n_copy_map = in->nb_streams;
    e->copy_map = malloc(sizeof *e->copy_map * in->nb_streams);
    e->copy_tb = malloc(sizeof *e->copy_tb * in->nb_streams);
    if (!e->copy_map || !e->copy_tb)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", e->path);
    for (unsigned i = 0; i < in->nb_streams; i++) {
        AVStream *ist = in->streams[i];
        e->copy_map[i] = -1;
        e->copy_tb[i] = ist->time_base;
        enum AVMediaType t = ist->codecpar->codec_type;
        if (ist->discard == AVDISCARD_ALL ||
            (t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE))
            continue;
        if (avformat_query_codec(e->mux->oformat, ist->codecpar->codec_id, FF_COMPLIANCE_NORMAL) !=
            1) {
            vsr_logf(NULL, VSR_LOG_WARN, NULL, "%s stream %u (%s) cannot go into MP4; dropped",
                     av_get_media_type_string(t), i, avcodec_get_name(ist->codecpar->codec_id));
            continue;
        }
        AVStream *ost = avformat_new_stream(e->mux, NULL);
        if (!ost)
            return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", e->path);
        int ret = avcodec_parameters_copy(ost->codecpar, ist->codecpar);
        if (ret < 0)
            return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: copying stream %u: %s", e->path, i,
                                 av_err2str(ret));
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        ost->disposition = ist->disposition;
        av_dict_copy(&ost->metadata, ist->metadata, 0);
        e->copy_map[i] = ost->index;
    }
    return VSR_OK;
}

int vsr_encoder_open(const char *path, const vsr_encoder_options *opt, const vsr_encoder_video *v,
                     AVFormatContext *copy_from, vsr_encoder **out, vsr_error *err)
{
    *out = NULL;
    vsr_encoder_options defaults;
    if (!opt) {
        vsr_encoder_options_default(&defaults);
        opt = &defaults;
    }
    vsr_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
    snprintf(e->path, sizeof e->path, "%s", path);
    e->two_pass.pass = opt->pass;
    if (opt->stats) {
        snprintf(e->stats, sizeof e->stats, "%s", opt->stats);
        e->two_pass.stats = e->stats;
    }

    /* A directory, a device, a FIFO or a socket would be replaced by the
     * rename in vsr_encoder_finish (util/output_file.h). */
    int checked = vsr_output_file_check(NULL, path, err);
    if (checked < 0)
        return open_fail(e, checked);
    if (!encoder_for(opt, err))
        return open_fail(e, VSR_ERR_INVALID);

    /* A scratch file of this encoder's own: two writers of one output (two
     * server jobs, two processes) each write theirs, and whichever renames
     * last leaves a whole file (issue 20: they shared one name, and one
     * finished with the other's half-written file). The muxer reopens it
     * by name to move the index to the front (+faststart). */
    int ret = vsr_scratch_create(path, VSR_SCRATCH_PARTIAL, e->tmp_path, sizeof e->tmp_path, err);
    if (ret < 0)
        return open_fail(e, ret);
    ret = avformat_alloc_output_context2(&e->mux, NULL, "mp4", e->tmp_path);
    if (ret < 0 || !e->mux)
        return open_fail(
            e, vsr_error_set(err, VSR_ERR_INTERNAL, "%s: MP4 muxer: %s", path, av_err2str(ret)));
    e->pkt = av_packet_alloc();
    e->video = avformat_new_stream(e->mux, NULL);
    if (!e->pkt || !e->video)
        return open_fail(e, vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path));
    const char *preset = NULL;
    ret = codec_open(opt, v, (e->mux->oformat->flags & AVFMT_GLOBALHEADER) != 0, 0, &e->codec,
                     &preset, &e->crf, err);
    if (ret < 0)
        return open_fail(e, ret);
    AVCodecContext *c = e->codec;
    snprintf(e->name, sizeof e->name, "%s", c->codec->name);
    snprintf(e->preset, sizeof e->preset, "%s", preset ? preset : "");
    e->frame_dur = av_inv_q(v->frame_rate);
    e->codec_tb = c->time_base;

    ret = avcodec_parameters_from_context(e->video->codecpar, c);
    if (ret < 0)
        return open_fail(e, vsr_error_set(err, VSR_ERR_INTERNAL, "%s: stream parameters: %s", path,
                                          av_err2str(ret)));
    e->video->time_base = c->time_base;
    e->video->avg_frame_rate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->frame_rate;
    e->video->r_frame_rate = v->frame_rate;
    e->video->sample_aspect_ratio = (AVRational){1, 1};
    if (v->display_matrix) {
        /* Rotation is a display instruction, as valid for the upscaled
         * frames as for the input's: keep it, or phone videos turn. */
        uint8_t *sd = av_stream_new_side_data(e->video, AV_PKT_DATA_DISPLAYMATRIX, 9 * 4);
        if (!sd)
            return open_fail(e, vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path));
        memcpy(sd, v->display_matrix, 9 * 4);
    }

    if (copy_from && add_copy_streams(e, copy_from, err) < 0)
        return open_fail(e, VSR_ERR_NOMEM);

    ret = avio_open(&e->mux->pb, e->tmp_path, AVIO_FLAG_WRITE);
    if (ret < 0)
        return open_fail(e, vsr_error_set(err, VSR_ERR_IO, "%s: cannot write (temporary %s): %s",
                                          path, e->tmp_path, av_err2str(ret)));
    if (opt->comment && av_dict_set(&e->mux->metadata, "comment", opt->comment, 0) < 0)
        return open_fail(e, vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path));
    AVDictionary *dict = NULL;
    av_dict_set(&dict, "movflags", "+faststart", 0);
    ret = avformat_write_header(e->mux, &dict);
    av_dict_free(&dict);
    if (ret < 0)
        return open_fail(e, vsr_error_set(err, VSR_ERR_IO, "%s: writing the MP4 header: %s", path,
                                          av_err2str(ret)));
    e->header_written = 1;
    if (opt->segmented) {
        /* The stream has its parameter sets; the segment encoders do the
         * encoding. An idle encoder (x265 at 8K: hundreds of MiB) would
         * only hold memory. */
        vsr_encoder_codec_close_unused(&e->codec);
    }
    *out = e;
    return VSR_OK;
}

const char *vsr_encoder_name(const vsr_encoder *e)
{
    return e->name;
}

const char *vsr_encoder_preset(const vsr_encoder *e)
{
    return e->preset[0] ? e->preset : NULL;
}

int vsr_encoder_crf(const vsr_encoder *e)
{
    return e->crf;
}

const uint8_t *vsr_encoder_extradata(const vsr_encoder *e, int *size)
{
    *size = e->video->codecpar->extradata_size;
    return e->video->codecpar->extradata;
}

double vsr_encoder_mux_seconds(const vsr_encoder *e)
{
    return e->mux_s;
}

/* Muxes one video packet in the codec time base. */
static int write_video(vsr_encoder *e, AVPacket *pkt, vsr_error *err)
{
    if (pkt->duration <= 0)
        pkt->duration = av_rescale_q(1, e->frame_dur, e->codec_tb);
    av_packet_rescale_ts(pkt, e->codec_tb, e->video->time_base);
    pkt->stream_index = e->video->index;
    pkt->pos = -1;
    e->packets_out++;
    double t0 = vsr_now_s();
    int ret = av_interleaved_write_frame(e->mux, pkt);
    e->mux_s += vsr_now_s() - t0;
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: writing video packet %lld: %s", e->path,
                             (long long)e->packets_out, av_err2str(ret));
    return VSR_OK;
}

int vsr_encoder_write_video_packet(vsr_encoder *e, AVPacket *pkt, vsr_error *err)
{
    int ret = write_video(e, pkt, err);
    av_packet_unref(pkt);
    return ret;
}

int64_t vsr_encoder_bytes_written(const vsr_encoder *e)
{
    if (e->finished)
        return e->final_size;
    return e->mux && e->mux->pb ? avio_tell(e->mux->pb) : 0;
}

int vsr_encoder_copy_packet(vsr_encoder *e, AVPacket *pkt, vsr_error *err)
{
    int in = pkt->stream_index;
    if (in < 0 || (unsigned)in >= e->n_copy_map || e->copy_map[in] < 0) {
        av_packet_unref(pkt);
        return VSR_OK;
    }
    AVStream *ost = e->mux->streams[e->copy_map[in]];
    av_packet_rescale_ts(pkt, e->copy_tb[in], ost->time_base);
    pkt->stream_index = ost->index;
    pkt->pos = -1;
    double t0 = vsr_now_s();
    int ret = av_interleaved_write_frame(e->mux, pkt);
    e->mux_s += vsr_now_s() - t0;
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: writing a packet of copied stream %d: %s",
                             e->path, in, av_err2str(ret));
    return VSR_OK;
}

/* Muxes every packet the encoder has ready. */
static int drain(vsr_encoder *e, int64_t frame_no, vsr_error *err)
{
    for (;;) {
        int ret = avcodec_receive_packet(e->codec, e->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return VSR_OK;
        if (ret < 0)
            return vsr_error_set(err, VSR_ERR_BACKEND, "%s: encoder %s failed near frame %lld: %s",
                                 e->path, e->name, (long long)frame_no, av_err2str(ret));
        ret = write_video(e, e->pkt, err);
        av_packet_unref(e->pkt);
        if (ret < 0)
            return ret;
    }
}

int vsr_encoder_send(vsr_encoder *e, AVFrame *frame, int64_t frame_no, vsr_error *err)
{
    if (!e->codec)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "%s: frame %lld sent to a segmented encoder",
                             e->path, (long long)frame_no);
    int ret = avcodec_send_frame(e->codec, frame);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_BACKEND, "%s: encoder %s refused frame %lld: %s", e->path,
                             e->name, (long long)frame_no, av_err2str(ret));
    e->frames_in++;
    return drain(e, frame_no, err);
}

int vsr_encoder_finish(vsr_encoder *e, vsr_error *err)
{
    int ret;
    if (e->codec) {
        ret = avcodec_send_frame(e->codec, NULL);
        if (ret < 0)
            return vsr_error_set(err, VSR_ERR_BACKEND, "%s: flushing encoder %s: %s", e->path,
                                 e->name, av_err2str(ret));
        if (drain(e, e->frames_in, err) < 0)
            return err ? err->code : VSR_ERR_BACKEND;
        if (e->packets_out != e->frames_in)
            return vsr_error_set(err, VSR_ERR_INTERNAL,
                                 "%s: encoder %s returned %lld packets for %lld frames", e->path,
                                 e->name, (long long)e->packets_out, (long long)e->frames_in);
        if ((ret = vsr_encoder_codec_save_stats(e->codec, &e->two_pass, 0, err)) < 0)
            return ret;
    }
    double t0 = vsr_now_s();
    ret = av_write_trailer(e->mux);
    e->mux_s += vsr_now_s() - t0;
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: writing the MP4 index: %s", e->path,
                             av_err2str(ret));
    ret = avio_closep(&e->mux->pb);
    if (ret < 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: closing: %s", e->path, av_err2str(ret));
    if (rename(e->tmp_path, e->path) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: renaming from %s: %s", e->path, e->tmp_path,
                             strerror(errno));
    e->finished = 1;
    struct stat sb;
    e->final_size = stat(e->path, &sb) == 0 ? (int64_t)sb.st_size : -1;
    return VSR_OK;
}

void vsr_encoder_destroy(vsr_encoder *e)
{
    if (!e)
        return;
    if (e->mux) {
        if (e->mux->pb)
            avio_closep(&e->mux->pb);
        avformat_free_context(e->mux);
    }
    if (!e->finished && e->tmp_path[0])
        unlink(e->tmp_path); /* its own scratch file, never another writer's */
    if (e->frames_in == 0)
        vsr_encoder_codec_close_unused(&e->codec); /* failed or cancelled before a frame */
    avcodec_free_context(&e->codec);
    av_packet_free(&e->pkt);
    free(e->copy_map);
    free(e->copy_tb);
    free(e);
}

/* LeakSanitizer's hook for suppressions built into the program, so that
 * every run of a sanitizer build (tests, CI, by hand) has them without an
 * environment variable; without ASan nothing calls it. It lives here, not
 * in a file of its own, because a static library's object is only linked
 * when something references it, and everything that encodes links this.
 *
 * libx265 3.5 (Debian 12) leaks buffers per encoder that x265_encoder_close
 * never frees: 1.1 KB, and with SAO off (the ultrafast and superfast
 * presets) more in proportion to the CTU rows: 0.2 MB at 1080p, 0.8 MB at
 * 4K (bench/x265_leak.c, bench/results/2026-12-06-serve-rss.md). Its bug,
 * not ours, so only that library is suppressed; a server's RSS grows by it
 * with every HEVC clip. */
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}
