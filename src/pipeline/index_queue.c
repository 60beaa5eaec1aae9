#include "pipeline/index_queue.h"

#include <stdlib.h>

int vsr_index_queue_init(vsr_index_queue *q, int cap, vsr_error *err)
{
    q->items = malloc(sizeof *q->items * (size_t)(cap > 0 ? cap : 1));
    q->cap = cap > 0 ? cap : 1;
    q->head = q->count = 0;
    if (!q->items)
        return vsr_error_set(err, VSR_ERR_NOMEM, "work queue of %d: out of memory", cap);
    return VSR_OK;
}

void vsr_index_queue_free(vsr_index_queue *q)
{
    free(q->items);
    q->items = NULL;
}

int vsr_index_queue_push(vsr_index_queue *q, int64_t v)
{
    if (q->count == q->cap)
        return -1;
    q->items[(q->head + q->count) % q->cap] = v;
    q->count++;
    return 0;
}

int64_t vsr_index_queue_pop(vsr_index_queue *q)
{
    int64_t v = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return v;
}

int vsr_index_queue_empty(const vsr_index_queue *q)
{
    return q->count == 0;
}

int vsr_index_queue_count(const vsr_index_queue *q)
{
    return q->count;
}
