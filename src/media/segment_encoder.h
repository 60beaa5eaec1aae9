/* One segment of a segment-parallel encode: a fresh encoder instance, set
 * up exactly like the output's (vsr_encoder_codec_open), encodes a run of
 * consecutive frames into packets kept in memory until the segment's turn
 * to be joined into the output (media/segment_join.h).
 *
 * A fresh instance per segment is what makes segments joinable: its first
 * frame is an IDR and nothing references a frame outside the segment
 * (closed GOP), and identical options give identical parameter sets. One
 * segment encoder belongs to one thread. */
#ifndef VSR_MEDIA_SEGMENT_ENCODER_H
#define VSR_MEDIA_SEGMENT_ENCODER_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "media/encoder.h"
#include "util/error.h"

typedef struct vsr_segment_encoder vsr_segment_encoder;

/* Opens the encoder for segment `index`, whose first frame is frame
 * first_frame of the clip (for messages). */
int vsr_segment_encoder_open(const vsr_encoder_options *opt, const vsr_encoder_video *v,
                             int64_t index, int64_t first_frame, vsr_segment_encoder **se,
                             vsr_error *err);

/* Encodes one frame (pts in the video time base). */
int vsr_segment_encoder_send(vsr_segment_encoder *se, AVFrame *frame, vsr_error *err);

/* Flushes the encoder and checks that every frame came out as a packet;
 * then frees the encoder itself (its memory is large), keeping the
 * packets and the parameter sets. */
int vsr_segment_encoder_finish(vsr_segment_encoder *se, vsr_error *err);

int64_t vsr_segment_encoder_index(const vsr_segment_encoder *se);
int64_t vsr_segment_encoder_first_frame(const vsr_segment_encoder *se);

/* After finish: the packets in decode order (timestamps in the video time
 * base; the joiner may rewrite them and takes their references) and the
 * parameter sets the encoder produced. */
AVPacket **vsr_segment_encoder_packets(vsr_segment_encoder *se, int *n);
const uint8_t *vsr_segment_encoder_extradata(const vsr_segment_encoder *se, int *size);

/* After finish: a decoder for those packets (their codec, the parameter
 * sets), opened with threads threads (0: as many as the cores), to score an
 * encode kept in memory. *out is the caller's (avcodec_free_context). */
int vsr_segment_encoder_open_decoder(const vsr_segment_encoder *se, int threads,
                                     AVCodecContext **out, vsr_error *err);

void vsr_segment_encoder_free(vsr_segment_encoder *se);

#endif
