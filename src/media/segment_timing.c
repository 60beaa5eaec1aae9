#include "media/segment_timing.h"

#include <stdlib.h>
#include <string.h>

void vsr_segment_timing_init(vsr_segment_timing *t)
{
    memset(t, 0, sizeof *t);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int vsr_segment_timing_plan(vsr_segment_timing *t, const int64_t *pts, int64_t *dts, int n,
                            vsr_error *err)
{
    long long seg = (long long)t->segments;
    if (n <= 0)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld has no packets", seg);
    int64_t *sorted = malloc(sizeof *sorted * (size_t)n);
    int64_t *out = malloc(sizeof *out * (size_t)n);
    if (!sorted || !out) {
        free(sorted);
        free(out);
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory", seg);
    }
    memcpy(sorted, pts, sizeof *sorted * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_i64);

    int ret = VSR_OK, delay = t->delay;
    if (t->n_tail > 0 && sorted[0] <= t->tail_pts[t->n_tail - 1]) {
        ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                            "segment %lld starts at PTS %lld, not after the previous one's "
                            "last (%lld)",
                            seg, (long long)sorted[0], (long long)t->tail_pts[t->n_tail - 1]);
    } else if (t->segments == 0) {
        /* The delay shows as the leading packets whose DTS precedes the
         * first PTS; there the encoder's DTS stay. */
        delay = 0;
        while (delay < n && dts[delay] < sorted[0])
            delay++;
        memcpy(out, dts, sizeof *out * (size_t)n);
    } else if (delay > t->n_tail) {
        ret = vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                            "segment %lld: the encoder's reordering delay (%d frames) is more "
                            "than the joiner keeps (%d)",
                            seg, delay, t->n_tail);
    } else {
        for (int k = 0; k < n; k++)
            out[k] = k < delay ? t->tail_pts[t->n_tail - delay + k] : sorted[k - delay];
    }

    int64_t last = t->last_dts;
    int have_last = t->have_last;
    for (int k = 0; k < n && ret >= 0; k++) {
        if (have_last && out[k] <= last)
            ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                                "segment %lld packet %d: DTS %lld does not follow %lld", seg, k,
                                (long long)out[k], (long long)last);
        else if (out[k] > pts[k])
            ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                                "segment %lld packet %d: DTS %lld after its PTS %lld", seg, k,
                                (long long)out[k], (long long)pts[k]);
        last = out[k];
        have_last = 1;
    }
    if (ret >= 0) {
        for (int k = 0; k < n; k++)
            t->rewritten += out[k] != dts[k];
        memcpy(dts, out, sizeof *dts * (size_t)n);
        t->delay = delay;
        t->last_dts = last;
        t->have_last = have_last;
        /* Keep the largest PTS so far for the next segment. */
        int keep = n < VSR_SEGMENT_MAX_DELAY ? n : VSR_SEGMENT_MAX_DELAY;
        int old =
            VSR_SEGMENT_MAX_DELAY - keep < t->n_tail ? VSR_SEGMENT_MAX_DELAY - keep : t->n_tail;
        memmove(t->tail_pts, t->tail_pts + t->n_tail - old, sizeof *sorted * (size_t)old);
        memcpy(t->tail_pts + old, sorted + n - keep, sizeof *sorted * (size_t)keep);
        t->n_tail = old + keep;
        t->segments++;
    }
    free(sorted);
    free(out);
    return ret;
}
