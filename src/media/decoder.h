/* Demux and decode the video stream of a file (libavformat + libavcodec).
 *
 * One decoder belongs to one thread (the pipeline's decode thread). Packets
 * of the other streams the output keeps (audio, subtitles) are handed to a
 * callback as they are read, so that they can be copied without decoding. */
#ifndef VSR_MEDIA_DECODER_H
#define VSR_MEDIA_DECODER_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "util/error.h"

typedef struct vsr_video_info {
    int width, height;
    enum AVPixelFormat pix_fmt; /* as the codec parameters say; frames may differ */
    int bit_depth;
    const char *codec_name;
    AVRational time_base;      /* of the video stream */
    AVRational frame_rate;     /* avg_frame_rate, else r_frame_rate, else 25 */
    AVRational avg_frame_rate; /* as stored; 0/0 if unknown */
    int64_t frames_expected;   /* from the container; -1 if unknown */
    int64_t frames_estimate;   /* frames_expected or duration x rate; -1 if unknown */
    double duration_s;         /* 0 if unknown */
    int64_t file_size;         /* bytes; -1 if unknown */
    enum AVColorSpace matrix;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    int stream_index;
    int has_display_matrix; /* rotation/flip for players (phone videos) */
    int32_t display_matrix[9];
    int hw_device;         /* the CUDA device NVDEC decodes on; -1: decoded on the CPU */
    int hw_shared_context; /* NVDEC shares the CUDA runtime's primary context */
    char hw_note[160];     /* why NVDEC is not used, when it was asked for; "" otherwise */
} vsr_video_info;

/* Receives one packet of a non-video stream; takes ownership of pkt's
 * reference (the callee must unref or move it). */
typedef int (*vsr_packet_fn)(void *opaque, AVPacket *pkt, vsr_error *err);

typedef enum vsr_nvdec_use {
    VSR_NVDEC_OFF,     /* decode on the CPU */
    VSR_NVDEC_PREFER,  /* NVDEC where it can decode the stream, else the CPU (why: hw_note) */
    VSR_NVDEC_REQUIRE, /* NVDEC or fail */
} vsr_nvdec_use;

typedef struct vsr_decoder_options {
    int64_t max_pixels;      /* refuse larger frames; 0 = no limit */
    int threads;             /* decoder threads; 0 = libavcodec's choice */
    vsr_packet_fn on_packet; /* may be NULL: other streams are dropped */
    void *opaque;
    /* Polled while blocked in I/O (a slow URL): nonzero aborts the read,
     * which then fails as cancelled. May be NULL. */
    int (*interrupted)(void *opaque);
    /* NVDEC (FFmpeg's cuda hwaccel) on CUDA device nvdec_device. Frames
     * come back in host memory (NV12/P010), so everything after the
     * decoder is the same; only the decoding leaves the CPU... */
    vsr_nvdec_use nvdec;
    int nvdec_device;
    /* With VSR_NVDEC_PREFER, frames of fewer pixels decode on the CPU (0:
     * any size goes to NVDEC): its session takes longer to give the first
     * frame than the CPU does, which small frames do not win back. */
    int64_t nvdec_min_pixels;
    /* ...unless keep_on_gpu: then 8-bit frames (NV12) stay in GPU memory,
     * as AV_PIX_FMT_CUDA frames, for a consumer that reads them there (the
     * cuda backend). Only when NVDEC shares the CUDA runtime's primary
     * context, where the consumer's pointers are valid. Each is copied on
     * the GPU into a frame of the decoder's own pool (FFmpeg's would hold
     * one of NVDEC's few surfaces while the consumer keeps it); that copy
     * is then pending on the legacy default stream (the device context
     * made here has no stream of its own). */
    int keep_on_gpu;
} vsr_decoder_options;

typedef struct vsr_decoder vsr_decoder;

/* Opens path and its best video stream; refuses files without one, codecs
 * we cannot decode and frames over the pixel limit, naming the file. */
int vsr_decoder_open(const char *path, const vsr_decoder_options *opt, vsr_decoder **dec,
                     vsr_error *err);
void vsr_decoder_close(vsr_decoder *dec);

const vsr_video_info *vsr_decoder_info(const vsr_decoder *dec);
AVFormatContext *vsr_decoder_format(vsr_decoder *dec);

/* Decodes the next frame into frame (unref'd first). Returns 1 with a
 * frame, 0 at the end of the stream (after flushing the decoder: no frame
 * is lost), or a negative vsr_status naming the file and frame number.
 * Corrupt data and a stream that ends before the frame count its
 * container declares are errors, not silent truncation. */
int vsr_decoder_next(vsr_decoder *dec, AVFrame *frame, vsr_error *err);

/* Frames returned so far, of them those NVDEC decoded, and of those the
 * ones returned in GPU memory (keep_on_gpu). */
int64_t vsr_decoder_frames(const vsr_decoder *dec);
int64_t vsr_decoder_hw_frames(const vsr_decoder *dec);
int64_t vsr_decoder_gpu_frames(const vsr_decoder *dec);

#endif
