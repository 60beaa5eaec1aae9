/* Pipeline benchmark (issue 3): each stage alone, then end to end, on one
 * clip, in one process so every number comes from the same machine state.
 *
 *   decode  demux + decode only (the decode thread's work)
 *   colour  YUV->RGB and RGB->YUV per frame (the workers' non-model work)
 *   infer   the model alone on frames held in memory, N threads:
 *           per-worker contexts (the design) and one shared context fed a
 *           frame at a time under a lock (the seed's server)
 *   encode  encode + mux only, frames prepared in memory
 *   e2e     vsr_pipeline_run: dynamic, chunked (small runs), chunked with
 *           one run per worker (the seed's fix), and the shared context
 *
 * efficiency = end-to-end time / time of the slowest stage alone, where a
 * stage's time alone is its per-frame cost x frames (decode and encode are
 * one thread each; infer and colour are spread over the workers).
 *
 * Built and run by bench/pipeline_bench.sh. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "engine/engine.h"
#include "media/colour.h"
#include "media/decoder.h"
#include "media/encoder.h"
#include "model/model_registry.h"
#include "pipeline/pipeline.h"
#include "util/clock.h"

static void die(const char *what, const vsr_error *err)
{
    fprintf(stderr, "pipeline_stages: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

typedef struct infer_job {
    vsr_engine *engine;
    vsr_shared_engine_ctx *shared; /* NULL: own context */
    vsr_image *in, *out;
    int n;
    int next; /* under lock */
    pthread_mutex_t lock;
} infer_job;

static void *infer_thread(void *arg)
{
    infer_job *j = arg;
    vsr_error err = {0};
    vsr_engine_ctx *ctx = NULL;
    if (!j->shared && vsr_engine_ctx_create(j->engine, &ctx, &err) < 0)
        die("context", &err);
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->n)
            break;
        int ret;
        if (j->shared) {
            pthread_mutex_lock(&j->shared->lock);
            ret = vsr_engine_upscale(j->shared->ctx, &j->in[i], &j->out[i], &err);
            pthread_mutex_unlock(&j->shared->lock);
        } else {
            ret = vsr_engine_upscale(ctx, &j->in[i], &j->out[i], &err);
        }
        if (ret < 0)
            die("upscale", &err);
    }
    vsr_engine_ctx_destroy(ctx);
    return NULL;
}

