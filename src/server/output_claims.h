/* The local output paths that the server's jobs are writing, so that two
 * requests naming one output never run at once (issue 20: they shared one
 * partial file, and one of them answered 200 for an MP4 nobody could read).
 * The second gets 409 at once; it may ask again when the first is done.
 *
 * Paths are compared as given: the API's paths are confined (resolved,
 * symlink-free) by then, so one file has one spelling. Thread-safe. */
#ifndef VSR_SERVER_OUTPUT_CLAIMS_H
#define VSR_SERVER_OUTPUT_CLAIMS_H

#include "util/error.h"

typedef struct vsr_output_claims vsr_output_claims;

int vsr_output_claims_create(vsr_output_claims **out, vsr_error *err);

/* Nobody may hold a claim any more. NULL is allowed. */
void vsr_output_claims_destroy(vsr_output_claims *c);

/* Claims the n paths (empty strings are skipped) all together, or none:
 * VSR_ERR_BUSY with *busy the index of one that another holder has (or
 * that appears twice), VSR_ERR_NOMEM, or 0. */
int vsr_output_claims_take(vsr_output_claims *c, const char *const *paths, int n, int *busy,
                           vsr_error *err);

/* Gives back what vsr_output_claims_take took for the same paths. */
void vsr_output_claims_release(vsr_output_claims *c, const char *const *paths, int n);

#endif
