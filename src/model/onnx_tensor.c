/* ONNX constants -> onnx_const. A TensorProto keeps its values either in
 * raw_data (little-endian bytes) or in the typed repeated field of its type
 * (fp16 and bf16 in int32_data, one value each); both are read, checked
 * against the count the dims give, and held as floats and as integers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/onnx_internal.h"

/* No tensor of an SR model comes near this; it bounds allocations made on
 * the word of a (possibly hostile) dims field. */
#define ONNX_MAX_CONST_COUNT ((size_t)1 << 28)

float onnx_half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24); /* zero or subnormal */
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 1024), exp - 25);
    return sign ? -v : v;
}

static float bf16_to_float(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void onnx_const_free(onnx_const *c)
{
    free(c->f);
    free(c->i);
    c->f = NULL;
    c->i = NULL;
}

static const char *type_name(int t)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return "float";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return "uint8";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return "int8";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return "uint16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return "int16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return "int32";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return "int64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__STRING: return "string";
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return "bool";
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return "float16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return "double";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return "uint32";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return "uint64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return "bfloat16";
    }
    return "unknown";
}

/* Bytes per value in raw_data, 0 for types we do not read. */
static size_t elem_size(int t)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    }
    return 0;
}

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

/* Value k of the raw bytes as a double (exact for every type read here
 * except int64 beyond 2^53, which shapes never reach) and as an integer. */
static void raw_value(int t, const uint8_t *p, double *d, int64_t *i)
{
    uint64_t u = le(p, elem_size(t));
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
        uint32_t b = (uint32_t)u;
        float f;
        memcpy(&f, &b, sizeof f);
        *d = f;
        break;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: memcpy(d, &u, sizeof *d); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *d = onnx_half_to_float((uint16_t)u); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *d = bf16_to_float((uint16_t)u); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        *i = (int32_t)(uint32_t)u;
        *d = (double)*i;
        return;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *i = (int64_t)u;
        *d = (double)*i;
        return;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        *i = (int8_t)(uint8_t)u;
        *d = (double)*i;
        return;
    default:
        *i = (int64_t)u;
        *d = (double)*i;
        return;
    }
    /* float types: the integer view saturates instead of overflowing */
    *i = isnan(*d) ? 0 : *d >= 9.2e18 ? INT64_MAX : *d <= -9.2e18 ? INT64_MIN : (int64_t)*d;
}

static int is_float_type(int t)
{
    return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
}

static const char *external_location(const Onnx__TensorProto *t)
{
    for (size_t k = 0; k < t->n_external_data; k++) {
        const Onnx__StringStringEntryProto *e = t->external_data[k];
        if (e && e->key && e->value && strcmp(e->key, "location") == 0)
            return e->value;
    }
    return "?";
}

