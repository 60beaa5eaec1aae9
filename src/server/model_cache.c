#include "server/model_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_registry.h"

typedef struct cache_entry {
    char *name;
    int scale;
    vsr_graph graph;
    vsr_device_pool *pool;
    struct cache_entry *next;
} cache_entry;

struct vsr_model_cache {
    pthread_mutex_t lock; /* held through a load: loads are rare and not worth racing */
    vsr_model_cache_options opt;
    cache_entry *entries;
    int count;
};

int vsr_model_cache_create(const vsr_model_cache_options *opt, vsr_model_cache **out,
                           vsr_error *err)
{
    *out = NULL;
    if (opt->n_devices < 1 || opt->n_devices > VSR_MAX_DEVICES)
        return vsr_error_set(err, VSR_ERR_INVALID, "model cache: %d devices", opt->n_devices);
    vsr_model_cache *c = calloc(1, sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "model cache: out of memory");
    c->opt = *opt;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return VSR_OK;
}

void vsr_model_cache_destroy(vsr_model_cache *c)
{
    if (!c)
        return;
    for (cache_entry *e = c->entries; e;) {
        cache_entry *next = e->next;
        vsr_device_pool_destroy(e->pool);
        vsr_graph_free(&e->graph);
        free(e->name);
        free(e);
        e = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int vsr_model_name_is_safe(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    /* A file suffix would make the registry treat it as a path. */
    static const char *const suffixes[] = {".param", ".bin", ".onnx"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i]))
            return 0;
    }
    return 1;
}

int vsr_model_cache_get(vsr_model_cache *c, const char *name, int scale, vsr_device_pool **pool,
                        vsr_error *err)
{
    *pool = NULL;
    pthread_mutex_lock(&c->lock);
    int st = VSR_OK;
    cache_entry *e = c->entries;
    while (e && (e->scale != scale || strcmp(e->name, name)))
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || !(e->name = strdup(name))) {
            free(e);
            st = vsr_error_set(err, VSR_ERR_NOMEM, "model cache: out of memory");
            goto done;
        }
        e->scale = scale;
        if ((st = vsr_model_load(name, scale, c->opt.models_dir, &e->graph, err)) < 0 ||
            (st = vsr_device_pool_create(&e->graph, &c->opt.engine, c->opt.devices,
                                         c->opt.n_devices, &e->pool, err)) < 0) {
            vsr_graph_free(&e->graph);
            free(e->name);
            free(e);
            goto done;
        }
        if (c->opt.fail_device >= 0)
            vsr_device_pool_inject_fault(e->pool, c->opt.fail_device, c->opt.fail_after);
        e->next = c->entries;
        c->entries = e;
        c->count++;
    }
    *pool = e->pool;
done:
    pthread_mutex_unlock(&c->lock);
    return st;
}

int vsr_model_cache_count(vsr_model_cache *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void vsr_model_cache_foreach(vsr_model_cache *c,
                             void (*fn)(void *opaque, const char *name, int scale,
                                        vsr_device_pool *pool),
                             void *opaque)
{
    pthread_mutex_lock(&c->lock);
    for (cache_entry *e = c->entries; e; e = e->next)
        fn(opaque, e->name, e->scale, e->pool);
    pthread_mutex_unlock(&c->lock);
}
