/* A compression task (pipeline/compress.h) as a job of the server's queue,
 * shared by the GPU worker's POST /process (input and output are scratch
 * files the request owns) and vidaio-subnet's POST /compress (the input
 * may be a URL, downloaded first, and the output may go to storage,
 * uploaded and presigned after the search). Either way the search gets
 * what is left of the job's deadline and its share of the cores. */
#ifndef VSR_SERVER_COMPRESS_JOB_H
#define VSR_SERVER_COMPRESS_JOB_H

#include <stdint.h>

#include "pipeline/compress.h"
#include "server/job_queue.h"
#include "server/upscale_job.h"
#include "util/error.h"

/* Where a job ended when it failed: the reply words it after the stage,
 * as the subnet's compression service does. */
typedef enum vsr_compress_stage {
    VSR_COMPRESS_STAGE_NONE,
    VSR_COMPRESS_STAGE_SCRATCH,
    VSR_COMPRESS_STAGE_DOWNLOAD,
    VSR_COMPRESS_STAGE_SEARCH,
    VSR_COMPRESS_STAGE_UPLOAD,
} vsr_compress_stage;

typedef struct vsr_compress_job {
    vsr_job job; /* the queue's part; job.opaque points back here */
    const vsr_job_services *sv;
    /* The search's options. input and output: local files; with
     * source_url set they are filled in by the job (scratch files). */
    vsr_compress_options opt;
    /* An http(s) URL to download first ("" = opt.input is local). */
    char source_url[4096];
    /* With upload_key set: the output goes to storage under that key and
     * output_url gets its presigned GET URL (valid presign_expiry_s);
     * the local output is then a scratch file, removed. */
    char upload_key[1024];
    long presign_expiry_s;
    char output_url[2048];
    /* the result */
    vsr_compress_result result;
    int status; /* VSR_OK or the failure's vsr_status */
    vsr_compress_stage failed_at;
    vsr_error err;
    /* scratch (the job's own) */
    char workdir[4096], in_path[4200], out_path[4200];
} vsr_compress_job;

/* Sets up c's queue part (id, deadline, run) and the search's defaults. */
void vsr_compress_job_init(vsr_compress_job *c, const vsr_job_services *sv, const char *id,
                           double deadline);

/* VBR at bitrate (bits/s) instead of the CRF search (compress.h's VBR
 * mode); VSR_ERR_INVALID for a bitrate outside 1 kbit/s..500 Mbit/s. */
int vsr_compress_job_set_vbr(vsr_compress_job *c, int64_t bitrate, vsr_error *err);

#endif
