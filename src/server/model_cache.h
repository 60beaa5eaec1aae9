/* The models the server has loaded: each (model, scale) is loaded once,
 * its engines (weights on every configured device) created once, and
 * shared read-only by every job that asks for it (DESIGN.md §1); each
 * pipeline worker gets its own execution context on the least loaded
 * device. Entries live until the cache is destroyed, after every job. */
#ifndef VSR_SERVER_MODEL_CACHE_H
#define VSR_SERVER_MODEL_CACHE_H

#include <stdint.h>

#include "engine/engine.h"
#include "pipeline/device_pool.h"
#include "util/error.h"

typedef struct vsr_model_cache vsr_model_cache;

typedef struct vsr_model_cache_options {
    const char *models_dir;    /* NULL = the registry's default */
    vsr_engine_options engine; /* the backend resolved */
    const char *devices;       /* "all" or "0,1,..."; NULL = device 0 */
    int fail_device;           /* test only: device index that fails ... */
    int64_t fail_after;        /* ... from this frame on; -1 = never */
} vsr_model_cache_options;

/* opt is copied; its strings must outlive the cache. */
int vsr_model_cache_create(const vsr_model_cache_options *opt, vsr_model_cache **out,
                           vsr_error *err);
void vsr_model_cache_destroy(vsr_model_cache *c);

/* The devices of model name (an installed model or family name, or a path
 * the operator configured) at scale (2, 3, 4), loading it on first use. */
int vsr_model_cache_get(vsr_model_cache *c, const char *name, int scale, vsr_device_pool **pool,
                        vsr_error *err);

/* Calls fn for every loaded model, under the cache's lock. */
void vsr_model_cache_foreach(vsr_model_cache *c,
                             void (*fn)(void *opaque, const char *name, int scale,
                                        vsr_device_pool *pool),
                             void *opaque);

/* How many engines are loaded (for /health). */
int vsr_model_cache_count(vsr_model_cache *c);

#endif
