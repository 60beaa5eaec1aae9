/* Resource policy, in one place for every command that runs the pipeline
 * (upscale, serve, compress): how many workers a clip gets, how many
 * engine threads each, and the share of the machine's cores a clip's
 * encoders take. The machine's core count itself is util/cores.h. */
#ifndef VSR_PIPELINE_POLICY_H
#define VSR_PIPELINE_POLICY_H

/* Workers a clip gets when none are asked: two per GPU keep it busy while
 * the other converts and copies; on the CPU, one worker with every core it
 * gets does best. backend: a compiled backend's name (an unknown one
 * counts as the CPU). */
int vsr_policy_workers(const char *backend, int n_devices);

/* Engine threads per worker when none are asked: the machine's cores
 * split evenly over jobs running at once, each with `workers` workers (N
 * workers each with every core would only fight over them); at least 1. */
int vsr_policy_engine_threads(int jobs, int workers);

/* A clip's share of the cores for its encoders: the machine's, split
 * evenly between the clips being upscaled at this moment (so a clip left
 * alone takes the cores the finished ones freed); at least 1. */
int vsr_policy_encoder_cores(int active_clips);

/* The same as a vsr_pipeline_config.encoder_cores_now callback: opaque is
 * an atomic_int counting the clips in their pipeline now (NULL: one). */
int vsr_policy_encoder_cores_now(void *active_clips);

#endif
