#include "pipeline/segment_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/segment_encoder.h"
#include "util/clock.h"
#include "util/cores.h"

/* A finished segment waiting for its turn to be joined. */
typedef struct done_seg {
    vsr_segment_encoder *se;
    struct done_seg *next;
} done_seg;

typedef struct enc_thread {
    vsr_segment_pool *pool;
    pthread_t thread;
    int started;
    double busy_s;
    double first_s, done_s; /* first frame taken; last segment closed */
} enc_thread;

struct vsr_segment_pool {
    vsr_segment_pool_config cfg;
    long machine_cores; /* the machine's, read once: shares are compared with it */
    enc_thread *t;

    /* Everything below is under lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond_frames; /* threads: a frame was pushed, the input ended, or stop */
    pthread_cond_t cond_room;   /* pusher: a slot was freed, or stop */
    pthread_cond_t cond_done;   /* joiner: a segment finished, a thread exited, or stop */
    int ended, stop, failed, running;
    vsr_error first_err;
    /* Frames pushed and not yet taken, frame i in ring[i % cap]: the
     * K x segment_frames frames the memory bound allows. */
    AVFrame **ring;
    int64_t cap;
    int64_t pushed;     /* frames pushed: the next one's index */
    int64_t next_claim; /* the first segment no thread has claimed */
    int active, peak;   /* threads holding a claimed segment: now, at most */
    done_seg *done;     /* finished segments, by index */
    int64_t next_join;  /* the segment to join next */
};

static int up_to_1080p(int out_w, int out_h)
{
    return (int64_t)out_w * out_h <= 1920LL * 1088;
}

/* The cores one encoder instance keeps busy at this output size (x265,
 * measured on 16 cores). */
static int cores_per_instance(int out_w, int out_h)
{
    return up_to_1080p(out_w, out_h) ? 4 : (int64_t)out_w * out_h <= 3840LL * 2176 ? 5 : 8;
}

int vsr_segment_pool_auto(long cores, int out_w, int out_h, int64_t segment_frames,
                          int64_t frames_estimate, size_t frame_bytes, size_t memory_budget)
{
    long k = cores / cores_per_instance(out_w, out_h);
    if (k < 1)
        k = 1;
    if (frames_estimate > 0 && segment_frames > 0) {
        int64_t segments = (frames_estimate + segment_frames - 1) / segment_frames;
        if (k > segments)
            k = (long)segments;
    }
    while (k > 1 &&
           (double)k * (double)segment_frames * (double)frame_bytes > (double)memory_budget)
        k--;
    return k < 1 ? 1 : (int)k;
}

int vsr_segment_pool_encoder_threads(long cores, long machine_cores, int encoders, int out_w,
                                     int out_h)
{
    const int share = encoders > 0 && cores > encoders ? (int)(cores / encoders) : 1;
    const int alone = cores >= machine_cores;
    return alone && encoders > 1 && up_to_1080p(out_w, out_h) ? 2 * share : share;
}

int64_t vsr_segment_pool_balanced_length(int64_t nominal, int encoders, int64_t frames_estimate)
{
    if (encoders <= 1 || frames_estimate <= 0 || nominal <= 0)
        return nominal;
    /* Whole rounds of one segment per encoder, segments no longer than
     * nominal: shorter ones also let the later encoders start sooner, as
     * the frames arrive in order. */
    int64_t round = nominal * encoders;
    int64_t first = (frames_estimate + round - 1) / round * encoders;
    /* ceil(frames / len) can fall short of the segments asked for (2970
     * frames in 56 segments of 54 are 55): the next whole rounds may fit */
    for (int64_t segments = first; segments <= first + 8 * encoders; segments += encoders) {
        int64_t len = (frames_estimate + segments - 1) / segments;
        if ((frames_estimate + len - 1) / len == segments)
            return len;
    }
    return (frames_estimate + first - 1) / first;
}

/* The first round's segment length. */
static int64_t lead_length(const vsr_segment_pool_config *cfg)
{
    return cfg->lead_frames > 0 ? cfg->lead_frames : cfg->segment_frames;
}

