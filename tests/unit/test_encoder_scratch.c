/* Two encoders writing the same output at once (issue 20: two server
 * requests naming one output path shared a single partial file, and one of
 * them got 200 for an MP4 nobody could read): each writes its own scratch
 * file, both finish, the output is a whole MP4 of one of them, and no
 * scratch file is left. A third that fails removes only its own. */
#include <dirent.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "media/encoder.h"
#include "test_util.h"

static AVFrame *grey_frame(int w, int h, int shade)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int p = 0; p < 3; p++) {
        int ph = p ? h / 2 : h;
        memset(f->data[p], p ? 128 : shade, (size_t)f->linesize[p] * (size_t)ph);
    }
    return f;
}

/* Video packets in path's first stream, -1 when it does not open. */
static int count_packets(const char *path)
{
    AVFormatContext *fc = NULL;
    if (avformat_open_input(&fc, path, NULL, NULL) < 0)
        return -1;
    int n = -1;
    AVPacket *pkt = av_packet_alloc();
    if (pkt && avformat_find_stream_info(fc, NULL) >= 0) {
        n = 0;
        while (av_read_frame(fc, pkt) >= 0) {
            n += pkt->stream_index == 0;
            av_packet_unref(pkt);
        }
    }
    av_packet_free(&pkt);
    avformat_close_input(&fc);
    return n;
}

/* Entries of dir other than . , .. and keep. */
static int others_in(const char *dir, const char *keep, char *first, size_t size)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, keep))
            continue;
        if (n++ == 0)
            snprintf(first, size, "%s", e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    char dir[512], out[700];
    if (test_scratch_dir("test_encoder_scratch", dir, sizeof dir) != 0)
        return 1;
    av_log_set_level(AV_LOG_ERROR);
    snprintf(out, sizeof out, "%s/out.mp4", dir);
    vsr_encoder_options opt;
    vsr_encoder_options_default(&opt);
    opt.codec = "h264";
    opt.preset = "ultrafast";
    vsr_encoder_video v = {
        .width = 64,
        .height = 48,
        .time_base = {1, 30},
        .frame_rate = {30, 1},
        .colour = {AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, AVCOL_PRI_BT709, AVCOL_TRC_BT709},
    };
    enum { A_FRAMES = 6, B_FRAMES = 9 };
    vsr_encoder *a = NULL, *b = NULL, *c = NULL;
    vsr_error err;
    vsr_error_clear(&err);
    CHECK_MSG(vsr_encoder_open(out, &opt, &v, NULL, &a, &err) == 0, "open a: %s", err.msg);
    CHECK_MSG(vsr_encoder_open(out, &opt, &v, NULL, &b, &err) == 0, "open b: %s", err.msg);
    CHECK_MSG(vsr_encoder_open(out, &opt, &v, NULL, &c, &err) == 0, "open c: %s", err.msg);
    if (!a || !b || !c)
        return test_report("test_encoder_scratch");
    /* Interleaved, as two jobs' encode threads would be. */
    for (int i = 0; i < B_FRAMES; i++) {
        AVFrame *f = grey_frame(v.width, v.height, 40 + 10 * i);
        CHECK(f != NULL);
        if (!f)
            break;
        f->pts = i;
        if (i < A_FRAMES)
            CHECK_MSG(vsr_encoder_send(a, f, i, &err) == 0, "a frame %d: %s", i, err.msg);
        CHECK_MSG(vsr_encoder_send(b, f, i, &err) == 0, "b frame %d: %s", i, err.msg);
        if (i < 2)
            CHECK_MSG(vsr_encoder_send(c, f, i, &err) == 0, "c frame %d: %s", i, err.msg);
        av_frame_free(&f);
    }
    /* c fails (destroyed unfinished): its scratch file goes, not theirs. */
    vsr_encoder_destroy(c);
    CHECK_MSG(vsr_encoder_finish(a, &err) == 0, "finish a: %s", err.msg);
    CHECK_MSG(count_packets(out) == A_FRAMES, "after a: %d packets", count_packets(out));
    CHECK_MSG(vsr_encoder_finish(b, &err) == 0, "finish b: %s", err.msg);
    CHECK_MSG(count_packets(out) == B_FRAMES, "after b: %d packets", count_packets(out));
    vsr_encoder_destroy(a);
    vsr_encoder_destroy(b);
    char left[256] = "";
    int n = others_in(dir, "out.mp4", left, sizeof left);
    CHECK_MSG(n == 0, "%d files left beside the output, e.g. %s", n, left);
    return test_report("test_encoder_scratch");
}
