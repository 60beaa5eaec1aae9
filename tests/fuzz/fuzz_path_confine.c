/* libFuzzer target for the confinement of client-given paths
 * (server/path_confine.h: the /upscale API's video_paths and output_paths):
 * any path must be resolved or refused, never crash; and whatever is
 * accepted must lie inside the root: the result, resolved again by
 * realpath() (for WRITE: its parent), starts with the root's realpath on a
 * component boundary, and is a regular file for READ. A violation aborts.
 * The first byte picks READ or WRITE; the rest is the path (a NUL ends it).
 *
 * The root, made once per process under $TMPDIR, holds a file, a
 * directory, a symlink to a file inside, one to a directory outside, one to
 * a file outside, a dangling one and a FIFO; beside it lies the "outside".
 * Seeds: tests/fuzz/corpus/path_confine. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/path_confine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX], root_real[PATH_MAX];

static void make_tree(void)
{
    const char *tmp = getenv("TMPDIR");
    char base[PATH_MAX - 64];
    snprintf(base, sizeof base, "%s/vsr-fuzz-confine.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base))
        abort();
    char p[PATH_MAX], q[PATH_MAX];
    snprintf(root, sizeof root, "%s/root", base);
    snprintf(p, sizeof p, "%s/outside", base);
    if (mkdir(root, 0700) || mkdir(p, 0700))
        abort();
    snprintf(p, sizeof p, "%s/outside/secret.mp4", base);
    FILE *f = fopen(p, "w");
    snprintf(q, sizeof q, "%s/in.mp4", root);
    FILE *g = fopen(q, "w");
    if (!f || !g)
        abort();
    fclose(f);
    fclose(g);
    snprintf(p, sizeof p, "%s/out", root);
    snprintf(q, sizeof q, "%s/fifo", root);
    if (mkdir(p, 0700) || mkfifo(q, 0600))
        abort();
    static const char *links[][2] = {{"in.mp4", "link_in.mp4"},
                                     {"../outside", "escape"},
                                     {"../outside/secret.mp4", "escape.mp4"},
                                     {"nowhere/x", "dangling"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(q, sizeof q, "%s/%s", root, links[i][1]);
        if (symlink(links[i][0], q))
            abort();
    }
    if (!realpath(root, root_real))
        abort();
}

static int inside(const char *path)
{
    size_t n = strlen(root_real);
    return strncmp(path, root_real, n) == 0 && path[n] == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0])
        make_tree();
    if (size < 1)
        return 0;
    vsr_path_use use = data[0] & 1 ? VSR_PATH_WRITE : VSR_PATH_READ;
    char *path = malloc(size);
    if (!path)
        return 0;
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    char out[PATH_MAX], real[PATH_MAX];
    vsr_error err;
    if (vsr_path_confine(root, path, use, out, sizeof out, &err) == 0) {
        if (use == VSR_PATH_READ) {
            struct stat st;
            if (!realpath(out, real) || !inside(real) || stat(real, &st) || !S_ISREG(st.st_mode))
                abort();
        } else {
            char parent[PATH_MAX];
            snprintf(parent, sizeof parent, "%s", out);
            char *slash = strrchr(parent, '/');
            if (!slash)
                abort();
            *slash = '\0';
            if (!realpath(parent, real) || (strcmp(real, root_real) && !inside(real)))
                abort();
            struct stat st;
            if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode))
                abort();
        }
    } else if (!err.msg[0]) {
        abort();
    }
    free(path);
    return 0;
}
