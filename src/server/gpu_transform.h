/* The contract of validator-vidaio's remote GPU transform worker
 * ("vidaio-next-gpu-transform/v1"; the client is vidaio/miner/remote_gpu.py,
 * the reference worker vidaio/miner/gpu_worker.py and its HTTP front
 * deploy/modal/vidaio_next_gpu_miner.py): the header names, the task
 * metadata and every rule and limit on its fields, the upscaling target
 * and the compression encode plan derived from its params
 * (vidaio/miner/encoding.py), and the solution variants. Pure functions:
 * the HTTP side is gpu_worker.c. docs/gpu-worker.md is the reader's page. */
#ifndef VSR_SERVER_GPU_TRANSFORM_H
#define VSR_SERVER_GPU_TRANSFORM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "media/encoder_profile.h"
#include "util/error.h"

#define VSR_GPU_PROTOCOL "vidaio-next-gpu-transform/v1"
#define VSR_GPU_METADATA_HEADER "x-vidaio-gpu-metadata"
#define VSR_GPU_PROTOCOL_HEADER "x-vidaio-gpu-protocol"
#define VSR_GPU_INPUT_DIGEST_HEADER "x-vidaio-input-digest"
#define VSR_GPU_OUTPUT_DIGEST_HEADER "x-vidaio-output-digest"
#define VSR_GPU_TRACK_HEADER "x-vidaio-track"
#define VSR_GPU_VARIANT_HEADER "x-vidaio-solution-variant"
#define VSR_GPU_ACCELERATED_HEADER "x-vidaio-gpu-accelerated"
#define VSR_GPU_DEVICE_HEADER "x-vidaio-gpu-device"
/* The device the protocol names for media made without a GPU; the client
 * accepts it (with x-vidaio-gpu-accelerated: false) only where its
 * operator allowed CPU fallback. */
#define VSR_GPU_CPU_DEVICE "cpu:ffmpeg-fallback"

/* Limits of the metadata (gpu_worker.py). */
#define VSR_GPU_MAX_METADATA_BYTES (16 * 1024)
#define VSR_GPU_MAX_METADATA_ENCODED (((VSR_GPU_MAX_METADATA_BYTES + 2) / 3) * 4)
#define VSR_GPU_MAX_PARAMS 32
#define VSR_GPU_MAX_PARAMS_JSON (8 * 1024)
#define VSR_GPU_MAX_DEADLINE_S 600.0
/* Limits of a transform (gpu_worker.py's _probe and _target). */
#define VSR_GPU_MAX_SIDE 8192
#define VSR_GPU_MAX_TARGET_PIXELS 33554432LL
#define VSR_GPU_MAX_FPS 120.0
#define VSR_GPU_MAX_FRAMES 3600
/* remote_gpu.py reads at most this much of an error body. */
#define VSR_GPU_MAX_ERROR_BODY 4096

typedef enum vsr_gpu_track { VSR_GPU_TRACK_COMPRESSION, VSR_GPU_TRACK_UPSCALING } vsr_gpu_track;

/* A solution variant and what it means to vsr (docs/gpu-worker.md). */
typedef struct vsr_gpu_variant {
    const char *name;            /* quality, balanced, compact, premium */
    vsr_encoder_profile profile; /* upscaling: the encoder profile */
    double compress_margin;      /* compression: VMAF required above the threshold */
    int compress_samples;        /* compression: samples of the search; 0 = auto */
} vsr_gpu_variant;

/* NULL when name is none of the four. */
const vsr_gpu_variant *vsr_gpu_variant_find(const char *name);

/* The task metadata, decoded and checked. */
typedef struct vsr_gpu_task {
    vsr_gpu_track track;
    const vsr_gpu_variant *variant;
    char input_digest[65]; /* lowercase sha256 hex */
    int64_t input_size;    /* > 0 */
    double deadline_s;     /* (0, 600] */
    json_t *params;        /* an object (maybe empty) of numbers and strings; owned */
} vsr_gpu_task;

const char *vsr_gpu_track_name(vsr_gpu_track t);

/* Decodes the x-vidaio-gpu-metadata header (base64url of a JSON object,
 * padding optional) and checks every field as gpu_worker.py does: the
 * header at most VSR_GPU_MAX_METADATA_ENCODED characters and the JSON at
 * most VSR_GPU_MAX_METADATA_BYTES; protocol equal to VSR_GPU_PROTOCOL;
 * track and solution_variant known; input_digest lowercase sha256 hex;
 * input_size an integer > 0; deadline_seconds a number in (0, 600];
 * params (optional) an object of at most 32 numbers or strings whose
 * compact JSON as Python writes it is at most 8 KiB. Other keys are
 * ignored, as pydantic does. VSR_ERR_INVALID naming the field. */
int vsr_gpu_task_decode(const char *header, vsr_gpu_task *t, vsr_error *err);
void vsr_gpu_task_free(vsr_gpu_task *t);

/* Bytes of json.dumps(params, separators=(",", ":"), allow_nan=False) in
 * Python (ASCII escapes, float repr): what the params limit counts. */
size_t vsr_gpu_params_json_len(const json_t *params);

/* A positive integer param as gpu_worker.py's _positive_int reads it: an
 * integer, a number with no fraction, or a string of one. Returns 0 when
 * absent, 1 with *out, or VSR_ERR_INVALID. */
int vsr_gpu_param_positive_int(const json_t *params, const char *name, int64_t *out,
                               vsr_error *err);

/* The output size of a task on an input of in_w x in_h (_target):
 * target_width and target_height together when given, else for upscaling
 * the input times upscale_factor (2 or 4; *factor set), else (compression)
 * the input's size; at most 8192 a side and 33,554,432 pixels, both even.
 * *factor is 0 when the task gave a target size without a valid factor. */
int vsr_gpu_target(const vsr_gpu_task *t, int in_w, int in_h, int *out_w, int *out_h, int *factor,
                   vsr_error *err);

/* The compression track's encode, from target_codec (aliases of h264,
 * hevc, av1, vp9, case-insensitive; absent: default_codec), codec_mode
 * (CRF or VBR; VBR counts only with a positive target_bitrate),
 * target_bitrate (bits/s, at most 500 Mbps), compression_type (High,
 * Medium, Low) and vmaf_threshold, as encoding.py reads them. */
typedef struct vsr_gpu_encode_plan {
    char codec[8];      /* h264, hevc, av1, vp9 */
    int vbr;            /* constrained VBR at bitrate */
    int64_t bitrate;    /* bits/s; 0 = none */
    int tier;           /* -1 none, 0 High, 1 Medium, 2 Low */
    double vmaf_target; /* vmaf_threshold, else the tier's, else default_vmaf */
} vsr_gpu_encode_plan;

/* The VMAF threshold each quality tier stands for: the vidaio-subnet
 * compression thresholds 93 (High), 89 (Medium), 85 (Low). */
double vsr_gpu_tier_vmaf(int tier);

int vsr_gpu_encode_plan_resolve(const json_t *params, const char *default_codec,
                                double default_vmaf, vsr_gpu_encode_plan *plan, vsr_error *err);

/* Lowercase hex of a sha256 digest; hex needs 65 bytes. */
void vsr_gpu_hex(const unsigned char digest[32], char hex[65]);

#endif
