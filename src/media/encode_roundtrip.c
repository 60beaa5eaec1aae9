#include "media/encode_roundtrip.h"

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>

#include "media/colour.h"
#include "media/segment_encoder.h"

/* Decodes the packets, handing each frame to take. */
static int decode_back(vsr_segment_encoder *se, const vsr_encoder_video *v, int n,
                       vsr_roundtrip_take_fn take, void *opaque, vsr_error *err)
{
    AVCodecContext *dc = NULL;
    AVFrame *f = av_frame_alloc();
    int ret = f ? vsr_segment_encoder_open_decoder(se, 1, &dc, err)
                : vsr_error_set(err, VSR_ERR_NOMEM, "encode round trip: out of memory");
    int npk = 0, got = 0;
    AVPacket **pk = ret >= 0 ? vsr_segment_encoder_packets(se, &npk) : NULL;
    for (int k = 0; ret >= 0 && k <= npk; k++) {
        int r = avcodec_send_packet(dc, k < npk ? pk[k] : NULL);
        if (r < 0) {
            ret =
                vsr_error_set(err, VSR_ERR_BACKEND, "decoding the encode back: %s", av_err2str(r));
            break;
        }
        while (ret >= 0 && (r = avcodec_receive_frame(dc, f)) >= 0) {
            if (got >= n || f->format != AV_PIX_FMT_YUV420P || f->width != v->width ||
                f->height != v->height) {
                ret = vsr_error_set(err, VSR_ERR_INTERNAL,
                                    "encode round trip: decoded frame %d unexpected (%dx%d %s)",
                                    got, f->width, f->height,
                                    av_get_pix_fmt_name((enum AVPixelFormat)f->format));
                break;
            }
            ret = take(opaque, got, f, err);
            av_frame_unref(f);
            got++;
        }
        if (ret >= 0 && r != AVERROR(EAGAIN) && r != AVERROR_EOF)
            ret =
                vsr_error_set(err, VSR_ERR_BACKEND, "decoding the encode back: %s", av_err2str(r));
    }
    if (ret >= 0 && got != n)
        ret = vsr_error_set(err, VSR_ERR_INTERNAL, "encode round trip: %d of %d frames decoded",
                            got, n);
    avcodec_free_context(&dc);
    av_frame_free(&f);
    return ret;
}

int vsr_encode_roundtrip(const vsr_encoder_options *opt, const vsr_encoder_video *v, int64_t index,
                         int64_t first_frame, int n, vsr_roundtrip_fill_fn fill,
                         vsr_roundtrip_take_fn take, void *opaque, vsr_error *err)
{
    vsr_segment_encoder *se = NULL;
    int ret = vsr_segment_encoder_open(opt, v, index, first_frame, &se, err);
    for (int k = 0; ret >= 0 && k < n; k++) {
        AVFrame *f = av_frame_alloc();
        if (!f)
            ret = vsr_error_set(err, VSR_ERR_NOMEM, "encode round trip: out of memory");
        else if ((ret = vsr_yuv_frame_alloc(NULL, f, v->width, v->height, &v->colour,
                                            (long)(first_frame + k), err)) >= 0 &&
                 (ret = fill(opaque, k, f, err)) >= 0) {
            f->pts = k;
            ret = vsr_segment_encoder_send(se, f, err);
        }
        av_frame_free(&f);
    }
    if (ret >= 0)
        ret = vsr_segment_encoder_finish(se, err);
    if (ret >= 0)
        ret = decode_back(se, v, n, take, opaque, err);
    vsr_segment_encoder_free(se);
    return ret;
}
