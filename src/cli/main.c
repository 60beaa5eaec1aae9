/* vsr: the command-line front end. Dispatches `vsr <command> [options]`
 * through one table; every command parses its own options. */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "engine/backend.h"
#include "util/log.h"

typedef struct vsr_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} vsr_command;

/* One line per command. */
static const vsr_command commands[] = {
    {"image", "upscale one image (PNG, JPEG, WebP, BMP, ... in; PNG or JPEG out)", vsr_cmd_image},
    {"models", "list the installed models with their scale and cost", vsr_cmd_models},
    {"upscale", "upscale a video into an MP4 the Vidaio validator accepts", vsr_cmd_upscale},
    {"check", "check an upscaled video against its input with the validator's gates",
     vsr_cmd_check},
    {"compress", "the smallest encoding of a clip that meets a VMAF target (Vidaio compression)",
     vsr_cmd_compress},
    {"quality", "score a clip against a reference: VMAF, VMAF NEG, PSNR, SSIM", vsr_cmd_quality},
    {"serve", "serve the Vidaio miner APIs over HTTP (upscale jobs, S3 upload)", vsr_cmd_serve},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
    fprintf(to, "usage: vsr <command> [options]\n"
                "       vsr <command> --help\n"
                "       vsr --help | --version\n\n"
                "Video and image super-resolution.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nExit status: 0 done, 1 failed, 2 wrong usage.\n");
}

static void version(void)
{
    printf("vsr %s\n", VSR_VERSION);
    printf("backends:");
    const vsr_backend_ops *const *list = vsr_backend_list();
    for (int i = 0; list[i]; i++) {
        vsr_error why;
        vsr_error_clear(&why);
        int ok = !list[i]->available || list[i]->available(&why) == 1;
        printf(" %s%s", list[i]->name, ok ? "" : " (unavailable here)");
    }
    /* the libraries loaded at run time, which may differ from the headers */
    unsigned f = avformat_version(), c = avcodec_version(), s = swscale_version();
    printf("\nFFmpeg: libavformat %u.%u.%u, libavcodec %u.%u.%u, libswscale %u.%u.%u\n",
           AV_VERSION_MAJOR(f), AV_VERSION_MINOR(f), AV_VERSION_MICRO(f), AV_VERSION_MAJOR(c),
           AV_VERSION_MINOR(c), AV_VERSION_MICRO(c), AV_VERSION_MAJOR(s), AV_VERSION_MINOR(s),
           AV_VERSION_MICRO(s));
}

int main(int argc, char **argv)
{
    /* FFmpeg's own messages: errors only; ours say what failed and where. */
    av_log_set_level(AV_LOG_ERROR);
    /* The library's log (util/log.h): text on stderr until a command picks
     * another (`vsr serve`: JSON lines off a terminal). */
    const vsr_log text = vsr_log_text(stderr, VSR_LOG_INFO);
    vsr_log_set_default(&text);

    if (argc < 2) {
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return VSR_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        version();
        return VSR_EXIT_OK;
    }
    /* `vsr help CMD` is `vsr CMD --help` */
    if (!strcmp(name, "help")) {
        if (argc < 3) {
            usage(stdout);
            return VSR_EXIT_OK;
        }
        name = argv[2];
        for (size_t i = 0; i < N_COMMANDS; i++) {
            if (!strcmp(name, commands[i].name)) {
                char *help_argv[] = {argv[2], "--help", NULL};
                return commands[i].run(2, help_argv);
            }
        }
    } else {
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (!strcmp(name, commands[i].name))
                return commands[i].run(argc - 1, argv + 1);
    }

    fprintf(stderr, "vsr: unknown command '%s'; the commands are:", name);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
    fprintf(stderr, "\nTry 'vsr --help'.\n");
    return VSR_EXIT_USAGE;
}