/* N threads over the frames; returns seconds. */
static double run_infer(vsr_engine *engine, vsr_shared_engine_ctx *shared, vsr_image *in,
                        vsr_image *out, int n, int workers)
{
    infer_job j = {engine, shared, in, out, n, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t t[256];
    double t0 = vsr_now_s();
    for (int w = 0; w < workers; w++)
        pthread_create(&t[w], NULL, infer_thread, &j);
    for (int w = 0; w < workers; w++)
        pthread_join(t[w], NULL);
    return vsr_now_s() - t0;
}

static vsr_engine *make_engine(const vsr_graph *g, const char *backend, int threads)
{
    vsr_engine_options eo;
    vsr_engine_options_default(&eo);
    eo.backend = backend;
    eo.config.threads = threads;
    vsr_engine *e;
    vsr_error err = {0};
    if (vsr_engine_create(g, &eo, &e, &err) < 0)
        die("engine", &err);
    return e;
}

static double run_e2e(const char *in, const char *out, const vsr_upscaler *u, int workers,
                      vsr_schedule_kind sched, int chunk, const vsr_encoder_options *eopt,
                      vsr_pipeline_stats *st)
{
    vsr_pipeline_config cfg;
    vsr_pipeline_config_default(&cfg);
    cfg.input = in;
    cfg.output = out;
    cfg.upscaler = u;
    cfg.workers = workers;
    cfg.schedule = sched;
    cfg.chunk_frames = chunk;
    cfg.enc = *eopt;
    vsr_error err = {0};
    double t0 = vsr_now_s();
    if (vsr_pipeline_run(&cfg, st, &err) < 0)
        die("pipeline", &err);
    return vsr_now_s() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr,
                "usage: pipeline_stages IN OUT_DIR SCALE BACKEND WORKERS [PRESET] [CORES]\n");
        return 2;
    }
    const char *in = argv[1], *dir = argv[2], *backend = argv[4];
    int scale = atoi(argv[3]), workers = atoi(argv[5]);
    const char *preset = argc > 6 ? argv[6] : "fast";
    int cores = argc > 7 ? atoi(argv[7]) : 0;
    if (cores <= 0)
        cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int per_worker_threads = cores / workers > 0 ? cores / workers : 1;
    av_log_set_level(AV_LOG_ERROR);
    vsr_error err = {0};

    /* decode alone; keep the frames as RGB for the next stages */
    vsr_decoder *dec;
    if (vsr_decoder_open(in, NULL, &dec, &err) < 0)
        die("open", &err);
    const vsr_video_info *info = vsr_decoder_info(dec);
    int w = info->width, h = info->height, cap = 4096, n = 0;
    vsr_image *rgb = calloc(cap, sizeof *rgb), *up = calloc(cap, sizeof *up);
    AVFrame **yuv_in = calloc(cap, sizeof *yuv_in);
    double t_dec = 0;
    for (;;) {
        AVFrame *f = av_frame_alloc();
        double t0 = vsr_now_s();
        int ret = vsr_decoder_next(dec, f, &err);
        t_dec += vsr_now_s() - t0;
        if (ret < 0)
            die("decode", &err);
        if (ret == 0 || n == cap) {
            av_frame_free(&f);
            break;
        }
        yuv_in[n++] = f;
    }
    vsr_video_info vinfo = *info;
    vsr_decoder_close(dec);

    vsr_yuv_to_rgb *to_rgb;
    vsr_colour oc = vsr_colour_for_output(vinfo.matrix, vinfo.primaries, vinfo.trc, h * scale);
    vsr_rgb_to_yuv *to_yuv;
    vsr_yuv_to_rgb_create(&to_rgb, &err);
    vsr_rgb_to_yuv_create(&to_yuv, &oc, NULL, &err);
    double t_y2r = 0;
    for (int i = 0; i < n; i++) {
        if (vsr_image_alloc(&rgb[i], w, h, VSR_PIX_RGB24, &err) < 0 ||
            vsr_image_alloc(&up[i], w * scale, h * scale, VSR_PIX_RGB24, &err) < 0)
            die("alloc", &err);
        double t0 = vsr_now_s();
        if (vsr_yuv_to_rgb_run(to_rgb, yuv_in[i], &rgb[i], i, &err) < 0)
            die("yuv->rgb", &err);
        t_y2r += vsr_now_s() - t0;
        av_frame_free(&yuv_in[i]);
    }

    /* infer alone: per-worker contexts, then the shared context */
    vsr_graph g;
    if (vsr_model_load(VSR_DEFAULT_MODEL, scale, NULL, &g, &err) < 0)
        die("model", &err);
    vsr_engine *e_pw = make_engine(&g, backend, per_worker_threads);
    run_infer(e_pw, NULL, rgb, up, workers < n ? workers : n, workers); /* warm-up */
    double t_inf = run_infer(e_pw, NULL, rgb, up, n, workers);
    /* The seed's server: one context, every core, fed frame by frame by N threads. */
    vsr_engine *e_sh = make_engine(&g, backend, cores);
    vsr_shared_engine_ctx sh;
    vsr_upscaler u_sh;
    if (vsr_upscaler_shared(&u_sh, e_sh, &sh, &err) < 0)
        die("shared", &err);
    run_infer(e_sh, &sh, rgb, up, 1, 1);
    double t_inf_sh = run_infer(e_sh, &sh, rgb, up, n, workers);
    /* ... and with the per-worker thread count, as a session configured for one of N workers */
    vsr_engine *e_sh1 = make_engine(&g, backend, per_worker_threads);
    vsr_shared_engine_ctx sh1;
    vsr_upscaler u_sh1;
    if (vsr_upscaler_shared(&u_sh1, e_sh1, &sh1, &err) < 0)
        die("shared", &err);
    run_infer(e_sh1, &sh1, rgb, up, 1, 1);
    double t_inf_sh1 = run_infer(e_sh1, &sh1, rgb, up, n, workers);

    /* colour back and encode alone */
    AVFrame **yuv_out = calloc(n, sizeof *yuv_out);
    double t_r2y = 0;
    for (int i = 0; i < n; i++) {
        yuv_out[i] = av_frame_alloc();
        double t0 = vsr_now_s();
        if (vsr_rgb_to_yuv_run(to_yuv, &up[i], yuv_out[i], i, &err) < 0)
            die("rgb->yuv", &err);
        t_r2y += vsr_now_s() - t0;
    }
    vsr_encoder_options eopt;
    vsr_encoder_options_default(&eopt);
    eopt.preset = preset;
    vsr_encoder_video v = {
        .width = w * scale,
        .height = h * scale,
        .time_base = vinfo.time_base,
        .frame_rate = vinfo.frame_rate,
        .avg_frame_rate = vinfo.avg_frame_rate,
        .colour = oc,
    };
    char out[4096];
    snprintf(out, sizeof out, "%s/encode_alone.mp4", dir);
    vsr_encoder *enc;
    double t0 = vsr_now_s();
    if (vsr_encoder_open(out, &eopt, &v, NULL, &enc, &err) < 0)
        die("encoder", &err);
    int64_t pts = 0, dur = av_rescale_q(1, av_inv_q(vinfo.frame_rate), vinfo.time_base);
    for (int i = 0; i < n; i++) {
        yuv_out[i]->pts = pts;
        pts += dur > 0 ? dur : 1;
        if (vsr_encoder_send(enc, yuv_out[i], i, &err) < 0)
            die("encode", &err);
    }
    if (vsr_encoder_finish(enc, &err) < 0)
        die("encode finish", &err);
    double t_enc = vsr_now_s() - t0;
    vsr_encoder_destroy(enc);

    /* end to end */
    vsr_upscaler u_pw;
    vsr_upscaler_per_worker(&u_pw, e_pw);
    vsr_pipeline_stats st;
    snprintf(out, sizeof out, "%s/e2e.mp4", dir);
    double e_dyn = run_e2e(in, out, &u_pw, workers, VSR_SCHEDULE_DYNAMIC, 0, &eopt, &st);
    double e_chk = run_e2e(in, out, &u_pw, workers, VSR_SCHEDULE_CHUNKED, VSR_DEFAULT_CHUNK_FRAMES,
                           &eopt, &st);
    double e_seed = run_e2e(in, out, &u_pw, workers, VSR_SCHEDULE_CHUNKED, 0, &eopt, &st);
    double e_shared = run_e2e(in, out, &u_sh, workers, VSR_SCHEDULE_DYNAMIC, 0, &eopt, &st);
    vsr_pipeline_stats st_dyn;
    run_e2e(in, out, &u_pw, workers, VSR_SCHEDULE_DYNAMIC, 0, &eopt, &st_dyn);

    /* Per-stage time for the whole clip as the pipeline spreads it:
     * decode and encode on one thread each, the rest over N workers. */
    double s_dec = t_dec, s_enc = t_enc, s_inf = t_inf + (t_y2r + t_r2y) / workers;
    double slowest = s_dec > s_enc ? s_dec : s_enc;
    const char *slowest_name = s_dec > s_enc ? "decode" : "encode";
    if (s_inf > slowest) {
        slowest = s_inf;
        slowest_name = "infer+colour";
    }
    printf("clip: %s, %dx%d -> %dx%d, %d frames; backend %s; %d workers x %d threads (%d cores); "
           "encoder %s preset %s\n",
           in, w, h, w * scale, h * scale, n, backend, workers, per_worker_threads, cores,
           st_dyn.encoder, preset);
    printf("| stage | seconds | fps |\n|---|---|---|\n");
    printf("| decode alone (1 thread) | %.3f | %.1f |\n", t_dec, n / t_dec);
    printf("| YUV->RGB + RGB->YUV (1 thread) | %.3f | %.1f |\n", t_y2r + t_r2y,
           n / (t_y2r + t_r2y));
    printf("| infer alone, %d per-worker contexts x %d threads | %.3f | %.2f |\n", workers,
           per_worker_threads, t_inf, n / t_inf);
    printf("| infer alone, 1 shared context x %d threads, %d feeders | %.3f | %.2f |\n", cores,
           workers, t_inf_sh, n / t_inf_sh);
    printf("| infer alone, 1 shared context x %d threads, %d feeders | %.3f | %.2f |\n",
           per_worker_threads, workers, t_inf_sh1, n / t_inf_sh1);
    printf("| encode alone (%s) | %.3f | %.1f |\n", st_dyn.encoder, t_enc, n / t_enc);
    printf("| end to end, dynamic | %.3f | %.2f |\n", e_dyn, n / e_dyn);
    printf("| end to end, chunked (runs of %d) | %.3f | %.2f |\n", VSR_DEFAULT_CHUNK_FRAMES, e_chk,
           n / e_chk);
    printf("| end to end, chunked (1 run per worker: the seed's fix) | %.3f | %.2f |\n", e_seed,
           n / e_seed);
    printf("| end to end, shared context (the seed's server) | %.3f | %.2f |\n", e_shared,
           n / e_shared);
    printf("\nslowest stage alone: %s, %.3f s; efficiency (dynamic) = %.3f (target <= 1.15)\n",
           slowest_name, slowest, e_dyn / slowest);
    printf("seed's claim, infer alone: shared context (all %d threads) / per-worker = %.2fx; "
           "shared context (%d threads) / per-worker = %.2fx\n",
           cores, t_inf_sh / t_inf, per_worker_threads, t_inf_sh1 / t_inf);
    printf("seed's claim, end to end: shared / per-worker dynamic = %.2fx\n", e_shared / e_dyn);
    printf("dynamic: %d frames in flight at most, frame buffers bounded by %.1f MiB\n",
           st_dyn.max_in_flight, st_dyn.frame_bytes_bound / 1048576.0);

    vsr_shared_engine_ctx_destroy(&sh);
    vsr_shared_engine_ctx_destroy(&sh1);
    vsr_engine_destroy(e_pw);
    vsr_engine_destroy(e_sh);
    vsr_engine_destroy(e_sh1);
    vsr_graph_free(&g);
    for (int i = 0; i < n; i++) {
        vsr_image_free(&rgb[i]);
        vsr_image_free(&up[i]);
        av_frame_free(&yuv_out[i]);
    }
    free(rgb);
    free(up);
    free(yuv_in);
    free(yuv_out);
    vsr_yuv_to_rgb_destroy(to_rgb);
    vsr_rgb_to_yuv_destroy(to_yuv);
    return 0;
}
