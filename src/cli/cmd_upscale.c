/* vsr upscale: a video through the pipeline (decode, per-worker engines,
 * ordered encode), into an MP4 the Vidaio validator accepts by default. */
#include <math.h>
#include <signal.h>
#include <stddef.h>
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
    printf(",\"detail_auto\":{\"chosen\":%.4f,\"rise\":%.3f,\"vmaf_drop\":%.3f,"
           "\"windows\":%d,\"frames_sampled\":%lld,\"frames_scored\":%lld,"
           "\"clip_frames\":%lld,\"seconds\":%.3f,\"model_s\":%.3f,\"score_s\":%.3f,",
           r->detail, r->rule.rise, r->rule.vmaf_drop, r->windows, (long long)r->frames_sampled,
           (long long)r->frames_scored, (long long)r->clip_frames, r->seconds, r->model_s,
           r->score_s);
    printf("\"guard\":{\"action\":\"%s\",\"factor\":%d,\"t1\":%.3f,\"t2\":%.3f,\"t3\":%.3f,"
           "\"input_filter\":\"%s\"",
           vsr_detail_guard_action_name(r->guard), r->guard_factor, r->guard_rule.t1,
           r->guard_rule.t2, r->guard_rule.t3, vsr_resample_filter_name(r->input_filter));
    if (r->guard != VSR_DETAIL_GUARD_NOT_RUN)
        printf(",\"self_similar\":%.4f,\"vmaf\":%.4f,\"vmaf_neg\":%.4f,\"frames_scored\":%lld,"
               "\"seconds\":%.3f",
               r->self_similar.delta, r->self_similar.vmaf, r->self_similar.neg,
               (long long)r->self_similar.frames_scored, r->self_similar.seconds);
    printf("},");
    const vsr_detail_candidate *b = &r->search.baseline;
    if (b->measured)
        printf("\"baseline\":{\"vmaf\":%.4f,\"vmaf_neg\":%.4f,\"neg_delta\":%.4f},", b->vmaf,
               b->neg, b->delta);
    printf("\"candidates\":[");
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
    if (st->batch > 1)
        fprintf(stderr, ", batches of %d frames", st->batch);
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
        const vsr_detail_candidate *b = &r->search.baseline;
        fprintf(stderr,
                "  detail auto: %.2f, the highest whose NEG delta against the input rises at most "
                "%.2f and VMAF falls at most %.2f over detail 0's, on %lld sampled frames (%d "
                "windows) of ~%lld; %.2f s (model %.2f s, scoring %.2f s)\n",
                r->detail, r->rule.rise, r->rule.vmaf_drop, (long long)r->frames_sampled,
                r->windows, (long long)r->clip_frames, r->seconds, r->model_s, r->score_s);
        if (r->guard != VSR_DETAIL_GUARD_NOT_RUN)
            fprintf(stderr,
                    "    self-similar guard: s %.3f (VMAF %.3f, NEG %.3f of the input scaled down "
                    "x%d and back, on %lld frames, %.2f s): %s (search up to %.2f, detail 0 up to "
                    "%.2f, over bicubic up to %.2f, then over Mitchell)\n",
                    r->self_similar.delta, r->self_similar.vmaf, r->self_similar.neg,
                    r->guard_factor, (long long)r->self_similar.frames_scored,
                    r->self_similar.seconds, vsr_detail_guard_action_name(r->guard),
                    r->guard_rule.t1, r->guard_rule.t2, r->guard_rule.t3);
        else
            fprintf(stderr, "    self-similar guard: not run (%s)\n",
                    r->guard_rule.off     ? "off"
                    : r->guard_unmeasured ? "the check could not take the input"
                                          : "neither an x2 nor an x4 task");
        if (b->measured)
            fprintf(stderr, "    detail 0: VMAF %.3f, NEG %.3f, delta %.3f\n", b->vmaf, b->neg,
                    b->delta);
        for (int i = 0; i < r->search.n; i++) {
            const vsr_detail_candidate *c = &r->search.cand[i];
            if (c->measured)
                fprintf(stderr, "    detail %.2f: VMAF %.3f, NEG %.3f, delta %.3f: %s\n", c->detail,
                        c->vmaf, c->neg, c->delta, c->pass ? "passes" : "fails");
        }
    }
    if (st->resampled)
        fprintf(stderr, "  output: %s resampled (%s) to %dx%d at detail %.2f by %s\n",
                st->model_w ? "the model's" : "the input alone (detail 0),",
                st->model_w ? "Lanczos-3" : vsr_resample_filter_name(st->input_filter), st->out_w,
                st->out_h, st->detail, st->resampled == 2 ? "the engine" : "swscale");
    if (st->resampled && st->model_w && st->detail < 1.f)
        fprintf(stderr, "  blended with the input resampled (%s)\n",
                vsr_resample_filter_name(st->input_filter));
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
    const char *task, *profile, *operator_id;
    int size[2];       /* --size WxH; 0: from the scale */
    double max_pixels; /* taken as a double: 1e6 is a valid value */
} upscale_args;

