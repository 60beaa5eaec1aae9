#include "media/segment_join.h"

#include <stdlib.h>
#include <string.h>

void vsr_segment_join_init(vsr_segment_join *j, vsr_encoder *enc)
{
    memset(j, 0, sizeof *j);
    j->enc = enc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int vsr_segment_join_add(vsr_segment_join *j, vsr_segment_encoder *se, vsr_error *err)
{
    int n;
    AVPacket **pkts = vsr_segment_encoder_packets(se, &n);
    long long seg = (long long)vsr_segment_encoder_index(se);
    if (seg != j->segments)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld joined in place of %lld", seg,
                             (long long)j->segments);
    if (n == 0)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld has no packets", seg);

    /* Decoders read one set of parameter sets (the MP4 sample entry) for
     * the whole track: every segment must have produced exactly those. */
    int want_size, got_size;
    const uint8_t *want = vsr_encoder_extradata(j->enc, &want_size);
    const uint8_t *got = vsr_segment_encoder_extradata(se, &got_size);
    if (want_size != got_size || (want_size > 0 && memcmp(want, got, (size_t)want_size) != 0))
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "segment %lld: its parameter sets (%d bytes) differ from the "
                             "output's (%d bytes); cannot join without re-encoding",
                             seg, got_size, want_size);
    if (!(pkts[0]->flags & AV_PKT_FLAG_KEY))
        return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld does not start with a keyframe",
                             seg);

    int64_t *pts = malloc(sizeof *pts * (size_t)n);
    if (!pts)
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory", seg);
    for (int k = 0; k < n; k++) {
        if (pkts[k]->pts == AV_NOPTS_VALUE || pkts[k]->dts == AV_NOPTS_VALUE) {
            free(pts);
            return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld packet %d has no timestamp",
                                 seg, k);
        }
        pts[k] = pkts[k]->pts;
    }
    qsort(pts, (size_t)n, sizeof *pts, cmp_i64);
    if (j->n_tail > 0 && pts[0] <= j->tail_pts[j->n_tail - 1]) {
        int64_t prev = j->tail_pts[j->n_tail - 1], first = pts[0];
        free(pts);
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "segment %lld starts at PTS %lld, not after the previous one's "
                             "last (%lld)",
                             seg, (long long)first, (long long)prev);
    }

    /* The encoder's reordering delay shows in the first segment as the
     * leading packets whose DTS precedes its first PTS; there the
     * encoder's DTS stay (the muxer handles them as for one encoder).
     * Later segments get what one encoder over the whole clip would have
     * written: packet K's DTS = the (K - delay)-th smallest PTS. This also
     * covers a short last segment, whose encoder saw less to reorder. */
    if (j->segments == 0) {
        j->delay = 0;
        while (j->delay < n && pkts[j->delay]->dts < pts[0])
            j->delay++;
    } else {
        int d = j->delay;
        if (d > j->n_tail) {
            free(pts);
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "segment %lld: the encoder's reordering delay (%d frames) is "
                                 "more than the joiner keeps (%d)",
                                 seg, d, j->n_tail);
        }
        for (int k = 0; k < n; k++) {
            int64_t dts = k < d ? j->tail_pts[j->n_tail - d + k] : pts[k - d];
            if (dts != pkts[k]->dts)
                j->rewritten++;
            pkts[k]->dts = dts;
        }
    }

    int ret = VSR_OK;
    for (int k = 0; k < n && ret >= 0; k++) {
        AVPacket *p = pkts[k];
        if (j->have_last && p->dts <= j->last_dts)
            ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                                "segment %lld packet %d: DTS %lld does not follow %lld", seg, k,
                                (long long)p->dts, (long long)j->last_dts);
        else if (p->dts > p->pts)
            ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                                "segment %lld packet %d: DTS %lld after its PTS %lld", seg, k,
                                (long long)p->dts, (long long)p->pts);
        if (ret < 0)
            break;
        j->last_dts = p->dts;
        j->have_last = 1;
        ret = vsr_encoder_write_video_packet(j->enc, p, err);
        if (ret >= 0)
            j->packets++;
    }
    if (ret >= 0) {
        /* Keep the largest PTS so far for the next join. */
        int keep = n < VSR_SEGMENT_MAX_DELAY ? n : VSR_SEGMENT_MAX_DELAY;
        int old =
            VSR_SEGMENT_MAX_DELAY - keep < j->n_tail ? VSR_SEGMENT_MAX_DELAY - keep : j->n_tail;
        memmove(j->tail_pts, j->tail_pts + j->n_tail - old, sizeof *pts * (size_t)old);
        memcpy(j->tail_pts + old, pts + n - keep, sizeof *pts * (size_t)keep);
        j->n_tail = old + keep;
        j->segments++;
    }
    free(pts);
    if (ret < 0)
        vsr_error_prefix(err, "joining segments");
    return ret;
}
