/* The parts of vsr compress's search (compress.h) and the state they
 * share: compress.c runs the search (preset, CRF or VBR, the candidates),
 * compress_samples.c reads the clip and keeps its samples in memory,
 * compress_trial.c encodes and scores the samples at one CRF, and
 * compress_encode.c encodes the whole clip. Internal to the pipeline. */
#ifndef VSR_PIPELINE_COMPRESS_INTERNAL_H
#define VSR_PIPELINE_COMPRESS_INTERNAL_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>

#include "media/decoder.h"
#include "media/encoder.h"
#include "pipeline/compress.h"
#include "util/error.h"

#define MAX_SAMPLES VSR_COMPRESS_MAX_SAMPLES
/* Sample frames kept in memory at most (4K: 1 GiB is ~85 frames). */
#define SAMPLE_MEMORY_BUDGET ((size_t)1 << 30)
/* Frames of the calibration encode that times the presets. */
#define CALIBRATION_FRAMES 8

/* A codec's presets from slowest to fastest, with their speed relative to
 * the first: rough figures (x265/x264 documentation, SVT-AV1's preset
 * table) used only to pick a rung from one timed encode; the deadline
 * itself is enforced by the times measured as the search goes. The
 * ladders stop at x265/x264 slow and SVT-AV1 preset 6: slower presets save
 * a few percent more bytes at two to four times the time, which the
 * validators' deadlines (180-300 s for 5-10 s clips) rarely leave. */
typedef struct codec_ladder {
    const char *codec, *encoder;
    int crf_min, crf_max, crf_start, crf_step;
    int n;
    const char *presets[8];
    double speed[8];
    /* VBR mode's rate control (bench/results/2026-12-06-compress-modes.md):
     * two passes where FFmpeg's wrapper has them, else one-pass VBR */
    int two_pass;
    /* encoder settings that paid at the target, measured on the bench
     * clips (same file); NULL: the encoder's defaults */
    const char *params;
} codec_ladder;

typedef struct sample {
    int64_t first;
    int n;
    double weight; /* frames of the clip it stands for */
    AVFrame **frames;
} sample;

/* How one encode is rate-controlled. */
typedef struct rate {
    int crf;         /* CRF mode */
    int64_t bitrate; /* VBR: the average aimed at; 0 = CRF mode */
    int pass;        /* VBR two-pass: 1 or 2; 0 = one pass */
} rate;

typedef struct compress_ctx {
    const vsr_compress_options *opt;
    vsr_compress_result *res;
    double t0;
    int cores;
    const codec_ladder *lad;
    int rung; /* the preset in use: lad->presets[rung] */
    vsr_video_info info;
    int64_t frames;
    int64_t input_bytes;
    vsr_encoder_video video;
    int32_t display_matrix[9];
    sample samples[MAX_SAMPLES];
    int n_samples;
    int64_t sample_frames;
    int64_t cuts[VSR_COMPRESS_MAX_CUTS];
    int n_cuts;             /* in all; the first VSR_COMPRESS_MAX_CUTS are in cuts */
    struct SwsContext *sws; /* --size */
    char stats[4200];       /* two-pass statistics, "" = none */
    char params[1024];      /* the ladder's encoder settings, then the user's */
    int gop;
    char comment[VSR_COMPRESS_COMMENT_MAX];
    /* measured seconds per frame: encoding (one encoder, every core) and
     * scoring; from the calibration, then the trials */
    double enc_spf, score_spf;
    double trial_s; /* the last trial's wall time */
    int encoders;   /* whole-clip segment encoders */
    double goal;    /* target + margin */
    char cand[VSR_COMPRESS_MAX_ENCODES][4200];
    int n_cand;
} compress_ctx;

/* Input timestamps kept; only what an encoder cannot take is repaired
 * (missing or non-increasing pts), as the upscale pipeline does. */
typedef struct pts_fix {
    int64_t last, last_dur, nominal;
} pts_fix;

/* ---- compress.c ---- */

/* A progress line (-v): the seconds since the start, then the text. */
void compress_say(compress_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds since the search started (the deadline counts from there). */
double compress_elapsed(const compress_ctx *c);

/* VSR_ERR_CANCELLED once the caller's cancel flag is set, else 0. */
int compress_cancelled(const compress_ctx *c, vsr_error *err);

/* The preset in use: the caller's, or the ladder's rung. */
const char *compress_preset(const compress_ctx *c);

/* The encoder's settings for one encode at r with threads threads. */
void compress_encoder_options(const compress_ctx *c, const rate *r, int threads,
                              vsr_encoder_options *e);

/* ---- compress_samples.c ---- */

void compress_pts_fix_init(pts_fix *f, const vsr_video_info *info);

/* Gives frame a usable pts (and duration), as pts_fix says. */

void compress_pts_fix_frame(pts_fix *f, AVFrame *frame);

/* Refuses frame i unless it is yuv420p (what vsr compress keeps). */
int compress_check_frame(const compress_ctx *c, const AVFrame *f, int64_t i, vsr_error *err);

/* Frees the sample frames compress_load kept. */
void compress_free_samples(compress_ctx *c);

/* The frame as the encoder gets it: the input's, or (--size) scaled by
 * swscale's Lanczos, the filter `vsr quality` scales the reference with
 * (pipeline/clip_quality.h), so the samples' reference pictures are the
 * ones the validators compare with. *out gets a new reference. */
int compress_to_output(const compress_ctx *c, struct SwsContext **sws, const AVFrame *in,
                       AVFrame **out, vsr_error *err);

/* Decodes the input twice: first every frame's format and scene score
 * (so the frame count, which a container may lack, and the cuts are known
 * before the samples are placed), then the sample frames, kept at the
 * output size. */
int compress_load(compress_ctx *c, vsr_error *err);

/* ---- compress_trial.c ---- */

/* Encodes every sample at crf in memory, all at once (limit > 0: only the
 * first limit frames of the first sample, with every core), decodes and
 * scores them, and pools their scores by the frames each stands for.
 * enc_s, score_s (may be NULL): the time the first sample took in each. */
int compress_trial(compress_ctx *c, int crf, int limit, vsr_compress_trial *t, double *enc_s,
                   double *score_s, vsr_error *err);

/* ---- compress_encode.c ---- */

/* "CRF 28", "5000000 bit/s (first pass)", ...: r for messages. */
void compress_describe(const rate *r, char *buf, size_t len);

/* The whole clip at rate r into path: one encoder with every core, or
 * segments in parallel where one encoder cannot use the cores (two-pass:
 * each segment its own statistics). */
int compress_encode_clip(compress_ctx *c, const rate *r, const char *path, vsr_error *err);

/* Two-pass VBR's first pass over the whole clip, whose statistics
 * (c->stats) the second pass, compress_encode_clip, reads. */
int compress_first_pass(compress_ctx *c, const rate *r, vsr_error *err);

#endif
