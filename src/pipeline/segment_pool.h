/* Segment-parallel encoding: K encoder threads, each encoding whole
 * segments of consecutive frames with a fresh encoder instance
 * (media/segment_encoder.h). A thread that is free claims the first
 * segment no thread has, and takes its frames as they arrive: the next
 * segment goes to whichever thread is free first, so the threads end close
 * together (when a segment went to a thread as its first frame arrived,
 * chosen by backlog, the last long segments sometimes queued on one thread
 * while the others idled: 2 s apart at 2160p). The first round of K
 * segments may be shorter (lead_frames) than the rest (segment_frames):
 * frames arrive in order as the network makes them, and thread k can start
 * only when its first segment does, at frame k x lead_frames; every thread
 * still gets one short segment.
 *
 * One encoder instance cannot use 16 cores at 1080p (x265's parallelism is
 * bounded by its CTU rows and frame threads), so the encoder, not the GPU,
 * bounds a clip's time (DESIGN.md §6). Segments cut at fixed lengths need
 * no frame count in advance (the decoder's is an estimate): the last
 * segment is simply shorter.
 *
 * Frames arrive in order from the pipeline's encode thread (push), which
 * also joins finished segments into the output in order (write_ready,
 * finish; media/segment_join.h) and so stays the muxer's only user. Pushed
 * frames wait in a ring of K x segment_frames until their segment's thread
 * takes them: the memory bound, and enough for every thread to find its
 * next segment's frames waiting when it gets to it. Encoded segments wait
 * in memory for their turn; compressed, they are small. */
#ifndef VSR_PIPELINE_SEGMENT_POOL_H
#define VSR_PIPELINE_SEGMENT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "media/encoder.h"
#include "media/segment_join.h"
#include "util/error.h"

typedef struct vsr_segment_pool_config {
    int encoders;            /* parallel encoder threads, >= 1 */
    int64_t segment_frames;  /* frames per segment (the last may be shorter), >= 1 */
    int64_t lead_frames;     /* frames in each of the first round's segments, 1..segment_frames;
                                0: segment_frames */
    vsr_encoder_options enc; /* every instance's (threads: each instance's) */
    vsr_encoder_video video;
    /* Called from an encoder thread, with no lock held, on the pool's first
     * error, so that the owner can stop the rest of its pipeline. */
    void (*on_error)(void *opaque, const vsr_error *err);
    void *opaque;
    /* Optional: the cores the pool's encoders may use together now (a
     * server job's share as other jobs start and end); asked, from an
     * encoder thread, as it claims a segment: as many threads encode at
     * once as the share holds encoder instances (the auto rule's cores
     * per instance, rounded: 8 cores at 2160p hold 2), each taking an
     * equal part of the share. NULL: all `encoders` threads encode, with
     * enc.threads each. */
    int (*cores_now)(void *cores_opaque);
    void *cores_opaque;
} vsr_segment_pool_config;

typedef struct vsr_segment_pool vsr_segment_pool;

/* How many encoders "auto" means: enough instances to occupy the cores,
 * counting the threads one instance keeps busy at this output size (4 up
 * to 1080p, 5 up to 2160p, 8 above: measured on 16 cores, 3 encoders at
 * 2160p beat 2 by 3-10% and 4 by more, 2 at 4320p beat 3), no more
 * segments than the clip has (frames_estimate; -1 unknown), and no more
 * queued frames than memory_budget bytes of frame_bytes each allow. */
int vsr_segment_pool_auto(long cores, int out_w, int out_h, int64_t segment_frames,
                          int64_t frames_estimate, size_t frame_bytes, size_t memory_budget);

