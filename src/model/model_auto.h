/* `--model auto` (issue 18, item 4): the model for a task, from the
 * quality study (bench/quality/results/, table in README.md "Choosing the
 * model"), always run with a detail strength chosen per clip
 * (pipeline/detail_probe.h). The registry loads "auto" as the table's
 * model for the scale asked, at that model's own scale: the caller
 * resamples its output to the task's size (pipeline out_scale). */
#ifndef VSR_MODEL_MODEL_AUTO_H
#define VSR_MODEL_MODEL_AUTO_H

#define VSR_MODEL_AUTO "auto"

/* 1 if name is "auto". */
int vsr_model_is_auto(const char *name);

/* The installed model's name "auto" stands for at output scale 2, 3 or 4
 * (0 or another: the x4 choice). */
const char *vsr_model_auto_for_scale(int scale);

#endif
