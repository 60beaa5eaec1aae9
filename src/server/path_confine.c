/* Path confinement; see path_confine.h. */
#include "server/path_confine.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 1 if s is well-formed UTF-8 without control characters; otherwise 0 and
 * *bad is the offset of the first offending byte. Overlong forms and
 * surrogates are refused, as JSON encoders (jansson) refuse them. */
static int clean_utf8(const char *s, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i]) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7f) {
            *bad = i;
            return 0;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        int n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            *bad = i;
            return 0;
        }
        for (int k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                *bad = i;
                return 0;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *bad = i;
            return 0;
        }
        /* C1 controls (U+0080..U+009F) are control characters too. */
        if (cp < 0xa0) {
            *bad = i;
            return 0;
        }
        i += (size_t)n + 1;
    }
    return 1;
}

/* Lexically normalises path into out: collapses "//", drops "." components
 * and a trailing '/'. Returns -1 (with *dotdot set) on a ".." component,
 * -2 if a component is over NAME_MAX, -3 if out is too small. */
static int normalise(const char *path, char *out, size_t size, int *dotdot)
{
    size_t o = 0;
    const char *p = path;
    *dotdot = 0;
    if (*p == '/') {
        if (size < 2)
            return -3;
        out[o++] = '/';
    }
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 1 && p[0] == '.') {
            p += n;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            *dotdot = 1;
            return -1;
        }
        if (n > NAME_MAX)
            return -2;
        if (o > 0 && out[o - 1] != '/') {
            if (o + 1 >= size)
                return -3;
            out[o++] = '/';
        }
        if (o + n >= size)
            return -3;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    out[o] = '\0';
    return 0;
}

/* 1 if path is root or below it, on a component boundary. */
static int inside(const char *root, const char *path)
{
    size_t rl = strlen(root);
    if (rl == 1 && root[0] == '/')
        return path[0] == '/';
    return !strncmp(path, root, rl) && (path[rl] == '/' || path[rl] == '\0');
}

static int copy_out(const char *path, char *out, size_t out_size, const char *user_path,
                    vsr_error *err)
{
    size_t n = strlen(path);
    if (n >= out_size)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "path '%s': resolved path (%zu bytes) does not fit in %zu", user_path,
                             n, out_size);
    memcpy(out, path, n + 1);
    return 0;
}

/* The one answer for a path that does not resolve (missing, a dangling
 * link, a file where a directory should be, no permission) and for one that
 * resolves outside root through a symlink. Two answers (or errno's words)
 * would let a client probe, through a symlink under root that points
 * outside, which files exist there (issue 20). */
typedef enum { NF_INPUT, NF_OUTPUT_DIR, NF_OUTPUT_LINK } nf_kind;

static int not_found(nf_kind kind, const char *user_path, vsr_error *err)
{
    if (kind == NF_OUTPUT_LINK)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "output '%s' is a symlink that does not lead to a file in the "
                             "allowed directory (dangling, or leading outside it)",
                             user_path);
    return vsr_error_set(err, VSR_ERR_INVALID,
                         "%s '%s'%s does not exist in the allowed directory (missing, or "
                         "outside it through a symlink)",
                         kind == NF_INPUT ? "input" : "output", user_path,
                         kind == NF_INPUT ? "" : ": its directory");
}

