/* The backends compiled into this build. */
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
