#include "server/gpu_transform.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- solution variants ------------------------------------------------- */

/* The protocol names four variants and leaves their meaning to the
 * worker (gpu_worker.py: "examples, not protocol constants"). vsr's: the
 * encoder profile of an upscaled clip, and for compression how far above
 * the threshold the search must land (vsr's VMAF is within ~0.1 of
 * libvmaf's) and how many samples it takes. docs/gpu-worker.md. */
static const vsr_gpu_variant VARIANTS[] = {
    {"quality", VSR_PROFILE_QUALITY, 1.0, 0},
    {"balanced", VSR_PROFILE_BALANCED, 0.5, 0},
    {"compact", VSR_PROFILE_FAST, 0.25, 0},
    {"premium", VSR_PROFILE_QUALITY, 0.75, 5},
};

const vsr_gpu_variant *vsr_gpu_variant_find(const char *name)
{
    for (size_t i = 0; i < sizeof VARIANTS / sizeof VARIANTS[0]; i++)
        if (!strcmp(VARIANTS[i].name, name))
            return &VARIANTS[i];
    return NULL;
}

const char *vsr_gpu_track_name(vsr_gpu_track t)
{
    return t == VSR_GPU_TRACK_UPSCALING ? "upscaling" : "compression";
}

void vsr_gpu_hex(const unsigned char digest[32], char hex[65])
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = d[digest[i] >> 4];
        hex[2 * i + 1] = d[digest[i] & 15];
    }
    hex[64] = '\0';
}

/* ---- base64url --------------------------------------------------------- */

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes s[0..n) as the reference does: the client strips the padding,
 * the worker adds back what the length lacks, so padding is optional but
 * must complete the last quantum when present. Returns the length, or -1. */
static long b64url_decode(const char *s, size_t n, unsigned char *out)
{
    size_t pad = 0;
    while (pad < n && s[n - 1 - pad] == '=')
        pad++;
    size_t core = n - pad;
    if (pad > 2 || core % 4 == 1)
        return -1;
    if (pad + (4 - n % 4) % 4 != (4 - core % 4) % 4)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < core; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return -1;
        acc = ((acc << 6) | (unsigned)v) & 0xffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* ---- Python's json.dumps length ---------------------------------------- */

/* json.dumps with ensure_ascii: printable ASCII as is, \" \\ \n \r \t \b \f
 * in two characters, other code points as \uXXXX (astral ones as a
 * surrogate pair). s is valid UTF-8 (jansson checked it). */
static size_t py_string_len(const char *s, size_t n)
{
    size_t len = 2;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        unsigned cp;
        int k;
        if (c < 0x80)
            cp = c, k = 1;
        else if ((c & 0xe0) == 0xc0)
            cp = c & 0x1f, k = 2;
        else if ((c & 0xf0) == 0xe0)
            cp = c & 0x0f, k = 3;
        else
            cp = c & 0x07, k = 4;
        for (int i = 1; i < k && p + i < end; i++)
            cp = (cp << 6) | (p[i] & 0x3f);
        p += k;
        if (cp == '"' || cp == '\\' || cp == '\n' || cp == '\r' || cp == '\t' || cp == '\b' ||
            cp == '\f')
            len += 2;
        else if (cp >= 0x20 && cp <= 0x7e)
            len += 1;
        else if (cp < 0x10000)
            len += 6;
        else
            len += 12;
    }
    return len;
}

/* repr(float): the shortest digits that read back as v, in fixed notation
 * (".0" added to an integral value) for decimal exponents -4..15, else
 * d.ddde+XX with at least two exponent digits. */