/* --detail-guard: "off", "T1,T2" or "T1,T2,T3" (pipeline/detail_guard.h) */
static int parse_detail_guard(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    vsr_detail_guard *g = (vsr_detail_guard *)((char *)base + o->offset);
    if (vsr_detail_guard_parse(text, g) < 0)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "expected off, T1,T2 or T1,T2,T3 (self-similar NEG deltas, 0 <= T1 "
                             "<= T2 <= T3 <= 100), got '%s'",
                             text);
    return VSR_OK;
}

static const char *const schedules[] = {"dynamic", "chunked", NULL};
static const int schedule_values[] = {VSR_SCHEDULE_DYNAMIC, VSR_SCHEDULE_CHUNKED};
/* as vsr_resample_filter_name gives them */
static const char *const input_filters[] = {"lanczos3", "bicubic", "mitchell", "bilinear", NULL};
static const int input_filter_values[] = {VSR_RESAMPLE_LANCZOS3, VSR_RESAMPLE_BICUBIC,
                                          VSR_RESAMPLE_MITCHELL, VSR_RESAMPLE_BILINEAR};
static const char *const codecs[] = {"hevc", "av1", "h264", NULL};
static const char *const progress_modes[] = {"none", "tty", "json", "auto", NULL};
static const int progress_values[] = {0, 1, 2, -1};
static const char *const profiles[] = {"fast", "balanced", "quality", NULL};
static const char *const colour_paths[] = {"auto", "swscale", "engine", NULL};
static const int colour_path_values[] = {VSR_COLOUR_AUTO, VSR_COLOUR_SWSCALE, VSR_COLOUR_ENGINE};
static const char *const decode_paths[] = {"auto", "cpu", "nvdec", NULL};
static const int decode_path_values[] = {VSR_DECODE_AUTO, VSR_DECODE_CPU, VSR_DECODE_NVDEC};

