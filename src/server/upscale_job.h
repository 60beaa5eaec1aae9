/* One request's work, run on a job-queue runner: for each clip, fetch the
 * input (a download or a confined local file), run the video pipeline on
 * the shared engine of the requested model, and deliver the output (a
 * confined local file, an upload to S3 with a presigned URL and a
 * scheduled deletion, or both). Scratch files live in a directory of the
 * job's own, removed in every outcome. */
#ifndef VSR_SERVER_UPSCALE_JOB_H
#define VSR_SERVER_UPSCALE_JOB_H

#include <stdatomic.h>

#include "media/encoder.h"
#include "server/job_queue.h"
#include "server/metrics.h"
#include "server/model_cache.h"
#include "server/server_config.h"
#include "util/error.h"

#define VSR_MAX_CLIPS 5 /* Vidaio sends at most 5 per request */

typedef struct vsr_s3 vsr_s3;
typedef struct vsr_deleter vsr_deleter;

/* What a job uses of the server; all shared, all outliving the job. */
typedef struct vsr_job_services {
    const vsr_server_config *cfg;
    vsr_model_cache *models;
    vsr_s3 *s3;           /* NULL: no storage */
    vsr_deleter *deleter; /* with s3 */
    vsr_metrics *metrics;
    atomic_int *active_clips; /* clips in their pipeline now, over all jobs (their share
                                 of the cores); the server's counter */
} vsr_job_services;

typedef struct vsr_clip {
    /* the request */
    char source[4096]; /* an http(s) URL, or a local path already confined to the root */
    int source_is_url;
    char output_path[4096]; /* a confined local path; "" = none (upload only) */
    char upload_key[1024];  /* the object's key; "" = a fresh <uuid>_upscaled.mp4 */
    /* the result */
    char output_url[2048]; /* presigned GET URL; "" = not uploaded */
    double detail;         /* the detail the output was made at (chosen, with auto) */
    int status;            /* VSR_OK or the failure's vsr_status */
    int http_status;       /* what the failure means to the client (0 when it worked) */
    char error[VSR_ERROR_MSG_MAX];
} vsr_clip;

typedef struct vsr_upscale_job {
    vsr_job job; /* the queue's part; job.opaque points back here */
    const vsr_job_services *services;
    char model[256];
    int scale;
    int out_width, out_height; /* the output size; 0 x 0 = the input's times scale */
    float detail;              /* detail strength 0..1 (pipeline.h); default 1 */
    int detail_auto;           /* chosen per clip by measuring it (the model "auto"'s default) */
    vsr_encoder_options enc;   /* codec, encoder and crf from the request */
    int upload;                /* upload every output (needs storage) */
    long presign_expiry_s;     /* its URLs' lifetime; 0 = the config's presign_expiry_s */
    int n_clips;
    vsr_clip clips[VSR_MAX_CLIPS];
} vsr_upscale_job;

/* Sets up job's queue part (id, deadline, run) for services. */
void vsr_upscale_job_init(vsr_upscale_job *j, const vsr_job_services *services, const char *id,
                          double deadline);

/* Sets the job's model (a family or model name) and, with it, the default
 * detail mode: measured per clip for the model "auto", else fixed. */
void vsr_upscale_job_set_model(vsr_upscale_job *j, const char *model);

/* The HTTP status that stands for a failure of this kind when the client
 * is not to blame and no stage said otherwise. */
int vsr_http_status_for(vsr_status code);

#endif
