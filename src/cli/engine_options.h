/* The model and engine options every inference command takes (image,
 * upscale, serve, bench, ...), their parsing, their --help text, and the
 * steps from them to a loaded model and a ready engine.
 *
 * A command parses vsr_cli_engine_table beside its own options (over a
 * vsr_cli_engine_opts) and prints vsr_cli_engine_help() in its --help. */
#ifndef VSR_CLI_ENGINE_OPTIONS_H
#define VSR_CLI_ENGINE_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "pipeline/device_pool.h"
#include "util/error.h"
#include "util/opt_table.h"

/* Largest --tile and --threads accepted. */
#define VSR_CLI_MAX_TILE 16384
#define VSR_CLI_MAX_THREADS 1024

typedef struct vsr_cli_engine_opts {
    const char *model;      /* name or .param path; NULL = VSR_DEFAULT_MODEL */
    const char *models_dir; /* NULL = the registry's default */
    int scale;              /* 2, 3, 4; 0 = not given (see vsr_cli_engine_load_model) */
    int scale_is_output;    /* 1: scale (--task, --scale) is the output's; a model of another
                               scale is taken at its own and its output resampled (upscale) */
    const char *backend;    /* "auto" or a compiled backend's name */
    vsr_precision precision;
    int tile;            /* 0 = from the memory budget */
    int threads;         /* 0 = the backend's default */
    int pre_pad;         /* mirrored border, VSR_DEFAULT_PRE_PAD unless set */
    int memory_mib;      /* activation memory per worker context; 0 = the engine's default */
    int batch;           /* frames a context runs at once; 0 = the engine's choice */
    const char *devices; /* "all" or "0,1,..."; NULL = device 0 */
    int fail_device;     /* test only: this device index fails ... */
    int64_t fail_after;  /* ... after this many frames; -1 = never */
} vsr_cli_engine_opts;

void vsr_cli_engine_default(vsr_cli_engine_opts *o);

/* The shared options as an option table (util/opt_table.h) over a
 * vsr_cli_engine_opts: a command parses it beside its own,
 * {vsr_cli_engine_table, &opts}. */
extern const vsr_opt vsr_cli_engine_table[];

/* The --help lines of the shared options. */
void vsr_cli_engine_help(FILE *to);

/* Loads the model the options name (vsr_model_load_default: without
 * --scale, a family name means its x4 model; with scale_is_output,
 * vsr_model_load_for_scale). */
int vsr_cli_engine_load_model(const vsr_cli_engine_opts *o, vsr_graph *g, vsr_error *err);

/* The backend "auto" stands for here (vsr_backend_resolve for g, at the
 * precision asked; g NULL, as for the server before any model is loaded:
 * the precision only); an explicit name is returned as is. */
const char *vsr_cli_engine_backend(const vsr_cli_engine_opts *o, const vsr_graph *g);

/* The engine options the command-line options stand for (backend
 * resolved for g, threads, precision, tile, pre-pad). */
void vsr_cli_engine_options(const vsr_cli_engine_opts *o, const vsr_graph *g,
                            vsr_engine_options *eo);

/* The device pool the options stand for (model, engine, --devices,
 * --fail-device), for vsr_device_pool_load. */
void vsr_cli_engine_pool_spec(const vsr_cli_engine_opts *o, vsr_pool_spec *s);

/* Creates an engine for g on the chosen backend. */
int vsr_cli_engine_create(const vsr_cli_engine_opts *o, const vsr_graph *g, vsr_engine **engine,
                          vsr_error *err);

#endif
