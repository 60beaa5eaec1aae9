/* The video pipeline (DESIGN.md §2):
 *
 *   decode thread -> queue(s) -> N workers -> reorder window -> encode thread
 *
 * The decode thread demuxes and decodes; each worker owns its upscaler
 * context and its colour converters, and turns a decoded frame into an
 * encoder-ready YUV frame (YUV->RGB, upscale, RGB->YUV); the encode thread
 * takes finished frames in order, encodes and muxes them with the copied
 * streams. At most max_in_flight frames exist between decode and encode, so
 * memory is bounded by the queue depths whatever the clip's length. The
 * calling thread only watches: progress, cancellation, and the join. */
#ifndef VSR_PIPELINE_PIPELINE_H
#define VSR_PIPELINE_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "media/colour.h"
#include "media/encoder.h"
#include "pipeline/detail_probe.h"
#include "pipeline/schedule.h"
#include "pipeline/upscaler.h"
#include "util/error.h"

typedef struct vsr_progress {
    int64_t decoded, processed, encoded;
    int64_t total; /* known total (after the input ended) or the estimate; -1 unknown */
    int total_is_estimate;
    double elapsed_s;
    double fps;                               /* frames encoded per second of wall time */
    double eta_s;                             /* -1 when unknown */
    double decode_fps, infer_fps, encode_fps; /* each stage's own rate while busy */
    double colour_fps, mux_fps;
    int64_t bytes_out;
    int done; /* the last report of a run */
} vsr_progress;

typedef void (*vsr_progress_fn)(void *opaque, const vsr_progress *p);

/* Where the output frame becomes YUV. */
typedef enum vsr_colour_path {
    VSR_COLOUR_AUTO,    /* the upscaler's own YUV output where it converts on a GPU, else swscale */
    VSR_COLOUR_SWSCALE, /* RGB24 from the upscaler, converted by swscale on the worker */
    VSR_COLOUR_ENGINE,  /* YUV 4:2:0 from the upscaler (vsr_engine_upscale_yuv420) */
} vsr_colour_path;

/* Where the input is decoded. */
typedef enum vsr_decode_path {
    VSR_DECODE_AUTO, /* NVDEC when the upscaler runs on CUDA and NVDEC takes the stream, else CPU */
    VSR_DECODE_CPU,  /* libavcodec on the CPU */
    VSR_DECODE_NVDEC, /* NVDEC (on the upscaler's GPU, else GPU 0) or fail */
} vsr_decode_path;

typedef struct vsr_pipeline_config {
    const char *input;
    const char *output;
    const vsr_upscaler *upscaler;
    int workers;
    vsr_schedule_kind schedule;
    int64_t chunk_frames; /* chunked: 0 = the seed's one range per worker */
    int max_in_flight;    /* 0 = the schedule's default */
    int64_t max_pixels;   /* input frame limit; 0 = none */
    /* The output picture size (issue 18): 0 x 0 = the input's times
     * out_scale; otherwise out_width x out_height (vsr_output_size_check:
     * even, at most 8192 a side and 33,554,432 pixels). The model runs at
     * its own scale; where that gives another size, its output is
     * resampled (Lanczos-3) to this one: on the GPU by the engine when it
     * converts colour there, else by swscale on the worker. */
    int out_width, out_height;
    int out_scale; /* 0 = the upscaler's scale (no resampling) */
    /* Detail strength in [0, 1]: 1 = the model's output as it is, 0 = the
     * input resampled (Lanczos) to the output size (the model not run),
     * between: detail x model + (1 - detail) x input (the NEG gate
     * discounts the GAN's sharpening, issue 18). */
    float detail;
    /* The filter that brings the input to the output size for the blend
     * (below detail 1; at 0 it is the output): Lanczos-3 by default; a
     * softer one (Mitchell, bilinear) rings less at edges, which VMAF NEG
     * discounts (issue 18, the soft floor study). */
    vsr_resample_filter input_filter;
    /* 1: `--detail auto`: detail is chosen for this clip before the run by
     * measuring a sample of it (detail_probe.h), with these options (their
     * input, upscaler, size and cancel are the run's); detail is then
     * ignored. */
    int detail_auto;
    vsr_detail_probe_options detail_probe;
    int decoder_threads; /* 0 = libavcodec's choice */
    vsr_encoder_options enc;
    /* Segment-parallel encoding (pipeline/segment_pool.h): 1 = one encoder,
     * N = N encoders, 0 = auto (default: cores, output size, memory; one
     * encoder on a machine of few cores). */
    int encode_segments;
    int64_t segment_frames; /* frames per segment; 0 = 2 s at the input's frame rate */
    /* The cores this run's encoders may use together (a server job's share
     * of the machine); 0 = every core. Sets the auto segment count and,
     * unless enc.threads is given, the threads of each encoder. */
    int encoder_cores;
    /* Optional: the cores this run's encoders may use at this moment (a
     * server job's share while other jobs start and end); with auto
     * segments, every segment's encoder takes the share of its moment, so
     * a job left alone gets the cores the others freed. Called from
     * encoder threads. NULL: encoder_cores throughout. */
    int (*encoder_cores_now)(void *opaque);
    void *encoder_cores_opaque;
    int size_gate; /* cap the bitrate so the output stays within the validator's size gate */
    vsr_colour_path colour_path;
    vsr_decode_path decode_path;
    const char *hash_path; /* write "frame sha256" of each pre-encode frame (RGB24 when
                              swscale converts the model's output at its own size and
                              detail 1, else YUV 4:2:0); NULL = no */
    const char *dump_dir;  /* write each decoded RGB frame as DIR/frame_NNNNNN.png; NULL = no */
    volatile sig_atomic_t *cancel; /* nonzero: stop (Ctrl-C); may be NULL */
    vsr_progress_fn on_progress;   /* called from the calling thread; may be NULL */
    void *progress_opaque;
    double progress_interval_s; /* 0 = 0.5 s */
} vsr_pipeline_config;

