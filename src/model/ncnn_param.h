/* Parsing of one ncnn .param layer line's "key=value" parameters.
 * Keys 0..31 hold one int or float (a float is written with '.', 'e' or
 * 'E'); array keys are written -233xx=count,v1,v2,... for key xx. */
#ifndef VSR_MODEL_NCNN_PARAM_H
#define VSR_MODEL_NCNN_PARAM_H

#include "util/error.h"

#define NCNN_MAX_PARAM 32
#define NCNN_MAX_ARRAY 64

typedef struct ncnn_param_value {
    int present;
    int is_array;
    int is_float; /* scalar written as a float */
    int i;
    float f;
    int n;                       /* array length */
    float array[NCNN_MAX_ARRAY]; /* array values as floats */
} ncnn_param_value;

typedef struct ncnn_params {
    ncnn_param_value v[NCNN_MAX_PARAM];
} ncnn_params;

/* Parses one "k=v" token into p. where names the file and line for errors. */
int ncnn_params_parse_token(ncnn_params *p, const char *token, const char *where, vsr_error *err);

int ncnn_param_int(const ncnn_params *p, int key, int def);
float ncnn_param_float(const ncnn_params *p, int key, float def);

#endif
