/* A fixed-capacity FIFO of frame indices (a ring). Not locked: the
 * pipeline holds its lock around every call. */
#ifndef VSR_PIPELINE_INDEX_QUEUE_H
#define VSR_PIPELINE_INDEX_QUEUE_H

#include <stdint.h>

#include "util/error.h"

typedef struct vsr_index_queue {
    int64_t *items;
    int cap, head, count;
} vsr_index_queue;

int vsr_index_queue_init(vsr_index_queue *q, int cap, vsr_error *err);
void vsr_index_queue_free(vsr_index_queue *q);
/* -1 when full. */
int vsr_index_queue_push(vsr_index_queue *q, int64_t v);
/* The caller checks emptiness first. */
int64_t vsr_index_queue_pop(vsr_index_queue *q);
int vsr_index_queue_empty(const vsr_index_queue *q);
int vsr_index_queue_count(const vsr_index_queue *q);

#endif
