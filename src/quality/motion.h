/* VMAF's temporal feature, motion2, as libvmaf's float_motion computes it:
 * the mean absolute difference between consecutive reference pictures
 * after a 5-tap Gaussian blur ("motion"), and for each picture the smaller
 * of its motion and the next picture's (0 for the first picture, its own
 * motion for the last).
 *
 * A context holds the scratch of one picture size and belongs to one
 * thread. Each score blurs both pictures, so that pictures can be scored
 * in any order by independent workers (the blur is a small part of the
 * cost). */
#ifndef VSR_QUALITY_MOTION_H
#define VSR_QUALITY_MOTION_H

#include <stdint.h>

#include "util/error.h"

typedef struct vsr_motion vsr_motion;

int vsr_motion_create(int width, int height, vsr_motion **out, vsr_error *err);
void vsr_motion_free(vsr_motion *m);

/* The motion score between two consecutive reference pictures (floats,
 * stride in floats). */
double vsr_motion_score(vsr_motion *m, const float *prev, const float *cur, int stride);

/* motion2 of picture i from the motion scores of pictures 0..n-1
 * (motion[0] is unused: the first picture has no predecessor). */
double vsr_motion2(const double *motion, int64_t n, int64_t i);

#endif
