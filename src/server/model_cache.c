#include "server/model_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
        vsr_pool_spec spec = {
            .model = name,
            .scale = scale,
            .models_dir = c->opt.models_dir,
            .engine = c->opt.engine,
            .devices = c->opt.devices,
            .fail_device = c->opt.fail_device,
            .fail_after = c->opt.fail_after,
        };
        if ((st = vsr_device_pool_load(&spec, &e->graph, &e->pool, err)) < 0) {
            vsr_graph_free(&e->graph);
            free(e->name);
            free(e);
            goto done;
        }
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
