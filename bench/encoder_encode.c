/* Encode stage alone, as vsr upscale runs it: a lossless clip of the frames
 * before encoding (yuv420p, at the output size) is decoded into memory,
 * then encoded and muxed with one encoder or with segment-parallel
 * encoders (pipeline/segment_pool.h), timed. For bench/encoder_profiles.sh.
 *
 *   encoder_encode SRC OUT.mp4 CODEC PROFILE SEGMENTS SEGMENT_FRAMES MAX_BITRATE [WxH]
 *
 * SEGMENT_FRAMES is N, or L+N: a first round of segments of L frames, then
 * of N (vsr upscale's auto segments; -v says which).
 *
 * VSR_BENCH_ENCODER_THREADS=N gives each encoder N threads (vsr upscale's
 * --encoder-threads) instead of the cores shared among the segments.
 *
 * With WxH, SRC may be any yuv420p clip: its frames are scaled to W x H
 * (Lanczos) as they are read, a stand-in for the network's output when
 * timing the encoder alone on a device run (bench/device/e2e_tasks_run.sh).
 *
 * Prints one line: frames, encode seconds, fps, encoder, preset, crf, and
 * the CPU seconds the encoding took (all threads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <libswscale/swscale.h>

#include "media/decoder.h"
#include "media/encoder.h"
#include "media/segment_join.h"
#include "pipeline/segment_pool.h"
#include "util/clock.h"

static void die(const char *what, const vsr_error *err)
{
    fprintf(stderr, "encoder_encode: %s: %s\n", what, err->msg);
    exit(1);
}

/* f (yuv420p) scaled to w x h, with its properties. */
static AVFrame *scaled(const AVFrame *f, int w, int h)
{
    AVFrame *out = av_frame_alloc();
    struct SwsContext *sws = sws_getContext(f->width, f->height, AV_PIX_FMT_YUV420P, w, h,
                                            AV_PIX_FMT_YUV420P, SWS_LANCZOS, NULL, NULL, NULL);
    out->format = AV_PIX_FMT_YUV420P;
    out->width = w;
    out->height = h;
    if (!out || !sws || av_frame_get_buffer(out, 0) < 0 || av_frame_copy_props(out, f) < 0 ||
        sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, out->data,
                  out->linesize) != h) {
        fprintf(stderr, "encoder_encode: cannot scale a frame to %dx%d\n", w, h);
        exit(1);
    }
    sws_freeContext(sws);
    return out;
}

/* CPU time of every thread of the process so far. */
static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    int out_w = 0, out_h = 0;
    if (argc != 8 && !(argc == 9 && sscanf(argv[8], "%dx%d", &out_w, &out_h) == 2)) {
        fprintf(stderr, "usage: encoder_encode SRC OUT.mp4 CODEC PROFILE SEGMENTS SEGMENT_FRAMES "
                        "MAX_BITRATE [WxH]\n");
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR); /* the muxer's faststart note is not a result */
    vsr_error err = {0};
    vsr_decoder *dec;
    vsr_decoder_options dopt = {0};
    if (vsr_decoder_open(argv[1], &dopt, &dec, &err) < 0)
        die("decoder", &err);
    const vsr_video_info *info = vsr_decoder_info(dec);
    int cap = 16, n = 0;
    AVFrame **frames = malloc(sizeof *frames * (size_t)cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            frames = realloc(frames, sizeof *frames * (size_t)cap);
        }
        frames[n] = av_frame_alloc();
        int r = vsr_decoder_next(dec, frames[n], &err);
        if (r < 0)
            die("decode", &err);
        if (r == 0)
            break;
        if (frames[n]->format != AV_PIX_FMT_YUV420P) {
            fprintf(stderr, "encoder_encode: %s is not yuv420p\n", argv[1]);
            return 1;
        }
        if (out_w > 0) {
            AVFrame *big = scaled(frames[n], out_w, out_h);
            av_frame_free(&frames[n]);
            frames[n] = big;
        }
        frames[n]->pts = frames[n]->best_effort_timestamp;
        /* FFV1 marks every frame as an I frame, and libx265 obeys a frame's
         * picture type: clear it, as the pipeline's frames are clear. */
        frames[n]->pict_type = AV_PICTURE_TYPE_NONE;
        frames[n]->key_frame = 0;
        n++;
    }
    av_frame_free(&frames[n]);

    vsr_encoder_options eopt;
    vsr_encoder_options_default(&eopt);
    eopt.codec = argv[3];
    if (vsr_encoder_profile_parse(argv[4], &eopt.profile) < 0) {
        fprintf(stderr, "encoder_encode: unknown profile %s\n", argv[4]);
        return 2;
    }
    int segments = atoi(argv[5]);
    eopt.max_bitrate = atoll(argv[7]);
    vsr_encoder_video v = {
        .width = out_w > 0 ? out_w : info->width,
        .height = out_h > 0 ? out_h : info->height,
        .time_base = info->time_base,
        .frame_rate = info->frame_rate,
        .colour = {AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, AVCOL_PRI_BT709, AVCOL_TRC_BT709},
    };
    if (segments > 1) {
        eopt.segmented = 1;
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        eopt.threads = vsr_segment_pool_encoder_threads(cores, cores, segments, v.width, v.height);
    }
    const char *threads = getenv("VSR_BENCH_ENCODER_THREADS");
    if (threads && atoi(threads) > 0)
        eopt.threads = atoi(threads);
    double t0 = vsr_now_s(), cpu0 = cpu_s();
    vsr_encoder *enc;
    if (vsr_encoder_open(argv[2], &eopt, &v, NULL, &enc, &err) < 0)
        die("encoder", &err);
    if (segments > 1) {
        long lead = 0, len = 0;
        if (sscanf(argv[6], "%ld+%ld", &lead, &len) != 2) {
            lead = 0;
            len = atol(argv[6]);
        }
        vsr_segment_pool_config sc = {.encoders = segments,
                                      .segment_frames = len,
                                      .lead_frames = lead,
                                      .enc = eopt,
                                      .video = v};
        vsr_segment_pool *pool;
        vsr_segment_join join;
        vsr_segment_join_init(&join, enc);
        if (vsr_segment_pool_start(&sc, &pool, &err) < 0)
            die("segment encoders", &err);
        for (int i = 0; i < n; i++) {
            if (vsr_segment_pool_push(pool, frames[i], i, &err) < 0 ||
                vsr_segment_pool_write_ready(pool, &join, &err) < 0)
                die("encode", &err);
        }
        if (vsr_segment_pool_finish(pool, &join, n, &err) < 0)
            die("finish", &err);
        vsr_segment_pool_destroy(pool);
    } else {
        for (int i = 0; i < n; i++)
            if (vsr_encoder_send(enc, frames[i], i, &err) < 0)
                die("encode", &err);
    }
    if (vsr_encoder_finish(enc, &err) < 0)
        die("finish", &err);
    double dt = vsr_now_s() - t0, cpu = cpu_s() - cpu0;
    const char *preset = vsr_encoder_preset(enc);
    printf("frames %d encode_s %.3f fps %.3f encoder %s preset %s crf %d cpu_s %.1f\n", n, dt,
           n / dt, vsr_encoder_name(enc), preset ? preset : "-", vsr_encoder_crf(enc), cpu);
    vsr_encoder_destroy(enc);
    for (int i = 0; i < n; i++)
        av_frame_free(&frames[i]);
    free(frames);
    vsr_decoder_close(dec);
    return 0;
}