void vsr_pipeline_config_default(vsr_pipeline_config *cfg);

typedef struct vsr_pipeline_stats {
    int64_t frames;
    int in_w, in_h, out_w, out_h;
    int model_w, model_h; /* the model's output (0 at detail 0: not run) */
    float detail;
    vsr_resample_filter input_filter; /* the input's in the blend (at detail 0: the output) */
    int detail_auto;                  /* the detail was chosen by the probe: */
    vsr_detail_probe_result probe;    /* what it measured */
    int resampled;                    /* 0: the model's output as it is; 1: resampled or blended by
                                         swscale on the workers; 2: by the upscaler (the engine) */
    int workers, queues, max_in_flight;
    int batch; /* frames a worker took at once (1: one at a time) */
    int64_t chunk;
    double wall_s;
    /* The timeline, seconds from the start (0: did not happen): set up
     * (decoder, encoders) and threads started; the workers' contexts ready
     * (earliest, latest); the first frame decoded and upscaled; the segment
     * encoders' first frames and ends (earliest, latest); the output file
     * complete (index written, renamed). */
    double threads_at_s, first_decoded_at_s, first_upscaled_at_s;
    double workers_ready_at_s[2];
    double encoders_started_at_s[2], encoders_done_at_s[2];
    double output_done_at_s;
    double decode_s;          /* decode thread busy (demux + decode) */
    double convert_s;         /* colour conversion, summed over workers */
    double infer_s;           /* upscaling, summed over workers */
    double encode_s;          /* encoding: the encode thread, or summed over segment encoders */
    double mux_s;             /* muxing (video, copied streams, the index) */
    int encoders;             /* encoder threads: 1, or the segment encoders */
    int encoders_peak;        /* the most of them that encoded at once */
    int encoder_threads;      /* threads of each (at the start); 0 = the encoder's choice */
    int64_t lead_frames;      /* the first round's segment length; 0: segment_frames */
    int64_t segment_frames;   /* segment mode: frames per segment */
    int64_t segments;         /* segment mode: segments joined */
    int64_t dts_rewritten;    /* segment mode: DTS values repaired at joins */
    size_t frame_bytes_bound; /* frame memory the queue depths allow */
    long peak_rss_kib;
    int64_t max_bitrate;
    char encoder[32];
    char preset[32];          /* as applied ("" = none) */
    int crf;                  /* as applied (-1 = none) */
    int colour_on_upscaler;   /* the output's YUV came from the upscaler (not swscale) */
    int64_t yuv_in_frames;    /* frames whose decoded YUV the upscaler converted itself */
    int nvdec_device;         /* the CUDA device NVDEC decoded on; -1: the CPU */
    int nvdec_shared_context; /* in the CUDA runtime's primary context (else its own) */
    int64_t nvdec_frames;     /* frames NVDEC decoded */
    int64_t nvdec_gpu_frames; /* of them, read by the upscaler in GPU memory (not copied) */
    char nvdec_note[160];     /* why NVDEC was not used under VSR_DECODE_AUTO; "" if it was */
    char in_pix_fmt[32];
    vsr_colour in_colour, out_colour;
    int64_t bytes_out;
} vsr_pipeline_stats;

/* Runs the pipeline to the end. On success the output exists under its
 * name; on failure or cancellation (VSR_ERR_CANCELLED) nothing is left at
 * the output path. stats may be NULL. */
int vsr_pipeline_run(const vsr_pipeline_config *cfg, vsr_pipeline_stats *stats, vsr_error *err);

/* The stages of a finished run with their busy time and throughput (frames
 * per second of one stage's capacity: frames x parallel instances / summed
 * busy time), for reports; returns how many (at most VSR_MAX_STAGES) and
 * sets *slowest to the index of the slowest, or -1. */
#define VSR_MAX_STAGES 5
typedef struct vsr_stage_time {
    const char *name; /* demux+decode, colour, upscale, encode, mux */
    double busy_s;
    double fps;
} vsr_stage_time;
int vsr_pipeline_stages(const vsr_pipeline_stats *st, vsr_stage_time *stages, int *slowest);

#endif
