/* The quality study's encoder (bench/quality/run_study.sh): what `vsr
 * upscale --size WxH --detail D --profile P` makes, from the network's
 * frames written losslessly once, for many details and profiles at the
 * cost of one inference.
 *
 *   detail_encode INPUT MODEL_OUT|- WxH OUT_PREFIX DETAILS PROFILES [JOBS]
 *
 * INPUT is the clip that was upscaled; MODEL_OUT the network's output of it
 * (vsr upscale --codec h264 --crf 0: the yuv420p frames the encoder would
 * have had), or '-' for none (then only detail 0, the Lanczos floor). Both
 * are scaled to W x H with Lanczos where their size differs (an x4 model
 * serving an x2 task), then blended per sample: out = D x model + (1 - D) x
 * input; D = 1 is the model's output, D = 0 the input Lanczos-scaled. The
 * blend is done on the YUV samples, which equals a blend of RGB pictures (the
 * conversion is affine) once both sides are in the same matrix: clips whose
 * matrices differ are refused rather than blended into a colour shift.
 *
 * DETAILS (e.g. 1,0.75,0.5) and PROFILES (e.g. balanced,quality) are comma
 * lists; every pair is encoded with vsr's own encoder (media/encoder.h:
 * HEVC, the profile's preset and CRF for W x H, the bitrate cap vsr upscale
 * sets from the input's size, one encoder per file as --encode-segments 1),
 * JOBS at a time (default 1), into OUT_PREFIX-d<D>-<profile>.mp4. One line
 * per file on stdout:
 *   out FILE detail D profile P encoder E preset X crf N bytes B frames F encode_s S
 * Every frame is held in memory (two W x H yuv420p pictures a frame). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>
#include <libswscale/swscale.h>

#include "media/colour.h"
#include "media/decoder.h"
#include "media/encoder.h"
#include "media/gates.h"
#include "util/clock.h"

#define MAX_COMBOS 64

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "detail_encode: %s: %s\n", what, msg);
    exit(1);
}

typedef struct clip {
    AVFrame **frames;
    int n;
    vsr_video_info info; /* a copy: the decoder is closed once read */
} clip;

/* f scaled to w x h with Lanczos (a new frame), or f itself at its size. */
static AVFrame *to_size(AVFrame *f, int w, int h, const char *path)
{
    if (f->width == w && f->height == h)
        return f;
    AVFrame *out = av_frame_alloc();
    struct SwsContext *sws =
        sws_getContext(f->width, f->height, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_YUV420P,
                       SWS_LANCZOS | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!out || !sws)
        die(path, "out of memory for the scaler");
    out->format = AV_PIX_FMT_YUV420P;
    out->width = w;
    out->height = h;
    if (av_frame_get_buffer(out, 0) < 0 || av_frame_copy_props(out, f) < 0 ||
        sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, out->data,
                  out->linesize) != h)
        die(path, "cannot scale a frame");
    sws_freeContext(sws);
    av_frame_free(&f);
    return out;
}

/* Every frame of path, as yuv420p pictures scaled to w x h. */
static void read_clip(const char *path, int w, int h, clip *c)
{
    vsr_error err = {0};
    vsr_decoder *dec;
    vsr_decoder_options dopt = {0};
    if (vsr_decoder_open(path, &dopt, &dec, &err) < 0)
        die("decoder", err.msg);
    c->info = *vsr_decoder_info(dec);
    int cap = 64;
    c->n = 0;
    c->frames = malloc(sizeof *c->frames * (size_t)cap);
    for (;;) {
        AVFrame *f = av_frame_alloc();
        if (!c->frames || !f)
            die(path, "out of memory");
        int r = vsr_decoder_next(dec, f, &err);
        if (r < 0)
            die("decode", err.msg);
        if (r == 0) {
            av_frame_free(&f);
            break;
        }
        if (f->format != AV_PIX_FMT_YUV420P)
            die(path, "not 8-bit yuv420p");
        f->pts = f->best_effort_timestamp;
        if (c->n == cap) {
            cap *= 2;
            c->frames = realloc(c->frames, sizeof *c->frames * (size_t)cap);
            if (!c->frames)
                die(path, "out of memory");
        }
        c->frames[c->n++] = to_size(f, w, h, path);
    }
    vsr_decoder_close(dec);
    if (c->n == 0)
        die(path, "no frames");
}

typedef struct combo {
    double detail;
    vsr_encoder_profile profile;
    char path[4096];
    /* results */
    char encoder[32], preset[32]; /* copies: the encoder's own go with it */
    int crf;
    int64_t bytes;
    double seconds;
} combo;