int64_t vsr_segment_pool_segment_of(const vsr_segment_pool_config *cfg, int64_t index)
{
    const int64_t lead = lead_length(cfg);
    const int64_t round = lead * cfg->encoders;
    return index < round ? index / lead : cfg->encoders + (index - round) / cfg->segment_frames;
}

/* The first frame of segment seg (segment_of's inverse). */
static int64_t segment_start(const vsr_segment_pool_config *cfg, int64_t seg)
{
    const int64_t lead = lead_length(cfg);
    return seg < cfg->encoders ? seg * lead
                               : lead * cfg->encoders + (seg - cfg->encoders) * cfg->segment_frames;
}

void vsr_segment_pool_auto_layout(int64_t nominal, int encoders, int64_t frames_estimate,
                                  int64_t *lead, int64_t *segment_frames)
{
    const int64_t quarter = nominal / 4 > 8 ? nominal / 4 : 8;
    *lead = 0;
    *segment_frames = nominal;
    if (encoders <= 1)
        return;
    if (quarter < nominal && frames_estimate <= 0) {
        *lead = quarter; /* length unknown: nominal segments after it */
        return;
    }
    if (quarter < nominal && frames_estimate > 2 * quarter * encoders) {
        int64_t len = vsr_segment_pool_balanced_length(nominal, encoders,
                                                       frames_estimate - quarter * encoders);
        if (len >= quarter) {
            *lead = quarter;
            *segment_frames = len;
            return;
        }
    }
    *segment_frames = vsr_segment_pool_balanced_length(nominal, encoders, frames_estimate);
}

/* Records the pool's first error and stops every thread; the owner hears
 * of it through on_error. */
static void pool_fail(vsr_segment_pool *pool, const vsr_error *err)
{
    pthread_mutex_lock(&pool->lock);
    int first = !pool->failed;
    if (first) {
        pool->failed = 1;
        pool->first_err = *err;
    }
    pool->stop = 1;
    pthread_cond_broadcast(&pool->cond_frames);
    pthread_cond_broadcast(&pool->cond_room);
    pthread_cond_broadcast(&pool->cond_done);
    pthread_mutex_unlock(&pool->lock);
    if (first && pool->cfg.on_error)
        pool->cfg.on_error(pool->cfg.opaque, err);
}

/* Puts a finished segment in the done list, which stays sorted. */
static void add_done(vsr_segment_pool *pool, done_seg *d)
{
    int64_t idx = vsr_segment_encoder_index(d->se);
    pthread_mutex_lock(&pool->lock);
    done_seg **at = &pool->done;
    while (*at && vsr_segment_encoder_index((*at)->se) < idx)
        at = &(*at)->next;
    d->next = *at;
    *at = d;
    pthread_cond_broadcast(&pool->cond_done);
    pthread_mutex_unlock(&pool->lock);
}

/* Finishes the thread's open segment and hands it to the joiner. */
static int close_segment(vsr_segment_pool *pool, vsr_segment_encoder **se, vsr_error *err)
{
    int ret = vsr_segment_encoder_finish(*se, err);
    if (ret < 0)
        return ret;
    done_seg *d = malloc(sizeof *d);
    if (!d)
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment %lld: out of memory",
                             (long long)vsr_segment_encoder_index(*se));
    d->se = *se;
    *se = NULL;
    add_done(pool, d);
    return VSR_OK;
}

/* Under the lock: whether the thread may claim a segment now, and if so
 * the encoder threads its instance takes (*threads). With a share of the
 * cores (cores_now), only as many threads encode at once as it holds
 * instances. */
static int may_claim(vsr_segment_pool *pool, int *threads)
{
    if (!pool->cfg.cores_now) {
        *threads = pool->cfg.enc.threads;
        return 1;
    }
    const int cores = pool->cfg.cores_now(pool->cfg.cores_opaque);
    const int per = cores_per_instance(pool->cfg.video.width, pool->cfg.video.height);
    int allowed = (cores + per / 2) / per;
    allowed = allowed < 1 ? 1 : allowed > pool->cfg.encoders ? pool->cfg.encoders : allowed;
    if (pool->active >= allowed)
        return 0;
    *threads = vsr_segment_pool_encoder_threads(cores, pool->machine_cores, allowed,
                                                pool->cfg.video.width, pool->cfg.video.height);
    return 1;
}

