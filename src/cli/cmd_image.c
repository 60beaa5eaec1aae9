/* vsr image: upscales one image file with one model. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/options.h"
#include "frame/blend.h"
#include "media/image_io.h"
#include "media/rgb_resize.h"
#include "util/clock.h"
#include "util/output_file.h"

static const char *const CMD = "image";

/* Refuses, before any work, an output whose directory does not exist:
 * otherwise the failure would come only after the upscale. */
static int check_output_dir(const char *path, vsr_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "%s: is a directory; -o needs a file name", path);
    char dir[PATH_MAX] = ".";
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: path too long", path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    if (stat(dir, &st) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write into %s: %s", path, dir,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write into %s: not a directory", path,
                             dir);
    if (access(dir, W_OK | X_OK) != 0)
        return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write into %s: %s", path, dir,
                             strerror(errno));
    return 0;
}

typedef struct image_args {
    const char *input, *output;
    vsr_image_write_options write;
    int verbose;
    int size[2]; /* --size WxH; 0: the model's own */
    float detail;
    vsr_cli_engine_opts engine;
} image_args;

#define STR_(x) #x
#define STR(x) STR_(x)
#define F(f) offsetof(image_args, f)
/* clang-format off */
static const vsr_opt options[] = {
    {.name = "input", .short_name = 'i', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(input), .help = "image to upscale"},
    {.name = "output", .short_name = 'o', .type = VSR_OPT_STRING, .arg = "FILE",
     .offset = F(output), .help = "where to write the result (.png, .jpg, .jpeg)"},
    {.name = "quality", .type = VSR_OPT_INT, .arg = "N", .offset = F(write.jpeg_quality),
     .min = 1, .max = 100, .accepted = "a JPEG quality of 1..100",
     .help = "JPEG quality 1..100 (default " STR(VSR_JPEG_QUALITY_DEFAULT) ")"},
    {.name = "size", .type = VSR_OPT_SIZE, .arg = "WxH", .offset = F(size), .min = 1,
     .max = VSR_IMAGE_MAX_SIDE,
     .help = "output size (any, up to " STR(VSR_IMAGE_MAX_SIDE) " a side): the model runs at\n"
             "its own scale, its output resampled (Lanczos-3) to WxH"},
    VSR_OPT_ROW_DETAIL(F(detail)),
    {.name = "verbose", .short_name = 'v', .type = VSR_OPT_FLAG, .offset = F(verbose),
     .help = "print the model, backend, tile size, times and GFLOP/s"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .help = "this help"},
    {0},
};
/* clang-format on */
#undef F

static void help(void)
{
    printf("usage: vsr image -i INPUT -o OUTPUT [options]\n\n"
           "Upscales one image. INPUT is any still image FFmpeg reads (PNG, JPEG, WebP,\n"
           "BMP, TIFF, ...); OUTPUT's extension picks the format: .png (lossless) or\n"
           ".jpg/.jpeg. OUTPUT is written whole or not at all.\n\n");
    vsr_opt_help(stdout, options, 22);
    printf("\n");
    vsr_cli_engine_help(stdout);
    printf("\nExit status: 0 done, 1 failed (input, model, engine, output), 2 wrong usage.\n");
}

/* Returns -1 to go on, else the exit status (help printed or usage
 * error). */
static int parse_args(int argc, char **argv, image_args *a)
{
    memset(a, 0, sizeof *a);
    a->detail = 1.f;
    vsr_image_write_options_default(&a->write);
    vsr_cli_engine_default(&a->engine);
    const vsr_opt_set sets[] = {{options, a}, {vsr_cli_engine_table, &a->engine}};
    int help_asked, st = vsr_cli_parse(CMD, sets, 2, argc, argv, help, &help_asked);
    if (st || help_asked)
        return st;
    if ((st = vsr_opt_no_operands(CMD, argc, argv)))
        return st;
    if (!a->input || !*a->input)
        return vsr_usage_error(CMD, "-i INPUT is required (the image to upscale)");
    if (!a->output || !*a->output)
        return vsr_usage_error(CMD, "-o OUTPUT is required (a .png, .jpg or .jpeg file)");
    vsr_image_file_format ff;
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_image_file_format_from_path(a->output, &ff, &err) < 0)
        return vsr_usage_error(CMD, "-o: %s", err.msg);
    return -1;
}