/* Checks an existing path's resolved form: inside root, a regular file. */
static int check_resolved(const char *root_real, const char *resolved, nf_kind kind,
                          const char *user_path, vsr_error *err)
{
    if (!inside(root_real, resolved))
        return not_found(kind, user_path, err);
    struct stat st;
    if (stat(resolved, &st))
        return vsr_error_set(err, VSR_ERR_INVALID, "path '%s': %s", user_path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return vsr_error_set(err, VSR_ERR_INVALID, "path '%s' is %s, not a regular file", user_path,
                             S_ISDIR(st.st_mode) ? "a directory" : "a special file");
    return 0;
}

int vsr_path_confine(const char *root, const char *user_path, vsr_path_use use, char *out,
                     size_t out_size, vsr_error *err)
{
    if (!root || !*root || !user_path || !out || out_size == 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "path confinement: missing argument");
    out[0] = '\0';
    if (!*user_path)
        return vsr_error_set(err, VSR_ERR_INVALID, "empty path");
    size_t ulen = strlen(user_path);
    if (ulen >= PATH_MAX)
        return vsr_error_set(err, VSR_ERR_INVALID, "path of %zu bytes is too long (limit %d)", ulen,
                             PATH_MAX - 1);
    size_t bad;
    if (!clean_utf8(user_path, &bad))
        /* Not echoed: the bytes could garble logs or terminals. */
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "path has a control character or invalid UTF-8 at byte %zu", bad);

    /* The path as echoed in messages: long ones cut, so the reason fits. */
    char shown[208];
    if (ulen < sizeof shown)
        memcpy(shown, user_path, ulen + 1);
    else
        snprintf(shown, sizeof shown, "%.200s...", user_path);

    char root_real[PATH_MAX];
    if (!realpath(root, root_real))
        return vsr_error_set(err, VSR_ERR_IO, "allowed directory '%s': %s", root, strerror(errno));
    struct stat st;
    if (stat(root_real, &st))
        return vsr_error_set(err, VSR_ERR_IO, "allowed directory '%s': %s", root, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return vsr_error_set(err, VSR_ERR_IO, "allowed directory '%s' is not a directory", root);

    char norm[PATH_MAX];
    int dotdot;
    int rc = normalise(user_path, norm, sizeof norm, &dotdot);
    if (rc == -1)
        return vsr_error_set(err, VSR_ERR_INVALID, "path '%s': '..' is not allowed", shown);
    if (rc == -2)
        return vsr_error_set(err, VSR_ERR_INVALID, "path '%s': a name is over %d bytes", shown,
                             NAME_MAX);
    if (rc)
        return vsr_error_set(err, VSR_ERR_INVALID, "path '%s' is too long", shown);

    /* The full path, still lexical. An absolute one must name a place under
     * root on its face (root as given or as resolved), before anything is
     * looked up: otherwise "no such file" vs "outside" would reveal which
     * files exist elsewhere. */
    char full[PATH_MAX];
    if (norm[0] == '/') {
        char root_norm[PATH_MAX];
        int root_lexical =
            !normalise(root, root_norm, sizeof root_norm, &dotdot) && root_norm[0] == '/';
        if (!inside(root_real, norm) && !(root_lexical && inside(root_norm, norm)))
            return vsr_error_set(err, VSR_ERR_INVALID, "path '%s' is outside the allowed directory",
                                 shown);
        snprintf(full, sizeof full, "%s", norm);
    } else {
        if (norm[0] == '\0')
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "path '%s' names the allowed directory itself, not a file", shown);
        int n = snprintf(full, sizeof full, "%s%s%s", root_real, strcmp(root_real, "/") ? "/" : "",
                         norm);
        if (n < 0 || (size_t)n >= sizeof full)
            return vsr_error_set(err, VSR_ERR_INVALID, "path '%s' is too long", shown);
    }

    char resolved[PATH_MAX];
    if (use == VSR_PATH_READ) {
        if (!realpath(full, resolved))
            return not_found(NF_INPUT, shown, err);
        rc = check_resolved(root_real, resolved, NF_INPUT, shown, err);
        if (rc)
            return rc;
        return copy_out(resolved, out, out_size, shown, err);
    }

    /* WRITE: resolve the parent, keep the name. A trailing '/' in the input
     * asks for a directory. */
    if (user_path[ulen - 1] == '/')
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s' names a directory, not a file",
                             shown);
    char *slash = strrchr(full, '/');
    const char *base = slash + 1;
    if (!*base)
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s' names a directory, not a file",
                             shown);
    char parent[PATH_MAX];
    if (slash == full)
        snprintf(parent, sizeof parent, "/");
    else
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - full), full);

    char parent_real[PATH_MAX];
    if (!realpath(parent, parent_real) || !inside(root_real, parent_real))
        return not_found(NF_OUTPUT_DIR, shown, err);
    if (stat(parent_real, &st))
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s': directory: %s", shown,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s': parent is not a directory", shown);

    char target[PATH_MAX];
    int n = snprintf(target, sizeof target, "%s%s%s", parent_real,
                     strcmp(parent_real, "/") ? "/" : "", base);
    if (n < 0 || (size_t)n >= sizeof target)
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s' is too long", shown);

    if (lstat(target, &st)) {
        if (errno == ENOENT)
            return copy_out(target, out, out_size, shown, err);
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s': %s", shown, strerror(errno));
    }
    if (S_ISLNK(st.st_mode)) {
        /* Writing would follow the link: its target must pass too. A dangling
         * link cannot be checked, so it is refused (with the answer of a
         * link that leads outside: where it points is not the client's to
         * learn). */
        if (!realpath(target, resolved))
            return not_found(NF_OUTPUT_LINK, shown, err);
        rc = check_resolved(root_real, resolved, NF_OUTPUT_LINK, shown, err);
        if (rc)
            return rc;
        return copy_out(resolved, out, out_size, shown, err);
    }
    if (!S_ISREG(st.st_mode))
        return vsr_error_set(err, VSR_ERR_INVALID, "output '%s' is %s, not a regular file", shown,
                             S_ISDIR(st.st_mode) ? "a directory" : "a special file");
    return copy_out(target, out, out_size, shown, err);
}