/* Under the lock: one thread fewer holds a segment. */
static void release_claim(vsr_segment_pool *pool)
{
    pool->active--;
    pthread_cond_broadcast(&pool->cond_frames); /* a waiting thread may claim */
}

/* An encoder thread: claims the first segment nobody has (so the next
 * segment goes to whichever thread is free first, which keeps their ends
 * together), takes its frames from the ring as they are pushed, encodes
 * and closes it; until no segment is left. */
static void *enc_main(void *arg)
{
    enc_thread *t = arg;
    vsr_segment_pool *pool = t->pool;
    vsr_segment_encoder *se = NULL;
    vsr_error err = {0};
    int ret = VSR_OK;
    int64_t seg = -1, i = 0; /* the claimed segment, the next frame of it */
    int threads = 0;         /* its encoder's */
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (seg < 0 && !pool->stop) {
            if (pool->ended && segment_start(&pool->cfg, pool->next_claim) >= pool->pushed)
                break; /* no segment left */
            if (may_claim(pool, &threads)) {
                seg = pool->next_claim++;
                i = segment_start(&pool->cfg, seg);
                pool->peak = ++pool->active > pool->peak ? pool->active : pool->peak;
                break;
            }
            /* the share is full: look again when a thread lets go of its
             * segment, or shortly (the share grows as other clips end) */
            const struct timespec until = vsr_deadline_after(0.05);
            pthread_cond_timedwait(&pool->cond_frames, &pool->lock, &until);
        }
        while (!pool->stop && seg >= 0 && i >= pool->pushed && !pool->ended)
            pthread_cond_wait(&pool->cond_frames, &pool->lock);
        if (pool->stop) {
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        if (seg < 0 || i >= pool->pushed) { /* the input ended: close the last, shorter segment */
            if (seg >= 0)
                release_claim(pool);
            pthread_mutex_unlock(&pool->lock);
            if (se)
                ret = close_segment(pool, &se, &err);
            if (t->first_s > 0)
                t->done_s = vsr_now_s();
            break;
        }
        AVFrame *frame = pool->ring[i % pool->cap];
        pool->ring[i % pool->cap] = NULL;
        pthread_cond_broadcast(&pool->cond_room);
        pthread_mutex_unlock(&pool->lock);

        double t0 = vsr_now_s();
        if (t->first_s == 0)
            t->first_s = t0; /* only this thread writes it; read after the join */
        if (!se) {
            vsr_encoder_options eo = pool->cfg.enc;
            eo.threads = threads;
            ret = vsr_segment_encoder_open(&eo, &pool->cfg.video, seg, i, &se, &err);
        }
        if (ret >= 0)
            ret = vsr_segment_encoder_send(se, frame, &err);
        av_frame_free(&frame);
        const int closing = ret >= 0 && vsr_segment_pool_segment_of(&pool->cfg, ++i) != seg;
        if (closing)
            ret = close_segment(pool, &se, &err);
        pthread_mutex_lock(&pool->lock);
        t->busy_s += vsr_now_s() - t0;
        if (closing) {
            release_claim(pool);
            seg = -1;
        }
        pthread_mutex_unlock(&pool->lock);
        if (ret < 0)
            break;
    }
    vsr_segment_encoder_free(se); /* an unfinished segment: stopped or failed */
    if (ret < 0)
        pool_fail(pool, &err);
    pthread_mutex_lock(&pool->lock);
    pool->running--;
    pthread_cond_broadcast(&pool->cond_done);
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int vsr_segment_pool_start(const vsr_segment_pool_config *cfg, vsr_segment_pool **out,
                           vsr_error *err)
{
    *out = NULL;
    if (cfg->encoders < 1 || cfg->segment_frames < 1 || cfg->segment_frames > (1 << 20) ||
        cfg->lead_frames < 0 || cfg->lead_frames > cfg->segment_frames)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "segment encoders: %d encoders of %lld-frame segments (first %lld)",
                             cfg->encoders, (long long)cfg->segment_frames,
                             (long long)cfg->lead_frames);
    vsr_segment_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment encoders: out of memory");
    pool->cfg = *cfg;
    pool->machine_cores = vsr_cores_online();
    pool->cap = (int64_t)cfg->encoders * cfg->segment_frames;
    pthread_mutex_init(&pool->lock, NULL);
    vsr_cond_init_monotonic(&pool->cond_frames); /* timed waits: monotonic */
    pthread_cond_init(&pool->cond_room, NULL);
    pthread_cond_init(&pool->cond_done, NULL);
    pool->t = calloc((size_t)cfg->encoders, sizeof *pool->t);
    pool->ring = calloc((size_t)pool->cap, sizeof *pool->ring);
    if (!pool->t || !pool->ring) {
        vsr_segment_pool_destroy(pool);
        return vsr_error_set(err, VSR_ERR_NOMEM, "segment encoders: out of memory");
    }
    for (int k = 0; k < cfg->encoders; k++)
        pool->t[k].pool = pool;
    for (int k = 0; k < cfg->encoders; k++) {
        pthread_mutex_lock(&pool->lock);
        pool->running++;
        pthread_mutex_unlock(&pool->lock);
        int e = pthread_create(&pool->t[k].thread, NULL, enc_main, &pool->t[k]);
        if (e != 0) {
            pthread_mutex_lock(&pool->lock);
            pool->running--;
            pthread_mutex_unlock(&pool->lock);
            vsr_segment_pool_destroy(pool);
            return vsr_error_set(err, VSR_ERR_NOMEM, "cannot start segment encoder %d: %s", k,
                                 strerror(e));
        }
        pool->t[k].started = 1;
    }
    *out = pool;
    return VSR_OK;
}

