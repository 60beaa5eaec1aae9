/* path_confine: paths inside the root resolve (relative, absolute, through
 * symlinks that stay inside); "..", symlink escapes, absolute paths outside,
 * missing parents, directories, special files, odd bytes and overlong
 * paths are refused with a message naming the path; a missing path and one
 * that leads outside through a symlink get the same answer. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/path_confine.h"
#include "test_util.h"

static char base[512]; /* our scratch dir */
static char root[600]; /* base/root: the confinement root */
static char real_root[PATH_MAX];

static void touch(const char *rel)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    FILE *f = fopen(p, "w");
    if (!f || fputs("x", f) == EOF || fclose(f))
        fprintf(stderr, "cannot write %s: %s\n", p, strerror(errno));
}

static void mkd(const char *rel)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    if (mkdir(p, 0755))
        fprintf(stderr, "mkdir %s: %s\n", p, strerror(errno));
}

static void sym(const char *target, const char *rel)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    if (symlink(target, p))
        fprintf(stderr, "symlink %s: %s\n", p, strerror(errno));
}

/* Expects success and out == real_root + "/" + want_rel. */
static void ok(const char *user, vsr_path_use use, const char *want_rel)
{
    char out[PATH_MAX], want[PATH_MAX + 64];
    vsr_error err;
    vsr_error_clear(&err);
    int rc = vsr_path_confine(root, user, use, out, sizeof out, &err);
    snprintf(want, sizeof want, "%s/%s", real_root, want_rel);
    CHECK_MSG(rc == 0, "'%s' (%s) refused: %s", user, use == VSR_PATH_READ ? "read" : "write",
              err.msg);
    if (rc == 0)
        CHECK_MSG(!strcmp(out, want), "'%s': got %s, want %s", user, out, want);
}

static void refused(const char *user, vsr_path_use use, const char *want_msg)
{
    char out[PATH_MAX];
    vsr_error err;
    vsr_error_clear(&err);
    strcpy(out, "garbage");
    int rc = vsr_path_confine(root, user, use, out, sizeof out, &err);
    CHECK_MSG(rc == VSR_ERR_INVALID, "'%.80s' (%s): rc %d, out %s", user,
              use == VSR_PATH_READ ? "read" : "write", rc, out);
    CHECK_MSG(strstr(err.msg, want_msg) != NULL, "'%.80s': want '%s' in: %s", user, want_msg,
              err.msg);
    CHECK_MSG(out[0] == '\0', "'%.80s': out not cleared", user);
}

/* a and b must be refused with the same message once each path is
 * replaced by <p>: a client must not tell a file outside the root that
 * exists (reached through a symlink) from one that does not, nor from a
 * missing one inside (issue 20). */
static void same_answer(const char *a, const char *b, vsr_path_use use)
{
    char out[PATH_MAX], msg[2][VSR_ERROR_MSG_MAX];
    const char *paths[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        vsr_error err;
        vsr_error_clear(&err);
        int rc = vsr_path_confine(root, paths[i], use, out, sizeof out, &err);
        CHECK_MSG(rc == VSR_ERR_INVALID, "'%s': rc %d", paths[i], rc);
        /* the message with the path replaced */
        const char *at = strstr(err.msg, paths[i]);
        if (at)
            snprintf(msg[i], sizeof msg[i], "%.*s<p>%s", (int)(at - err.msg), err.msg,
                     at + strlen(paths[i]));
        else
            snprintf(msg[i], sizeof msg[i], "%s", err.msg);
    }
    CHECK_MSG(!strcmp(msg[0], msg[1]), "(%s) '%s' and '%s' answer differently:\n  %s\n  %s",
              use == VSR_PATH_READ ? "read" : "write", a, b, msg[0], msg[1]);
}