/* Threads for each of `encoders` instances that share `cores` (of the
 * machine's machine_cores), for output of out_w x out_h: the even share,
 * or twice it up to 1080p while the clip has the whole machine, where an
 * instance's pool then takes up the cores another leaves idle (waiting for
 * its first frames, flushing at its segment's end). Measured on SD2HD (16
 * cores, 4 encoders, H200 host): 8 threads each instead of 4 ended the
 * encoders 0.06-0.14 s apart instead of 0.06-0.30 s, and the pipeline 11%
 * sooner on average (4 of 5 pairs), the encoder alone unchanged; 16 each
 * was slower than 8; at 2160p output twice the share gained nothing
 * (HD24K, SD24K, 2 pairs each). Beside other clips (a share of the
 * machine) their encoders take up those cores: in the five-clip batch, a
 * build that doubled them within shares too was 1% and 10% slower (2
 * pairs). */
int vsr_segment_pool_encoder_threads(long cores, long machine_cores, int encoders, int out_w,
                                     int out_h);

/* A segment length of at most nominal that gives each of the encoders the
 * same number of segments of a clip of frames_estimate frames (-1 unknown:
 * nominal). Segments go to the encoder free first, so 5 segments on 2
 * encoders leave one encoding the fifth alone while the other waits: 3
 * segments' time instead of 2.5 (300 frames, 2 encoders: 6 of 50). Exact
 * for clips up to 40 s at 30 fps; a longer one may end a segment short of
 * a round, where that tail weighs less. */
int64_t vsr_segment_pool_balanced_length(int64_t nominal, int encoders, int64_t frames_estimate);

/* The auto layout for a clip of frames_estimate frames (-1 unknown) on K
 * encoders, segments of at most nominal: with K > 1, a first round of
 * segments of a quarter of nominal (at least 8 frames), which starts the
 * last encoder K - 1 quarters in instead of K - 1 whole segments, then the
 * rest balanced (vsr_segment_pool_balanced_length); a clip too short for
 * that gets balanced segments only (*lead 0). */
void vsr_segment_pool_auto_layout(int64_t nominal, int encoders, int64_t frames_estimate,
                                  int64_t *lead, int64_t *segment_frames);

/* Starts the encoder threads (which wait for frames). */
int vsr_segment_pool_start(const vsr_segment_pool_config *cfg, vsr_segment_pool **pool,
                           vsr_error *err);

/* Hands frame `index` (frames come in order from 0) to its segment's
 * thread, taking frame's reference; waits while that thread's queue is
 * full. Fails with the pool's error once it failed or was stopped. */
int vsr_segment_pool_push(vsr_segment_pool *pool, AVFrame *frame, int64_t index, vsr_error *err);

/* Joins every finished segment whose turn it is. */
int vsr_segment_pool_write_ready(vsr_segment_pool *pool, vsr_segment_join *join, vsr_error *err);

/* The input ended after `frames` frames: flushes the last segments, waits
 * for every thread, joins the rest and checks that every frame pushed came
 * out as exactly one packet. */
int vsr_segment_pool_finish(vsr_segment_pool *pool, vsr_segment_join *join, int64_t frames,
                            vsr_error *err);

/* Stops every thread after its current frame (an error elsewhere, Ctrl-C);
 * safe from any thread, with no pipeline lock held. */
void vsr_segment_pool_stop(vsr_segment_pool *pool);

/* Stops, joins the threads and frees everything. NULL is ignored. */
void vsr_segment_pool_destroy(vsr_segment_pool *pool);

/* Seconds the encoder threads spent encoding, summed over threads. */
double vsr_segment_pool_busy_s(vsr_segment_pool *pool);

/* When the threads took their first frame (earliest, latest) and finished
 * their last segment (earliest, latest), in vsr_now_s() seconds; 0 for a
 * thread that has not. After vsr_segment_pool_finish. */
void vsr_segment_pool_timeline(vsr_segment_pool *pool, double first[2], double last[2]);

/* The segment frame `index` belongs to. */
int64_t vsr_segment_pool_segment_of(const vsr_segment_pool_config *cfg, int64_t index);

/* The most threads that encoded at once (after vsr_segment_pool_finish). */
int vsr_segment_pool_peak_encoders(vsr_segment_pool *pool);

/* Encoder-ready frames the queues may hold at once. */
int64_t vsr_segment_pool_max_queued(const vsr_segment_pool *pool);

#endif
