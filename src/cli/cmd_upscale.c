/* vsr upscale: a video through the pipeline (decode, per-worker engines,
 * ordered encode), into an MP4 the Vidaio validator accepts by default. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/pixdesc.h>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/options.h"
#include "media/gates.h"
#include "model/model_auto.h"
#include "pipeline/compress.h"
#include "pipeline/pipeline.h"
#include "pipeline/policy.h"
#include "util/clock.h"
#include "util/output_file.h"

static const char *const CMD = "upscale";

/* Ctrl-C (or SIGTERM) sets this; the pipeline's watcher polls it and
 * stops after the frames in progress, removing the partial output. */
static volatile sig_atomic_t g_cancel;
static struct timespec g_first_signal;

static void on_signal(int sig)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
    if (!g_cancel) {
        g_cancel = 1;
        g_first_signal = now;
        return;
    }
    /* The same request often arrives twice (once to the process, once to
     * its group, as `timeout` and some shells do); a second one a second
     * or more later means "stop now": take the default action. */
    if (now.tv_sec - g_first_signal.tv_sec >= 2) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

enum {
    OPT_TASK = 0x2000,
    OPT_WORKERS,
    OPT_SCHEDULE,
    OPT_CHUNK,
    OPT_QUEUE,
    OPT_CODEC,
    OPT_ENCODER,
    OPT_CRF,
    OPT_PRESET,
    OPT_PROGRESS,
    OPT_MAX_PIXELS,
    OPT_HASH,
    OPT_DUMP,
    OPT_SHARED,
    OPT_NO_SIZE_CAP,
    OPT_ENC_THREADS,
    OPT_PROFILE,
    OPT_SEGMENTS,
    OPT_OPERATOR,
    OPT_SEGMENT_FRAMES,
    OPT_COLOUR_PATH,
    OPT_DECODE,
    OPT_SIZE,
    OPT_DETAIL,
};