static size_t py_float_len(double v)
{
    char buf[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    const char *s = buf;
    size_t len = 0;
    if (*s == '-')
        len++, s++;
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        nd += *s != '.';
    int e = *s == 'e' ? atoi(s + 1) : 0;
    if (e < -4 || e >= 16) {
        int ae = e < 0 ? -e : e;
        int ed = ae >= 100 ? 3 : 2;
        return len + 1 + (nd > 1 ? (size_t)nd : 0) + 2 + (size_t)ed;
    }
    if (e >= 0)
        return len + (nd <= e + 1 ? (size_t)e + 1 + 2 : (size_t)nd + 1);
    return len + 2 + (size_t)(-e - 1) + (size_t)nd;
}

size_t vsr_gpu_params_json_len(const json_t *params)
{
    size_t len = 2;
    int first = 1;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v)
    {
        len += first ? 0 : 1;
        first = 0;
        len += py_string_len(key, strlen(key)) + 1;
        if (json_is_string(v))
            len += py_string_len(json_string_value(v), json_string_length(v));
        else if (json_is_integer(v))
            len += (size_t)snprintf(NULL, 0, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            len += py_float_len(json_real_value(v));
    }
    return len;
}

/* ---- the metadata ------------------------------------------------------ */

static int field_error(vsr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int field_error(vsr_error *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vsr_error_set(err, VSR_ERR_INVALID, "invalid GPU task metadata: %s", msg);
}

static const char *string_field(json_t *root, const char *name, vsr_error *err)
{
    json_t *v = json_object_get(root, name);
    if (!v) {
        field_error(err, "%s: missing", name);
        return NULL;
    }
    if (!json_is_string(v)) {
        field_error(err, "%s: expected a string", name);
        return NULL;
    }
    return json_string_value(v);
}

static int check_fields(json_t *root, vsr_gpu_task *t, vsr_error *err)
{
    const char *s;
    if (!(s = string_field(root, "protocol", err)))
        return VSR_ERR_INVALID;
    if (strcmp(s, VSR_GPU_PROTOCOL))
        return field_error(err,
                           "protocol: unsupported GPU protocol '%.64s' (this worker speaks %s)", s,
                           VSR_GPU_PROTOCOL);
    if (!(s = string_field(root, "track", err)))
        return VSR_ERR_INVALID;
    if (!strcmp(s, "upscaling"))
        t->track = VSR_GPU_TRACK_UPSCALING;
    else if (!strcmp(s, "compression"))
        t->track = VSR_GPU_TRACK_COMPRESSION;
    else
        return field_error(err, "track: unsupported track '%.64s' (compression or upscaling)", s);
    if (!(s = string_field(root, "solution_variant", err)))
        return VSR_ERR_INVALID;
    if (!(t->variant = vsr_gpu_variant_find(s)))
        return field_error(err,
                           "solution_variant: unsupported solution variant '%.64s' (quality, "
                           "balanced, compact or premium)",
                           s);
    if (!(s = string_field(root, "input_digest", err)))
        return VSR_ERR_INVALID;
    size_t n = strlen(s);
    int hex = n == 64;
    for (size_t i = 0; i < n && hex; i++)
        hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (!hex)
        return field_error(err, "input_digest: must be lowercase sha256 hex (64 characters)");
    memcpy(t->input_digest, s, 65);

    json_t *v = json_object_get(root, "input_size");
    if (!v)
        return field_error(err, "input_size: missing");
    if (json_is_integer(v))
        t->input_size = (int64_t)json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
             fabs(json_real_value(v)) < 9e15)
        t->input_size = (int64_t)json_real_value(v);
    else
        return field_error(err, "input_size: expected an integer");
    if (t->input_size <= 0)
        return field_error(err, "input_size: must be greater than 0");

    v = json_object_get(root, "deadline_seconds");
    if (!v)
        return field_error(err, "deadline_seconds: missing");
    if (!json_is_number(v))
        return field_error(err, "deadline_seconds: expected a number");
    t->deadline_s = json_number_value(v);
    if (!(t->deadline_s > 0) || t->deadline_s > VSR_GPU_MAX_DEADLINE_S)
        return field_error(err, "deadline_seconds: must be greater than 0 and at most %.0f",
                           VSR_GPU_MAX_DEADLINE_S);

    v = json_object_get(root, "params");
    if (!v) {
        t->params = json_object();
        return t->params ? VSR_OK : vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    }
    if (!json_is_object(v))
        return field_error(err, "params: expected an object");
    const char *key;
    json_t *p;
    json_object_foreach(v, key, p)
    {
        if (!json_is_string(p) && !json_is_integer(p) && !json_is_real(p))
            return field_error(err, "params.%.64s: expected a number or a string", key);
    }
    if (json_object_size(v) > VSR_GPU_MAX_PARAMS)
        return field_error(err, "params: too many transform parameters (%zu, at most %d)",
                           json_object_size(v), VSR_GPU_MAX_PARAMS);
    size_t len = vsr_gpu_params_json_len(v);
    if (len > VSR_GPU_MAX_PARAMS_JSON)
        return field_error(err,
                           "params: transform parameters are too large (%zu bytes, at most %d)",
                           len, VSR_GPU_MAX_PARAMS_JSON);
    t->params = json_incref(v);
    return VSR_OK;
}

int vsr_gpu_task_decode(const char *header, vsr_gpu_task *t, vsr_error *err)
{
    memset(t, 0, sizeof *t);
    if (!header || !*header)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "missing GPU task metadata (the " VSR_GPU_METADATA_HEADER " header)");
    size_t n = strlen(header);
    if (n > VSR_GPU_MAX_METADATA_ENCODED)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "encoded GPU task metadata is too large (%zu characters, at most %d)",
                             n, VSR_GPU_MAX_METADATA_ENCODED);
    unsigned char *raw = malloc(n / 4 * 3 + 3);
    if (!raw)
        return vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
    long rn = b64url_decode(header, n, raw);
    int st = VSR_OK;
    if (rn < 0) {
        st = vsr_error_set(err, VSR_ERR_INVALID, "GPU task metadata is not valid base64url");
    } else if (rn > VSR_GPU_MAX_METADATA_BYTES) {
        st = vsr_error_set(err, VSR_ERR_INVALID,
                           "GPU task metadata is too large (%ld bytes, at most %d)", rn,
                           VSR_GPU_MAX_METADATA_BYTES);
    } else {
        json_error_t jerr;
        json_t *root = json_loadb((const char *)raw, (size_t)rn, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
            st = field_error(err, "not JSON (column %d: %s)", jerr.column, jerr.text);
        else if (!json_is_object(root))
            st = field_error(err, "expected a JSON object");
        else
            st = check_fields(root, t, err);
        json_decref(root);
    }
    free(raw);
    if (st < 0)
        vsr_gpu_task_free(t);
    return st;
}

