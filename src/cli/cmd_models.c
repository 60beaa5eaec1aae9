/* vsr models: lists the installed models with what each costs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "cli/options.h"
#include "model/model_registry.h"

static const char *const CMD = "models";

typedef struct models_args {
    const char *models_dir;
} models_args;

/* --models-dir as the engine options have it */
static const vsr_opt options[] = {
    {.name = "models-dir",
     .type = VSR_OPT_STRING,
     .arg = "DIR",
     .offset = offsetof(models_args, models_dir),
     .flags = VSR_OPTF_NONEMPTY,
     .accepted = "a directory",
     .help = "where installed models are (default: $VSR_MODELS_DIR,\n"
             "else ~/.cache/vsr/models)"},
    {.name = "help", .short_name = 'h', .type = VSR_OPT_HELP, .help = "this help"},
    {0},
};

static void help(void)
{
    printf("usage: vsr models [--models-dir DIR]\n\n"
           "Lists the models installed in the models directory (NAME.param with\n"
           "NAME.bin beside it): the scale, the number of parameters and the cost in\n"
           "MFLOP per input pixel, read from each loaded model.\n\n");
    vsr_opt_help(stdout, options, 22);
    printf("\nA model is named with 'vsr image --model NAME': the full name\n"
           "(realesr-animevideov3-x2) or the family (" VSR_DEFAULT_MODEL ") with --scale.\n\n"
           "Exit status: 0 done, 1 a model or the directory could not be read, 2 wrong\n"
           "usage.\n");
}

int vsr_cmd_models(int argc, char **argv)
{
    models_args a = {0};
    const vsr_opt_set set = {options, &a};
    int help_asked, st = vsr_cli_parse(CMD, &set, 1, argc, argv, help, &help_asked);
    if (st || help_asked)
        return st;
    if ((st = vsr_opt_no_operands(CMD, argc, argv)))
        return st;
    const char *models_dir = a.models_dir;

    vsr_error err;
    vsr_error_clear(&err);
    char dir[4096];
    if (vsr_models_dir(models_dir, dir, sizeof dir, &err) < 0)
        return vsr_cli_fail(CMD, "%s", err.msg);
    vsr_model_entry *entries = NULL;
    int n = 0;
    if (vsr_models_list(dir, &entries, &n, &err) < 0)
        return vsr_cli_fail(CMD, "%s (scripts/fetch-models.sh installs the models)", err.msg);
    if (n == 0) {
        printf("No models installed in %s (scripts/fetch-models.sh installs them).\n", dir);
        free(entries);
        return VSR_EXIT_OK;
    }

    printf("Models in %s:\n", dir);
    printf("%-32s %5s %12s %12s\n", "NAME", "SCALE", "PARAMETERS", "MFLOP/PIXEL");
    int failed = 0;
    for (int i = 0; i < n; i++) {
        vsr_graph g;
        memset(&g, 0, sizeof g);
        vsr_error lerr;
        vsr_error_clear(&lerr);
        /* by path, at its own scale: each file exactly as installed */
        if (vsr_model_load(entries[i].param_path, 0, NULL, &g, &lerr) < 0) {
            printf("%-32s %5s %12s %12s\n", entries[i].name, "?", "?", "?");
            fprintf(stderr, "vsr models: error: %s\n", lerr.msg);
            failed++;
            continue;
        }
        printf("%-32s %5d %12zu %12.3f\n", entries[i].name, g.scale, g.n_weights,
               g.flops_per_pixel / 1e6);
        vsr_graph_free(&g);
    }
    free(entries);
    if (failed) {
        fprintf(stderr, "vsr models: %d of %d models could not be loaded\n", failed, n);
        return VSR_EXIT_FAILURE;
    }
    return VSR_EXIT_OK;
}