static void help(void)
{
    printf("usage: vsr upscale -i IN -o OUT.mp4 (--task T | --scale N | --size WxH) [options]\n\n"
           "Upscales a video: one decode thread, N workers each with its own engine\n"
           "context (weights shared), one encode thread; frames in order, none dropped.\n"
           "The default output (HEVC Main, yuv420p, MP4 +faststart, SAR 1:1, the\n"
           "input's frame rate and timestamps) passes the Vidaio validator's gates;\n"
           "check it with 'vsr check'.\n\n"
           "  -i, --input FILE      input video (anything FFmpeg reads)\n"
           "  -o, --output FILE     output MP4; written under a temporary name and\n"
           "                        renamed when complete\n"
           "  --task T              SD2HD, HD24K, 4K28K (x2) or SD24K (x4): the output is\n"
           "                        the input times that; a model of another scale (such\n"
           "                        as realesr-general-x4v3 for an x2 task) runs at its\n"
           "                        own and its output is resampled (Lanczos-3) to it\n"
           "  --size WxH            the output size instead (even sides, at most 8192 a\n"
           "                        side and 33554432 pixels), reached the same way\n"
           "  --detail D|auto       detail strength 0..1 (default 1; auto with --model\n"
           "                        auto): D x the model's output + (1 - D) x the input\n"
           "                        Lanczos-scaled to the output size; 0 = Lanczos alone\n"
           "                        (the model not run); auto = the highest detail whose\n"
           "                        NEG delta against the input, measured on 18 sampled\n"
           "                        frames before the run, stays within %.1f\n"
           "  --model auto          the study's model for the task (realesr-general-x4v3)\n"
           "                        with --detail auto (README: Choosing the model)\n\n",
           VSR_DETAIL_AUTO_MARGIN);
    vsr_cli_engine_help(stdout);
    printf("\nPipeline:\n"
           "  --workers N           inference workers, each with its own context\n"
           "                        (default 1)\n"
           "  --schedule S          dynamic (default: next free worker takes the next\n"
           "                        frame) or chunked (contiguous runs per worker)\n"
           "  --chunk-frames N      chunked: frames per run; 0 = one run per worker,\n"
           "                        as the seed did (needs the whole clip in memory);\n"
           "                        default %d\n"
           "  --queue-depth N       most frames between decoder and encoder\n"
           "                        (default: from the schedule)\n"
           "  --max-pixels N        refuse inputs over N pixels (default 35389440 =\n"
           "                        8192x4320)\n\n"
           "Encoding:\n"
           "  --codec C             hevc (default, libx265), av1 (libsvtav1) or h264\n"
           "                        (libx264; the validator does not accept it)\n"
           "  --encoder NAME        a libavcodec encoder (hevc_nvenc, av1_nvenc, ...)\n"
           "  --profile P           fast, balanced (default) or quality: preset and CRF\n"
           "                        by encoder and output size (balanced x265:\n"
           "                        superfast up to 1080p, ultrafast above; CRF 20);\n"
           "                        see docs/pipeline.md\n"
           "  --crf N               quality, over the profile's (NVENC cq 35)\n"
           "  --preset P            encoder preset, over the profile's (NVENC p4)\n"
           "  --encoder-threads N   threads per encoder (default: the encoder's choice;\n"
           "                        with segments, the cores shared among them)\n"
           "  --encode-segments N   encode N segments in parallel, joined into one\n"
           "                        track without re-encoding; auto (default): from the\n"
           "                        cores and output size; 1 = one encoder\n"
           "  --segment-frames N    frames per segment (default: 2 s of video)\n"
           "  --operator-id STR     mark the file with STR's hash (MP4 comment) so that two\n"
           "                        operators' outputs differ in bytes and size\n"
           "  --decode D            auto (default: NVDEC with --backend cuda where it\n"
           "                        takes the stream and frames are 1280x720 or more,\n"
           "                        else the CPU), cpu, or nvdec\n"
           "  --colour-path P       who converts decoded YUV to RGB and the output back:\n"
           "                        auto (default: the engine, on the GPU, with\n"
           "                        --backend cuda, else swscale), swscale, or engine\n"
           "  --no-size-cap         do not cap the bitrate at half the validator's size\n"
           "                        gate (8x input for x2, 20x for x4)\n\n"
           "Output and diagnostics:\n"
           "  --progress MODE       auto (default: a live line on a terminal), json\n"
           "                        (one JSON object a line on stdout) or none\n"
           "  --verbose             stream, colour, queue and memory details, stage times\n"
           "  --dump-frames-hash F  write 'frame sha256' of every upscaled frame before\n"
           "                        encoding (sha256 of raw rgb24, or of raw yuv420p\n"
           "                        when the engine converts: see --colour-path)\n"
           "  --dump-input-frames D write every decoded RGB frame as D/frame_NNNNNN.png\n"
           "  --shared-context      one engine context shared by all workers, fed a frame\n"
           "                        at a time (the seed's server; for benchmarks)\n\n"
           "Exit status: 0 done, 1 failed, 2 wrong usage, 130 interrupted.\n",
           VSR_DEFAULT_CHUNK_FRAMES);
}

typedef struct progress_state {
    int mode; /* 0 none, 1 tty line, 2 json */
    int line_open;
    const vsr_pipeline_stats *stats; /* complete when the "done" report comes */
} progress_state;

