#include "model/ncnn_param.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int is_float_text(const char *s)
{
    return strpbrk(s, ".eE") != NULL;
}

/* Parses a whole number or float token; rejects trailing junk. */
static int parse_number(const char *s, int *as_int, float *as_float, int *is_float)
{
    char *end;
    errno = 0;
    if (is_float_text(s)) {
        float f = strtof(s, &end);
        if (end == s || *end || errno || f != f || f > 3.4e38f || f < -3.4e38f)
            return -1; /* also NaN and infinities: no model has them */
        *as_float = f;
        /* The integer reading of a float token (a layer reads each key as
         * one or the other): saturated, as converting an out-of-range
         * float to int is undefined; the layer's own range check refuses
         * the value then. */
        *as_int = f >= (float)INT_MAX ? INT_MAX : f <= (float)INT_MIN ? INT_MIN : (int)f;
        *is_float = 1;
    } else {
        long v = strtol(s, &end, 10);
        if (end == s || *end || errno || v < INT_MIN || v > INT_MAX)
            return -1;
        *as_int = (int)v;
        *as_float = (float)v;
        *is_float = 0;
    }
    return 0;
}

int ncnn_params_parse_token(ncnn_params *p, const char *token, const char *where, vsr_error *err)
{
    const char *eq = strchr(token, '=');
    if (!eq || eq == token)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: expected key=value, got '%s'", where, token);
    char keytext[16];
    size_t keylen = (size_t)(eq - token);
    if (keylen >= sizeof keytext)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad parameter key in '%s'", where, token);
    memcpy(keytext, token, keylen);
    keytext[keylen] = '\0';
    int key, dummy_float;
    float fkey;
    if (parse_number(keytext, &key, &fkey, &dummy_float) || dummy_float)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad parameter key in '%s'", where, token);

    /* ncnn marks array parameters with keys -23300 - id; negate in long so a
     * key of INT_MIN is rejected by the range check instead of overflowing. */
    int is_array = key <= -23300;
    long id = is_array ? -(long)key - 23300 : key;
    if (id < 0 || id >= NCNN_MAX_PARAM)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: parameter key %d out of range in '%s'",
                             where, key, token);
    ncnn_param_value *v = &p->v[(int)id];
    memset(v, 0, sizeof *v);
    v->present = 1;
    v->is_array = is_array;
    const char *val = eq + 1;
    if (!is_array) {
        if (parse_number(val, &v->i, &v->f, &v->is_float))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad number in '%s'", where, token);
        return VSR_OK;
    }
    /* count,v1,v2,... */
    char buf[2048];
    if (strlen(val) >= sizeof buf)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: array too long in '%s'", where, token);
    strcpy(buf, val);
    char *save = NULL;
    char *item = strtok_r(buf, ",", &save);
    int count, isf;
    float fc;
    if (!item || parse_number(item, &count, &fc, &isf) || isf || count < 0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad array count in '%s'", where, token);
    if (count > NCNN_MAX_ARRAY)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: array of %d values (max %d) in '%s'",
                             where, count, NCNN_MAX_ARRAY, token);
    for (int k = 0; k < count; k++) {
        item = strtok_r(NULL, ",", &save);
        int iv;
        if (!item || parse_number(item, &iv, &v->array[k], &isf))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: array value %d missing or bad in '%s'",
                                 where, k, token);
    }
    if (strtok_r(NULL, ",", &save))
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: more array values than the count %d in '%s'",
                             where, count, token);
    v->n = count;
    return VSR_OK;
}

int ncnn_param_int(const ncnn_params *p, int key, int def)
{
    const ncnn_param_value *v = &p->v[key];
    return v->present && !v->is_array ? v->i : def;
}

float ncnn_param_float(const ncnn_params *p, int key, float def)
{
    const ncnn_param_value *v = &p->v[key];
    return v->present && !v->is_array ? v->f : def;
}
