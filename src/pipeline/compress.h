/* The compression track (DESIGN.md §5, issue 16): the encoding of a clip
 * with the fewest bytes whose VMAF v0.6.1 (pooled mean) against the clip
 * itself is at least target + margin and whose NEG delta (VMAF - VMAF
 * NEG) is at most 3, which is what the Vidaio validators score; or, in
 * VBR mode, the clip at an average bitrate with the best quality the
 * encoder gives there.
 *
 * The search:
 *  1. samples: the clip is decoded once for its frame count and scene
 *     cuts (pipeline/scenes.h), then K runs of about a second spread over
 *     its scenes (the whole clip when it is short) are decoded again and
 *     kept in memory, each weighted by the frames it stands for;
 *  2. preset: the slowest of the codec's ladder whose projected work fits
 *     the deadline (from one timed encode of a few frames);
 *  3. CRF: each trial encodes every sample in memory at one CRF, all
 *     samples at once, decodes them back and scores them
 *     (quality/quality.h); the weighted sample VMAF is bracketed between
 *     the highest passing and the lowest failing CRF and the next CRF
 *     interpolated between them, until they are adjacent;
 *  4. the whole clip is encoded at the chosen CRF (segment-parallel on a
 *     machine with cores to spare), measured against the input as the
 *     validators do (pipeline/clip_quality.h) and repaired: the samples'
 *     curves shifted to the clip pick a lower CRF after a miss, or one
 *     higher after a pass they say has room;
 *  5. with VSR_COMPRESS_MAX_SCORE, trials at lower CRFs say where the
 *     samples' predicted score (vsr_compress_vidaio_score: the clip's
 *     bytes and VMAF scaled by the samples' change) peaks; the clip is
 *     encoded and measured there, and the candidate that scores higher
 *     measured is kept;
 *  6. the smallest passing candidate (or the best scoring) is renamed to
 *     the output; the others
 *     are removed. Nothing below the target is ever written at the output
 *     path: no passing candidate, an output not under 0.8x the input's
 *     bytes (the validators' ceiling), or a deadline that would pass, is
 *     an error with the numbers.
 * VBR mode skips 3 and 4: two passes (x265, x264, libvpx-vp9; each
 * segment its own statistics) or one (SVT-AV1) at the bitrate, again
 * lower while the file's average is over VSR_COMPRESS_VBR_ACCEPT x it.
 *
 * Untouched: resolution (unless width and height are given: swscale
 * Lanczos, and VMAF against the input scaled so), frame count, timestamps
 * and frame rate, colour tags (copied as they are, unspecified ones
 * included); yuv420p out, MP4 with +faststart, audio and subtitles
 * copied. */
#ifndef VSR_PIPELINE_COMPRESS_H
#define VSR_PIPELINE_COMPRESS_H

#include <signal.h>
#include <stdint.h>

#include "util/error.h"
#include "util/log.h"

#define VSR_COMPRESS_MAX_TRIALS 24
#define VSR_COMPRESS_MAX_ENCODES 8
#define VSR_COMPRESS_MAX_SAMPLES 5
#define VSR_COMPRESS_MAX_CUTS 64

typedef enum vsr_compress_mode {
    VSR_COMPRESS_CRF = 0, /* the fewest bytes that meet the VMAF target */
    VSR_COMPRESS_VBR,     /* the best quality at an average bitrate */
} vsr_compress_mode;

/* What CRF mode optimises among the encodings that pass. */
typedef enum vsr_compress_objective {
    VSR_COMPRESS_MIN_BYTES = 0, /* the fewest bytes (issue 16) */
    /* the highest score by validator-vidaio's formula
     * (vsr_compress_vidaio_score): lower CRFs than the fewest bytes' while
     * the VMAF they add is worth more than the bytes they cost */
    VSR_COMPRESS_MAX_SCORE,
} vsr_compress_objective;

/* VBR: the validators accept an average bitrate up to 1.1x the target;
 * an output above VSR_COMPRESS_VBR_ACCEPT x is encoded again, lower. */
#define VSR_COMPRESS_VBR_ACCEPT 1.05

