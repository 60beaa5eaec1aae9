/* vsr's scratch files: created exclusively under names no other writer
 * shares, and recognisable afterwards as vsr's (with the process that made
 * them), so that a server restarted after a crash can remove what it left
 * without touching anything else (server/sweep.h).
 *
 * A scratch file beside an output is ".<output name>.<tag>-<pid>-<6
 * letters or digits>"; tags used: VSR_SCRATCH_PARTIAL (an output being
 * written, renamed into place when whole). A scratch directory is
 * "<tag>-<pid>-<6 letters or digits>"; tag VSR_SCRATCH_JOB_DIR (a server
 * job's downloads and outputs before upload). */
#ifndef VSR_UTIL_SCRATCH_FILE_H
#define VSR_UTIL_SCRATCH_FILE_H

#include <stddef.h>

#include "util/error.h"

#define VSR_SCRATCH_PARTIAL "vsr-partial"
#define VSR_SCRATCH_JOB_DIR "vsr-job"

/* Creates a new, empty scratch file beside final_path (O_EXCL, mode 0666
 * less the umask, like any output) and writes its path into out. Two
 * callers with the same final_path, in one process or several, get two
 * files. 0, or VSR_ERR_IO / VSR_ERR_INVALID (path too long) naming
 * final_path. */
int vsr_scratch_create(const char *final_path, const char *tag, char *out, size_t size,
                       vsr_error *err);

/* Creates a new directory "<parent>/<tag>-<pid>-XXXXXX" (mkdtemp: mode
 * 0700) and writes its path into out. 0, or VSR_ERR_IO naming parent. */
int vsr_scratch_dir_create(const char *parent, const char *tag, char *out, size_t size,
                           vsr_error *err);

/* Whether name is a directory name vsr_scratch_dir_create makes with tag;
 * *pid gets the process that made it. */
int vsr_scratch_dir_parse(const char *name, const char *tag, long *pid);

/* Whether the process pid that made a scratch file may still be writing
 * it: it runs on this host (in this pid namespace) and is not this
 * process. A server calls it before it writes anything, so its own pid
 * (a container's server restarted as pid 1 again) means a dead
 * predecessor's. */
int vsr_scratch_owner_alive(long pid);

/* Whether name (a file name, no directory) is a scratch name with tag, as
 * vsr_scratch_create makes them or as vsr before it did ("<tag>-<pid>"
 * without the letters); *pid gets the process that made it. */
int vsr_scratch_parse(const char *name, const char *tag, long *pid);

#endif
