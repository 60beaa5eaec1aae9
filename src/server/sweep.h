/* The startup sweep: what a server killed mid-job (kill -9, a crash, the
 * power) left behind, removed before the new one takes requests (issue 20:
 * job directories, downloaded inputs and partial outputs stayed for ever).
 *
 * Only vsr's own scratch names are touched (util/scratch_file.h), and only
 * those whose maker is no longer running on this host (or was a previous
 * process with this one's pid: a container's server restarted as pid 1):
 *   - in tmp_dir, job directories "vsr-job-<pid>-XXXXXX": their regular
 *     files (downloads, outputs before upload, partial outputs), then the
 *     directory; one holding anything else is left, with a warning;
 *   - under root (recursively, symlinks not followed, one filesystem),
 *     partial outputs ".<name>.vsr-partial-<pid>[-XXXXXX]".
 * Files of other users, other names, and those of live vsr processes (the
 * CLI, another server on this host) are left alone. Servers in different
 * pid namespaces (containers) must not share a tmp_dir or a root. */
#ifndef VSR_SERVER_SWEEP_H
#define VSR_SERVER_SWEEP_H

#include "util/error.h"

typedef struct vsr_sweep_stats {
    int job_dirs; /* job directories removed */
    int files;    /* files removed: in those directories and partial outputs */
    int left;     /* stale entries that could not be removed (logged) */
} vsr_sweep_stats;

/* Sweeps tmp_dir and root (either may be NULL). Failures to remove are
 * logged and counted, not fatal; an unreadable tmp_dir or root is an error
 * (the server would fail on it anyway). */
int vsr_sweep_leftovers(const char *tmp_dir, const char *root, vsr_sweep_stats *stats,
                        vsr_error *err);

#endif
