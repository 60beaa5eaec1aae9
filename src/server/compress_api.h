/* POST /compress: vidaio-subnet's compression service
 * (miner/compression/app.py), field for field:
 *
 *   {"video_path": URL or a path under the root, "task_id"?: "",
 *    "codec"?: "AV1"|"H264"|"HEVC"|"VP9" (and H.264, H265, H.265),
 *    "codec_mode"?: "CRF"|"VBR", "cq"?: 35, "preset"?: "p4",
 *    "target_bitrate"?, "target_width"?, "target_height"?}
 *   -> {"output_path", "output_url", "success", "error", "active_tasks",
 *       "queued_tasks"}
 *
 * A URL is downloaded (the server's download policy), compressed, uploaded
 * as processing/<task>/<task>_input_compressed.mp4 and handed out as a
 * presigned URL (output_url, service_presign_expiry_s); a local input is
 * compressed to <root>/<name>_compressed.mp4 (output_path). The VMAF the
 * search must reach is the one the neuron's cq stands for (30: High, 93;
 * 35: Medium, 89; 40: Low, 85). As the service does: fields of the wrong
 * type are 422 {"detail": [{"type", "loc", "msg", "input"}]}, a missing
 * input file 400 {"detail"}, a full queue 429 {"detail"}, and a failure
 * of the work itself 200 with success false and its error. */
#ifndef VSR_SERVER_COMPRESS_API_H
#define VSR_SERVER_COMPRESS_API_H

#include <jansson.h>

#include "server/api.h"

void vsr_compress_api_handle(vsr_api *api, const vsr_http_call *call, vsr_http_reply *reply);

/* The reply's fields for an error the transport or the router words. */
json_t *vsr_compress_api_error_fields(vsr_api *api);

/* The VMAF threshold a cq stands for (see above). */
double vsr_compress_api_threshold(int cq);

#endif