void vsr_gpu_task_free(vsr_gpu_task *t)
{
    json_decref(t->params);
    t->params = NULL;
}

/* ---- params ------------------------------------------------------------ */

/* s without the white space around it, in buf. */
static const char *trimmed(const char *s, char *buf, size_t size)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

int vsr_gpu_param_positive_int(const json_t *params, const char *name, int64_t *out, vsr_error *err)
{
    json_t *v = json_object_get(params, name);
    if (!v || json_is_null(v))
        return 0;
    int64_t value;
    if (json_is_integer(v)) {
        value = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d))
            return vsr_error_set(err, VSR_ERR_INVALID, "%s must be an integer", name);
        value = fabs(d) < 9e15 ? (int64_t)d : (d > 0 ? INT64_MAX / 4 : INT64_MIN / 4);
    } else if (json_is_string(v)) {
        char buf[64];
        const char *s = trimmed(json_string_value(v), buf, sizeof buf);
        const char *d = s + (*s == '+' || *s == '-');
        int ok = *d != '\0' && strlen(json_string_value(v)) < sizeof buf;
        for (const char *c = d; *c && ok; c++)
            ok = isdigit((unsigned char)*c);
        errno = 0;
        long long x = ok ? strtoll(s, NULL, 10) : 0;
        if (!ok || errno == ERANGE)
            return vsr_error_set(err, VSR_ERR_INVALID, "%s must be an integer", name);
        value = x;
    } else {
        return vsr_error_set(err, VSR_ERR_INVALID, "%s must be an integer", name);
    }
    if (value <= 0)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s must be positive", name);
    *out = value;
    return 1;
}

int vsr_gpu_target(const vsr_gpu_task *t, int in_w, int in_h, int *out_w, int *out_h, int *factor,
                   vsr_error *err)
{
    int64_t w = 0, h = 0, f = 0;
    int hw = vsr_gpu_param_positive_int(t->params, "target_width", &w, err);
    if (hw < 0)
        return hw;
    int hh = vsr_gpu_param_positive_int(t->params, "target_height", &h, err);
    if (hh < 0)
        return hh;
    if (hw != hh)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "target_width and target_height must appear together");
    *factor = 0;
    if (hw) {
        /* The target rules; a factor beside it only picks the model. */
        vsr_error ignored;
        vsr_error_clear(&ignored);
        if (t->track == VSR_GPU_TRACK_UPSCALING &&
            vsr_gpu_param_positive_int(t->params, "upscale_factor", &f, &ignored) == 1 &&
            (f == 2 || f == 4))
            *factor = (int)f;
    } else if (t->track == VSR_GPU_TRACK_UPSCALING) {
        int hf = vsr_gpu_param_positive_int(t->params, "upscale_factor", &f, err);
        if (hf < 0)
            return hf;
        if (f != 2 && f != 4)
            return vsr_error_set(err, VSR_ERR_INVALID, "upscale_factor must be one of (2, 4)");
        *factor = (int)f;
        w = (int64_t)in_w * f;
        h = (int64_t)in_h * f;
    } else {
        w = in_w;
        h = in_h;
    }
    if (w > VSR_GPU_MAX_SIDE || h > VSR_GPU_MAX_SIDE || w * h > VSR_GPU_MAX_TARGET_PIXELS)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "target dimensions are outside bounds: %lldx%lld (at most %d a side "
                             "and %lld pixels)",
                             (long long)w, (long long)h, VSR_GPU_MAX_SIDE,
                             VSR_GPU_MAX_TARGET_PIXELS);
    if (w % 2 || h % 2)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "yuv420p target dimensions must be even: %lldx%lld", (long long)w,
                             (long long)h);
    *out_w = (int)w;
    *out_h = (int)h;
    return VSR_OK;
}

/* Python's str() of a param, for the encode fields read as text. */
static const char *param_text(const json_t *v, char *buf, size_t size)
{
    if (json_is_string(v))
        snprintf(buf, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, size, "%.17g", json_number_value(v));
    return buf;
}

