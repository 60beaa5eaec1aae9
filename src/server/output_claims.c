/* Output path claims; see output_claims.h. A few jobs run or wait at a
 * time, so a list searched from end to end is all it takes. */
#include "server/output_claims.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct vsr_output_claims {
    pthread_mutex_t lock;
    char **paths;
    int n, cap;
};

int vsr_output_claims_create(vsr_output_claims **out, vsr_error *err)
{
    vsr_output_claims *c = calloc(1, sizeof *c);
    if (!c)
        return vsr_error_set(err, VSR_ERR_NOMEM, "output claims: out of memory");
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return VSR_OK;
}

void vsr_output_claims_destroy(vsr_output_claims *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->paths[i]);
    free(c->paths);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int held(const vsr_output_claims *c, const char *path)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->paths[i], path))
            return 1;
    return 0;
}

static void drop(vsr_output_claims *c, const char *path)
{
    for (int i = 0; i < c->n; i++) {
        if (!strcmp(c->paths[i], path)) {
            free(c->paths[i]);
            c->paths[i] = c->paths[--c->n];
            return;
        }
    }
}

int vsr_output_claims_take(vsr_output_claims *c, const char *const *paths, int n, int *busy,
                           vsr_error *err)
{
    int st = VSR_OK, taken = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < n && st == VSR_OK; i++) {
        if (!paths[i][0])
            continue;
        if (held(c, paths[i])) {
            *busy = i;
            st = vsr_error_set(err, VSR_ERR_BUSY, "%s is being written by another request",
                               paths[i]);
            break;
        }
        if (c->n == c->cap) {
            int cap = c->cap ? 2 * c->cap : 16;
            char **p = realloc(c->paths, sizeof *p * (size_t)cap);
            if (!p) {
                st = vsr_error_set(err, VSR_ERR_NOMEM, "output claims: out of memory");
                break;
            }
            c->paths = p;
            c->cap = cap;
        }
        if (!(c->paths[c->n] = strdup(paths[i]))) {
            st = vsr_error_set(err, VSR_ERR_NOMEM, "output claims: out of memory");
            break;
        }
        c->n++;
        taken = i + 1;
    }
    if (st != VSR_OK) /* all or none */
        for (int i = 0; i < taken; i++)
            if (paths[i][0])
                drop(c, paths[i]);
    pthread_mutex_unlock(&c->lock);
    return st;
}

void vsr_output_claims_release(vsr_output_claims *c, const char *const *paths, int n)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < n; i++)
        if (paths[i][0])
            drop(c, paths[i]);
    pthread_mutex_unlock(&c->lock);
}
