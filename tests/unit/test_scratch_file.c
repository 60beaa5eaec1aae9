/* Scratch names (util/scratch_file.h): two creations for one output give
 * two files; what vsr makes parses back to its maker's pid, with the old
 * form too; other names, however close, do not (the startup sweep removes
 * only what parses); a live maker is told from a dead one. */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "util/scratch_file.h"

static void parses(const char *name, long want)
{
    long pid = -1;
    CHECK_MSG(vsr_scratch_parse(name, VSR_SCRATCH_PARTIAL, &pid) && pid == want,
              "'%s': pid %ld, want %ld", name, pid, want);
}

static void not_ours(const char *name)
{
    long pid = -1;
    CHECK_MSG(!vsr_scratch_parse(name, VSR_SCRATCH_PARTIAL, &pid), "'%s' taken for vsr's", name);
}

int main(void)
{
    char dir[512], out[700], a[1024], b[1024];
    if (test_scratch_dir("test_scratch_file", dir, sizeof dir) != 0)
        return 1;
    snprintf(out, sizeof out, "%s/clip.mp4", dir);
    vsr_error err = {0};
    CHECK_MSG(vsr_scratch_create(out, VSR_SCRATCH_PARTIAL, a, sizeof a, &err) == 0, "%s", err.msg);
    CHECK_MSG(vsr_scratch_create(out, VSR_SCRATCH_PARTIAL, b, sizeof b, &err) == 0, "%s", err.msg);
    CHECK_MSG(strcmp(a, b) != 0, "the same name twice: %s", a);
    struct stat sa, sb;
    CHECK(stat(a, &sa) == 0 && S_ISREG(sa.st_mode) && sa.st_size == 0);
    CHECK(stat(b, &sb) == 0 && S_ISREG(sb.st_mode));
    parses(strrchr(a, '/') + 1, (long)getpid());
    parses(strrchr(b, '/') + 1, (long)getpid());

    parses(".clip.mp4.vsr-partial-123-ab12cd", 123);
    parses(".clip.mp4.vsr-partial-77", 77);                    /* the old form */
    parses(".my.vsr-partial-9.mp4.vsr-partial-55-zzzzzz", 55); /* the tag in the name too */
    not_ours("clip.mp4.vsr-partial-123-ab12cd");               /* not hidden */
    not_ours(".vsr-partial-123-ab12cd");                       /* no output name */
    not_ours(".clip.mp4.vsr-partial-");                        /* no pid */
    not_ours(".clip.mp4.vsr-partial-12x");                     /* not a number */
    not_ours(".clip.mp4.vsr-partial-123-ab12c");               /* 5 letters */
    not_ours(".clip.mp4.vsr-partial-123-ab12cde");             /* 7 */
    not_ours(".clip.mp4.vsr-partial-123-AB12CD");              /* not ours: capitals */
    not_ours(".clip.mp4.vsr-partial-0");                       /* pid 0 */
    not_ours(".clip.mp4.vsr-partial-99999999999-ab12cd");      /* 11 digits */
    not_ours(".clip.mp4.vsr-partial-123-ab12cd.bak");          /* something after */
    not_ours(".clip.mp4.vsr-partialX-123-ab12cd");

    long pid = -1;
    char job[1024];
    CHECK_MSG(vsr_scratch_dir_create(dir, VSR_SCRATCH_JOB_DIR, job, sizeof job, &err) == 0, "%s",
              err.msg);
    CHECK(stat(job, &sa) == 0 && S_ISDIR(sa.st_mode) && (sa.st_mode & 0777) == 0700);
    CHECK(vsr_scratch_dir_parse(strrchr(job, '/') + 1, VSR_SCRATCH_JOB_DIR, &pid) &&
          pid == (long)getpid());
    CHECK(vsr_scratch_dir_parse("vsr-job-42-AbC12z", VSR_SCRATCH_JOB_DIR, &pid) && pid == 42);
    CHECK(!vsr_scratch_dir_parse("vsr-job-AbC12z", VSR_SCRATCH_JOB_DIR, &pid)); /* old, pid-less */
    CHECK(!vsr_scratch_dir_parse("vsr-job-42-AbC12", VSR_SCRATCH_JOB_DIR, &pid));
    CHECK(!vsr_scratch_dir_parse("vsr-jobs-42-AbC12z", VSR_SCRATCH_JOB_DIR, &pid));
    CHECK(!vsr_scratch_dir_parse("my-vsr-job-42-AbC12z", VSR_SCRATCH_JOB_DIR, &pid));

    /* Alive: the parent (another process); not: this one, a reaped child. */
    CHECK(vsr_scratch_owner_alive((long)getppid()));
    CHECK(!vsr_scratch_owner_alive((long)getpid()));
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    CHECK(!vsr_scratch_owner_alive((long)child));
    CHECK(!vsr_scratch_owner_alive(0) && !vsr_scratch_owner_alive(-1));
    return test_report("test_scratch_file");
}