int onnx_tensor_decode(const Onnx__TensorProto *t, const char *what, onnx_const *c, vsr_error *err)
{
    memset(c, 0, sizeof *c);
    if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data > 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s keeps its data in an external file ('%s'): external data is not "
                             "supported; save the model with its weights inside (onnx.save_model"
                             "(model, path, save_as_external_data=False))",
                             what, external_location(t));
    if (t->segment)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s is a segment of a tensor: not supported",
                             what);
    int type = t->has_data_type ? t->data_type : 0;
    size_t esize = elem_size(type);
    if (!esize)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s has element type %s (%d): only numbers are supported", what,
                             type_name(type), type);
    if (t->n_dims > ONNX_MAX_DIMS)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s has %zu dimensions (at most %d)", what,
                             t->n_dims, ONNX_MAX_DIMS);
    size_t count = 1;
    for (size_t k = 0; k < t->n_dims; k++) {
        if (t->dims[k] < 0 || (t->dims[k] > 0 && count > ONNX_MAX_CONST_COUNT / (size_t)t->dims[k]))
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: bad or too large dimension %lld", what,
                                 (long long)t->dims[k]);
        count *= (size_t)t->dims[k];
        c->dims[k] = t->dims[k];
    }
    c->ndims = (int)t->n_dims;
    c->count = count;
    c->is_float = is_float_type(type);

    /* Where the values are and how many there are. */
    size_t have;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len != count * esize)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: raw_data holds %zu bytes, its %zu %s values need %zu", what,
                                 t->raw_data.len, count, type_name(type), count * esize);
        have = count;
    } else {
        switch (type) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = t->n_float_data; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = t->n_int64_data; break;
        default: have = t->n_int32_data; break; /* int32, fp16, bf16, 8-bit, bool */
        }
        if (have != count)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "%s: holds %zu %s values, its shape needs %zu", what, have,
                                 type_name(type), count);
    }
    /* The integer view of a large float tensor (weights) is not needed:
     * skipping it saves twice the weights' size while loading. */
    int int_view = !c->is_float || count <= ONNX_INT_VIEW_MAX;
    c->f = malloc(sizeof(float) * (count ? count : 1));
    c->i = int_view ? malloc(sizeof(int64_t) * (count ? count : 1)) : NULL;
    if (!c->f || (int_view && !c->i)) {
        onnx_const_free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory for %zu values", what, count);
    }
    for (size_t k = 0; k < count; k++) {
        double d = 0;
        int64_t iv = 0;
        if (t->has_raw_data && t->raw_data.len > 0) {
            raw_value(type, t->raw_data.data + k * esize, &d, &iv);
        } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
            d = t->float_data[k];
            iv = isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
        } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
            d = t->double_data[k];
            iv = isnan(d) ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
        } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
            iv = t->int64_data[k];
            d = (double)iv;
        } else {
            /* int32_data carries fp16/bf16 bit patterns and small ints */
            uint8_t bytes[4];
            uint32_t u = (uint32_t)t->int32_data[k];
            for (int b = 0; b < 4; b++)
                bytes[b] = (uint8_t)(u >> (8 * b));
            raw_value(type, bytes, &d, &iv);
        }
        c->f[k] = (float)d;
        if (c->i)
            c->i[k] = iv;
    }
    return VSR_OK;
}

/* c as an empty 1-D (or scalar) constant of n values, both views allocated. */
static int const_alloc(size_t n, int scalar, int is_float, onnx_const *c, vsr_error *err)
{
    memset(c, 0, sizeof *c);
    c->ndims = scalar ? 0 : 1;
    c->dims[0] = (int64_t)n;
    c->count = n;
    c->is_float = is_float;
    c->f = malloc(sizeof(float) * (n ? n : 1));
    c->i = malloc(sizeof(int64_t) * (n ? n : 1));
    if (!c->f || !c->i) {
        onnx_const_free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    return VSR_OK;
}

static int from_floats(const float *v, size_t n, int scalar, onnx_const *c, vsr_error *err)
{
    int rc = const_alloc(n, scalar, 1, c, err);
    for (size_t k = 0; !rc && k < n; k++) {
        c->f[k] = v[k];
        c->i[k] = isnan(v[k]) ? 0 : (int64_t)fmax(fmin(v[k], 9.2e18), -9.2e18);
    }
    return rc;
}

static int from_ints(const int64_t *v, size_t n, int scalar, onnx_const *c, vsr_error *err)
{
    int rc = const_alloc(n, scalar, 0, c, err);
    for (size_t k = 0; !rc && k < n; k++) {
        c->i[k] = v[k];
        c->f[k] = (float)v[k];
    }
    return rc;
}

int onnx_constant_attr(const Onnx__NodeProto *n, const char *what, onnx_const *c, vsr_error *err)
{
    if (n->n_attribute != 1 || !n->attribute[0] || !n->attribute[0]->name)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: a Constant needs exactly one attribute",
                             what);
    const Onnx__AttributeProto *a = n->attribute[0];
    if (strcmp(a->name, "value") == 0) {
        if (!a->t)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: attribute 'value' holds no tensor",
                                 what);
        char label[600];
        snprintf(label, sizeof label, "%s: its value", what);
        return onnx_tensor_decode(a->t, label, c, err);
    }
    if (strcmp(a->name, "value_float") == 0)
        return from_floats(&a->f, 1, 1, c, err);
    if (strcmp(a->name, "value_floats") == 0)
        return from_floats(a->floats, a->n_floats, 0, c, err);
    if (strcmp(a->name, "value_int") == 0)
        return from_ints(&a->i, 1, 1, c, err);
    if (strcmp(a->name, "value_ints") == 0)
        return from_ints(a->ints, a->n_ints, 0, c, err);
    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                         "%s: Constant attribute '%.64s' is not supported (value, value_float(s), "
                         "value_int(s))",
                         what, a->name);
}
