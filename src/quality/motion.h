/* VMAF's temporal feature, motion2, as libvmaf's float_motion computes it:
 * the mean absolute difference between consecutive reference pictures
 * after a 5-tap Gaussian blur, and for each picture the smaller of its
 * differences to the previous and to the next one (0 for the first, the
 * difference to the previous for the last).
 *
 * The blur of every picture is kept until the next one is seen, so
 * pictures must be given in display order, all of them. */
#ifndef VSR_QUALITY_MOTION_H
#define VSR_QUALITY_MOTION_H

#include "util/error.h"

typedef struct vsr_motion vsr_motion;

int vsr_motion_create(int width, int height, int threads, vsr_motion **out, vsr_error *err);
void vsr_motion_free(vsr_motion *m);

/* Adds the next reference picture (floats, stride in floats). Returns the
 * plain motion score of this picture against the previous one (0 for the
 * first). */
double vsr_motion_add(vsr_motion *m, const float *ref, int stride);

/* motion2 of picture i from the plain scores of pictures 0..n-1. */
double vsr_motion2(const double *motion, int n, int i);

#endif