static void fmt_time(double s, char *buf, size_t n)
{
    if (s < 0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

/* The detail the run used and, chosen by `--detail auto`, what the probe
 * measured: ,"detail":D[,"detail_auto":{...}] in the last JSON line. */
static void print_detail_json(const vsr_pipeline_stats *st)
{
    printf(",\"detail\":%.4f", st->detail);
    if (!st->detail_auto)
        return;
    const vsr_detail_probe_result *r = &st->probe;
    printf(",\"detail_auto\":{\"chosen\":%.4f,\"margin\":%.3f,\"windows\":%d,"
           "\"frames_sampled\":%lld,\"frames_scored\":%lld,\"clip_frames\":%lld,"
           "\"seconds\":%.3f,\"model_s\":%.3f,\"score_s\":%.3f,\"candidates\":[",
           r->detail, r->margin, r->windows, (long long)r->frames_sampled,
           (long long)r->frames_scored, (long long)r->clip_frames, r->seconds, r->model_s,
           r->score_s);
    int first = 1;
    for (int i = 0; i < r->search.n; i++) {
        const vsr_detail_candidate *c = &r->search.cand[i];
        if (!c->measured)
            continue;
        printf("%s{\"detail\":%.4f,\"vmaf\":%.4f,\"vmaf_neg\":%.4f,\"neg_delta\":%.4f,"
               "\"pass\":%s}",
               first ? "" : ",", c->detail, c->vmaf, c->neg, c->delta, c->pass ? "true" : "false");
        first = 0;
    }
    printf("]}");
}

static void on_progress(void *opaque, const vsr_progress *p)
{
    progress_state *ps = opaque;
    if (ps->mode == 2) {
        printf("{\"event\":\"%s\",\"frames_done\":%lld,\"frames_total\":%lld,"
               "\"total_is_estimate\":%s,\"decoded\":%lld,\"upscaled\":%lld,"
               "\"elapsed_s\":%.3f,\"fps\":%.3f,\"eta_s\":%.1f,\"decode_fps\":%.2f,"
               "\"infer_fps\":%.2f,\"encode_fps\":%.2f,\"colour_fps\":%.2f,\"mux_fps\":%.2f",
               p->done ? "done" : "progress", (long long)p->encoded, (long long)p->total,
               p->total_is_estimate ? "true" : "false", (long long)p->decoded,
               (long long)p->processed, p->elapsed_s, p->fps, p->eta_s, p->decode_fps, p->infer_fps,
               p->encode_fps, p->colour_fps, p->mux_fps);
        if (p->done && ps->stats) {
            /* The last line: every stage's busy time and rate, and the
             * slowest, from the run's final statistics. */
            vsr_stage_time st[VSR_MAX_STAGES];
            int slowest, n = vsr_pipeline_stages(ps->stats, st, &slowest);
            print_detail_json(ps->stats); /* before the stages, which end the line */
            printf(",\"encoders\":%d,\"stages\":{", ps->stats->encoders);
            for (int i = 0; i < n; i++)
                printf("%s\"%s\":{\"busy_s\":%.3f,\"fps\":%.2f}", i ? "," : "", st[i].name,
                       st[i].busy_s, st[i].fps);
            printf("},\"slowest_stage\":\"%s\"", slowest >= 0 ? st[slowest].name : "");
        }
        printf("}\n");
        fflush(stdout);
    } else if (ps->mode == 1) {
        char eta[32];
        fmt_time(p->eta_s, eta, sizeof eta);
        char total[32];
        if (p->total > 0)
            snprintf(total, sizeof total, "%s%lld", p->total_is_estimate ? "~" : "",
                     (long long)p->total);
        else
            snprintf(total, sizeof total, "?");
        fprintf(stderr,
                "\r\033[Kframe %lld/%s  %.2f fps  ETA %s  (decode %.1f, upscale %.2f, encode "
                "%.1f fps)",
                (long long)p->encoded, total, p->fps, eta, p->decode_fps, p->infer_fps,
                p->encode_fps);
        ps->line_open = 1;
        if (p->done) {
            fputc('\n', stderr);
            ps->line_open = 0;
        }
        fflush(stderr);
    }
}

static const char *colour_name(const vsr_colour *c, char *buf, size_t n)
{
    const char *m = av_color_space_name(c->matrix), *r = av_color_range_name(c->range),
               *p = av_color_primaries_name(c->primaries), *t = av_color_transfer_name(c->trc);
    snprintf(buf, n, "matrix %s, range %s, primaries %s, transfer %s", m ? m : "?", r ? r : "?",
             p ? p : "?", t ? t : "?");
    return buf;
}

static void print_verbose(const vsr_pipeline_config *cfg, const vsr_pipeline_stats *st,
                          vsr_device_pool *pool, const char *model)
{
    char buf[256];
    fprintf(stderr, "vsr upscale: %s (%dx%d %s) -> %s (%dx%d, %s)\n", cfg->input, st->in_w,
            st->in_h, st->in_pix_fmt, cfg->output, st->out_w, st->out_h, st->encoder);
    vsr_device_stat dev[VSR_MAX_DEVICES];
    int n_dev = pool ? vsr_device_pool_stats(pool, dev, VSR_MAX_DEVICES) : 0;
    fprintf(stderr, "  model %s on", model);
    if (!pool)
        fprintf(stderr, " one shared context");
    for (int i = 0; i < n_dev; i++)
        fprintf(stderr, "%s %s", i ? "," : "", dev[i].name);
    fprintf(stderr, "; %d worker(s), schedule %s", st->workers, vsr_schedule_name(cfg->schedule));
    if (cfg->schedule == VSR_SCHEDULE_CHUNKED)
        fprintf(stderr, " (runs of %lld frames)", (long long)st->chunk);
    if (st->nvdec_device >= 0)
        fprintf(stderr,
                "\n  decode: NVDEC on cuda:%d (%s context), %lld of %lld frames, %lld of them "
                "read by the engine on the GPU",
                st->nvdec_device, st->nvdec_shared_context ? "shared" : "own",
                (long long)st->nvdec_frames, (long long)st->frames,
                (long long)st->nvdec_gpu_frames);
    else
        fprintf(stderr, "\n  decode: CPU%s%s", st->nvdec_note[0] ? "; no NVDEC: " : "",
                st->nvdec_note);
    fprintf(stderr, "\n  decode colour: %s, converted by ",
            colour_name(&st->in_colour, buf, sizeof buf));
    if (st->yuv_in_frames)
        fprintf(stderr, "the engine (%lld of %lld frames)\n", (long long)st->yuv_in_frames,
                (long long)st->frames);
    else
        fprintf(stderr, "swscale\n");
    if (st->detail_auto) {
        const vsr_detail_probe_result *r = &st->probe;
        fprintf(stderr,
                "  detail auto: %.2f, the highest whose NEG delta against the input stays within "
                "%.2f on %lld sampled frames (%d windows) of ~%lld; %.2f s (model %.2f s, "
                "scoring %.2f s)\n",
                r->detail, r->margin, (long long)r->frames_sampled, r->windows,
                (long long)r->clip_frames, r->seconds, r->model_s, r->score_s);
        for (int i = 0; i < r->search.n; i++) {
            const vsr_detail_candidate *c = &r->search.cand[i];
            if (c->measured)
                fprintf(stderr, "    detail %.2f: VMAF %.3f, NEG %.3f, delta %.3f: %s\n", c->detail,
                        c->vmaf, c->neg, c->delta, c->pass ? "passes" : "fails");
        }
    }
    if (st->resampled)
        fprintf(stderr, "  output: %s resampled (Lanczos-3) to %dx%d at detail %.2f by %s\n",
                st->model_w ? "the model's" : "the input alone (detail 0),", st->out_w, st->out_h,
                st->detail, st->resampled == 2 ? "the engine" : "swscale");
    if (st->resampled && st->model_w)
        fprintf(stderr, "  model output %dx%d\n", st->model_w, st->model_h);
    fprintf(stderr, "  encode colour: %s, converted by %s\n",
            colour_name(&st->out_colour, buf, sizeof buf),
            st->colour_on_upscaler ? "the engine" : "swscale");
    fprintf(stderr, "  encoder %s, profile %s: preset %s, crf ", st->encoder,
            vsr_encoder_profile_name(cfg->enc.profile), st->preset[0] ? st->preset : "-");
    if (st->crf >= 0)
        fprintf(stderr, "%d", st->crf);
    else
        fprintf(stderr, "-");
    if (st->segments > 0) {
        char busy[48] = "", layout[96];
        if (st->encoders_peak < st->encoders) /* a share of the cores held fewer */
            snprintf(busy, sizeof busy, " (at most %d at once)", st->encoders_peak);
        if (st->lead_frames > 0)
            snprintf(layout, sizeof layout, "(%d of %lld frames, then %lld)", st->encoders,
                     (long long)st->lead_frames, (long long)st->segment_frames);
        else
            snprintf(layout, sizeof layout, "of %lld frames", (long long)st->segment_frames);
        char threads[32] = "";
        if (st->encoder_threads > 0)
            snprintf(threads, sizeof threads, " of %d threads", st->encoder_threads);
        fprintf(stderr, "; %d segment encoders%s%s, %lld segments %s joined (%lld DTS repaired)\n",
                st->encoders, threads, busy, (long long)st->segments, layout,
                (long long)st->dts_rewritten);
    } else
        fprintf(stderr, "; one encoder\n");
    if (st->max_bitrate > 0)
        fprintf(stderr, "  bitrate cap (size gate): %.0f kbit/s\n", st->max_bitrate / 1000.0);
    fprintf(stderr,
            "  memory: at most %d frames in flight, %d queue(s); frame buffers bounded by "
            "%.1f MiB; peak RSS %.1f MiB\n",
            st->max_in_flight, st->queues, st->frame_bytes_bound / 1048576.0,
            st->peak_rss_kib / 1024.0);
    fprintf(stderr, "  %lld frames in %.2f s = %.2f fps\n", (long long)st->frames, st->wall_s,
            st->frames / (st->wall_s > 0 ? st->wall_s : 1));
    /* Each stage's busy time and its rate as a stage alone (frames x its
     * parallel instances / summed busy time): the slowest bounds the run. */
    vsr_stage_time stages[VSR_MAX_STAGES];
    int slowest, n_st = vsr_pipeline_stages(st, stages, &slowest);
    const int par[VSR_MAX_STAGES] = {1, st->workers, st->workers, st->encoders, 1};
    for (int i = 0; i < n_st; i++) {
        fprintf(stderr, "  stage %-12s busy %8.3f s", stages[i].name, stages[i].busy_s);
        if (par[i] > 1)
            fprintf(stderr, " over %d threads", par[i]);
        fprintf(stderr, "  %9.2f fps\n", stages[i].fps);
    }
    if (slowest >= 0)
        fprintf(stderr, "  slowest stage: %s (%.1f fps)\n", stages[slowest].name,
                stages[slowest].fps);
    /* where the time before the slowest stage's first frame went */
    fprintf(stderr,
            "  timeline: set up %.2f s, workers ready %.2f-%.2f s, first frame decoded %.2f s, "
            "upscaled %.2f s",
            st->threads_at_s, st->workers_ready_at_s[0], st->workers_ready_at_s[1],
            st->first_decoded_at_s, st->first_upscaled_at_s);
    if (st->encoders_started_at_s[1] > 0)
        fprintf(stderr, "; encoders started %.2f-%.2f s, done %.2f-%.2f s",
                st->encoders_started_at_s[0], st->encoders_started_at_s[1],
                st->encoders_done_at_s[0], st->encoders_done_at_s[1]);
    fprintf(stderr, "; output complete %.2f s\n", st->output_done_at_s);
    fprintf(stderr, "  output %.1f KiB\n", st->bytes_out / 1024.0);
    for (int i = 0; i < n_dev; i++) {
        fprintf(stderr, "  device %s: %lld frames, busy %.2f s (%.1f fps)", dev[i].name,
                (long long)dev[i].frames, dev[i].busy_s,
                dev[i].busy_s > 0 ? (double)dev[i].frames / dev[i].busy_s : 0.0);
        if (dev[i].up)
            fprintf(stderr, ", in rotation\n");
        else
            fprintf(stderr, ", taken out: %s\n", dev[i].fault);
    }
}

/* What the command line asks for beside the pipeline's own settings. */
typedef struct upscale_args {
    vsr_cli_engine_opts eo;
    vsr_pipeline_config cfg;
    int help; /* --help was printed: exit */
    int verbose, shared, progress_mode;
} upscale_args;

/* The command line into a; VSR_EXIT_OK, or the exit status of a usage
 * error (already reported). */
static int parse_args(int argc, char **argv, upscale_args *a)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"verbose", no_argument, NULL, 'v'},
        {"task", required_argument, NULL, OPT_TASK},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"schedule", required_argument, NULL, OPT_SCHEDULE},
        {"chunk-frames", required_argument, NULL, OPT_CHUNK},
        {"queue-depth", required_argument, NULL, OPT_QUEUE},
        {"codec", required_argument, NULL, OPT_CODEC},
        {"encoder", required_argument, NULL, OPT_ENCODER},
        {"crf", required_argument, NULL, OPT_CRF},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"encoder-threads", required_argument, NULL, OPT_ENC_THREADS},
        {"progress", required_argument, NULL, OPT_PROGRESS},
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
        {"dump-frames-hash", required_argument, NULL, OPT_HASH},
        {"dump-input-frames", required_argument, NULL, OPT_DUMP},
        {"shared-context", no_argument, NULL, OPT_SHARED},
        {"no-size-cap", no_argument, NULL, OPT_NO_SIZE_CAP},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"encode-segments", required_argument, NULL, OPT_SEGMENTS},
        {"operator-id", required_argument, NULL, OPT_OPERATOR},
        {"segment-frames", required_argument, NULL, OPT_SEGMENT_FRAMES},
        {"colour-path", required_argument, NULL, OPT_COLOUR_PATH},
        {"decode", required_argument, NULL, OPT_DECODE},
        {"size", required_argument, NULL, OPT_SIZE},
        {"detail", required_argument, NULL, OPT_DETAIL},
        VSR_CLI_ENGINE_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static char operator_comment[VSR_COMPRESS_COMMENT_MAX];
    vsr_cli_engine_opts *const eo = &a->eo;
    vsr_pipeline_config *const cfg = &a->cfg;
    vsr_cli_engine_default(eo);
    vsr_pipeline_config_default(cfg);
    const char *task = NULL;
    int chunk = VSR_DEFAULT_CHUNK_FRAMES, ival, detail_given = 0;
    double max_pixels = (double)cfg->max_pixels;
    a->help = a->verbose = a->shared = 0;
    a->progress_mode = -1;

    vsr_opt_begin();
    int c, r;
    while ((c = getopt_long(argc, argv, ":hi:o:v", longopts, NULL)) != -1) {
        r = vsr_cli_engine_opt(CMD, eo, c, optarg);
        if (r == VSR_OPT_TAKEN)
            continue;
        if (r != VSR_OPT_NOT_MINE)
            return r;
        switch (c) {
        case 'h':
            help();
            a->help = 1;
            return VSR_EXIT_OK;
        case 'i': cfg->input = optarg; break;
        case 'o': cfg->output = optarg; break;
        case 'v': a->verbose = 1; break;
        case OPT_TASK:
            if ((r = vsr_opt_task(CMD, optarg, &task)))
                return r;
            break;
        case OPT_WORKERS:
            if ((r = vsr_opt_int(CMD, "--workers", optarg, 1, 256, "1..256", &cfg->workers)))
                return r;
            break;
        case OPT_SCHEDULE: {
            static const char *const s[] = {"dynamic", "chunked", NULL};
            if ((r = vsr_opt_choice(CMD, "--schedule", optarg, s, &ival)))
                return r;
            cfg->schedule = ival ? VSR_SCHEDULE_CHUNKED : VSR_SCHEDULE_DYNAMIC;
            break;
        }
        case OPT_CHUNK:
            if ((r = vsr_opt_int(CMD, "--chunk-frames", optarg, 0, 1 << 20,
                                 "0 (one run per worker) or 1..1048576", &chunk)))
                return r;
            break;
        case OPT_QUEUE:
            if ((r = vsr_opt_int(CMD, "--queue-depth", optarg, 0, 1 << 16,
                                 "0 (from the schedule) or 1..65536", &cfg->max_in_flight)))
                return r;
            break;
        case OPT_CODEC: {
            static const char *const s[] = {"hevc", "av1", "h264", NULL};
            if ((r = vsr_opt_choice(CMD, "--codec", optarg, s, &ival)))
                return r;
            cfg->enc.codec = s[ival];
            break;
        }
        case OPT_ENCODER:
            if (!*optarg)
                return vsr_usage_error(CMD, "--encoder: expected an encoder name, got ''");
            cfg->enc.encoder = optarg;
            break;
        case OPT_CRF:
            if ((r = vsr_opt_int(CMD, "--crf", optarg, 0, 63, "0..63", &cfg->enc.crf)))
                return r;
            break;
        case OPT_PRESET:
            if (!*optarg)
                return vsr_usage_error(CMD, "--preset: expected a preset name, got ''");
            cfg->enc.preset = optarg;
            break;
        case OPT_ENC_THREADS:
            if ((r = vsr_opt_int(CMD, "--encoder-threads", optarg, 0, 1024,
                                 "0 (automatic) or 1..1024", &cfg->enc.threads)))
                return r;
            break;
        case OPT_PROGRESS: {
            static const char *const s[] = {"none", "tty", "json", "auto", NULL};
            if ((r = vsr_opt_choice(CMD, "--progress", optarg, s, &ival)))
                return r;
            a->progress_mode = ival == 3 ? -1 : ival;
            break;
        }
        case OPT_MAX_PIXELS:
            if ((r = vsr_opt_double(CMD, "--max-pixels", optarg, 1, 1e12, "1..1e12 pixels",
                                    &max_pixels)))
                return r;
            break;
        case OPT_HASH: cfg->hash_path = optarg; break;
        case OPT_DUMP: cfg->dump_dir = optarg; break;
        case OPT_SHARED: a->shared = 1; break;
        case OPT_NO_SIZE_CAP: cfg->size_gate = 0; break;
        case OPT_PROFILE: {
            static const char *const s[] = {"fast", "balanced", "quality", NULL};
            if ((r = vsr_opt_choice(CMD, "--profile", optarg, s, &ival)))
                return r;
            vsr_encoder_profile_parse(s[ival], &cfg->enc.profile);
            break;
        }
        case OPT_OPERATOR:
            if (!*optarg)
                return vsr_usage_error(CMD, "--operator-id: expected a string, got ''");
            vsr_compress_operator_comment(optarg, operator_comment);
            cfg->enc.comment = operator_comment;
            break;
        case OPT_SEGMENTS:
            if (!strcmp(optarg, "auto"))
                cfg->encode_segments = 0;
            else if ((r = vsr_opt_int(CMD, "--encode-segments", optarg, 1, 64, "1..64 or auto",
                                      &cfg->encode_segments)))
                return r;
            break;
        case OPT_COLOUR_PATH: {
            static const char *const s[] = {"auto", "swscale", "engine", NULL};
            static const vsr_colour_path path[] = {VSR_COLOUR_AUTO, VSR_COLOUR_SWSCALE,
                                                   VSR_COLOUR_ENGINE};
            if ((r = vsr_opt_choice(CMD, "--colour-path", optarg, s, &ival)))
                return r;
            cfg->colour_path = path[ival];
            break;
        }
        case OPT_DECODE: {
            static const char *const s[] = {"auto", "cpu", "nvdec", NULL};
            static const vsr_decode_path path[] = {VSR_DECODE_AUTO, VSR_DECODE_CPU,
                                                   VSR_DECODE_NVDEC};
            if ((r = vsr_opt_choice(CMD, "--decode", optarg, s, &ival)))
                return r;
            cfg->decode_path = path[ival];
            break;
        }
        case OPT_SIZE:
            if ((r = vsr_opt_size(CMD, "--size", optarg, 1, VSR_OUTPUT_MAX_SIDE, &cfg->out_width,
                                  &cfg->out_height)))
                return r;
            break;
        case OPT_DETAIL:
            detail_given = 1;
            cfg->detail_auto = !strcmp(optarg, "auto");
            if (!cfg->detail_auto && (r = vsr_opt_detail(CMD, "--detail", optarg, &cfg->detail)))
                return r;
            break;
        case OPT_SEGMENT_FRAMES:
            if ((r = vsr_opt_int(CMD, "--segment-frames", optarg, 1, 1 << 16, "1..65536", &ival)))
                return r;
            cfg->segment_frames = ival;
            break;
        default: return vsr_opt_unknown(CMD, c, argv);
        }
    }
    if ((r = vsr_opt_no_operands(CMD, argc, argv)))
        return r;
    if (!cfg->input || !cfg->output)
        return vsr_usage_error(CMD, "both -i INPUT and -o OUTPUT are needed");
    /* --task and --scale give the output's scale, --size its size; the
     * model runs at its own, resampled to that where it differs */
    if (!task && !eo->scale && !cfg->out_width)
        return vsr_usage_error(
            CMD, "give --task (SD2HD, HD24K, SD24K, 4K28K), --scale (2, 3, 4) or --size WxH");
    if ((task || eo->scale) && (r = vsr_opt_task_scale(CMD, task, &eo->scale)))
        return r;
    eo->scale_is_output = 1;
    cfg->out_scale = eo->scale;
    /* the model table's outputs are only ever used at a measured detail */
    if (!detail_given && vsr_model_is_auto(eo->model))
        cfg->detail_auto = 1;
    cfg->max_pixels = (int64_t)max_pixels;
    cfg->chunk_frames = chunk;
    if (a->progress_mode < 0)
        a->progress_mode = isatty(STDERR_FILENO) ? 1 : 0;

    /* Workers share the machine's cores unless told otherwise. */
    if (eo->threads == 0 && cfg->workers > 1)
        eo->threads = vsr_policy_engine_threads(1, cfg->workers);
    if (a->shared && (eo->devices || eo->fail_device >= 0))
        return vsr_usage_error(CMD, "--shared-context runs on one device: no --devices");
    return VSR_EXIT_OK;
}

