/* Scheduled deletion of uploaded objects (the legacy API deletes each
 * result 600 s after upload). Pending deletions live in an SQLite file, so
 * a restart does not forget them: objects due while the server was down
 * are deleted as soon as it starts again.
 *
 * A failed delete stays pending and is tried again after a delay that
 * doubles with each failure (the poll interval, at least 1 s, up to 1 h);
 * on a restart every pending object is tried at once. An object already
 * gone (404) counts as deleted. */
#ifndef VSR_SERVER_DELETER_H
#define VSR_SERVER_DELETER_H

#include "server/s3_client.h"
#include "util/error.h"

#include <time.h>

typedef struct vsr_deleter vsr_deleter;

/* Opens/creates the SQLite db at db_path, starts a thread that deletes due objects
 * (polling every poll_ms), including ones left from a previous run.
 * s3 must outlive the deleter. */
int vsr_deleter_start(const char *db_path, vsr_s3 *s3, long poll_ms, vsr_deleter **out,
                      vsr_error *err);

/* Deletes key at (or soon after) due. Scheduling a key again replaces its
 * earlier schedule. Thread-safe. */
int vsr_deleter_schedule(vsr_deleter *d, const char *key, time_t due, vsr_error *err);

/* Objects not yet deleted (due or not), for metrics; -1 if the db fails. */
long vsr_deleter_pending(vsr_deleter *d);

/* Joins the thread, cancelling the delete in progress (within about a
 * second, however the store behaves); rows stay in the db. NULL is
 * allowed. */
void vsr_deleter_stop(vsr_deleter *d);

#endif
