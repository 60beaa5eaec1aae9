/* Encode the upscaled video and mux it, with the input's other streams
 * copied, into an MP4 file.
 *
 * The file is written under a temporary name in the output's directory and
 * renamed only by vsr_encoder_finish(), after the encoder has been flushed
 * and the trailer written: a failed or interrupted run never leaves a
 * plausible-looking output. One encoder belongs to one thread (the
 * pipeline's encode thread). */
#ifndef VSR_MEDIA_ENCODER_H
#define VSR_MEDIA_ENCODER_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "media/colour.h"
#include "media/encoder_profile.h"
#include "util/error.h"

typedef struct vsr_encoder_options {
    const char *codec; /* "hevc" (default), "av1", "h264" or "vp9" */
    const char
        *encoder; /* a libavcodec encoder name (libx265, hevc_nvenc, ...); NULL = codec's default */
    int crf;      /* constant quality; -1 = the profile's */
    const char *preset;          /* NULL = the profile's */
    vsr_encoder_profile profile; /* preset and CRF by encoder and output size */
    int threads;                 /* encoder threads; 0 = the encoder's choice */
    int64_t max_bitrate;         /* bits/s ceiling (VBV) that keeps the size gate; 0 = none */
    /* Segment-parallel encoding: video packets come from encoders the
     * caller runs (vsr_encoder_codec_open) through
     * vsr_encoder_write_video_packet; this encoder is opened only to give
     * the stream its parameter sets, then closed to free its memory. */
    int segmented;
    /* Frames between keyframes (keyint); 0 = the encoder's default. */
    int gop_size;
    /* An MP4 comment tag (udta/ilst) written into the file; NULL = none.
     * `--operator-id` puts its mark here: bytes that differ between
     * operators without touching a coded picture. */
    const char *comment;
    /* Average bits/s (bitrate mode, ABR/VBR) instead of constant quality;
     * 0 = constant quality (crf). */
    int64_t bitrate;
    /* Two-pass bitrate encoding: 1 gathers statistics into `stats`, 2
     * encodes with them; 0 = one pass. Supported for libx265, libx264 and
     * libvpx-vp9 (FFmpeg 5.1's libsvtav1 has no two-pass). */
    int pass;
    const char *stats;
    /* Encoder-specific settings, "key=value:key=value": x265-params,
     * x264-params, svtav1-params, or libvpx's own options; a key the
     * encoder does not take is an error. NULL = none. */
    const char *params;
} vsr_encoder_options;

/* The two-pass statistics file of encoder instance `index` (a segment;
 * 0 for a single encoder): "<stats>.<index>". */
void vsr_encoder_stats_path(const char *stats, int64_t index, char *buf, size_t len);

/* Removes the files two-pass encoding left for instances 0..count-1
 * (the encoders' own side files too: x265's .cutree, x264's .mbtree). */
void vsr_encoder_stats_remove(const char *stats, int64_t count);

/* Whether two-pass encoding works with this encoder (by name). */
int vsr_encoder_has_two_pass(const char *encoder);

/* After the last packet of a first pass: libvpx hands its statistics to
 * the caller (AVCodecContext.stats_out) instead of writing a file; they
 * are written to instance's file. Other encoders wrote theirs: nothing
 * to do. */
int vsr_encoder_codec_save_stats(AVCodecContext *codec, const vsr_encoder_options *opt,
                                 int64_t instance, vsr_error *err);

void vsr_encoder_options_default(vsr_encoder_options *opt);

typedef struct vsr_encoder_video {
    int width, height;         /* output size */
    AVRational time_base;      /* of the frames' pts (the input stream's) */
    AVRational frame_rate;     /* nominal rate for the encoder's rate control */
    AVRational avg_frame_rate; /* written to the output stream; 0/0 = frame_rate */
    vsr_colour colour;
    const int32_t *display_matrix; /* the input's rotation, carried over; NULL = none */
} vsr_encoder_video;

typedef struct vsr_encoder vsr_encoder;

/* Opens the temporary output file, the encoder and the muxer; streams of
 * copy_from (may be NULL) that are audio or subtitles and that MP4 can
 * hold are added for copying. Fails early (before any decoding) on an
 * unwritable directory or an encoder this build or machine lacks. */
int vsr_encoder_open(const char *path, const vsr_encoder_options *opt, const vsr_encoder_video *v,
                     AVFormatContext *copy_from, vsr_encoder **enc, vsr_error *err);

/* Opens a video encoder (no muxer) configured exactly as vsr_encoder_open
 * configures its own: the same options and frames give the same parameter
 * sets, which segment-parallel encoding relies on. global_header: parameter
 * sets in extradata, not in the stream (what MP4 wants). instance: the
 * segment's index (two-pass statistics are per instance); 0 for one
 * encoder. */
int vsr_encoder_codec_open(const vsr_encoder_options *opt, const vsr_encoder_video *v,
                           int global_header, int64_t instance, AVCodecContext **codec,
                           vsr_error *err);

/* Frees an encoder that was given no frame (flushing it first: some
 * encoders cannot close otherwise). */
void vsr_encoder_codec_close_unused(AVCodecContext **codec);

/* The encoder in use (e.g. "libx265"), its preset and CRF after the
 * profile was applied (NULL / -1 where the encoder has none). */
const char *vsr_encoder_name(const vsr_encoder *enc);
const char *vsr_encoder_preset(const vsr_encoder *enc);
int vsr_encoder_crf(const vsr_encoder *enc);

/* The output video stream's parameter sets (the codec's extradata). */
const uint8_t *vsr_encoder_extradata(const vsr_encoder *enc, int *size);

/* Segmented mode: muxes one encoded video packet, timestamps in the video
 * time base given to vsr_encoder_open. Takes pkt's ref. */
int vsr_encoder_write_video_packet(vsr_encoder *enc, AVPacket *pkt, vsr_error *err);

/* Seconds spent in the muxer (writing packets, the trailer, faststart's
 * move of the index), apart from encoding. */
double vsr_encoder_mux_seconds(const vsr_encoder *enc);

/* Copies one packet of an input stream (its stream_index and time base as
 * demuxed); packets of streams not kept are dropped. Takes pkt's ref. */
int vsr_encoder_copy_packet(vsr_encoder *enc, AVPacket *pkt, vsr_error *err);

/* Encodes one frame (pts in the video time base) and muxes what comes out. */
int vsr_encoder_send(vsr_encoder *enc, AVFrame *frame, int64_t frame_no, vsr_error *err);

/* Flushes the encoder, writes the trailer (moving the index to the front),
 * checks that every frame sent came out and renames the file into place.
 * Segmented: no encoder to flush; the caller checks the packet count. */
int vsr_encoder_finish(vsr_encoder *enc, vsr_error *err);

/* Closes; removes the temporary file unless finish succeeded. */
void vsr_encoder_destroy(vsr_encoder *enc);

int64_t vsr_encoder_bytes_written(const vsr_encoder *enc);

#endif