/* The pool's error, or a cancellation when something else stopped it. */
static int stopped_error(vsr_segment_pool *pool, vsr_error *err)
{
    if (pool->failed) {
        if (err)
            *err = pool->first_err;
        return pool->first_err.code;
    }
    return vsr_error_set(err, VSR_ERR_CANCELLED, "segment encoders stopped");
}

int vsr_segment_pool_push(vsr_segment_pool *pool, AVFrame *frame, int64_t index, vsr_error *err)
{
    if (index != pool->pushed)
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "segment encoders: frame %lld pushed after %lld", (long long)index,
                             (long long)pool->pushed - 1);
    AVFrame *f = av_frame_alloc();
    if (!f)
        return vsr_error_set(err, VSR_ERR_NOMEM, "frame %lld: out of memory", (long long)index);
    av_frame_move_ref(f, frame);
    pthread_mutex_lock(&pool->lock);
    /* the slot's earlier frame is taken once its segment's thread gets to it */
    while (!pool->stop && pool->ring[index % pool->cap])
        pthread_cond_wait(&pool->cond_room, &pool->lock);
    if (pool->stop) {
        int ret = stopped_error(pool, err);
        pthread_mutex_unlock(&pool->lock);
        av_frame_free(&f);
        return ret;
    }
    pool->ring[index % pool->cap] = f;
    pool->pushed++;
    pthread_cond_broadcast(&pool->cond_frames);
    pthread_mutex_unlock(&pool->lock);
    return VSR_OK;
}

/* Takes the next segment to join if it is finished (under the lock). */
static done_seg *take_next(vsr_segment_pool *pool)
{
    done_seg *d = pool->done;
    if (!d || vsr_segment_encoder_index(d->se) != pool->next_join)
        return NULL;
    pool->done = d->next;
    pool->next_join++;
    return d;
}

static int join_one(done_seg *d, vsr_segment_join *join, vsr_error *err)
{
    int ret = vsr_segment_join_add(join, d->se, err);
    vsr_segment_encoder_free(d->se);
    free(d);
    return ret;
}

int vsr_segment_pool_write_ready(vsr_segment_pool *pool, vsr_segment_join *join, vsr_error *err)
{
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        done_seg *d = take_next(pool);
        pthread_mutex_unlock(&pool->lock);
        if (!d)
            return VSR_OK;
        int ret = join_one(d, join, err);
        if (ret < 0)
            return ret;
    }
}

