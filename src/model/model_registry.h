/* Finds models by name or path.
 *
 * Installed models live in a models directory as NAME.param + NAME.bin:
 * --models-dir if given, else $VSR_MODELS_DIR, else
 * ${XDG_CACHE_HOME:-~/.cache}/vsr/models (where scripts/fetch-models.sh puts
 * them). A family name plus a scale picks a file: realesr-animevideov3 with
 * scale 2 is realesr-animevideov3-x2. A path ending in .param is loaded with
 * the .bin beside it. ONNX models (one file, weights inside) are NAME.onnx
 * in the models directory or a path ending in .onnx (or any other path
 * whose content is an ONNX model). */
#ifndef VSR_MODEL_MODEL_REGISTRY_H
#define VSR_MODEL_MODEL_REGISTRY_H

#include <stddef.h>

#include "engine/graph.h"
#include "util/error.h"

#define VSR_DEFAULT_MODEL "realesr-animevideov3"

/* Writes the models directory in use into buf. */
int vsr_models_dir(const char *override_dir, char *buf, size_t len, vsr_error *err);

/* Resolves name_or_path (+ scale, 0 = the model's own) to the .param and
 * .bin paths, or for an ONNX model its path in param_path and "" in
 * bin_path; fails naming what was looked for and where. */
int vsr_model_resolve(const char *name_or_path, int scale, const char *models_dir, char *param_path,
                      char *bin_path, size_t path_len, vsr_error *err);

/* Resolves and loads; the loaded graph's scale must equal scale when
 * scale != 0. */
int vsr_model_load(const char *name_or_path, int scale, const char *models_dir, vsr_graph *g,
                   vsr_error *err);

/* Whether name_or_path names a file rather than a model: it has a '/' or
 * ends in .param or .onnx. */
int vsr_model_is_path(const char *name_or_path);

/* Whether a client may name this model: an installed model's or family's
 * name (letters, digits, '.', '_', '-'; no path, no file suffix). */
int vsr_model_name_is_safe(const char *name);

/* vsr_model_load with the rules for a name given without a scale: NULL
 * means VSR_DEFAULT_MODEL; with scale 0, a family name
 * (realesr-animevideov3) means its x4 model, while an installed model's
 * full name or a path means that model at its own scale. "auto"
 * (model_auto.h) means the model its table gives for scale, at that
 * model's own scale. */
int vsr_model_load_default(const char *name_or_path, int scale, const char *models_dir,
                           vsr_graph *g, vsr_error *err);

/* For an output scale rather than a model's (vsr upscale's --task and
 * --scale, issue 18): with scale 0 as vsr_model_load_default; else the
 * family's model of that scale where one is installed
 * (realesr-animevideov3 at 2: realesr-animevideov3-x2), otherwise the
 * named model (or path) at its own scale, whatever that is
 * (realesr-general-x4v3 for an x2 task: the pipeline resamples its
 * output), or, for a family without that scale, its x4 model. */
int vsr_model_load_for_scale(const char *name_or_path, int scale, const char *models_dir,
                             vsr_graph *g, vsr_error *err);

typedef struct vsr_model_entry {
    char name[VSR_NAME_MAX];
    char param_path[4096];
} vsr_model_entry;

/* Lists NAME.param files with a NAME.bin beside them, and NAME.onnx
 * files, in dir, sorted (param_path: the .param or .onnx file).
 * *entries is malloc'd; free it. */
int vsr_models_list(const char *dir, vsr_model_entry **entries, int *count, vsr_error *err);

#endif
