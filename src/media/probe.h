/* The facts about a video file the validator's gates look at, read the way
 * ffprobe reports them. */
#ifndef VSR_MEDIA_PROBE_H
#define VSR_MEDIA_PROBE_H

#include <stdint.h>

#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>

#include "util/error.h"

typedef struct vsr_probe {
    char format_name[64]; /* demuxer, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    char major_brand[16]; /* MP4/MOV brand ("isom"); empty for other containers */
    int faststart;        /* the index (moov) comes before the media data */
    int64_t file_size;
    double duration_s;
    int width, height;
    char codec[32]; /* "hevc", "av1", "h264", ... */
    int profile;    /* FF_PROFILE_* of the codec */
    char profile_name[32];
    enum AVPixelFormat pix_fmt;
    AVRational sar; /* 0/1 when not set */
    AVRational avg_frame_rate;
    int64_t frames;          /* video packets: one per frame in MP4 */
    int64_t frames_declared; /* the container's count; -1 if none */
    enum AVColorSpace matrix;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
} vsr_probe;

/* Reads path's first video stream and counts its packets. */
int vsr_probe_file(const char *path, vsr_probe *p, vsr_error *err);

#endif