/* The model and the engines the workers run on: per-worker contexts on
 * every --devices device (the design), or the seed's one context behind a
 * lock (--shared-context, to measure). */
typedef struct upscale_engines {
    vsr_graph graph;
    vsr_engine *engine;
    vsr_device_pool *pool;
    vsr_upscaler up;
    vsr_shared_engine_ctx shared_ctx;
    int shared;
} upscale_engines;

static int engines_make(upscale_engines *e, const vsr_cli_engine_opts *eo, int shared,
                        vsr_error *err)
{
    memset(&e->graph, 0, sizeof e->graph);
    e->engine = NULL;
    e->pool = NULL;
    e->shared_ctx = (vsr_shared_engine_ctx){0};
    e->shared = shared;
    int made;
    if (shared) {
        made = vsr_cli_engine_load_model(eo, &e->graph, err);
        if (made >= 0)
            made = vsr_cli_engine_create(eo, &e->graph, &e->engine, err);
        if (made >= 0)
            made = vsr_upscaler_shared(&e->up, e->engine, &e->shared_ctx, err);
    } else {
        vsr_pool_spec spec;
        vsr_cli_engine_pool_spec(eo, &spec);
        made = vsr_device_pool_load(&spec, &e->graph, &e->pool, err);
    }
    if (made < 0) {
        vsr_engine_destroy(e->engine);
        vsr_graph_free(&e->graph);
        return made;
    }
    if (e->pool)
        vsr_upscaler_device_pool(&e->up, e->pool);
    return 0;
}

