/* The backends compiled into this build, and the choice "auto" makes
 * among them. */
#include <stdio.h>
#include <string.h>

#include "engine/backend.h"

extern const vsr_backend_ops vsr_backend_ref;
#ifdef VSR_HAVE_ONEDNN
extern const vsr_backend_ops vsr_backend_cpu;
#endif
#ifdef VSR_HAVE_CUDA
extern const vsr_backend_ops vsr_backend_cuda;
#endif

static const vsr_backend_ops *const backends[] = {
    &vsr_backend_ref,
#ifdef VSR_HAVE_ONEDNN
    &vsr_backend_cpu,
#endif
#ifdef VSR_HAVE_CUDA
    &vsr_backend_cuda,
#endif
    NULL,
};

/* What "auto" prefers: a GPU, then oneDNN on the CPU, then the plain-C
 * oracle (a different order from the list above, which is --help's). */
static const vsr_backend_ops *const auto_order[] = {
#ifdef VSR_HAVE_CUDA
    &vsr_backend_cuda,
#endif
#ifdef VSR_HAVE_ONEDNN
    &vsr_backend_cpu,
#endif
    &vsr_backend_ref,
    NULL,
};

const vsr_backend_ops *const *vsr_backend_list(void)
{
    return backends;
}

const vsr_backend_ops *vsr_backend_find(const char *name, vsr_error *err)
{
    char known[256] = "";
    for (int i = 0; backends[i]; i++) {
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", backends[i]->name);
    }
    vsr_error_set(err, VSR_ERR_INVALID, "unknown backend '%s' (this build has: %s)", name, known);
    return NULL;
}

static vsr_backend_config resolved(const vsr_backend_ops *be, const vsr_backend_config *cfg)
{
    vsr_backend_config c = {.precision = VSR_PRECISION_AUTO};
    if (cfg)
        c = *cfg;
    if (c.precision == VSR_PRECISION_AUTO)
        c.precision = be->native_precision;
    return c;
}

int vsr_backend_supports(const vsr_backend_ops *be, const vsr_graph *g,
                         const vsr_backend_config *cfg, vsr_error *err)
{
    vsr_backend_config c = resolved(be, cfg);
    return be->supports(g, &c, err);
}

const vsr_backend_ops *vsr_backend_auto(const vsr_graph *g, const vsr_backend_config *cfg,
                                        vsr_error *err)
{
    /* the first refusal says why none was taken: the preferred backend's
     * reason (bf16 on a CPU without it) is the one worth reading */
    int refused = 0;
    for (int i = 0; auto_order[i]; i++) {
        const vsr_backend_ops *be = auto_order[i];
        vsr_error why;
        vsr_error_clear(&why);
        if (be->available(&why) != 1)
            continue;
        if (vsr_backend_supports(be, g, cfg, &why))
            return be;
        if (!refused++ && err)
            *err = why;
    }
    if (!refused)
        vsr_error_set(err, VSR_ERR_UNSUPPORTED, "no backend is available here");
    return NULL;
}

const char *vsr_backend_resolve(const char *name, const vsr_graph *g, const vsr_backend_config *cfg)
{
    if (name && strcmp(name, "auto") != 0)
        return name;
    const vsr_backend_ops *be = vsr_backend_auto(g, cfg, NULL);
    return be ? be->name : "ref";
}
