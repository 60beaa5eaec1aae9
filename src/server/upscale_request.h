/* The fields of a POST /upscale body (api.h lists them), checked one by
 * one: inputs confined to the root or fetched by URL, outputs confined to
 * the root or uploaded (under the keys vidaio-subnet's service uses),
 * scale, codec and cq. Kept apart from the job and the model cache so that
 * a fuzzer (tests/fuzz/fuzz_api_requests.c) can run it on its own; the
 * model field, which needs the cache, is api.c's. */
#ifndef VSR_SERVER_UPSCALE_REQUEST_H
#define VSR_SERVER_UPSCALE_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "server/request_fields.h"
#include "server/server_config.h"
#include "server/upscale_job.h"

/* Fills j's clips (sources, output paths or upload keys, which name
 * j->job.id), scale and encoder options from root. has_storage: the
 * outputs are uploaded. j must have been initialised (its encoder options
 * at their defaults). 0, or -1 with why naming the bad field. */
int vsr_upscale_request_parse(const vsr_server_config *cfg, int has_storage, json_t *root,
                              vsr_upscale_job *j, char *why, size_t why_len);

#endif
