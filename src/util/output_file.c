/* Output file checks; see output_file.h. */
#include "util/output_file.h"

#include <string.h>
#include <sys/stat.h>

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

int vsr_output_file_check(const char *input, const char *output, vsr_error *err)
{
    struct stat out;
    if (stat(output, &out) != 0)
        return 0; /* a new file or a dangling symlink (the rename replaces the link), or
                     one that cannot be looked at: then the write itself says why */
    if (S_ISDIR(out.st_mode))
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: cannot write: is a directory", output);
    if (!S_ISREG(out.st_mode))
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "%s: cannot write: is %s; vsr writes a new file and renames it into "
                             "place, which would replace it (give the path of a regular file)",
                             output, kind_of(out.st_mode));
    struct stat in;
    if (input && stat(input, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "%s: is the input %s itself (the same file, by this or another "
                             "name): the output would replace it",
                             output, input);
    return 0;
}
