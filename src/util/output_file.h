/* What may be an output file. vsr writes every output (video, image) under
 * a new name beside it and renames that into place, so a reader never sees
 * half a file. That rename replaces whatever had the name, which must not
 * be the input being read (it was, silently), nor a device, FIFO or socket
 * (as root, `-o /dev/null` would have replaced the system's /dev/null with
 * an MP4).
 *
 * Special files are refused rather than written in place: an MP4 is
 * written with a seek back to its start (+faststart moves the index
 * there), which a FIFO or a character device cannot take, and an image or
 * video streamed into a device is not a file anyone can check. */
#ifndef VSR_UTIL_OUTPUT_FILE_H
#define VSR_UTIL_OUTPUT_FILE_H

#include "util/error.h"

/* Checks output before anything is written: absent, or a regular file (or
 * a symlink to one), and not the same file as input (st_dev and st_ino
 * compared, so another path to it, a hard link or a symlink count too).
 * input may be NULL or not a local file (a URL): then only the first
 * check applies. VSR_ERR_INVALID with a message naming the path, or 0. */
int vsr_output_file_check(const char *input, const char *output, vsr_error *err);

#endif
