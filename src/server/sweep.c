/* The startup sweep; see sweep.h. */
#include "server/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/scratch_file.h"

/* Deeper than any sensible tree of videos; a bound for a hostile one. */
#define MAX_DEPTH 32

/* A stale job directory: when it holds only regular files and symlinks
 * (what a job makes), they go, then the directory; anything else in it
 * and it is left whole, with a warning. Returns 1 if it went. */
static int sweep_job_dir(int parent, const char *name, const char *where, vsr_sweep_stats *st)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        vsr_logf(NULL, VSR_LOG_WARN, "sweep", "%s/%s: cannot open: %s", where, name,
                 strerror(errno));
        st->left++;
        return 0;
    }
    int others = 0;
    struct dirent *e;
    for (int pass = 0; pass < 2 && !others; pass++) {
        rewinddir(d);
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            struct stat sb;
            if (pass == 0) {
                others += fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
                          !(S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode));
            } else if (unlinkat(fd, e->d_name, 0) == 0) {
                st->files++;
            } else {
                others++;
            }
        }
    }
    closedir(d);
    if (others || unlinkat(parent, name, AT_REMOVEDIR) != 0) {
        vsr_logf(NULL, VSR_LOG_WARN, "sweep",
                 "%s/%s: a dead server's job directory, left: it holds %d entr%s vsr did not make",
                 where, name, others, others == 1 ? "y" : "ies");
        st->left++;
        return 0;
    }
    st->job_dirs++;
    return 1;
}

static int sweep_tmp(const char *tmp_dir, vsr_sweep_stats *st, vsr_error *err)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return vsr_error_set(err, VSR_ERR_IO, "sweeping %s: %s", tmp_dir, strerror(errno));
    int fd = dirfd(d);
    uid_t me = geteuid();
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        struct stat sb;
        if (!vsr_scratch_dir_parse(e->d_name, VSR_SCRATCH_JOB_DIR, &pid) ||
            vsr_scratch_owner_alive(pid) || fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(sb.st_mode) || sb.st_uid != me)
            continue;
        sweep_job_dir(fd, e->d_name, tmp_dir, st);
    }
    closedir(d);
    return VSR_OK;
}

/* Partial outputs under the directory open as fd (path for messages). */
static void sweep_tree(int fd, const char *path, dev_t dev, int depth, vsr_sweep_stats *st)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    uid_t me = geteuid();
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat sb;
        if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth >= MAX_DEPTH || sb.st_dev != dev)
                continue;
            int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                char subpath[4096];
                snprintf(subpath, sizeof subpath, "%s/%s", path, e->d_name);
                sweep_tree(sub, subpath, dev, depth + 1, st);
            }
            continue;
        }
        long pid;
        if (!S_ISREG(sb.st_mode) || sb.st_uid != me ||
            !vsr_scratch_parse(e->d_name, VSR_SCRATCH_PARTIAL, &pid) ||
            vsr_scratch_owner_alive(pid))
            continue;
        if (unlinkat(fd, e->d_name, 0) == 0) {
            st->files++;
        } else {
            vsr_logf(NULL, VSR_LOG_WARN, "sweep", "%s/%s: a dead writer's partial output, left: %s",
                     path, e->d_name, strerror(errno));
            st->left++;
        }
    }
    closedir(d);
}

int vsr_sweep_leftovers(const char *tmp_dir, const char *root, vsr_sweep_stats *stats,
                        vsr_error *err)
{
    vsr_sweep_stats local = {0};
    vsr_sweep_stats *st = stats ? stats : &local;
    *st = (vsr_sweep_stats){0};
    if (tmp_dir) {
        int rc = sweep_tmp(tmp_dir, st, err);
        if (rc < 0)
            return rc;
    }
    if (root) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return vsr_error_set(err, VSR_ERR_IO, "sweeping %s: %s", root, strerror(e));
        }
        sweep_tree(fd, root, sb.st_dev, 0, st);
    }
    return VSR_OK;
}
