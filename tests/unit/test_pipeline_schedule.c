/* Scheduling: which worker gets which frame, the in-flight limits, the
 * index queue. */
#include "pipeline/index_queue.h"
#include "pipeline/schedule.h"
#include "test_util.h"

int main(void)
{
    vsr_schedule s;
    vsr_error err = {0};
    vsr_schedule_kind k;
    CHECK(vsr_schedule_parse("dynamic", &k, &err) == 0 && k == VSR_SCHEDULE_DYNAMIC);
    CHECK(vsr_schedule_parse("chunked", &k, &err) == 0 && k == VSR_SCHEDULE_CHUNKED);
    CHECK(vsr_schedule_parse("static", &k, &err) == VSR_ERR_INVALID);

    /* dynamic: one queue, 2N+2 in flight */
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_DYNAMIC, 4, 0, 0, 300, &err) == 0);
    CHECK(s.queues == 1 && s.max_in_flight == 10);
    for (int i = 0; i < 50; i++)
        CHECK(vsr_schedule_queue(&s, i) == 0);

    /* chunked with one run per worker: the seed's contiguous ranges,
     * 150 frames over 5 workers = 0-29, 30-59, ... */
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_CHUNKED, 5, 0, 0, 150, &err) == 0);
    CHECK(s.chunk == 30 && s.queues == 5);
    CHECK(vsr_schedule_queue(&s, 0) == 0 && vsr_schedule_queue(&s, 29) == 0);
    CHECK(vsr_schedule_queue(&s, 30) == 1 && vsr_schedule_queue(&s, 149) == 4);
    CHECK(s.max_in_flight >= 150); /* the whole clip: why this is not the default */

    /* chunked in runs of 3: round robin over runs */
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_CHUNKED, 2, 3, 0, -1, &err) == 0);
    int want[] = {0, 0, 0, 1, 1, 1, 0, 0, 0, 1};
    for (int i = 0; i < 10; i++)
        CHECK(vsr_schedule_queue(&s, i) == want[i]);
    CHECK(s.max_in_flight == 3 * 2 + 2 + 2);
    /* unknown length: the default run */
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_CHUNKED, 2, 0, 0, -1, &err) == 0);
    CHECK(s.chunk == VSR_DEFAULT_CHUNK_FRAMES);
    /* an explicit depth wins */
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_DYNAMIC, 2, 0, 3, -1, &err) == 0 &&
          s.max_in_flight == 3);
    CHECK(vsr_schedule_init(&s, VSR_SCHEDULE_DYNAMIC, 0, 0, 0, -1, &err) == VSR_ERR_INVALID);

    vsr_index_queue q;
    CHECK(vsr_index_queue_init(&q, 3, &err) == 0);
    CHECK(vsr_index_queue_empty(&q));
    CHECK(vsr_index_queue_push(&q, 7) == 0 && vsr_index_queue_push(&q, 8) == 0 &&
          vsr_index_queue_push(&q, 9) == 0);
    CHECK(vsr_index_queue_push(&q, 10) == -1);
    CHECK(vsr_index_queue_pop(&q) == 7);
    CHECK(vsr_index_queue_push(&q, 10) == 0); /* wraps */
    CHECK(vsr_index_queue_pop(&q) == 8 && vsr_index_queue_pop(&q) == 9 &&
          vsr_index_queue_pop(&q) == 10);
    CHECK(vsr_index_queue_empty(&q));
    vsr_index_queue_free(&q);
    return test_report("test_pipeline_schedule");
}
