/* What libx265 leaks per encoder (issue 20 #9), apart from vsr: opens N
 * libx265 encoders through libavcodec one after the other, encodes a few
 * frames with each and closes them; built with AddressSanitizer, its leak
 * report at exit is libx265's alone. Not part of the build:
 *
 *   gcc -O1 -g -fsanitize=address bench/x265_leak.c -o /tmp/x265_leak \
 *       $(pkg-config --cflags --libs libavcodec libavutil)
 *   W=1920 H=1080 /tmp/x265_leak N PRESET [X265_PARAMS]
 *
 * W, H: frame size (default 128x96); NF: frames per encoder (default 30). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    const int w = env_int("W", 128), h = env_int("H", 96), frames = env_int("NF", 30);
    av_log_set_level(AV_LOG_ERROR);
    for (int k = 0; k < n; k++) {
        const AVCodec *codec = avcodec_find_encoder_by_name("libx265");
        AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
        if (!c)
            return 1;
        c->width = w;
        c->height = h;
        c->pix_fmt = AV_PIX_FMT_YUV420P;
        c->time_base = (AVRational){1, 30};
        c->framerate = (AVRational){30, 1};
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; /* as vsr's MP4 muxer asks */
        av_opt_set(c->priv_data, "preset", argc > 2 ? argv[2] : "medium", 0);
        av_opt_set(c->priv_data, "x265-params", argc > 3 ? argv[3] : "log-level=error:info=0", 0);
        AVFrame *f = av_frame_alloc();
        AVPacket *p = av_packet_alloc();
        if (avcodec_open2(c, codec, NULL) < 0 || !f || !p)
            return 1;
        f->format = c->pix_fmt;
        f->width = w;
        f->height = h;
        if (av_frame_get_buffer(f, 0) < 0)
            return 1;
        for (int i = 0; i <= frames; i++) {
            if (i < frames) {
                if (av_frame_make_writable(f) < 0)
                    return 1;
                for (int pl = 0; pl < 3; pl++)
                    memset(f->data[pl], (i * 7 + pl * 50) & 255,
                           (size_t)f->linesize[pl] * (size_t)(pl ? h / 2 : h));
                f->pts = i;
            }
            avcodec_send_frame(c, i < frames ? f : NULL);
            while (avcodec_receive_packet(c, p) >= 0)
                av_packet_unref(p);
        }
        av_packet_free(&p);
        av_frame_free(&f);
        avcodec_free_context(&c);
    }
    return 0;
}