int vsr_segment_pool_finish(vsr_segment_pool *pool, vsr_segment_join *join, int64_t frames,
                            vsr_error *err)
{
    pthread_mutex_lock(&pool->lock);
    pool->ended = 1;
    pthread_cond_broadcast(&pool->cond_frames);
    pthread_mutex_unlock(&pool->lock);
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        done_seg *d = NULL;
        while (!pool->stop && !(d = take_next(pool)) && pool->running > 0)
            pthread_cond_wait(&pool->cond_done, &pool->lock);
        if (pool->stop) {
            int ret = stopped_error(pool, err);
            pthread_mutex_unlock(&pool->lock);
            if (d) {
                vsr_segment_encoder_free(d->se);
                free(d);
            }
            return ret;
        }
        int left = pool->done != NULL;
        pthread_mutex_unlock(&pool->lock);
        if (!d) {
            if (left)
                return vsr_error_set(err, VSR_ERR_INTERNAL,
                                     "segment encoders: segment %lld missing at the end",
                                     (long long)pool->next_join);
            break;
        }
        int ret = join_one(d, join, err);
        if (ret < 0)
            return ret;
    }
    if (pool->pushed != frames || join->packets != frames)
        return vsr_error_set(err, VSR_ERR_INTERNAL,
                             "segment encoders: %lld frames in, %lld pushed, %lld packets joined",
                             (long long)frames, (long long)pool->pushed, (long long)join->packets);
    return VSR_OK;
}

void vsr_segment_pool_stop(vsr_segment_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->cond_frames);
    pthread_cond_broadcast(&pool->cond_room);
    pthread_cond_broadcast(&pool->cond_done);
    pthread_mutex_unlock(&pool->lock);
}

void vsr_segment_pool_destroy(vsr_segment_pool *pool)
{
    if (!pool)
        return;
    vsr_segment_pool_stop(pool);
    if (pool->t) {
        for (int k = 0; k < pool->cfg.encoders; k++)
            if (pool->t[k].started)
                pthread_join(pool->t[k].thread, NULL);
    }
    if (pool->ring)
        for (int64_t q = 0; q < pool->cap; q++)
            av_frame_free(&pool->ring[q]);
    free(pool->ring);
    free(pool->t);
    while (pool->done) {
        done_seg *d = pool->done;
        pool->done = d->next;
        vsr_segment_encoder_free(d->se);
        free(d);
    }
    pthread_cond_destroy(&pool->cond_done);
    pthread_cond_destroy(&pool->cond_room);
    pthread_cond_destroy(&pool->cond_frames);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

double vsr_segment_pool_busy_s(vsr_segment_pool *pool)
{
    double s = 0;
    pthread_mutex_lock(&pool->lock);
    for (int k = 0; k < pool->cfg.encoders; k++)
        s += pool->t[k].busy_s;
    pthread_mutex_unlock(&pool->lock);
    return s;
}

void vsr_segment_pool_timeline(vsr_segment_pool *pool, double first[2], double last[2])
{
    first[0] = first[1] = last[0] = last[1] = 0;
    pthread_mutex_lock(&pool->lock); /* the threads' last writes came before their exit's lock */
    for (int k = 0; k < pool->cfg.encoders; k++) {
        const enc_thread *t = &pool->t[k];
        if (t->first_s > 0) {
            first[0] = first[0] == 0 || t->first_s < first[0] ? t->first_s : first[0];
            first[1] = t->first_s > first[1] ? t->first_s : first[1];
        }
        if (t->done_s > 0) {
            last[0] = last[0] == 0 || t->done_s < last[0] ? t->done_s : last[0];
            last[1] = t->done_s > last[1] ? t->done_s : last[1];
        }
    }
    pthread_mutex_unlock(&pool->lock);
}

int vsr_segment_pool_peak_encoders(vsr_segment_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    int peak = pool->peak;
    pthread_mutex_unlock(&pool->lock);
    return peak;
}

int64_t vsr_segment_pool_max_queued(const vsr_segment_pool *pool)
{
    return pool->cap;
}
