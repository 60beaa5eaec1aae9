/* Confines client-given file paths (the /upscale API's video_paths and
 * output_paths) to a directory the operator chose, so that a request cannot
 * read or overwrite anything else on the machine. */
#ifndef VSR_SERVER_PATH_CONFINE_H
#define VSR_SERVER_PATH_CONFINE_H

#include <stddef.h>

#include "util/error.h"

typedef enum vsr_path_use { VSR_PATH_READ, VSR_PATH_WRITE } vsr_path_use;

/* Resolves user_path (absolute, or relative to root) to a path inside root
 * and writes it to out: absolute, free of symlinks (except as noted below),
 * "." and "..", so it is safe to hand to FFmpeg (it cannot be taken for a
 * protocol such as "concat:" or "http:").
 *   READ:  an existing regular file.
 *   WRITE: a new or existing regular file whose parent directory exists.
 *          A final component that is a symlink is resolved (and must point to
 *          a regular file inside root); out is then the target.
 * Refuses: empty paths, paths over PATH_MAX or a component over NAME_MAX,
 * control characters and invalid UTF-8 (paths go back in JSON), any ".."
 * component (even one that would stay inside), absolute paths outside root
 * (checked on the text first, so that the answer does not tell whether a
 * file outside root exists), escapes through symlinks (checked on the
 * realpath() of the file or its parent, on a component boundary: /data/in2
 * is not inside /data/in), directories and other non-regular files.
 *
 * Returns 0, VSR_ERR_INVALID for a refused path (the message names
 * user_path and the reason, never where a symlink points), or VSR_ERR_IO
 * when root itself cannot be resolved. A path that does not resolve
 * (missing, dangling, not a directory, no permission) and one that
 * resolves outside root through a symlink get one and the same answer:
 * otherwise a symlink under root that points outside would let a client
 * find out which files exist there.
 *
 * The check is a snapshot: whoever can write inside root can swap in a
 * symlink afterwards. Roots should be writable only by the server. */
int vsr_path_confine(const char *root, const char *user_path, vsr_path_use use, char *out,
                     size_t out_size, vsr_error *err);

#endif
