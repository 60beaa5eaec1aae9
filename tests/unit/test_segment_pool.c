/* The segment pool's planning: how many encoders "auto" means, the segment
 * length that gives every encoder the same number of segments, and the
 * threads each encoder gets. */
#include "pipeline/segment_pool.h"
#include "test_util.h"

static int64_t segments_of(int64_t frames, int64_t len)
{
    return (frames + len - 1) / len;
}

int main(void)
{
    /* 10 s at 30 fps, 2 s nominal segments. */
    CHECK(vsr_segment_pool_balanced_length(60, 1, 300) == 60);
    CHECK(vsr_segment_pool_balanced_length(60, 2, 300) == 50); /* 6 segments, 3 each */
    CHECK(vsr_segment_pool_balanced_length(60, 4, 300) == 38); /* 8 segments, 2 each */
    CHECK(vsr_segment_pool_balanced_length(60, 5, 300) == 60); /* 5 already fit */
    CHECK(vsr_segment_pool_balanced_length(60, 2, -1) == 60);  /* length unknown */
    CHECK(vsr_segment_pool_balanced_length(60, 2, 30) == 15);  /* a short clip: one round */
    /* The auto layout: 300 frames on 2 encoders, 2 of 15 then 45; on 4, 4
     * of 15 then 60; a clip too short for a first round is balanced as
     * before; one encoder and an unknown length keep nominal segments. */
    int64_t lead_len, seg_len;
    vsr_segment_pool_auto_layout(60, 2, 300, &lead_len, &seg_len);
    CHECK(lead_len == 15 && seg_len == 45);
    vsr_segment_pool_auto_layout(60, 4, 300, &lead_len, &seg_len);
    CHECK(lead_len == 15 && seg_len == 60);
    vsr_segment_pool_auto_layout(60, 2, 50, &lead_len, &seg_len);
    CHECK(lead_len == 0 && seg_len == 25);
    vsr_segment_pool_auto_layout(60, 2, -1, &lead_len, &seg_len);
    CHECK(lead_len == 15 && seg_len == 60);
    vsr_segment_pool_auto_layout(60, 1, 300, &lead_len, &seg_len);
    CHECK(lead_len == 0 && seg_len == 60);
    vsr_segment_pool_auto_layout(48, 2, 60, &lead_len, &seg_len); /* test_upscale_segments' */
    CHECK(lead_len == 12 && seg_len == 18);

    /* A first round of 2 x 12 frames, then segments of 18: frames 0-11 are
     * segment 0, 12-23 segment 1, then 24-41, 42-59, ... */
    vsr_segment_pool_config lead = {.encoders = 2, .segment_frames = 18, .lead_frames = 12};
    static const int64_t at[][2] = {{0, 0},  {11, 0}, {12, 1}, {23, 1}, {24, 2},
                                    {41, 2}, {42, 3}, {59, 3}, {60, 4}};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        CHECK_MSG(vsr_segment_pool_segment_of(&lead, at[i][0]) == at[i][1],
                  "frame %lld: segment %lld", (long long)at[i][0],
                  (long long)vsr_segment_pool_segment_of(&lead, at[i][0]));
    lead.lead_frames = 0; /* none: every segment of 18 */
    CHECK(vsr_segment_pool_segment_of(&lead, 17) == 0 &&
          vsr_segment_pool_segment_of(&lead, 18) == 1);
    /* Never longer than nominal; whole rounds for clips of two rounds up
     * to 40 s at 30 fps (longer ones may end one segment short of a round:
     * a smaller tail among more segments). */
    static const int64_t nominal[] = {48, 50, 60, 120};
    for (size_t n = 0; n < sizeof nominal / sizeof nominal[0]; n++)
        for (int k = 1; k <= 8; k++)
            for (int64_t f = 1; f <= 1200; f++) {
                int64_t len = vsr_segment_pool_balanced_length(nominal[n], k, f);
                CHECK_MSG(len >= 1 && len <= nominal[n],
                          "nominal %lld, %d encoders, %lld frames: %lld", (long long)nominal[n], k,
                          (long long)f, (long long)len);
                if (f >= 2 * nominal[n] * k)
                    CHECK_MSG(segments_of(f, len) % k == 0,
                              "nominal %lld, %d encoders, %lld frames: %lld segments of %lld",
                              (long long)nominal[n], k, (long long)f,
                              (long long)segments_of(f, len), (long long)len);
            }

    /* auto: one encoder per 4 cores up to 1080p output (5 to 2160p, 8 above), no more
     * than the clip's segments, no more than the memory holds. */
    const size_t hd = 1920 * 1080 * 3 / 2, uhd = 3840 * 2160 * 3 / 2;
    CHECK(vsr_segment_pool_auto(16, 1920, 1080, 60, 300, hd, (size_t)8 << 30) == 4);
    CHECK(vsr_segment_pool_auto(16, 3840, 2160, 60, 300, uhd, (size_t)8 << 30) == 3);
    CHECK(vsr_segment_pool_auto(16, 7680, 4320, 60, 300, 4 * uhd, (size_t)8 << 30) == 2);
    CHECK(vsr_segment_pool_auto(2, 1920, 1080, 60, 300, hd, (size_t)8 << 30) == 1);
    CHECK(vsr_segment_pool_auto(64, 1920, 1080, 60, 120, hd, (size_t)8 << 30) == 2);
    CHECK(vsr_segment_pool_auto(64, 3840, 2160, 60, 3000, uhd, (size_t)1 << 30) == 1);

    /* Threads each: twice the even share up to 1080p output with more than
     * one encoder while the clip has the machine, the share above 1080p or
     * beside other clips; one encoder takes the cores. */
    CHECK(vsr_segment_pool_encoder_threads(16, 16, 4, 1920, 1080) == 8);
    CHECK(vsr_segment_pool_encoder_threads(8, 16, 2, 1920, 1080) == 4); /* a share */
    CHECK(vsr_segment_pool_encoder_threads(16, 16, 3, 3840, 2160) == 5);
    CHECK(vsr_segment_pool_encoder_threads(16, 16, 2, 7680, 4320) == 8);
    CHECK(vsr_segment_pool_encoder_threads(16, 16, 1, 1920, 1080) == 16);
    CHECK(vsr_segment_pool_encoder_threads(2, 2, 4, 1920, 1080) ==
          2); /* fewer cores than encoders */
    return test_report("test_segment_pool");
}
