/* All the devices one model runs on: an engine (weights) per device, loaded
 * once and shared by every worker placed there (DESIGN.md §1).
 *
 * Placement: a worker's context goes to the healthy device with the fewest
 * live contexts, so the workers of one clip, and of concurrent jobs using
 * the same pool, spread over the devices by load.
 *
 * Contexts outlive their clip: a worker's context, let go, is kept by its
 * device (up to a cap) and given to the next worker placed there, ready
 * for frames of the size it last had (device_pool.c says why and how
 * many).
 *
 * Faults: when a frame fails on a device with a device error (backend
 * failure, out of memory), the device is taken out of rotation, the
 * worker's context moves to another healthy device and the frame is run
 * again there; the clip fails only when no device is left. A test-only
 * fault makes a chosen device fail after N frames, so the path runs in CI
 * on several CPU "devices" and on real GPUs in a device run. */
#ifndef VSR_PIPELINE_DEVICE_POOL_H
#define VSR_PIPELINE_DEVICE_POOL_H

#include <stdint.h>

#include "engine/engine.h"
#include "pipeline/upscaler.h"
#include "util/error.h"

#define VSR_MAX_DEVICES 16

typedef struct vsr_device_pool vsr_device_pool;

/* One engine of g per device ordinal in devices[0..n) (eo->config.device
 * is set for each). g and eo's strings must outlive the pool. */
int vsr_device_pool_create(const vsr_graph *g, const vsr_engine_options *eo, const int *devices,
                           int n, vsr_device_pool **out, vsr_error *err);
void vsr_device_pool_destroy(vsr_device_pool *p);

/* Test only: device index (into the devices given at create) fails every
 * frame from its after_frames-th on. */
void vsr_device_pool_inject_fault(vsr_device_pool *p, int index, int64_t after_frames);

/* Workers of u get contexts placed and moved as above. */
void vsr_upscaler_device_pool(vsr_upscaler *u, vsr_device_pool *p);

typedef struct vsr_device_stat {
    char name[32]; /* "cuda:0", "cpu:1" */
    int up;        /* in rotation */
    int contexts;  /* live worker contexts */
    int idle;      /* contexts kept for the next clip */
    int64_t frames;
    double busy_s;
    char fault[VSR_ERROR_MSG_MAX + 16]; /* why it was taken out; "" while up */
} vsr_device_stat;

/* Fills up to max entries; returns the number of devices. */
int vsr_device_pool_stats(vsr_device_pool *p, vsr_device_stat *stats, int max);

/* The device ordinals --devices names: "all" (every device the backend
 * has) or a comma-separated list of distinct ordinals below the count. */
int vsr_parse_devices(const char *spec, const char *backend, int *devices, int *n, vsr_error *err);

/* vsr_parse_devices (spec NULL: device 0 alone) with the test fault's
 * device index (-1: none) checked against what it names. */
int vsr_devices_resolve(const char *spec, const char *backend, int fail_device, int *devices,
                        int *n, vsr_error *err);

/* A model on its devices: what upscale, serve and compress each open
 * their device pool from. */
typedef struct vsr_pool_spec {
    const char *model;         /* name or path; NULL = VSR_DEFAULT_MODEL */
    int scale;                 /* 2, 3, 4; 0 = vsr_model_load_default's rule */
    int scale_is_output;       /* 1: scale is the output's (vsr_model_load_for_scale: a model
                                  of another scale is taken, its output resampled) */
    const char *models_dir;    /* NULL = the registry's default */
    vsr_engine_options engine; /* backend "auto": vsr_backend_resolve for the model */
    const char *devices;       /* "all" or "0,1,..."; NULL = device 0 */
    int fail_device;           /* test only: this device index fails ... */
    int64_t fail_after;        /* ... from this frame on; -1 = never */
} vsr_pool_spec;

/* Engine defaults, device 0, no fault. */
void vsr_pool_spec_default(vsr_pool_spec *s);

/* The one sequence every command runs: loads the model into g, resolves
 * the backend, opens an engine on every device and injects the test
 * fault. g must outlive the pool (free it after vsr_device_pool_destroy);
 * on failure g is freed and *out is NULL. */
int vsr_device_pool_load(const vsr_pool_spec *s, vsr_graph *g, vsr_device_pool **out,
                         vsr_error *err);

#endif
