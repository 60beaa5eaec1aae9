/* The detail probe's frame budget (pipeline/detail_probe.h): the bytes a
 * sampled frame holds, and how windows x frames are cut to fit: fewer
 * windows first, then fewer frames in one window, never under one window
 * of two; what fits is left alone. */
#include <stdint.h>

#include "pipeline/detail_probe.h"
#include "test_util.h"

static int fit(int64_t max_bytes, int64_t frame_bytes, int *windows, int *k, int w0, int k0)
{
    *windows = w0;
    *k = k0;
    return vsr_detail_probe_fit(max_bytes, frame_bytes, windows, k);
}

int main(void)
{
    /* 4:2:0: 1.5 bytes a pixel, chroma rounded up; three output frames and
     * two input frames a sample */
    CHECK(vsr_detail_probe_frame_bytes(2, 2, 4, 4) == 3 * (16 + 2 * 4) + 2 * (4 + 2 * 1));
    CHECK(vsr_detail_probe_frame_bytes(3, 3, 5, 5) == 3 * (25 + 2 * 9) + 2 * (9 + 2 * 4));
    const int64_t hd_to_4k = vsr_detail_probe_frame_bytes(1920, 1080, 3840, 2160);
    const int64_t uhd_to_8k = vsr_detail_probe_frame_bytes(3840, 2160, 7680, 4320);
    CHECK(hd_to_4k == 3 * (int64_t)3840 * 2160 * 3 / 2 + 2 * (int64_t)1920 * 1080 * 3 / 2);
    CHECK(uhd_to_8k == 4 * hd_to_4k);

    int w, k;
    /* the default 3 x 6 fits 1 GiB up to 4K output: untouched */
    CHECK(fit(VSR_DETAIL_AUTO_MAX_BYTES, hd_to_4k, &w, &k, 3, 6) == 0);
    CHECK(w == 3 && k == 6);
    /* at 8K: 6 frames fit, one window of 6 */
    CHECK(fit(VSR_DETAIL_AUTO_MAX_BYTES, uhd_to_8k, &w, &k, 3, 6) == 1);
    CHECK(w == 1 && k == 6);
    /* room for 13 of 18: two whole windows */
    CHECK(fit(13 * 100, 100, &w, &k, 3, 6) == 1);
    CHECK(w == 2 && k == 6);
    /* exactly 18: untouched */
    CHECK(fit(18 * 100, 100, &w, &k, 3, 6) == 0);
    CHECK(w == 3 && k == 6);
    /* room for 4: one window of 4 */
    CHECK(fit(4 * 100 + 99, 100, &w, &k, 3, 6) == 1);
    CHECK(w == 1 && k == 4);
    /* room for one or none: still one window of two (VMAF's motion needs a
     * pair) */
    CHECK(fit(100, 100, &w, &k, 3, 6) == 1);
    CHECK(w == 1 && k == 2);
    CHECK(fit(0, 100, &w, &k, 3, 6) == 1);
    CHECK(w == 1 && k == 2);
    /* a frame of no bytes (an unknown size) cuts nothing */
    CHECK(fit(1, 0, &w, &k, 64, 1024) == 0);
    CHECK(w == 64 && k == 1024);
    return test_report("test_detail_probe_budget");
}
