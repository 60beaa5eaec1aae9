/* A run of frames encoded in memory by a fresh encoder instance set as an
 * output's (media/segment_encoder.h) and decoded back: what a probe
 * scores to see what the encode does to a picture (the detail probe's
 * blends, the self-similar guard's degraded input). One call belongs to
 * one thread. */
#ifndef VSR_MEDIA_ENCODE_ROUNDTRIP_H
#define VSR_MEDIA_ENCODE_ROUNDTRIP_H

#include <stdint.h>

#include <libavutil/frame.h>

#include "media/encoder.h"
#include "util/error.h"

/* Fills frame k (0..n-1) to encode: a yuv420p frame of the video's size,
 * allocated by the caller of the callback (pts set after). */
typedef int (*vsr_roundtrip_fill_fn)(void *opaque, int k, AVFrame *frame, vsr_error *err);
/* Takes decoded frame k (yuv420p, the video's size; unreferenced after). */
typedef int (*vsr_roundtrip_take_fn)(void *opaque, int k, const AVFrame *decoded, vsr_error *err);

/* Encodes n frames (fill) with opt and v as encoder instance `index`
 * (first_frame: the clip's frame number of the first, for messages),
 * decodes the packets with one thread and hands each frame back (take),
 * in order. Fails unless exactly n frames come back, each yuv420p. */
int vsr_encode_roundtrip(const vsr_encoder_options *opt, const vsr_encoder_video *v, int64_t index,
                         int64_t first_frame, int n, vsr_roundtrip_fill_fn fill,
                         vsr_roundtrip_take_fn take, void *opaque, vsr_error *err);

#endif