int main(void)
{
    if (test_scratch_dir("test_path_confine", base, sizeof base) != 0)
        return 1;
    snprintf(root, sizeof root, "%s/root", base);

    /* base/
     *   secret.txt          outside the root
     *   root2/file.txt      a sibling whose name starts like root
     *   root/
     *     in.mp4, sub/clip.mp4, sub/deeper/
     *     dir/              a directory
     *     fifo              not a regular file
     *     link_in -> sub/clip.mp4          stays inside: fine
     *     link_abs_in -> <root>/in.mp4     absolute, inside: fine
     *     link_out -> ../secret.txt        escapes
     *     link_abs_out -> <base>/secret.txt
     *     link_sib -> ../root2/file.txt    prefix trick
     *     dirlink_out -> ..                a directory escape
     *     dirlink_in -> sub
     *     dangling -> nowhere              */
    mkd("root");
    mkd("root2");
    mkd("root/sub");
    mkd("root/sub/deeper");
    mkd("root/dir");
    touch("secret.txt");
    touch("root2/file.txt");
    touch("root/in.mp4");
    touch("root/sub/clip.mp4");
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/fifo", root);
    if (mkfifo(p, 0600))
        fprintf(stderr, "mkfifo %s: %s\n", p, strerror(errno));
    sym("sub/clip.mp4", "root/link_in");
    snprintf(p, sizeof p, "%s/in.mp4", root);
    sym(p, "root/link_abs_in");
    sym("../secret.txt", "root/link_out");
    snprintf(p, sizeof p, "%s/secret.txt", base);
    sym(p, "root/link_abs_out");
    sym("../root2/file.txt", "root/link_sib");
    sym("..", "root/dirlink_out");
    sym("sub", "root/dirlink_in");
    sym("nowhere", "root/dangling");
    if (!realpath(root, real_root)) {
        fprintf(stderr, "realpath %s: %s\n", root, strerror(errno));
        return 1;
    }

    /* READ: inside. */
    ok("in.mp4", VSR_PATH_READ, "in.mp4");
    ok("./in.mp4", VSR_PATH_READ, "in.mp4");
    ok("sub//clip.mp4", VSR_PATH_READ, "sub/clip.mp4");
    ok("sub/./clip.mp4", VSR_PATH_READ, "sub/clip.mp4");
    ok("link_in", VSR_PATH_READ, "sub/clip.mp4");
    ok("link_abs_in", VSR_PATH_READ, "in.mp4");
    ok("dirlink_in/clip.mp4", VSR_PATH_READ, "sub/clip.mp4");
    snprintf(p, sizeof p, "%s/sub/clip.mp4", root);
    ok(p, VSR_PATH_READ, "sub/clip.mp4"); /* absolute, inside (root as given) */
    snprintf(p, sizeof p, "%s/in.mp4", real_root);
    ok(p, VSR_PATH_READ, "in.mp4"); /* absolute, inside (resolved root) */

    /* READ: refused. */
    refused("", VSR_PATH_READ, "empty path");
    refused("../secret.txt", VSR_PATH_READ, "'..' is not allowed");
    refused("sub/../in.mp4", VSR_PATH_READ, "'..' is not allowed"); /* even staying inside */
    refused("sub/..", VSR_PATH_READ, "'..' is not allowed");
    refused("..", VSR_PATH_READ, "'..' is not allowed");
    refused("link_out", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("link_abs_out", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("link_sib", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("dirlink_out/secret.txt", VSR_PATH_READ, "does not exist in the allowed directory");
    snprintf(p, sizeof p, "%s/secret.txt", base);
    refused(p, VSR_PATH_READ, "is outside the allowed directory");
    refused("/etc/passwd", VSR_PATH_READ, "is outside the allowed directory");
    /* Outside and missing: the same answer as outside and present. */
    refused("/etc/no-such-file-here", VSR_PATH_READ, "is outside the allowed directory");
    snprintf(p, sizeof p, "%s2/file.txt", root); /* base/root2: not under base/root */
    refused(p, VSR_PATH_READ, "is outside the allowed directory");
    refused("missing.mp4", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("nodir/x.mp4", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("dangling", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("dir", VSR_PATH_READ, "a directory");
    refused("sub/", VSR_PATH_READ, "a directory");
    refused(".", VSR_PATH_READ, "itself");
    refused("fifo", VSR_PATH_READ, "a special file");
    refused("in.mp4/x", VSR_PATH_READ, "does not exist in the allowed directory");
    refused("in\nfo.mp4", VSR_PATH_READ, "control character");
    refused("in\x7f.mp4", VSR_PATH_READ, "control character");
    refused("in\xff.mp4", VSR_PATH_READ, "invalid UTF-8 at byte 2");
    refused("in\xc0\xae.mp4", VSR_PATH_READ, "invalid UTF-8");     /* overlong '.' */
    refused("in\xed\xa0\x80.mp4", VSR_PATH_READ, "invalid UTF-8"); /* surrogate */
    refused("in\xc2\x85.mp4", VSR_PATH_READ, "control character"); /* C1 NEL */

    /* Valid UTF-8 is fine. */
    touch("root/caf\xc3\xa9.mp4");
    ok("caf\xc3\xa9.mp4", VSR_PATH_READ, "caf\xc3\xa9.mp4");

    /* Overlong: the whole path, and one name. */
    char *longp = malloc(PATH_MAX + 10);
    memset(longp, 'a', PATH_MAX + 9);
    longp[PATH_MAX + 9] = '\0';
    refused(longp, VSR_PATH_READ, "too long");
    char name[NAME_MAX + 2];
    memset(name, 'n', NAME_MAX + 1);
    name[NAME_MAX + 1] = '\0';
    refused(name, VSR_PATH_READ, "over 255 bytes");
    /* Long but legal components that add up past PATH_MAX after the root. */
    for (int i = 0; i < PATH_MAX - 8; i++)
        longp[i] = (i % 200 == 199) ? '/' : 'b';
    longp[PATH_MAX - 8] = '\0';
    refused(longp, VSR_PATH_READ, "too long");
    free(longp);

    /* WRITE: new files, existing files, links inside. */
    ok("out.mp4", VSR_PATH_WRITE, "out.mp4");
    ok("sub/deeper/out.mp4", VSR_PATH_WRITE, "sub/deeper/out.mp4");
    ok("in.mp4", VSR_PATH_WRITE, "in.mp4"); /* overwrite an existing file */
    ok("dirlink_in/new.mp4", VSR_PATH_WRITE, "sub/new.mp4");
    ok("link_in", VSR_PATH_WRITE, "sub/clip.mp4"); /* a link to a file inside */
    snprintf(p, sizeof p, "%s/new.mp4", root);
    ok(p, VSR_PATH_WRITE, "new.mp4");

    /* WRITE: refused. */
    refused("nodir/out.mp4", VSR_PATH_WRITE, "its directory does not exist");
    refused("sub/nodir/out.mp4", VSR_PATH_WRITE, "its directory does not exist");
    refused("../out.mp4", VSR_PATH_WRITE, "'..' is not allowed");
    refused("dirlink_out/out.mp4", VSR_PATH_WRITE, "its directory does not exist");
    refused("link_out", VSR_PATH_WRITE, "does not lead to a file in the allowed directory");
    refused("link_abs_out", VSR_PATH_WRITE, "does not lead to a file in the allowed directory");
    refused("dangling", VSR_PATH_WRITE, "does not lead to a file in the allowed directory");
    refused("dir", VSR_PATH_WRITE, "a directory");
    refused("sub/", VSR_PATH_WRITE, "names a directory");
    refused(".", VSR_PATH_WRITE, "itself");
    refused("fifo", VSR_PATH_WRITE, "a special file");
    refused("in.mp4/x", VSR_PATH_WRITE, "parent is not a directory");
    refused("/tmp/out.mp4", VSR_PATH_WRITE, "is outside the allowed directory");
    snprintf(p, sizeof p, "%s", root); /* the root itself, absolute */
    refused(p, VSR_PATH_WRITE, "does not exist in the allowed directory");
    refused("", VSR_PATH_WRITE, "empty path");

    /* One answer for missing and confined paths. */
    same_answer("dirlink_out/secret.txt", "dirlink_out/secreX.txt", VSR_PATH_READ);
    same_answer("dirlink_out/secret.txt", "missing.mp4", VSR_PATH_READ);
    same_answer("dirlink_out/secret.txt/x", "dirlink_out/nodir/x", VSR_PATH_READ);
    same_answer("dirlink_out/root2/file.txt", "dirlink_out/root2/filX.txt", VSR_PATH_READ);
    same_answer("link_out", "dangling", VSR_PATH_READ);
    same_answer("dirlink_out/out.mp4", "dirlink_out/nodir/out.mp4", VSR_PATH_WRITE);
    same_answer("dirlink_out/out.mp4", "nodir/out.mp4", VSR_PATH_WRITE);
    same_answer("dirlink_out/root2/out.mp4", "dirlink_out/rootX/out.mp4", VSR_PATH_WRITE);
    same_answer("link_out", "dangling", VSR_PATH_WRITE);

    /* Result buffer too small: refused, not truncated. */
    {
        char small[8];
        vsr_error err;
        int rc = vsr_path_confine(root, "in.mp4", VSR_PATH_READ, small, sizeof small, &err);
        CHECK_MSG(rc == VSR_ERR_INVALID && strstr(err.msg, "does not fit"), "%s", err.msg);
    }
    /* A missing root is the operator's problem: VSR_ERR_IO. */
    {
        char out[PATH_MAX], missing[1200];
        vsr_error err;
        snprintf(missing, sizeof missing, "%s/no-such-root", base);
        int rc = vsr_path_confine(missing, "in.mp4", VSR_PATH_READ, out, sizeof out, &err);
        CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "no-such-root"), "%s", err.msg);
        snprintf(missing, sizeof missing, "%s/secret.txt", base);
        rc = vsr_path_confine(missing, "in.mp4", VSR_PATH_READ, out, sizeof out, &err);
        CHECK_MSG(rc == VSR_ERR_IO && strstr(err.msg, "not a directory"), "%s", err.msg);
    }
    /* A root given with a trailing slash and through a symlink works too. */
    {
        char out[PATH_MAX], r[1200], want[PATH_MAX + 16];
        vsr_error err;
        sym("root", "rootlink");
        snprintf(r, sizeof r, "%s/rootlink/", base);
        int rc = vsr_path_confine(r, "in.mp4", VSR_PATH_READ, out, sizeof out, &err);
        snprintf(want, sizeof want, "%s/in.mp4", real_root);
        CHECK_MSG(rc == 0 && !strcmp(out, want), "%s", rc ? err.msg : out);
        snprintf(p, sizeof p, "%s/rootlink/sub/clip.mp4", base);
        rc = vsr_path_confine(r, p, VSR_PATH_READ, out, sizeof out, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
    }
    /* Root "/" confines nothing but still resolves. */
    {
        char out[PATH_MAX];
        vsr_error err;
        int rc = vsr_path_confine("/", "etc/hostname", VSR_PATH_READ, out, sizeof out, &err);
        CHECK_MSG(rc == 0 || strstr(err.msg, "does not exist"), "%s", err.msg);
        if (rc == 0)
            CHECK(!strncmp(out, "/etc/", 5));
    }

    return test_report("test_path_confine");
}
