#include "server/compress_request.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/json_text.h"
#include "server/request_fields.h"
#include "util/error.h"

json_t *vsr_compress_request_invalidv(const char *type, const char *field, json_t *input,
                                      const char *fmt, va_list ap)
{
    char msg[VSR_ERROR_MSG_MAX + 256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *item = json_pack("{s:s,s:[s,s],s:o}", "type", type, "loc", "body", field, "msg",
                             vsr_json_text(msg));
    if (item && input)
        json_object_set(item, "input", input);
    return json_pack("{s:[o]}", "detail", item);
}

static void set_invalid(json_t **invalid, const char *type, const char *field, json_t *input,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_invalid(json_t **invalid, const char *type, const char *field, json_t *input,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *invalid = vsr_compress_request_invalidv(type, field, input, fmt, ap);
    va_end(ap);
}

/* A pydantic str field: absent gives the default, else a string. */
static int str_field(json_t *root, const char *name, const char *def, const char **out,
                     json_t **invalid)
{
    json_t *v = json_object_get(root, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_string(v)) {
        set_invalid(invalid, "string_type", name, v, "Input should be a valid string");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* A pydantic int field (Optional when def_null): an integer, or a float
 * with no fractional part. */
static int int_field(json_t *root, const char *name, int nullable, json_int_t def, json_int_t *out,
                     json_t **invalid)
{
    json_t *v = json_object_get(root, name);
    *out = def;
    if (!v || (nullable && json_is_null(v)))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) &&
        fabs(json_real_value(v)) < 9e15) {
        *out = (json_int_t)json_real_value(v);
        return 0;
    }
    set_invalid(invalid, "int_type", name, v, "Input should be a valid integer");
    return -1;
}

/* The service's CODEC_MAP names (upper-cased) to vsr's codecs; VP9 is
 * one of them but not vsr's. */
static const char *codec_family(const char *name)
{
    static const struct {
        const char *name, *codec;
    } codecs[] = {
        {"AV1", "av1"},   {"H264", "h264"},  {"H.264", "h264"}, {"HEVC", "hevc"},
        {"H265", "hevc"}, {"H.265", "hevc"}, {"VP9", "vp9"},
    };
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
        if (!strcasecmp(name, codecs[i].name))
            return codecs[i].codec;
    return NULL;
}

/* Checks every field; on a bad one sets *invalid and returns -1. */
static int parse_fields(json_t *root, vsr_compress_request *r, json_t **invalid)
{
    json_t *vp = json_object_get(root, "video_path");
    if (!vp) {
        set_invalid(invalid, "missing", "video_path", json_null(), "Field required");
        return -1;
    }
    if (str_field(root, "video_path", NULL, &r->video_path, invalid) < 0 ||
        str_field(root, "task_id", "", &r->task_id, invalid) < 0 ||
        str_field(root, "codec", "AV1", &r->codec, invalid) < 0 ||
        str_field(root, "codec_mode", "CRF", &r->codec_mode, invalid) < 0 ||
        int_field(root, "cq", 0, 35, &r->cq, invalid) < 0 ||
        int_field(root, "target_bitrate", 1, 0, &r->target_bitrate, invalid) < 0 ||
        int_field(root, "target_width", 1, 0, &r->target_width, invalid) < 0 ||
        int_field(root, "target_height", 1, 0, &r->target_height, invalid) < 0)
        return -1;
    const char *preset;
    if (str_field(root, "preset", "p4", &preset, invalid) < 0)
        return -1;
    if (!r->video_path[0]) {
        set_invalid(invalid, "value_error", "video_path", vp, "expected a URL or a path");
        return -1;
    }
    if (!vsr_request_task_id_ok(r->task_id, 0, "._-")) {
        set_invalid(invalid, "value_error", "task_id", json_object_get(root, "task_id"),
                    "expected at most 64 letters, digits or . _ - (it names the output)");
        return -1;
    }
    const char *family = codec_family(r->codec);
    if (!family) {
        set_invalid(invalid, "value_error", "codec", json_object_get(root, "codec"),
                    "expected AV1, H264, HEVC or VP9");
        return -1;
    }
    if (strcmp(r->codec_mode, "CRF") && strcmp(r->codec_mode, "VBR")) {
        set_invalid(invalid, "value_error", "codec_mode", json_object_get(root, "codec_mode"),
                    "expected CRF or VBR");
        return -1;
    }
    if (r->cq < 0 || r->cq > 63) {
        set_invalid(invalid, "value_error", "cq", json_object_get(root, "cq"), "expected 0..63");
        return -1;
    }
    if (r->target_bitrate < 0 || r->target_bitrate > 500000000) {
        set_invalid(invalid, "value_error", "target_bitrate",
                    json_object_get(root, "target_bitrate"), "expected bits/s, 1..500000000");
        return -1;
    }
    /* The service resizes only when both are given (and non-zero). */
    if (r->target_width && r->target_height &&
        (r->target_width < 16 || r->target_height < 16 || r->target_width > 8192 ||
         r->target_height > 8192 || r->target_width % 2 || r->target_height % 2)) {
        set_invalid(invalid, "value_error", "target_width", json_object_get(root, "target_width"),
                    "target_width x target_height: expected even sizes 16..8192");
        return -1;
    }
    r->codec = family;
    return 0;
}

int vsr_compress_request_parse(const char *body, size_t len, vsr_compress_request *r,
                               json_t **root_out, json_t **invalid)
{
    *root_out = NULL;
    *invalid = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        set_invalid(invalid, "json_invalid", "body", NULL, "JSON decode error: %s", jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        set_invalid(invalid, "model_attributes_type", "body", root,
                    "Input should be a valid dictionary or object to extract fields from");
        json_decref(root);
        return -1;
    }
    if (parse_fields(root, r, invalid) < 0) {
        json_decref(root);
        return -1;
    }
    *root_out = root;
    return 0;
}