static void engines_free(upscale_engines *e)
{
    if (e->shared)
        vsr_shared_engine_ctx_destroy(&e->shared_ctx);
    vsr_engine_destroy(e->engine);
    vsr_device_pool_destroy(e->pool);
    vsr_graph_free(&e->graph);
}

/* Ctrl-C and SIGTERM cancel the run (on_signal) while it lasts. */
static void signals_take(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_cancel = 0;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

static void signals_restore(const struct sigaction *old_int, const struct sigaction *old_term)
{
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
}

int vsr_cmd_upscale(int argc, char **argv)
{
    upscale_args a;
    int r = parse_args(argc, argv, &a);
    if (r || a.help)
        return r;
    vsr_pipeline_config *const cfg = &a.cfg;

    vsr_error err;
    vsr_error_clear(&err);
    /* Before the model loads (the pipeline checks again) */
    if (vsr_output_file_check(cfg->input, cfg->output, &err) < 0)
        return vsr_cli_fail(CMD, "%s", err.msg);
    const double started_s = vsr_now_s(); /* -v: what the run costs beside the pipeline */
    /* taken before the model loads: a signal while it loads (seconds on a
     * busy machine) cancels the run as soon as it starts, as one later
     * does, rather than killing the process mid-setup */
    struct sigaction old_int, old_term;
    signals_take(&old_int, &old_term);
    upscale_engines en;
    if (engines_make(&en, &a.eo, a.shared, &err) < 0) {
        signals_restore(&old_int, &old_term);
        return vsr_cli_fail(CMD, "%s", err.msg);
    }

    progress_state ps = {.mode = a.progress_mode};
    cfg->upscaler = &en.up;
    cfg->cancel = &g_cancel;
    cfg->on_progress = a.progress_mode ? on_progress : NULL;
    cfg->progress_opaque = &ps;

    vsr_pipeline_stats st;
    ps.stats = &st;
    const double ready_s = vsr_now_s();
    int ret = vsr_pipeline_run(cfg, &st, &err);
    const double ran_s = vsr_now_s();

    signals_restore(&old_int, &old_term);
    if (ps.line_open)
        fputc('\n', stderr);
    if (a.verbose && ret >= 0)
        print_verbose(cfg, &st, en.pool, en.graph.name);
    engines_free(&en);
    if (a.verbose && ret >= 0)
        fprintf(stderr, "  beside the pipeline: %.2f s before (model, devices), %.2f s after\n",
                ready_s - started_s, vsr_now_s() - ran_s);
    if (ret == VSR_ERR_CANCELLED) {
        fprintf(stderr, "vsr upscale: %s\n", err.msg);
        return 130;
    }
    if (ret < 0)
        return vsr_cli_fail(CMD, "%s", err.msg);
    return VSR_EXIT_OK;
}
