/* The Vidaio validator's gates (DESIGN.md §5): what an upscaled file must
 * satisfy against its input, each failure scoring zero. */
#ifndef VSR_MEDIA_GATES_H
#define VSR_MEDIA_GATES_H

#include "media/probe.h"
#include "util/error.h"

typedef struct vsr_gate {
    const char *name;
    int pass;
    char detail[256]; /* the values seen */
} vsr_gate;

#define VSR_MAX_GATES 12

/* A Vidaio task's scale (SD2HD, HD24K, 4K28K: 2; SD24K: 4), matched
 * case-insensitively; 0 for anything else. */
int vsr_task_scale(const char *task);

/* The size gate for a scale: output bytes <= factor x input bytes. */
double vsr_size_gate_factor(int scale);

/* The largest output the validators ask for (validator-vidaio's
 * target_width / target_height): even sides of at most 8192, at most
 * 33,554,432 pixels. */
#define VSR_OUTPUT_MAX_SIDE 8192
#define VSR_OUTPUT_MAX_PIXELS 33554432LL

/* Whether w x h is such an output size: VSR_OK, or why not in err. */
int vsr_output_size_check(int w, int h, vsr_error *err);

/* Fills gates (at least VSR_MAX_GATES entries) for out against in at
 * scale; returns how many were filled. */
int vsr_gates_check(const vsr_probe *out, const vsr_probe *in, int scale, vsr_gate *gates);

#endif