typedef struct study {
    const clip *input, *model; /* model NULL: detail 0 only */
    vsr_encoder_video video;
    int64_t max_bitrate;
    combo combos[MAX_COMBOS];
    int n_combos, next;
    pthread_mutex_t lock;
} study;

/* dst = (w x a + (256 - w) x b + 128) / 256 on every sample. */
static void blend(AVFrame *dst, const AVFrame *a, const AVFrame *b, int w)
{
    for (int p = 0; p < 3; p++) {
        int pw = p ? (dst->width + 1) / 2 : dst->width;
        int ph = p ? (dst->height + 1) / 2 : dst->height;
        for (int y = 0; y < ph; y++) {
            const uint8_t *ra = a->data[p] + (ptrdiff_t)y * a->linesize[p];
            const uint8_t *rb = b->data[p] + (ptrdiff_t)y * b->linesize[p];
            uint8_t *rd = dst->data[p] + (ptrdiff_t)y * dst->linesize[p];
            for (int x = 0; x < pw; x++)
                rd[x] = (uint8_t)((w * ra[x] + (256 - w) * rb[x] + 128) >> 8);
        }
    }
}

static void encode_combo(study *s, combo *c)
{
    vsr_error err = {0};
    vsr_encoder_options opt;
    vsr_encoder_options_default(&opt);
    opt.profile = c->profile;
    opt.max_bitrate = s->max_bitrate;
    vsr_encoder *enc;
    double t0 = vsr_now_s();
    if (vsr_encoder_open(c->path, &opt, &s->video, NULL, &enc, &err) < 0)
        die("encoder", err.msg);
    int w = (int)lround(c->detail * 256.0);
    AVFrame *out = av_frame_alloc();
    if (!out)
        die(c->path, "out of memory");
    for (int i = 0; i < s->input->n; i++) {
        const AVFrame *b = s->input->frames[i];
        av_frame_unref(out);
        out->format = AV_PIX_FMT_YUV420P;
        out->width = b->width;
        out->height = b->height;
        if (av_frame_get_buffer(out, 0) < 0)
            die(c->path, "out of memory");
        if (w == 0)
            av_frame_copy(out, b);
        else
            blend(out, s->model->frames[i], b, w);
        out->pts = b->pts;
        out->pict_type = AV_PICTURE_TYPE_NONE;
        if (vsr_encoder_send(enc, out, i, &err) < 0)
            die("encode", err.msg);
    }
    av_frame_free(&out);
    if (vsr_encoder_finish(enc, &err) < 0)
        die("finish", err.msg);
    c->seconds = vsr_now_s() - t0;
    const char *preset = vsr_encoder_preset(enc);
    snprintf(c->encoder, sizeof c->encoder, "%s", vsr_encoder_name(enc));
    snprintf(c->preset, sizeof c->preset, "%s", preset ? preset : "-");
    c->crf = vsr_encoder_crf(enc);
    c->bytes = vsr_encoder_bytes_written(enc);
    vsr_encoder_destroy(enc);
}

static void *worker(void *arg)
{
    study *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        int i = s->next < s->n_combos ? s->next++ : -1;
        pthread_mutex_unlock(&s->lock);
        if (i < 0)
            return NULL;
        encode_combo(s, &s->combos[i]);
    }
}

