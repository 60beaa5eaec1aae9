/* vsr's scratch files: created exclusively under names no other writer
 * shares, and recognisable afterwards as vsr's (with the process that made
 * them), so that a server restarted after a crash can remove what it left
 * without touching anything else (server/sweep.h).
 *
 * A scratch file beside an output is ".<output name>.<tag>-<pid>-<6
 * letters or digits>"; tags used: VSR_SCRATCH_PARTIAL (an output being
 * written, renamed into place when whole). */
#ifndef VSR_UTIL_SCRATCH_FILE_H
#define VSR_UTIL_SCRATCH_FILE_H

#include <stddef.h>

#include "util/error.h"

#define VSR_SCRATCH_PARTIAL "vsr-partial"

/* Creates a new, empty scratch file beside final_path (O_EXCL, mode 0666
 * less the umask, like any output) and writes its path into out. Two
 * callers with the same final_path, in one process or several, get two
 * files. 0, or VSR_ERR_IO / VSR_ERR_INVALID (path too long) naming
 * final_path. */
int vsr_scratch_create(const char *final_path, const char *tag, char *out, size_t size,
                       vsr_error *err);

/* Whether name (a file name, no directory) is a scratch name with tag, as
 * vsr_scratch_create makes them or as vsr before it did ("<tag>-<pid>"
 * without the letters); *pid gets the process that made it. */
int vsr_scratch_parse(const char *name, const char *tag, long *pid);

#endif