#define STR_(x) #x
#define STR(x) STR_(x)
#define F(f) offsetof(upscale_args, f)
/* clang-format off */
/* What to upscale and to what size (printed before the engine options). */
static const vsr_opt io_options[] = {
    {.name = "input", .short_name = 'i', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(cfg.input), .help = "input video (anything FFmpeg reads)"},
    {.name = "output", .short_name = 'o', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(cfg.output),
     .help = "output MP4; written under a temporary name and\n"
             "renamed when complete"},
    {.name = "task", .type = VSR_OPT_CUSTOM, .arg = "T", .offset = F(task),
     .parse = vsr_opt_parse_task,
     .help = "SD2HD, HD24K, 4K28K (x2) or SD24K (x4): the output is\n"
             "the input times that; a model of another scale (such\n"
             "as realesr-general-x4v3 for an x2 task) runs at its\n"
             "own and its output is resampled (Lanczos-3) to it"},
    {.name = "size", .type = VSR_OPT_CUSTOM, .arg = "WxH", .offset = F(size),
     .parse = vsr_opt_parse_video_size,
     .help = "the output size instead (even sides, at most 8192 a\n"
             "side and 33554432 pixels), reached the same way"},
    /* --detail as vsr image's (cli/options.h), and auto: stored as -1 */
    {.name = "detail", .type = VSR_OPT_FLOAT, .arg = "D|auto", .offset = F(cfg.detail), .min = 0,
     .max = 1, .special = "auto", .special_value = -1,
     .accepted = "a detail strength of 0..1 (1 = the model alone, 0 = the input Lanczos-scaled) "
                 "or auto",
     .help = "detail strength 0..1 (default 1; auto with --model\n"
             "auto): D x the model's output + (1 - D) x the input\n"
             "Lanczos-scaled to the output size; 0 = Lanczos alone\n"
             "(the model not run); auto = the highest detail whose\n"
             "NEG delta against the input, measured on 18 sampled\n"
             "frames before the run, rises at most " STR(VSR_DETAIL_AUTO_RISE) " over\n"
             "detail 0's (and VMAF falls at most " STR(VSR_DETAIL_AUTO_VMAF_DROP) ");\n"
             "--model auto: the study's model for the task\n"
             "(realesr-general-x4v3) with --detail auto (README:\n"
             "Choosing the model)"},
    {.name = "detail-guard", .type = VSR_OPT_CUSTOM, .arg = "T1,T2[,T3]|off",
     .offset = F(cfg.detail_probe.guard), .parse = parse_detail_guard,
     .help = "--detail auto on x2 tasks: the self-similar guard's\n"
             "thresholds (default " STR(VSR_DETAIL_GUARD_T1) "," STR(VSR_DETAIL_GUARD_T2) "," STR(VSR_DETAIL_GUARD_T3) "). s, the NEG delta\n"
             "of the input scaled down x2 and back as the\n"
             "validators degrade (measured on the sample), over\n"
             "T1: detail 0; over T2: detail 0 with the bicubic\n"
             "floor; over T3: with the Mitchell floor; off: the\n"
             "search alone (README: Detail strength)"},
    {.name = "detail-guard-x4", .type = VSR_OPT_CUSTOM, .arg = "T1,T2[,T3]|off",
     .offset = F(cfg.detail_probe.guard_x4), .parse = parse_detail_guard,
     .help = "the same on x4 tasks, the input scaled down x4\n"
             "(default " STR(VSR_DETAIL_GUARD_X4_T1) "," STR(VSR_DETAIL_GUARD_X4_T2) "," STR(VSR_DETAIL_GUARD_X4_T3) ")"},
    {.name = "input-filter", .type = VSR_OPT_CHOICE, .arg = "F", .offset = F(cfg.input_filter),
     .choices = input_filters, .values = input_filter_values,
     .help = "the filter that scales the input for the blend (and\n"
             "is the output at detail 0): lanczos3 (default),\n"
             "bicubic (Catmull-Rom), mitchell or bilinear (softer:\n"
             "less ringing for VMAF NEG to discount)"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .flags = VSR_OPTF_HIDDEN},
    {0},
};