int main(int argc, char **argv)
{
    int out_w, out_h, jobs = 1;
    if ((argc != 7 && argc != 8) || sscanf(argv[3], "%dx%d", &out_w, &out_h) != 2 || out_w < 2 ||
        out_h < 2 || out_w % 2 || out_h % 2 || (argc == 8 && (jobs = atoi(argv[7])) < 1)) {
        fprintf(stderr, "usage: detail_encode INPUT MODEL_OUT|- WxH OUT_PREFIX DETAILS PROFILES "
                        "[JOBS]\n  (W and H even)\n");
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR); /* the muxer's faststart note is not a result */
    const char *in_path = argv[1], *model_path = argv[2];
    int has_model = strcmp(model_path, "-") != 0;

    static study s;
    char *list = argv[5];
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        char *end;
        double d = strtod(tok, &end);
        if (*end || !(d >= 0.0 && d <= 1.0))
            die("DETAILS", "each must be a number in [0, 1]");
        if (d > 0.0 && !has_model)
            die("DETAILS", "a detail above 0 needs MODEL_OUT");
        /* profiles are filled in below, one combo per pair */
        s.combos[s.n_combos++].detail = d;
        if (s.n_combos * 3 > MAX_COMBOS)
            die("DETAILS", "too many");
    }
    vsr_encoder_profile profiles[3];
    int n_profiles = 0;
    for (char *tok = strtok(argv[6], ","); tok; tok = strtok(NULL, ",")) {
        if (n_profiles == 3 || vsr_encoder_profile_parse(tok, &profiles[n_profiles]) < 0)
            die("PROFILES", "fast, balanced or quality, at most three");
        n_profiles++;
    }
    if (s.n_combos == 0 || n_profiles == 0)
        die("usage", "DETAILS and PROFILES may not be empty");
    int n_details = s.n_combos;
    double details[MAX_COMBOS];
    for (int i = 0; i < n_details; i++)
        details[i] = s.combos[i].detail;
    s.n_combos = 0;
    for (int i = 0; i < n_details; i++)
        for (int p = 0; p < n_profiles; p++) {
            combo *c = &s.combos[s.n_combos++];
            c->detail = details[i];
            c->profile = profiles[p];
            if (snprintf(c->path, sizeof c->path, "%s-d%.2f-%s.mp4", argv[4], c->detail,
                         vsr_encoder_profile_name(c->profile)) >= (int)sizeof c->path)
                die(argv[4], "path too long");
        }

    static clip input, model;
    read_clip(in_path, out_w, out_h, &input);
    const vsr_video_info *in = &input.info;
    vsr_colour in_colour =
        vsr_colour_for_input(in->matrix, in->range, in->primaries, in->trc, in->height);
    vsr_colour out_colour = vsr_colour_for_output(in->matrix, in->primaries, in->trc, out_h);
    /* vsr converts the input to RGB with in_colour's matrix and the output
     * back with out_colour's: a blend of YUV samples is that only when the
     * two are the same matrix and range. */
    if (in_colour.matrix != out_colour.matrix || in_colour.range != out_colour.range)
        die(in_path, "its colour matrix or range (as vsr reads it) differs from the output's: "
                     "tag the clip (e.g. -colorspace bt709) so that both are the same");
    if (has_model) {
        read_clip(model_path, out_w, out_h, &model);
        const vsr_video_info *m = &model.info;
        vsr_colour m_colour =
            vsr_colour_for_input(m->matrix, m->range, m->primaries, m->trc, m->height);
        if (m_colour.matrix != out_colour.matrix || m_colour.range != out_colour.range)
            die(model_path, "its colour matrix or range differs from the output's");
        if (model.n != input.n) {
            fprintf(stderr, "detail_encode: %s has %d frames, %s %d\n", model_path, model.n,
                    in_path, input.n);
            return 1;
        }
    }

    /* The bitrate cap vsr upscale sets (pipeline.c): half the size gate's
     * rate for the task's scale. */
    int scale = (int)lround((double)out_w / in->width);
    if (in->file_size > 0 && in->duration_s > 0)
        s.max_bitrate = (int64_t)(0.5 * vsr_size_gate_factor(scale) * (double)in->file_size * 8.0 /
                                  in->duration_s);
    s.video = (vsr_encoder_video){
        .width = out_w,
        .height = out_h,
        .time_base = in->time_base,
        .frame_rate = in->frame_rate,
        .avg_frame_rate = in->avg_frame_rate,
        .colour = out_colour,
    };
    s.input = &input;
    s.model = has_model ? &model : NULL;
    pthread_mutex_init(&s.lock, NULL);
    if (jobs > s.n_combos)
        jobs = s.n_combos;
    pthread_t threads[MAX_COMBOS];
    for (int j = 0; j < jobs; j++)
        if (pthread_create(&threads[j], NULL, worker, &s) != 0)
            die("threads", "cannot start an encoding thread");
    for (int j = 0; j < jobs; j++)
        pthread_join(threads[j], NULL);
    for (int i = 0; i < s.n_combos; i++) {
        const combo *c = &s.combos[i];
        printf("out %s detail %.2f profile %s encoder %s preset %s crf %d bytes %lld frames %d "
               "encode_s %.3f\n",
               c->path, c->detail, vsr_encoder_profile_name(c->profile), c->encoder, c->preset,
               c->crf, (long long)c->bytes, input.n, c->seconds);
    }
    for (int i = 0; i < input.n; i++)
        av_frame_free(&input.frames[i]);
    free(input.frames);
    for (int i = 0; i < model.n; i++)
        av_frame_free(&model.frames[i]);
    free(model.frames);
    return 0;
}
