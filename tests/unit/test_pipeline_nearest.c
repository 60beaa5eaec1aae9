/* The pipeline with a stand-in upscaler (nearest neighbour, defined here):
 * exact frame count, order and timestamps kept, identical pre-encode frames
 * for every worker count and schedule, partial output removed on failure.
 * The clips come from the ffmpeg command-line tool (lavfi testsrc2). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "media/decoder.h"
#include "nearest_upscaler.h"
#include "pipeline/pipeline.h"
#include "test_util.h"
#include "util/file_read.h"

typedef struct nn_shared {
    int scale;
    int fail_at_call; /* >0: the n-th call (over all contexts) fails */
    int calls;
    pthread_mutex_t lock;
} nn_shared;

static int nn_run(void *ctx, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    nn_shared *s = ctx;
    pthread_mutex_lock(&s->lock);
    int call = ++s->calls;
    pthread_mutex_unlock(&s->lock);
    if (s->fail_at_call && call == s->fail_at_call)
        return vsr_error_set(err, VSR_ERR_BACKEND, "stand-in failure");
    nn_scale(in, out, s->scale);
    return VSR_OK;
}

/* A directory of this test's own: CTest runs tests in parallel, and the
 * check that no partial output is left must not see another test's. */
static const char *tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *t = getenv("VSR_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/pipeline_nearest", t ? t : "/tmp");
        mkdir(dir, 0755);
    }
    return dir;
}

static int sh(const char *cmd)
{
    int r = system(cmd);
    if (r != 0)
        fprintf(stderr, "command failed (%d): %s\n", r, cmd);
    return r;
}

