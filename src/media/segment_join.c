#include "media/segment_join.h"

#include <stdlib.h>
#include <string.h>

void vsr_segment_join_init(vsr_segment_join *j, vsr_encoder *enc)
{
    memset(j, 0, sizeof *j);
    j->enc = enc;
    vsr_segment_timing_init(&j->timing);
}

int vsr_segment_join_add(vsr_segment_join *j, vsr_segment_encoder *se, vsr_error *err)
{
    int n;
    AVPacket **pkts = vsr_segment_encoder_packets(se, &n);
    long long seg = (long long)vsr_segment_encoder_index(se);
    if (seg != j->timing.segments)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld joined in place of %lld", seg,
                             (long long)j->timing.segments);
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

    int64_t *pts = malloc(sizeof *pts * (size_t)n), *dts = malloc(sizeof *dts * (size_t)n);
    if (!pts || !dts) {
        free(pts);
        free(dts);
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory", seg);
    }
    int ret = VSR_OK;
    for (int k = 0; k < n && ret >= 0; k++) {
        if (pkts[k]->pts == AV_NOPTS_VALUE || pkts[k]->dts == AV_NOPTS_VALUE)
            ret = vsr_error_set(err, VSR_ERR_INTERNAL, "segment %lld packet %d has no timestamp",
                                seg, k);
        pts[k] = pkts[k]->pts;
        dts[k] = pkts[k]->dts;
    }
    if (ret >= 0)
        ret = vsr_segment_timing_plan(&j->timing, pts, dts, n, err);
    for (int k = 0; k < n && ret >= 0; k++) {
        pkts[k]->dts = dts[k];
        ret = vsr_encoder_write_video_packet(j->enc, pkts[k], err);
        if (ret >= 0)
            j->packets++;
    }
    free(pts);
    free(dts);
    if (ret < 0)
        vsr_error_prefix(err, "joining segments");
    return ret;
}
