#include "cli/engine_options.h"

#include <stddef.h>
#include <string.h>

#include "cli/options.h"
#include "model/model_registry.h"

void vsr_cli_engine_default(vsr_cli_engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->backend = "auto";
    o->precision = VSR_PRECISION_AUTO;
    o->pre_pad = VSR_DEFAULT_PRE_PAD;
    o->fail_device = -1;
    o->fail_after = -1;
}

/* --fail-device INDEX:FRAMES into fail_device and fail_after. */
static int parse_fail_device(const vsr_opt *o, void *base, const char *text, vsr_error *err)
{
    (void)o;
    vsr_cli_engine_opts *eo = base;
    int index;
    long long after;
    char end;
    if (sscanf(text, "%d:%lld%c", &index, &after, &end) != 2 || index < 0 ||
        index >= VSR_MAX_DEVICES || after < 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "expected INDEX:FRAMES, got '%s'", text);
    eo->fail_device = index;
    eo->fail_after = after;
    return VSR_OK;
}

#define F(f) offsetof(vsr_cli_engine_opts, f)
/* clang-format off */
const vsr_opt vsr_cli_engine_table[] = {
    {.type = VSR_OPT_SECTION, .help = "Model and engine:"},
    {.name = "model", .type = VSR_OPT_STRING, .arg = "NAME|PATH", .offset = F(model),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a model name, a .param or an .onnx path",
     .help = "model family (" VSR_DEFAULT_MODEL ", the default),\n"
             "an installed model (realesr-animevideov3-x2) or a\n"
             ".param file (its .bin beside it) or an .onnx file;\n"
             "see 'vsr models'"},
    {.name = "models-dir", .type = VSR_OPT_STRING, .arg = "DIR", .offset = F(models_dir),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "a directory",
     .help = "where installed models are (default: $VSR_MODELS_DIR,\n"
             "else ~/.cache/vsr/models)"},
    {.name = "scale", .type = VSR_OPT_CHOICE, .arg = "2|3|4", .offset = F(scale),
     .choices = vsr_opt_scale_choices, .values = vsr_opt_scale_values,
     .help = "upscaling factor (default: 4 for a family name, else\n"
             "the model's own)"},
    {.name = "backend", .type = VSR_OPT_CUSTOM, .arg = "NAME", .offset = F(backend),
     .parse = vsr_opt_parse_backend, .help_fn = vsr_opt_backend_help},
    {.name = "precision", .type = VSR_OPT_CHOICE, .arg = "P", .offset = F(precision),
     .choices = vsr_precision_choices, .values = vsr_precision_values,
     .help = "auto (default: fp32 on the CPU, fp16 on a GPU), fp32,\n"
             "bf16 or fp16 where the backend has it"},
    {.name = "tile", .type = VSR_OPT_INT, .arg = "N", .offset = F(tile), .min = 0,
     .max = VSR_CLI_MAX_TILE, .accepted = "0 (automatic) or a tile edge of 1..16384 input pixels",
     .help = "tile edge in input pixels; 0 = from the memory budget\n"
             "(default)"},
    {.name = "threads", .type = VSR_OPT_INT, .arg = "N", .offset = F(threads), .min = 0,
     .max = VSR_CLI_MAX_THREADS, .accepted = "0 (the backend's default) or 1..1024",
     .help = "CPU threads; 0 = the backend's default"},
    {.name = "pre-pad", .type = VSR_OPT_INT, .arg = "N", .offset = F(pre_pad), .min = 0,
     .max = 1024, .accepted = "0..1024 pixels",
     .help = "mirror N pixels past the frame's borders before the\n"
             "network, as realesrgan-ncnn-vulkan does (default 10;\n"
             "0 = the network's zero padding)"},
    {.name = "devices", .type = VSR_OPT_STRING, .arg = "all|0,1", .offset = F(devices),
     .flags = VSR_OPTF_NONEMPTY, .accepted = "all or a list like 0,1",
     .help = "the devices to run on (GPUs; for cpu, engines that\n"
             "share the cores); default the first"},
    {.name = "memory", .type = VSR_OPT_INT, .arg = "MIB", .offset = F(memory_mib), .min = 0,
     .max = 1 << 20,
     .accepted = "0 (the default: 1 GiB on the CPU, 4 GiB on a GPU) or 1..1048576 MiB",
     .help = "activation memory per worker context (on each device);\n"
             "frames beyond it are tiled (default 1 GiB on the CPU,\n"
             "4 GiB on a GPU)"},
    {.name = "batch", .type = VSR_OPT_INT, .arg = "N", .offset = F(batch), .min = 0,
     .max = VSR_MAX_BATCH, .accepted = "0 (the backend's choice) or 1..8 frames",
     .help = "frames a worker runs through the model at once, where\n"
             "the output is the model's own (default 0: 2 for the\n"
             "RRDB models on a GPU, whose launches the frames' tiles\n"
             "then fill; 1 elsewhere)"},
    {.name = "fail-device", .type = VSR_OPT_CUSTOM, .arg = "I:N", .offset = F(fail_device),
     .parse = parse_fail_device,
     .help = "test only: the I-th device of --devices fails from its\n"
             "N-th frame on (its frames are redone on the others)"},
    {0},
};
/* clang-format on */
#undef F

void vsr_cli_engine_help(FILE *to)
{
    /* its section heading starts with a blank line: the caller's text ends
     * with one already */
    fprintf(to, "%s\n", vsr_cli_engine_table[0].help);
    vsr_opt_help(to, vsr_cli_engine_table + 1, 22);
}

int vsr_cli_engine_load_model(const vsr_cli_engine_opts *o, vsr_graph *g, vsr_error *err)
{
    return o->scale_is_output ? vsr_model_load_for_scale(o->model, o->scale, o->models_dir, g, err)
                              : vsr_model_load_default(o->model, o->scale, o->models_dir, g, err);
}

const char *vsr_cli_engine_backend(const vsr_cli_engine_opts *o, const vsr_graph *g)
{
    vsr_backend_config cfg = {.threads = o->threads, .precision = o->precision};
    return vsr_backend_resolve(o->backend, g, &cfg);
}

void vsr_cli_engine_pool_spec(const vsr_cli_engine_opts *o, vsr_pool_spec *s)
{
    vsr_pool_spec_default(s);
    s->model = o->model;
    s->scale = o->scale;
    s->scale_is_output = o->scale_is_output;
    s->models_dir = o->models_dir;
    s->engine.backend = o->backend; /* "auto": resolved for the model once loaded */
    s->engine.config.threads = o->threads;
    s->engine.config.precision = o->precision;
    /* the backends' knobs: read from the environment here, at the edge */
    vsr_backend_settings_from_env(&s->engine.config.settings);
    s->engine.tile = o->tile;
    s->engine.pre_pad = o->pre_pad;
    s->engine.memory_budget = (size_t)o->memory_mib << 20;
    s->engine.batch = o->batch;
    s->devices = o->devices;
    s->fail_device = o->fail_device;
    s->fail_after = o->fail_after;
}

void vsr_cli_engine_options(const vsr_cli_engine_opts *o, const vsr_graph *g,
                            vsr_engine_options *eo)
{
    vsr_pool_spec s;
    vsr_cli_engine_pool_spec(o, &s);
    *eo = s.engine;
    eo->backend = vsr_cli_engine_backend(o, g);
}

int vsr_cli_engine_create(const vsr_cli_engine_opts *o, const vsr_graph *g, vsr_engine **engine,
                          vsr_error *err)
{
    vsr_engine_options eo;
    vsr_cli_engine_options(o, g, &eo);
    return vsr_engine_create(g, &eo, engine, err);
}
