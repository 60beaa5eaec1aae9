/* Colour handling between the codec's YUV and the engine's packed RGB.
 *
 * The decoder side picks the matrix and range from the stream's tags, with
 * the usual guess for untagged streams (BT.601 below 720 lines, BT.709
 * otherwise). The encoder side writes YUV 4:2:0 limited range with tags
 * that match the input where it was tagged, and BT.709 (HD and larger) or
 * BT.601 (SD) where it was not. Conversions go through swscale with the
 * coefficients set explicitly, never swscale's silent BT.601 default. */
#ifndef VSR_MEDIA_COLOUR_H
#define VSR_MEDIA_COLOUR_H

#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "frame/image.h"
#include "frame/resample.h"
#include "frame/yuv420.h"
#include "frame/yuv_to_rgb.h"
#include "util/error.h"

/* The colour description of one side of the conversion. */
typedef struct vsr_colour {
    enum AVColorSpace matrix;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
} vsr_colour;

/* The colour to decode with: the frame's tags, each unspecified one filled
 * by the guess for a frame of height h (BT.601 when h < 720, else BT.709;
 * limited range). */
vsr_colour vsr_colour_for_input(enum AVColorSpace matrix, enum AVColorRange range,
                                enum AVColorPrimaries primaries,
                                enum AVColorTransferCharacteristic trc, int height);

/* The colour to encode with for an output of height out_h, given the
 * input's tags (unspecified ones get the guess for out_h). Always limited
 * range: yuv420p output as the validator expects. */
vsr_colour vsr_colour_for_output(enum AVColorSpace matrix, enum AVColorPrimaries primaries,
                                 enum AVColorTransferCharacteristic trc, int out_h);

/* One direction of conversion for one frame size; one per worker, since a
 * swscale context is not thread-safe. */
typedef struct vsr_yuv_to_rgb vsr_yuv_to_rgb;
typedef struct vsr_rgb_to_yuv vsr_rgb_to_yuv;

/* YUV (any format the decoder gives, 8 to 16 bits) to RGB24. The context
 * adapts to the frame's format and tags; frame_no is for messages. */
int vsr_yuv_to_rgb_create(vsr_yuv_to_rgb **c, vsr_error *err);
int vsr_yuv_to_rgb_run(vsr_yuv_to_rgb *c, const AVFrame *in, vsr_image *out, long frame_no,
                       vsr_error *err);
void vsr_yuv_to_rgb_destroy(vsr_yuv_to_rgb *c);

/* RGB24 to yuv420p with the given colour; out is allocated here, from pool
 * (NULL: fresh buffers; the caller owns the AVFrame and unrefs it). */
int vsr_rgb_to_yuv_create(vsr_rgb_to_yuv **c, const vsr_colour *colour, AVBufferPool *pool,
                          vsr_error *err);
/* As vsr_rgb_to_yuv_create, with the output out_w x out_h (even; 0 x 0:
 * the input's) whatever the input's size: swscale converts and resamples
 * (Lanczos-3) in one call (issue 18: the model's output at its own scale
 * to the size asked, or the input for the detail blend). pool's frames
 * must be of that size. */
int vsr_rgb_to_yuv_create_scaled(vsr_rgb_to_yuv **c, const vsr_colour *colour, AVBufferPool *pool,
                                 int out_w, int out_h, vsr_error *err);
/* The filter of that resampling (default VSR_RESAMPLE_LANCZOS3): swscale's
 * of the same kernel (its bicubic with frame/resample.h's B and C). */
int vsr_rgb_to_yuv_set_filter(vsr_rgb_to_yuv *c, vsr_resample_filter f, vsr_error *err);
int vsr_rgb_to_yuv_run(vsr_rgb_to_yuv *c, const vsr_image *in, AVFrame *out, long frame_no,
                       vsr_error *err);
void vsr_rgb_to_yuv_destroy(vsr_rgb_to_yuv *c);

/* A pool of yuv420p frame buffers of w x h (64-byte aligned rows), for
 * frames made at the video's rate: a fresh multi-megabyte buffer per frame
 * pays its page faults every time. Thread-safe; av_buffer_pool_uninit it
 * when done (buffers still in frames return to it and are freed last). */
AVBufferPool *vsr_yuv_frame_pool(int w, int h);

/* Makes out a yuv420p frame of w x h carrying colour's tags, its buffer
 * from pool (one of vsr_yuv_frame_pool(w, h)), or a fresh one if pool is
 * NULL (the caller owns the AVFrame and unrefs it). */
int vsr_yuv_frame_alloc(AVBufferPool *pool, AVFrame *out, int w, int h, const vsr_colour *colour,
                        long frame_no, vsr_error *err);

/* A yuv420p frame's planes (f's, not copied) as the frame layer's I420. */
vsr_yuv420 vsr_yuv420_of_frame(const AVFrame *f);

/* The engine's fixed-point RGB to YUV coefficients for colour's matrix,
 * with swscale's fallback (BT.601) for a matrix it does not know. */
void vsr_colour_yuv_coeffs(const vsr_colour *colour, vsr_yuv_coeffs *k);

/* The engine's fixed-point YUV to RGB coefficients for colour's matrix
 * (the same fallback) and range: a GPU's conversion of decoded frames. */
void vsr_colour_rgb_coeffs(const vsr_colour *colour, vsr_rgb_coeffs *k);

/* Describes a decoded 8-bit 4:2:0 frame for the engine's own conversion
 * (vsr_engine_upscale_from_yuv): yuv420p and yuvj420p (full range,
 * whatever the tag says) or nv12 in host memory, or an NVDEC frame in GPU
 * memory (AV_PIX_FMT_CUDA holding NV12) on CUDA device gpu; with the
 * coefficients for its tags (vsr_colour_for_input). Returns 0 for any
 * other frame (10-bit, 4:2:2, ...): swscale converts those. */
int vsr_colour_yuv_in(const AVFrame *f, int gpu, vsr_yuv_in *in, vsr_rgb_coeffs *k);

/* The swscale SWS_CS_* constant for a matrix. */
int vsr_colour_sws_matrix(enum AVColorSpace matrix);

#endif