int vsr_cmd_image(int argc, char **argv)
{
    image_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;

    vsr_error err;
    vsr_error_clear(&err);
    vsr_image in = {0}, out = {0}, model = {0}, blend = {0};
    vsr_graph g;
    memset(&g, 0, sizeof g);
    int have_graph = 0;
    vsr_engine *engine = NULL;
    vsr_engine_ctx *ctx = NULL;
    rc = VSR_EXIT_FAILURE;

    if (check_output_dir(a.output, &err) < 0 || vsr_output_file_check(a.input, a.output, &err) < 0)
        goto fail;
    double t0 = vsr_now_s();
    if (vsr_image_read(a.input, &in, &err) < 0)
        goto fail;
    double t_read = vsr_now_s();
    if (vsr_cli_engine_load_model(&a.engine, &g, &err) < 0)
        goto fail;
    have_graph = 1;
    double t_load = vsr_now_s();

    /* The model's own output, then, for another size or a detail below 1,
     * that resampled and blended with the input resampled (issue 18). */
    const int with_model = a.detail > 0.f;
    long long mw = (long long)in.width * g.scale, mh = (long long)in.height * g.scale;
    if (with_model && (mw > VSR_IMAGE_MAX_SIDE || mh > VSR_IMAGE_MAX_SIDE)) {
        vsr_error_set(&err, VSR_ERR_NOMEM,
                      "%s: the model's output would be %lldx%lld (x%d), larger than the limit "
                      "of %d pixels a side",
                      a.input, mw, mh, g.scale, VSR_IMAGE_MAX_SIDE);
        goto fail;
    }
    const int ow = a.size[0] ? a.size[0] : (int)mw, oh = a.size[1] ? a.size[1] : (int)mh;
    const int resampled = ow != mw || oh != mh || a.detail < 1.f;
    if ((with_model && vsr_image_check_size((int)mw, (int)mh, "the model's output", &err) < 0) ||
        vsr_image_check_size(ow, oh, "the output image", &err) < 0) {
        vsr_error_prefix(&err, "%s", a.input);
        goto fail;
    }

    if (vsr_cli_engine_create(&a.engine, &g, &engine, &err) < 0 ||
        vsr_engine_ctx_create(engine, &ctx, &err) < 0 ||
        (with_model && vsr_image_alloc(&model, (int)mw, (int)mh, VSR_PIX_RGB24, &err) < 0))
        goto fail;
    double t_ready = vsr_now_s();
    if (with_model && vsr_engine_upscale(ctx, &in, &model, &err) < 0) {
        vsr_error_prefix(&err, "upscale %s", a.input);
        goto fail;
    }
    double t_up = vsr_now_s();
    if (!resampled) {
        out = model;
        model = (vsr_image){0};
    } else if (vsr_image_alloc(&out, ow, oh, VSR_PIX_RGB24, &err) < 0 ||
               (with_model && vsr_rgb24_resize(&model, &out, &err) < 0)) {
        goto fail;
    } else if (a.detail < 1.f) {
        vsr_image *lanczos = with_model ? &blend : &out;
        if ((with_model && vsr_image_alloc(&blend, ow, oh, VSR_PIX_RGB24, &err) < 0) ||
            vsr_rgb24_resize(&in, lanczos, &err) < 0 ||
            (with_model && vsr_rgb24_blend(&out, &blend, a.detail, &err) < 0))
            goto fail;
    }
    double t_resample = vsr_now_s();
    if (vsr_image_write(a.output, &out, &a.write, &err) < 0)
        goto fail;
    double t_write = vsr_now_s();

    if (a.verbose) {
        const vsr_backend_ops *be = vsr_engine_backend(engine);
        double up = t_up - t_ready;
        double gflop = g.flops_per_pixel * in.width * in.height / 1e9;
        fprintf(stderr, "vsr image: model %s: x%d, %zu parameters, %.3f MFLOP per input pixel\n",
                g.name, g.scale, g.n_weights, g.flops_per_pixel / 1e6);
        char threads[32];
        if (a.engine.threads)
            snprintf(threads, sizeof threads, "%d", a.engine.threads);
        else
            snprintf(threads, sizeof threads, "the backend's default");
        fprintf(stderr, "vsr image: backend %s, precision %s, threads %s, tile %d\n", be->name,
                vsr_precision_name(a.engine.precision == VSR_PRECISION_AUTO ? be->native_precision
                                                                            : a.engine.precision),
                threads, vsr_engine_tile_size(ctx, in.width, in.height));
        fprintf(stderr, "vsr image: %s %dx%d -> %s %dx%d\n", a.input, in.width, in.height, a.output,
                out.width, out.height);
        if (resampled)
            fprintf(stderr,
                    "vsr image: model output %lldx%lld resampled (Lanczos-3) to %dx%d at detail "
                    "%.2f in %.3f s\n",
                    with_model ? mw : 0, with_model ? mh : 0, ow, oh, a.detail, t_resample - t_up);
        fprintf(stderr,
                "vsr image: read %.3f s, model %.3f s, engine %.3f s, upscale %.3f s "
                "(%.2f GFLOP, %.2f GFLOP/s), write %.3f s\n",
                t_read - t0, t_load - t_read, t_ready - t_load, up, with_model ? gflop : 0.0,
                up > 0 && with_model ? gflop / up : 0.0, t_write - t_resample);
    }
    rc = VSR_EXIT_OK;
    goto done;

fail:
    vsr_cli_fail(CMD, "%s", err.msg);
done:
    if (out.data)
        vsr_image_free(&out);
    if (model.data)
        vsr_image_free(&model);
    if (blend.data)
        vsr_image_free(&blend);
    if (ctx)
        vsr_engine_ctx_destroy(ctx);
    if (engine)
        vsr_engine_destroy(engine);
    if (have_graph)
        vsr_graph_free(&g);
    if (in.data)
        vsr_image_free(&in);
    return rc;
}
