/* One run of a graph on a backend, through its ops table as the engine
 * drives it (weights, a context, run, both destroyed), for tests that call
 * a backend directly. */
#ifndef VSR_TESTS_BACKEND_RUN_H
#define VSR_TESTS_BACKEND_RUN_H

#include "engine/backend.h"

/* out is allocated by the caller (in->n x g's output channels x the
 * scaled size). Returns 0, or the status with why in err. */
static inline int backend_run(const vsr_backend_ops *be, const vsr_graph *g,
                              const vsr_backend_config *cfg, const vsr_tensor *in, vsr_tensor *out,
                              vsr_error *err)
{
    void *w = NULL, *ctx = NULL;
    int rc = be->weights_create(g, cfg, &w, err);
    if (!rc)
        rc = be->context_create(g, w, cfg, &ctx, err);
    if (!rc)
        rc = be->run(ctx, in, out, err);
    if (ctx)
        be->context_destroy(ctx);
    if (w)
        be->weights_destroy(w);
    return rc;
}

#endif
