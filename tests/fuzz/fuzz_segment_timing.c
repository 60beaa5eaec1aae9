/* libFuzzer target for the segment joiner's timestamp arithmetic
 * (media/segment_timing.h): any sequence of segments with any timestamps
 * must be planned or refused with a vsr_error, never crash or overflow; and
 * whatever it accepts must be a valid track: DTS strictly increasing over
 * all accepted segments, no DTS after its packet's PTS, PTS unchanged, the
 * first segment's DTS unchanged. A violation aborts (a finding).
 *
 * Input: repeated segments, each one byte n (packets: 1 + n % 40), then n
 * packets of two little-endian int64 (pts, dts); bytes that run out end the
 * input. Seeds: tests/fuzz/corpus/segment_timing (make_timing_seeds.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/segment_timing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t read_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    int64_t s;
    memcpy(&s, &v, sizeof s);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_segment_timing t;
    vsr_segment_timing_init(&t);
    int64_t pts[40], dts[40], pts_copy[40], dts_in[40], last = 0;
    int have_last = 0;
    size_t pos = 0;
    while (pos < size) {
        int n = 1 + data[pos++] % 40;
        if (size - pos < (size_t)n * 16)
            break;
        for (int k = 0; k < n; k++, pos += 16) {
            pts[k] = read_i64(data + pos);
            dts[k] = read_i64(data + pos + 8);
        }
        memcpy(pts_copy, pts, sizeof pts);
        memcpy(dts_in, dts, sizeof dts);
        int64_t segments = t.segments;
        vsr_error err;
        if (vsr_segment_timing_plan(&t, pts, dts, n, &err) < 0) {
            if (t.segments != segments || !err.msg[0])
                abort(); /* a refusal changes nothing and says why */
            break;
        }
        if (memcmp(pts, pts_copy, sizeof pts) != 0)
            abort();
        for (int k = 0; k < n; k++) {
            if ((have_last && dts[k] <= last) || dts[k] > pts[k])
                abort();
            if (segments == 0 && dts[k] != dts_in[k])
                abort();
            last = dts[k];
            have_last = 1;
        }
    }
    return 0;
}
