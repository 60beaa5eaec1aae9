/* The models the server has loaded: each (model, scale) is loaded once,
 * its engine (weights on the device) created once, and shared read-only by
 * every job that asks for it (DESIGN.md §1); each pipeline worker creates
 * its own execution context from it. Entries live until the cache is
 * destroyed, after every job has ended. */
#ifndef VSR_SERVER_MODEL_CACHE_H
#define VSR_SERVER_MODEL_CACHE_H

#include "engine/engine.h"
#include "util/error.h"

typedef struct vsr_model_cache vsr_model_cache;

/* engine_opt is copied (its backend string must outlive the cache);
 * models_dir may be NULL (the registry's default). */
int vsr_model_cache_create(const char *models_dir, const vsr_engine_options *engine_opt,
                           vsr_model_cache **out, vsr_error *err);
void vsr_model_cache_destroy(vsr_model_cache *c);

/* Whether a client may name this model: an installed model's or family's
 * name (letters, digits, '.', '_', '-'; no path, no file suffix). */
int vsr_model_name_is_safe(const char *name);

/* The engine of model name (an installed model or family name, or a path
 * the operator configured) at scale (2, 3, 4), loading it on first use. */
int vsr_model_cache_get(vsr_model_cache *c, const char *name, int scale, vsr_engine **engine,
                        vsr_error *err);

/* How many engines are loaded (for /health). */
int vsr_model_cache_count(vsr_model_cache *c);

#endif
