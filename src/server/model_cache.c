#include "server/model_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_registry.h"

typedef struct cache_entry {
    char *name;
    int scale;
    vsr_graph graph;
    vsr_engine *engine;
    struct cache_entry *next;
} cache_entry;

struct vsr_model_cache {
    pthread_mutex_t lock; /* held through a load: loads are rare and not worth racing */
    char *models_dir;
    vsr_engine_options engine_opt;
    cache_entry *entries;
    int count;
};

int vsr_model_cache_create(const char *models_dir, const vsr_engine_options *engine_opt,
                           vsr_model_cache **out, vsr_error *err)
{
    *out = NULL;
    vsr_model_cache *c = calloc(1, sizeof *c);
    if (!c || (models_dir && !(c->models_dir = strdup(models_dir)))) {
        free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "model cache: out of memory");
    }
    c->engine_opt = *engine_opt;
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
        vsr_engine_destroy(e->engine);
        vsr_graph_free(&e->graph);
        free(e->name);
        free(e);
        e = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c->models_dir);
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

int vsr_model_cache_get(vsr_model_cache *c, const char *name, int scale, vsr_engine **engine,
                        vsr_error *err)
{
    *engine = NULL;
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
        if ((st = vsr_model_load(name, scale, c->models_dir, &e->graph, err)) < 0 ||
            (st = vsr_engine_create(&e->graph, &c->engine_opt, &e->engine, err)) < 0) {
            vsr_graph_free(&e->graph);
            free(e->name);
            free(e);
            goto done;
        }
        e->next = c->entries;
        c->entries = e;
        c->count++;
    }
    *engine = e->engine;
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