static int64_t count_frames(const char *path)
{
    vsr_decoder *d;
    vsr_error err = {0};
    if (vsr_decoder_open(path, NULL, &d, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    AVFrame *f = av_frame_alloc();
    int64_t n = 0;
    int ret;
    while ((ret = vsr_decoder_next(d, f, &err)) > 0)
        n++;
    if (ret < 0)
        fprintf(stderr, "%s\n", err.msg);
    av_frame_free(&f);
    vsr_decoder_close(d);
    return ret < 0 ? -1 : n;
}

/* The whole file as a string (NULL if it cannot be read). */
static char *slurp(const char *path)
{
    unsigned char *data = NULL;
    size_t len;
    vsr_error err = {0};
    return vsr_read_file(path, (size_t)1 << 30, NULL, &data, &len, &err) == 0 ? (char *)data : NULL;
}

/* A share of the cores that changes while a run goes on (a server job's):
 * counts the times it is asked and answers 1, 2, 3, ... (fixed 0), or
 * always fixed; segments: the encoder threads (0: auto), and what the run
 * reported: the most of them that encoded at once. */
typedef struct share_counter {
    atomic_int asked;
    int fixed, segments, peak;
} share_counter;

static int changing_share(void *opaque)
{
    share_counter *c = opaque;
    int n = atomic_fetch_add(&c->asked, 1) + 1;
    return c->fixed ? c->fixed : n;
}

/* share: NULL, or segments of 5 frames following that share. */
static int run(const char *in, const char *out, const char *hash, int workers,
               vsr_schedule_kind sched, int chunk, nn_shared *shared, share_counter *share,
               vsr_error *err)
{
    vsr_upscaler u = {.scale = shared->scale,
                      .shared = shared,
                      .ctx_create = nn_create,
                      .ctx_destroy = nn_destroy,
                      .run = nn_run};
    vsr_pipeline_config cfg;
    vsr_pipeline_config_default(&cfg);
    cfg.input = in;
    cfg.output = out;
    cfg.upscaler = &u;
    cfg.workers = workers;
    cfg.schedule = sched;
    cfg.chunk_frames = chunk;
    cfg.hash_path = hash;
    cfg.enc.preset = "ultrafast";
    if (share) {
        cfg.encode_segments = share->segments;
        cfg.segment_frames = 5;
        cfg.encoder_cores = 1;
        cfg.encoder_cores_now = changing_share;
        cfg.encoder_cores_opaque = share;
    }
    vsr_pipeline_stats st;
    int ret = vsr_pipeline_run(&cfg, &st, err);
    if (share && ret >= 0)
        share->peak = st.encoders_peak;
    if (ret < 0)
        fprintf(stderr, "pipeline (%d workers, %s): %s\n", workers, vsr_schedule_name(sched),
                err->msg);
    return ret;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR); /* the muxer's notes are not test output */
    char in[512], out[512], hash_ref[512], hash[512], cmd[2048];
    snprintf(in, sizeof in, "%s/pl_nearest_in.mp4", tmpdir());
    snprintf(out, sizeof out, "%s/pl_nearest_out.mp4", tmpdir());
    snprintf(hash_ref, sizeof hash_ref, "%s/pl_nearest_ref.txt", tmpdir());
    snprintf(hash, sizeof hash, "%s/pl_nearest_hash.txt", tmpdir());
    /* 34x26, 23 frames: odd frame count, B-frames, an audio track. */
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -y -f lavfi -i testsrc2=size=34x26:rate=24 -f lavfi -i "
             "sine=frequency=440:sample_rate=48000 -t 0.958 -c:v libx264 -pix_fmt yuv420p "
             "-c:a aac -shortest %s",
             in);
    if (sh(cmd) != 0)
        return 1;
    int64_t n_in = count_frames(in);
    CHECK(n_in == 23);

    /* NVDEC preferred but for frames under a size: these 34x26 frames stay
     * on the CPU, and the decoder says why (a GPU or not). */
    {
        vsr_decoder_options dopt = {.nvdec = VSR_NVDEC_PREFER, .nvdec_min_pixels = 1280 * 720};
        vsr_decoder *d = NULL;
        vsr_error derr = {0};
        CHECK_MSG(vsr_decoder_open(in, &dopt, &d, &derr) == 0, "%s", derr.msg);
        if (d) {
            const vsr_video_info *vi = vsr_decoder_info(d);
            CHECK(vi->hw_device == -1);
            CHECK_MSG(strstr(vi->hw_note, "34x26 is under 921600 pixels"), "note: %s", vi->hw_note);
            vsr_decoder_close(d);
        }
    }

    nn_shared s = {.scale = 2};
    pthread_mutex_init(&s.lock, NULL);
    vsr_error err = {0};
    CHECK(run(in, out, hash_ref, 1, VSR_SCHEDULE_DYNAMIC, 0, &s, NULL, &err) == 0);
    CHECK_MSG(count_frames(out) == n_in, "output frames %lld, input %lld",
              (long long)count_frames(out), (long long)n_in);
    char *ref = slurp(hash_ref);
    CHECK(ref && strlen(ref) == (size_t)n_in * (7 + 64 + 1));

    /* Every worker count and schedule: the same frames before encoding. */
    struct {
        int workers;
        vsr_schedule_kind sched;
        int chunk;
    } cases[] = {
        {3, VSR_SCHEDULE_DYNAMIC, 0},
        {3, VSR_SCHEDULE_CHUNKED, 0},
        {4, VSR_SCHEDULE_CHUNKED, 3},
        {2, VSR_SCHEDULE_CHUNKED, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK(run(in, out, hash, cases[c].workers, cases[c].sched, cases[c].chunk, &s, NULL,
                  &err) == 0);
        char *h = slurp(hash);
        CHECK_MSG(ref && h && !strcmp(ref, h), "case %zu: pre-encode frames differ", c);
        free(h);
        CHECK(count_frames(out) == n_in);
    }

    /* A share of the cores that changes (a server job's): with one encoder
     * at a time, auto segments still cut the clip, and every segment's
     * encoder asks for the share of its moment; same frames, all there. */
    share_counter share = {0};
    CHECK(run(in, out, hash, 2, VSR_SCHEDULE_DYNAMIC, 0, &s, &share, &err) == 0);
    CHECK_MSG(atomic_load(&share.asked) == 5, "share asked %d times for 5 segments",
              atomic_load(&share.asked));
    char *h = slurp(hash);
    CHECK_MSG(ref && h && !strcmp(ref, h), "changing share: pre-encode frames differ");
    free(h);
    CHECK(count_frames(out) == n_in);

    /* Three encoder threads on a share of 4 cores, which holds one encoder
     * instance at this size: one encodes at a time; same frames. Then 12
     * cores: up to three. */
    share_counter small = {.fixed = 4, .segments = 3};
    CHECK(run(in, out, hash, 2, VSR_SCHEDULE_DYNAMIC, 0, &s, &small, &err) == 0);
    CHECK_MSG(small.peak == 1, "share of 4 cores: %d encoders at once", small.peak);
    h = slurp(hash);
    CHECK_MSG(ref && h && !strcmp(ref, h), "share of 4 cores: pre-encode frames differ");
    free(h);
    CHECK(count_frames(out) == n_in);
    share_counter large = {.fixed = 12, .segments = 3};
    CHECK(run(in, out, hash, 2, VSR_SCHEDULE_DYNAMIC, 0, &s, &large, &err) == 0);
    CHECK_MSG(large.peak >= 1 && large.peak <= 3, "share of 12 cores: %d encoders at once",
              large.peak);
    CHECK(count_frames(out) == n_in);

    /* A failure mid-run: an error naming the frame, and no output left. */
    unlink(out);
    s.fail_at_call = 9;
    s.calls = 0;
    CHECK(run(in, out, NULL, 3, VSR_SCHEDULE_DYNAMIC, 0, &s, NULL, &err) == VSR_ERR_BACKEND);
    CHECK_MSG(strstr(err.msg, "stand-in failure") && strstr(err.msg, "frame"), "%s", err.msg);
    struct stat sb;
    CHECK(stat(out, &sb) != 0);
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q vsr-partial", tmpdir());
    CHECK(system(cmd) != 0);

    free(ref);
    pthread_mutex_destroy(&s.lock);
    return test_report("test_pipeline_nearest");
}