typedef struct vsr_compress_options {
    const char *input;
    const char *output;
    const char *codec; /* "hevc" (default), "av1", "h264" or "vp9" */
    vsr_compress_mode mode;
    vsr_compress_objective objective; /* CRF mode */
    int64_t bitrate;                  /* VBR: bits/s of the video (container included) */
    double vmaf_target;               /* T, 0..100; VBR: < 0 = no VMAF requirement */
    double margin;                    /* required above T, by the measurement of the whole output */
    double max_neg_delta;             /* VMAF - VMAF NEG at most this (the validators' 3) */
    double size_ratio;       /* output bytes must be < this x the input's (the validators' 0.8) */
    double deadline_s;       /* wall time for the whole search; 0 = none */
    int threads;             /* cores to use (encoders and scoring); 0 = every core */
    const char *operator_id; /* NULL: no mark (see vsr_compress_operator_comment) */
    const char *preset;      /* NULL: chosen by the deadline */
    int width, height;       /* output size (--size; even); 0 = the input's */
    /* encoder-specific settings over the search's (media/encoder.h
     * params); NULL = the search's own */
    const char *encoder_params;
    int samples;                   /* 0 = auto */
    int encoders;                  /* whole-clip segment encoders; 0 = auto (from the cores) */
    volatile sig_atomic_t *cancel; /* nonzero: stop (Ctrl-C); may be NULL */
    /* Progress lines for -v, at VSR_LOG_VERBOSE (component "compress");
     * NULL: none. */
    const vsr_log *log;
} vsr_compress_options;

void vsr_compress_options_default(vsr_compress_options *opt);

typedef struct vsr_compress_trial {
    int crf;
    double vmaf, vmaf_neg; /* pooled means over the sample frames */
    int64_t bytes;         /* of the samples' packets */
    double seconds;        /* encode + decode + score */
} vsr_compress_trial;

typedef struct vsr_compress_encode {
    int crf;               /* CRF mode */
    int64_t aim;           /* VBR: the bitrate asked of the encoder */
    int64_t bitrate;       /* the output's average: (bytes - copied streams) x 8 / duration */
    double vmaf, vmaf_neg; /* of the whole output against the input */
    int64_t bytes;         /* file size */
    int passed;
    double encode_s, measure_s;
} vsr_compress_encode;

typedef struct vsr_compress_sample {
    int64_t first;
    int frames;
    double weight; /* clip frames it stands for */
} vsr_compress_sample;

typedef struct vsr_compress_result {
    char encoder[32];
    char preset[32];
    char rate_control[16]; /* "crf", "2-pass", "1-pass" */
    char params[1024];     /* encoder settings given (the search's, then the user's) */
    int crf;               /* CRF mode */
    int64_t bitrate;       /* the output's average bits/s (as vsr_compress_encode) */
    double duration_s;
    int gop_size;
    int width, height;
    int64_t frames;
    int64_t input_bytes, bytes;
    double vmaf, vmaf_neg;
    double score; /* vsr_compress_vidaio_score of the output */
    double seconds;
    int samples, sample_frames; /* samples taken, frames in all of them */
    vsr_compress_sample sample[VSR_COMPRESS_MAX_SAMPLES];
    int n_cuts; /* scene cuts found; the first VSR_COMPRESS_MAX_CUTS in cuts */
    int64_t cuts[VSR_COMPRESS_MAX_CUTS];
    int encoders; /* segment encoders of the whole-clip encode (1: one) */
    int n_trials, n_encodes;
    vsr_compress_trial trials[VSR_COMPRESS_MAX_TRIALS];
    vsr_compress_encode encodes[VSR_COMPRESS_MAX_ENCODES];
} vsr_compress_result;

/* validator-vidaio's compression score (vidaio/scoring/compression.py,
 * DESIGN.md §5) of an output of bytes_ratio x the input's bytes scoring
 * vmaf: (0.7 (1 - bytes_ratio) + 0.3 vmaf / 100) / 1.12. The gates (VMAF
 * threshold, NEG delta, size under 0.8x) are not in it. */
double vsr_compress_vidaio_score(double bytes_ratio, double vmaf);

/* Runs the search and writes the output. On failure nothing is left at
 * the output path; result (may be NULL) still holds what was tried. */
int vsr_compress_run(const vsr_compress_options *opt, vsr_compress_result *result, vsr_error *err);

/* The MP4 comment that marks an operator's output: "vsr:" and the
 * FNV-1a hash of id in hex, padded with '.' to a length of 24 + (hash mod
 * 1000) bytes, so two operators' files differ in bytes and, except for 1
 * pair in 1000, in size; the coded pictures are untouched. buf needs
 * VSR_COMPRESS_COMMENT_MAX bytes. */
#define VSR_COMPRESS_COMMENT_MAX 1100
void vsr_compress_operator_comment(const char *id, char *buf);

#endif
