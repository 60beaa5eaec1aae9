/* A decoder whose interrupt fires (a server job past its deadline, a
 * client gone) fails as cancelled, wherever the read was cut: FFmpeg hands
 * back a packet cut short by the interrupt flagged corrupt, which must not
 * be reported as a corrupt input (the server answers 400 to that, 504 to
 * a deadline), nor one cut while opening. The interrupt fires after each
 * possible number of polls.
 *
 * The clip comes from the ffmpeg command-line tool (lavfi testsrc2). */
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "media/decoder.h"
#include "test_util.h"

typedef struct poll_budget {
    int polls, fire_after;
} poll_budget;

static int interrupt_after(void *opaque)
{
    poll_budget *b = opaque;
    return ++b->polls > b->fire_after;
}

/* Decodes path to its end or first error with the interrupt firing after
 * fire_after polls: the frames decoded, the error in *err. */
static int decode_until(const char *path, int fire_after, int *polls, vsr_error *err)
{
    poll_budget b = {0, fire_after};
    vsr_decoder_options opt = {.interrupted = interrupt_after, .opaque = &b};
    vsr_decoder *d = NULL;
    AVFrame *f = av_frame_alloc();
    int frames = 0, ret = f ? vsr_decoder_open(path, &opt, &d, err) : -1;
    while (ret >= 0 && (ret = vsr_decoder_next(d, f, err)) > 0) {
        frames++;
        av_frame_unref(f);
    }
    vsr_decoder_close(d);
    av_frame_free(&f);
    *polls = b.polls;
    return ret < 0 ? ret : frames;
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET); /* the demuxer's complaint about the cut read */
    const char *t = getenv("VSR_TEST_TMP");
    char dir[256], clip[320], cmd[1024];
    snprintf(dir, sizeof dir, "%s/decoder_interrupt", t ? t : "/tmp");
    mkdir(dir, 0755);
    snprintf(clip, sizeof clip, "%s/clip.mp4", dir);
    /* lossless 320x240, 30 frames: packets of 5-8 KB, several to each of
     * the demuxer's 32 KB reads, so an interrupted read leaves one cut
     * short (before the fix: "video packet 6 is corrupt or cut short") */
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 30 "
             "-c:v libx264 -qp 0 -pix_fmt yuv420p %s",
             clip);
    if (system(cmd) != 0) {
        fprintf(stderr, "FAIL: %s\n", cmd);
        return 1;
    }

    vsr_error err = {0};
    int all_polls = 0;
    const int all = decode_until(clip, 1 << 30, &all_polls, &err);
    CHECK_MSG(all == 30, "uninterrupted: %d frames (%s)", all, err.msg);
    CHECK_MSG(all_polls > 4, "only %d polls", all_polls);

    int cancelled = 0;
    for (int k = 0; k < all_polls; k++) {
        vsr_error e = {0};
        int polls;
        const int r = decode_until(clip, k, &polls, &e);
        if (r >= 0)
            continue; /* the interrupt came after the last read */
        cancelled++;
        CHECK_MSG(e.code == VSR_ERR_CANCELLED, "interrupt after %d polls: %s (%s)", k,
                  vsr_status_name(e.code), e.msg);
    }
    CHECK_MSG(cancelled > all_polls / 2, "only %d of %d interrupts cancelled", cancelled,
              all_polls);
    return test_report("test_decoder_interrupt");
}