/* A param "falsy" in Python: absent, null, "", 0. */
static int falsy(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)) ||
           (json_is_number(v) && json_number_value(v) == 0);
}

/* float(s) as Python reads it: decimal or exponent notation, white space
 * around; inf and nan count as invalid (the reference could not use them). */
static int parse_float(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    char buf[64];
    if (!json_is_string(v) || json_string_length(v) >= sizeof buf)
        return -1;
    const char *s = trimmed(json_string_value(v), buf, sizeof buf);
    if (!*s || strpbrk(s, "xXpP"))
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static const struct {
    const char *alias, *codec;
} CODEC_ALIASES[] = {
    {"H264", "h264"}, {"H.264", "h264"}, {"AVC", "h264"},  {"X264", "h264"}, {"HEVC", "hevc"},
    {"H265", "hevc"}, {"H.265", "hevc"}, {"X265", "hevc"}, {"AV1", "av1"},   {"VP9", "vp9"},
};

double vsr_gpu_tier_vmaf(int tier)
{
    static const double vmaf[] = {93.0, 89.0, 85.0};
    return tier >= 0 && tier < 3 ? vmaf[tier] : 0;
}

int vsr_gpu_encode_plan_resolve(const json_t *params, const char *default_codec,
                                double default_vmaf, vsr_gpu_encode_plan *plan, vsr_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->tier = -1;
    char raw[128], text[128];

    /* target_codec: an alias (case-insensitive), or a codec's own name. */
    json_t *v = json_object_get(params, "target_codec");
    const char *codec = default_codec;
    if (v && !json_is_null(v)) {
        trimmed(param_text(v, raw, sizeof raw), text, sizeof text);
        if (*text) {
            codec = NULL;
            for (size_t i = 0; i < sizeof CODEC_ALIASES / sizeof CODEC_ALIASES[0] && !codec; i++)
                if (!strcasecmp(text, CODEC_ALIASES[i].alias))
                    codec = CODEC_ALIASES[i].codec;
            if (!codec)
                return vsr_error_set(
                    err, VSR_ERR_INVALID,
                    "unsupported target_codec '%.64s'; supported: h264, hevc, av1, "
                    "vp9",
                    text);
        }
    }
    snprintf(plan->codec, sizeof plan->codec, "%s", codec);

    /* codec_mode: CRF (also when absent or empty) or VBR. */
    v = json_object_get(params, "codec_mode");
    trimmed(falsy(v) ? "CRF" : param_text(v, raw, sizeof raw), text, sizeof text);
    int vbr_mode = !strcasecmp(text, "VBR");
    if (!vbr_mode && strcasecmp(text, "CRF"))
        return vsr_error_set(err, VSR_ERR_INVALID, "unsupported codec_mode '%.64s' (CRF or VBR)",
                             text);

    /* target_bitrate: bits/s, truncated; none when not positive. */
    v = json_object_get(params, "target_bitrate");
    if (v && !json_is_null(v)) {
        double d;
        if (parse_float(v, &d) < 0)
            return vsr_error_set(err, VSR_ERR_INVALID, "invalid target_bitrate '%.64s'",
                                 param_text(v, raw, sizeof raw));
        double bps = trunc(d);
        if (bps > 500000000.0)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "target_bitrate %.0f bps is beyond the 500 Mbps cap", bps);
        plan->bitrate = bps > 0 ? (int64_t)bps : 0;
    }
    plan->vbr = vbr_mode && plan->bitrate > 0;

    /* compression_type: the quality tier, read in CRF mode only. */
    v = json_object_get(params, "compression_type");
    if (!plan->vbr && v && !json_is_null(v)) {
        trimmed(param_text(v, raw, sizeof raw), text, sizeof text);
        static const char *const tiers[] = {"High", "Medium", "Low"};
        for (int i = 0; i < 3 && plan->tier < 0; i++)
            if (!strcasecmp(text, tiers[i]))
                plan->tier = i;
        if (plan->tier < 0)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "unsupported compression_type '%.64s' (High, Medium or Low)",
                                 param_text(v, raw, sizeof raw));
    }

    /* The VMAF the output must reach: the task's threshold when it names
     * one, else its tier's, else the validator's standing default. */
    plan->vmaf_target = plan->tier >= 0 ? vsr_gpu_tier_vmaf(plan->tier) : default_vmaf;
    v = json_object_get(params, "vmaf_threshold");
    if (v && !json_is_null(v)) {
        double d;
        if (parse_float(v, &d) < 0 || !(d > 0) || d > 100)
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "vmaf_threshold: expected a number in (0, 100], got '%.64s'",
                                 param_text(v, raw, sizeof raw));
        plan->vmaf_target = d;
    }
    return VSR_OK;
}
