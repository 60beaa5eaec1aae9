#include "pipeline/policy.h"

#include <stdatomic.h>
#include <stddef.h>

#include "engine/backend.h"
#include "util/cores.h"

int vsr_policy_workers(const char *backend, int n_devices)
{
    const vsr_backend_ops *ops = backend ? vsr_backend_find(backend, NULL) : NULL;
    return ops && ops->device_type == VSR_DEVICE_GPU ? 2 * (n_devices > 0 ? n_devices : 1) : 1;
}

int vsr_policy_engine_threads(int jobs, int workers)
{
    long parts = (long)(jobs > 0 ? jobs : 1) * (workers > 0 ? workers : 1);
    long share = vsr_cores_online() / parts;
    return share > 1 ? (int)share : 1;
}

int vsr_policy_encoder_cores(int active_clips)
{
    int share = vsr_cores_online() / (active_clips > 1 ? active_clips : 1);
    return share > 1 ? share : 1;
}

int vsr_policy_encoder_cores_now(void *active_clips)
{
    return vsr_policy_encoder_cores(active_clips ? atomic_load((atomic_int *)active_clips) : 1);
}
