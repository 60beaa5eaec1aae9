/* Scratch files; see scratch_file.h. */
#include "util/scratch_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define SUFFIX_LEN 6

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

int vsr_scratch_create(const char *final_path, const char *tag, char *out, size_t size,
                       vsr_error *err)
{
    const char *slash = strrchr(final_path, '/');
    int dir_len = slash ? (int)(slash - final_path) + 1 : 0;
    const char *base = final_path + dir_len;
    int last = 0;
    /* The pid says whose file it is (the sweep's test); the letters make
     * the name unique among this process's writers of the same output, and
     * unguessable. O_EXCL settles the rest. */
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[SUFFIX_LEN];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            for (int i = 0; i < SUFFIX_LEN; i++) /* no entropy yet: still unique by O_EXCL */
                rnd[i] = (unsigned char)(attempt * 7 + i);
        char suffix[SUFFIX_LEN + 1];
        for (int i = 0; i < SUFFIX_LEN; i++)
            suffix[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
        suffix[SUFFIX_LEN] = '\0';
        int n = snprintf(out, size, "%.*s.%s.%s-%ld-%s", dir_len, final_path, base, tag,
                         (long)getpid(), suffix);
        if (n < 0 || (size_t)n >= size)
            return vsr_error_set(err, VSR_ERR_INVALID, "%s: path too long for a scratch file",
                                 final_path);
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        last = errno;
        if (last != EEXIST)
            break;
    }
    int e = last;
    out[0] = '\0';
    return vsr_error_set(err, VSR_ERR_IO, "%s: cannot write a scratch file beside it: %s",
                         final_path, strerror(e));
}

int vsr_scratch_dir_create(const char *parent, const char *tag, char *out, size_t size,
                           vsr_error *err)
{
    int n = snprintf(out, size, "%s/%s-%ld-XXXXXX", parent, tag, (long)getpid());
    if (n < 0 || (size_t)n >= size) {
        out[0] = '\0';
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: path too long for a scratch directory",
                             parent);
    }
    if (!mkdtemp(out)) {
        int e = errno;
        out[0] = '\0';
        return vsr_error_set(err, VSR_ERR_IO, "making a scratch directory in %s: %s", parent,
                             strerror(e));
    }
    return 0;
}

/* "<digits>-<6 of mkdtemp's letters or digits>" at s, to its end. */
static int pid_and_suffix(const char *s, const char *letters, long *pid)
{
    const char *e = s;
    while (*e >= '0' && *e <= '9')
        e++;
    if (e == s || e - s > 10 || *e != '-')
        return 0;
    size_t n = strspn(e + 1, letters);
    if (n != SUFFIX_LEN || e[1 + n])
        return 0;
    *pid = strtol(s, NULL, 10);
    return *pid > 0;
}

int vsr_scratch_dir_parse(const char *name, const char *tag, long *pid)
{
    size_t tl = strlen(tag);
    static const char mkdtemp_letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return !strncmp(name, tag, tl) && name[tl] == '-' &&
           pid_and_suffix(name + tl + 1, mkdtemp_letters, pid);
}

int vsr_scratch_owner_alive(long pid)
{
    if (pid <= 0 || pid == (long)getpid())
        return 0;
    /* EPERM: it exists, as another user's process. */
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int vsr_scratch_parse(const char *name, const char *tag, long *pid)
{
    if (name[0] != '.')
        return 0;
    size_t tl = strlen(tag);
    /* The tag is searched from the end: an output's own name may hold it. */
    for (const char *p = name + strlen(name); p > name + 1;) {
        p--;
        if (p[-1] != '.' || strncmp(p, tag, tl) || p[tl] != '-')
            continue;
        const char *d = p + tl + 1, *e = d;
        while (*e >= '0' && *e <= '9')
            e++;
        if (e == d || e - d > 10)
            continue;
        if (*e == '-') {
            const char *s = e + 1;
            size_t n = strspn(s, alphabet);
            if (n != SUFFIX_LEN || s[n])
                continue;
        } else if (*e) {
            continue;
        }
        /* A name before the tag: ".<something>.<tag>-..." */
        if (p - 1 <= name + 1)
            return 0;
        *pid = strtol(d, NULL, 10);
        return *pid > 0;
    }
    return 0;
}