/* The pipeline, the encoder and the diagnostics (after them). */
static const vsr_opt run_options[] = {
    {.type = VSR_OPT_SECTION, .help = "Pipeline:"},
    {.name = "workers", .type = VSR_OPT_INT, .arg = "N", .offset = F(cfg.workers), .min = 1,
     .max = 256, .accepted = "1..256",
     .help = "inference workers, each with its own context\n"
             "(default 1)"},
    {.name = "schedule", .type = VSR_OPT_CHOICE, .arg = "S", .offset = F(cfg.schedule),
     .choices = schedules, .values = schedule_values,
     .help = "dynamic (default: next free worker takes the next\n"
             "frame) or chunked (contiguous runs per worker)"},
    {.name = "chunk-frames", .type = VSR_OPT_INT64, .arg = "N", .offset = F(cfg.chunk_frames),
     .min = 0, .max = 1 << 20, .accepted = "0 (one run per worker) or 1..1048576",
     .help = "chunked: frames per run; 0 = one run per worker,\n"
             "as the seed did (needs the whole clip in memory);\n"
             "default " STR(VSR_DEFAULT_CHUNK_FRAMES)},
    {.name = "queue-depth", .type = VSR_OPT_INT, .arg = "N", .offset = F(cfg.max_in_flight),
     .min = 0, .max = 1 << 16, .accepted = "0 (from the schedule) or 1..65536",
     .help = "most frames between decoder and encoder\n"
             "(default: from the schedule)"},
    {.name = "max-pixels", .type = VSR_OPT_DOUBLE, .arg = "N", .offset = F(max_pixels), .min = 1,
     .max = 1e12, .accepted = "1..1e12 pixels",
     .help = "refuse inputs over N pixels (default 35389440 =\n"
             "8192x4320)"},
    {.type = VSR_OPT_SECTION, .help = "Encoding:"},
    {.name = "codec", .type = VSR_OPT_CHOICE, .arg = "C", .offset = F(cfg.enc.codec),
     .choices = codecs, .flags = VSR_OPTF_NAME,
     .help = "hevc (default, libx265), av1 (libsvtav1) or h264\n"
             "(libx264; the validator does not accept it)"},
    {.name = "encoder", .type = VSR_OPT_STRING, .arg = "NAME", .offset = F(cfg.enc.encoder),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "an encoder name",
     .help = "a libavcodec encoder (hevc_nvenc, av1_nvenc, ...)"},
    {.name = "profile", .type = VSR_OPT_CHOICE, .arg = "P", .offset = F(profile),
     .choices = profiles, .flags = VSR_OPTF_NAME,
     .help = "fast, balanced (default) or quality: preset and CRF\n"
             "by encoder and output size (balanced x265:\n"
             "superfast up to 1080p, ultrafast above; CRF 20);\n"
             "see docs/pipeline.md"},
    {.name = "crf", .type = VSR_OPT_INT, .arg = "N", .offset = F(cfg.enc.crf), .min = 0,
     .max = 63, .accepted = "0..63", .help = "quality, over the profile's (NVENC cq 35)"},
    {.name = "preset", .type = VSR_OPT_STRING, .arg = "P", .offset = F(cfg.enc.preset),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a preset name",
     .help = "encoder preset, over the profile's (NVENC p4)"},
    {.name = "encoder-threads", .type = VSR_OPT_INT, .arg = "N", .offset = F(cfg.enc.threads),
     .min = 0, .max = 1024, .accepted = "0 (automatic) or 1..1024",
     .help = "threads per encoder (default: the encoder's choice;\n"
             "with segments, the cores shared among them)"},
    {.name = "encode-segments", .type = VSR_OPT_INT, .arg = "N", .offset = F(cfg.encode_segments),
     .min = 1, .max = 64, .accepted = "1..64 or auto", .special = "auto", .special_value = 0,
     .help = "encode N segments in parallel, joined into one\n"
             "track without re-encoding; auto (default): from the\n"
             "cores and output size; 1 = one encoder"},
    {.name = "segment-frames", .type = VSR_OPT_INT64, .arg = "N", .offset = F(cfg.segment_frames),
     .min = 1, .max = 1 << 16, .accepted = "1..65536",
     .help = "frames per segment (default: 2 s of video)"},
    {.name = "operator-id", .type = VSR_OPT_STRING, .arg = "STR", .offset = F(operator_id),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a string",
     .help = "mark the file with STR's hash (MP4 comment) so that two\n"
             "operators' outputs differ in bytes and size"},
    {.name = "decode", .type = VSR_OPT_CHOICE, .arg = "D", .offset = F(cfg.decode_path),
     .choices = decode_paths, .values = decode_path_values,
     .help = "auto (default: NVDEC with --backend cuda where it\n"
             "takes the stream and frames are 1280x720 or more,\n"
             "else the CPU), cpu, or nvdec"},
    {.name = "colour-path", .type = VSR_OPT_CHOICE, .arg = "P", .offset = F(cfg.colour_path),
     .choices = colour_paths, .values = colour_path_values,
     .help = "who converts decoded YUV to RGB and the output back:\n"
             "auto (default: the engine, on the GPU, with\n"
             "--backend cuda, else swscale), swscale, or engine"},
    {.name = "no-size-cap", .type = VSR_OPT_FLAG_OFF, .offset = F(cfg.size_gate),
     .help = "do not cap the bitrate at half the validator's size\n"
             "gate (8x input for x2, 20x for x4)"},
    {.type = VSR_OPT_SECTION, .help = "Output and diagnostics:"},
    {.name = "progress", .type = VSR_OPT_CHOICE, .arg = "MODE", .offset = F(progress_mode),
     .choices = progress_modes, .values = progress_values,
     .help = "auto (default: a live line on a terminal), json\n"
             "(one JSON object a line on stdout) or none"},
    {.name = "verbose", .short_name = 'v', .type = VSR_OPT_FLAG, .offset = F(verbose),
     .help = "stream, colour, queue and memory details, stage times"},
    {.name = "dump-frames-hash", .type = VSR_OPT_STRING, .arg = "F", .offset = F(cfg.hash_path),
     .help = "write 'frame sha256' of every upscaled frame before\n"
             "encoding (sha256 of raw rgb24, or of raw yuv420p\n"
             "when the engine converts: see --colour-path)"},
    {.name = "dump-input-frames", .type = VSR_OPT_STRING, .arg = "D", .offset = F(cfg.dump_dir),
     .help = "write every decoded RGB frame as D/frame_NNNNNN.png"},
    {.name = "probe-all", .type = VSR_OPT_FLAG, .offset = F(cfg.detail_probe.measure_all),
     .help = "--detail auto: score every candidate detail, not only\n"
             "those the search needs (for studies; slower)"},
    {.name = "probe-memory", .type = VSR_OPT_INT64, .arg = "BYTES",
     .offset = F(cfg.detail_probe.max_bytes), .min = 1, .max = (int64_t)1 << 40,
     .accepted = "1..2^40",
     .help = "--detail auto: the probe's sampled frames hold at most\n"
             "BYTES (default 1 GiB: fewer windows where more)"},
    {.name = "shared-context", .type = VSR_OPT_FLAG, .offset = F(shared),
     .help = "one engine context shared by all workers, fed a frame\n"
             "at a time (the seed's server; for benchmarks)"},
    {0},
};
/* clang-format on */
#undef F

