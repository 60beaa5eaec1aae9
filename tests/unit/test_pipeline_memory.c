/* Peak memory is bounded by the queue depths, not by the clip's length:
 * a clip twice as long (after a warm-up) must not raise the peak RSS, while the seed's
 * one-range-per-worker chunking (everything in flight) must (which shows
 * the measurement can see the difference). A nearest-neighbour stand-in
 * upscaler keeps the test fast. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libavutil/log.h>

#include "nearest_upscaler.h"
#include "pipeline/pipeline.h"
#include "test_util.h"

/* Under ASan, freed memory waits in a quarantine and would look like
 * growth; a small one keeps RSS meaningful. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=4";
}

static int nn_run(void *ctx, const vsr_image *in, vsr_image *out, vsr_error *err)
{
    (void)ctx;
    (void)err;
    nn_scale(in, out, 2);
    return VSR_OK;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int run(const char *in, const char *out, vsr_schedule_kind sched, int chunk,
               vsr_pipeline_stats *st)
{
    vsr_upscaler u = {
        .scale = 2, .ctx_create = nn_create, .ctx_destroy = nn_destroy, .run = nn_run};
    vsr_pipeline_config cfg;
    vsr_pipeline_config_default(&cfg);
    cfg.input = in;
    cfg.output = out;
    cfg.upscaler = &u;
    cfg.workers = 2;
    cfg.schedule = sched;
    cfg.chunk_frames = chunk;
    cfg.enc.preset = "ultrafast";
    cfg.enc.threads = 1; /* the encoder's own buffers scale with its threads */
    vsr_error err = {0};
    int ret = vsr_pipeline_run(&cfg, st, &err);
    if (ret < 0)
        fprintf(stderr, "pipeline: %s\n", err.msg);
    return ret;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    /* glibc gives each new thread's allocations an arena of its own (up to
     * 8 per core), each keeping freed frames for reuse: RSS then drifts
     * with how threads happened to interleave, not with what is live. One
     * arena measures what the pipeline holds. */
    mallopt(M_ARENA_MAX, 1);
    const char *t = getenv("VSR_TEST_TMP");
    if (!t)
        t = "/tmp";
    char shortc[512], longc[512], out[512], cmd[2048];
    snprintf(shortc, sizeof shortc, "%s/mem_short.mp4", t);
    snprintf(longc, sizeof longc, "%s/mem_long.mp4", t);
    snprintf(out, sizeof out, "%s/mem_out.mp4", t);
    /* 320x240 -> 640x480: an unbounded pipeline would hold ~0.6 MiB a frame. */
    const char *gen = "ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v %d "
                      "-c:v libx264 -preset ultrafast -pix_fmt yuv420p %s";
    snprintf(cmd, sizeof cmd, gen, 360, shortc);
    if (system(cmd) != 0)
        return 1;
    snprintf(cmd, sizeof cmd, gen, 720, longc);
    if (system(cmd) != 0)
        return 1;

    /* Allocators and encoders grow to a steady state over the first
     * hundreds of frames (measured: 100, 157, 174, 177, 177 MiB after 30,
     * 120, 360, 720, 720 frames), so compare two long runs. */
    vsr_pipeline_stats st;
    CHECK(run(shortc, out, VSR_SCHEDULE_DYNAMIC, 0, &st) == 0);
    CHECK(run(shortc, out, VSR_SCHEDULE_DYNAMIC, 0, &st) == 0);
    long rss_a = peak_rss_kib();
    CHECK(run(longc, out, VSR_SCHEDULE_DYNAMIC, 0, &st) == 0);
    CHECK(st.frames == 720);
    long rss_b = peak_rss_kib();
    CHECK(run(longc, out, VSR_SCHEDULE_CHUNKED, 8, &st) == 0);
    long rss_c = peak_rss_kib();
    size_t bound_c = st.frame_bytes_bound;
    CHECK(run(shortc, out, VSR_SCHEDULE_CHUNKED, 0, &st) == 0);
    long rss_seed = peak_rss_kib();
    printf("peak RSS: 360 frames dynamic %ld KiB; 720 frames dynamic %ld KiB, chunked/8 %ld KiB "
           "(frame bound %zu KiB); 360 frames, seed chunking %ld KiB (frame bound %zu KiB, %d "
           "in flight)\n",
           rss_a, rss_b, rss_c, bound_c / 1024, rss_seed, st.frame_bytes_bound / 1024,
           st.max_in_flight);
    /* Unbounded, 360 more frames would be ~0.6 MiB each: over 200 MiB. */
    CHECK_MSG(rss_b - rss_a < 16 * 1024, "dynamic grew by %ld KiB with the clip", rss_b - rss_a);
    CHECK_MSG(rss_c - rss_a < 24 * 1024, "chunked/8 grew by %ld KiB", rss_c - rss_a);
    CHECK_MSG(rss_seed - rss_c > 64 * 1024,
              "the seed's chunking should hold the clip: only %ld KiB more", rss_seed - rss_c);
    return test_report("test_pipeline_memory");
}
