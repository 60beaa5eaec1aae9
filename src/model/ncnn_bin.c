#include "model/ncnn_bin.h"

#include <stdint.h>
#include <string.h>

#define TAG_FP16 0x01306B47u
#define TAG_INT8 0x000D4B38u
#define TAG_FP32_SCALED 0x0002C056u

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static int need(ncnn_bin_reader *r, size_t bytes, const char *what, vsr_error *err)
{
    if (bytes > r->len - r->pos)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "%s: truncated: %s needs %zu bytes at offset %zu, only %zu left",
                             r->name, what, bytes, r->pos, r->len - r->pos);
    return VSR_OK;
}

float ncnn_half_to_float(unsigned short h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalize */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

int ncnn_bin_read_raw(ncnn_bin_reader *r, size_t count, float *out, const char *what,
                      vsr_error *err)
{
    if (count > SIZE_MAX / 4)
        return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s: size overflow", r->name, what);
    int rc = need(r, count * 4, what, err);
    if (rc)
        return rc;
    memcpy(out, r->data + r->pos, count * 4);
    r->pos += count * 4;
    return VSR_OK;
}

int ncnn_bin_read_tagged(ncnn_bin_reader *r, size_t count, float *out, const char *what,
                         vsr_error *err)
{
    int rc = need(r, 4, what, err);
    if (rc)
        return rc;
    const unsigned char *t = r->data + r->pos;
    uint32_t tag =
        (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    size_t tag_pos = r->pos;
    r->pos += 4;
    if (tag == TAG_FP16) {
        if (count > SIZE_MAX / 4)
            return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s: size overflow", r->name, what);
        rc = need(r, align4(count * 2), what, err);
        if (rc)
            return rc;
        const unsigned char *p = r->data + r->pos;
        for (size_t i = 0; i < count; i++)
            out[i] = ncnn_half_to_float((unsigned short)(p[2 * i] | p[2 * i + 1] << 8));
        r->pos += align4(count * 2);
        return VSR_OK;
    }
    if (tag == TAG_INT8)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "%s: %s: int8-quantized weights are not supported", r->name, what);
    if (tag == TAG_FP32_SCALED || tag == 0)
        return ncnn_bin_read_raw(r, count, out, what, err);
    /* ncnn reads any other nonzero tag as an 8-bit quantization table;
     * no model we know uses one, and a stray value here almost always means
     * the .bin does not belong to the .param, so refuse it. */
    return vsr_error_set(err, VSR_ERR_FORMAT, "%s: %s: unknown weight tag 0x%08x at offset %zu",
                         r->name, what, (unsigned)tag, tag_pos);
}