static void help(void)
{
    printf("usage: vsr upscale -i IN -o OUT.mp4 (--task T | --scale N | --size WxH) [options]\n\n"
           "Upscales a video: one decode thread, N workers each with its own engine\n"
           "context (weights shared), one encode thread; frames in order, none dropped.\n"
           "The default output (HEVC Main, yuv420p, MP4 +faststart, SAR 1:1, the\n"
           "input's frame rate and timestamps) passes the Vidaio validator's gates;\n"
           "check it with 'vsr check'.\n\n");
    vsr_opt_help(stdout, io_options, 24);
    printf("\n");
    vsr_cli_engine_help(stdout);
    vsr_opt_help(stdout, run_options, 24);
    printf("\nExit status: 0 done, 1 failed, 2 wrong usage, 130 interrupted.\n");
}

/* The command line into a; VSR_EXIT_OK, or the exit status of a usage
 * error (already reported). */
static int parse_args(int argc, char **argv, upscale_args *a)
{
    static char operator_comment[VSR_COMPRESS_COMMENT_MAX];
    memset(a, 0, sizeof *a);
    vsr_cli_engine_opts *const eo = &a->eo;
    vsr_pipeline_config *const cfg = &a->cfg;
    vsr_cli_engine_default(eo);
    vsr_pipeline_config_default(cfg);
    cfg->detail = NAN; /* not given: 1, or auto with --model auto */
    cfg->chunk_frames = VSR_DEFAULT_CHUNK_FRAMES;
    a->max_pixels = (double)cfg->max_pixels;
    a->progress_mode = -1;

    const vsr_opt_set sets[] = {{io_options, a}, {vsr_cli_engine_table, eo}, {run_options, a}};
    int r = vsr_cli_parse(CMD, sets, 3, argc, argv, help, &a->help);
    if (r || a->help)
        return r;
    const char *task = a->task;
    if (a->profile)
        vsr_encoder_profile_parse(a->profile, &cfg->enc.profile);
    if (a->operator_id) {
        vsr_compress_operator_comment(a->operator_id, operator_comment);
        cfg->enc.comment = operator_comment;
    }
    if (isnan(cfg->detail)) {
        /* the model table's outputs are only ever used at a measured detail */
        cfg->detail = 1.0f;
        cfg->detail_auto = vsr_model_is_auto(eo->model);
    } else if (cfg->detail < 0) {
        cfg->detail = 1.0f; /* the probe chooses */
        cfg->detail_auto = 1;
    }
    cfg->out_width = a->size[0];
    cfg->out_height = a->size[1];
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
    cfg->max_pixels = (int64_t)a->max_pixels;
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
