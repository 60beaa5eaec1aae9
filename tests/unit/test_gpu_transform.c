/* The remote GPU worker's contract (server/gpu_transform.h) against the
 * rules of validator-vidaio's vidaio/miner/gpu_worker.py and encoding.py:
 * a valid task decodes; each field, wrong in turn, is refused naming it;
 * base64url padding as the reference reads it; the size limits at their
 * edges; the upscaling target and the compression encode plan. The same
 * rules over HTTPS, with Python's own json.dumps as the oracle of the
 * params limit, are in tests/cli/test_serve_gpu.sh. */
#include <jansson.h>
#include <string.h>

#include "server/gpu_transform.h"
#include "test_util.h"

static const char *const DIGEST =
    "5c30c30180d3a4da11ec1220653dfb9e8c28b9fb5e189ed72065b04c34927822";

/* base64url without padding, as remote_gpu.py writes it. */
static char *b64url(const char *raw, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n / 3 * 4 + 8);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
    return out;
}

static json_t *valid_task(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:f,s:{s:i}}", "protocol", VSR_GPU_PROTOCOL, "track",
                     "upscaling", "solution_variant", "balanced", "input_digest", DIGEST,
                     "input_size", 2598, "deadline_seconds", 60.0, "params", "upscale_factor", 2);
}

/* Decodes the JSON of obj (consumed) as the header; returns the status,
 * err's message in msg. */
static int decode_json(json_t *obj, vsr_gpu_task *t, char *msg, size_t size)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    char *h = b64url(text, strlen(text));
    vsr_error err;
    vsr_error_clear(&err);
    int st = vsr_gpu_task_decode(h, t, &err);
    snprintf(msg, size, "%s", err.msg);
    free(h);
    free(text);
    return st;
}

/* The task with one field replaced (value NULL: removed) must be refused,
 * with a message containing want. */
static void refused(const char *field, json_t *value, const char *want)
{
    json_t *o = valid_task();
    if (value)
        json_object_set_new(o, field, value);
    else
        json_object_del(o, field);
    vsr_gpu_task t;
    char msg[VSR_ERROR_MSG_MAX];
    int st = decode_json(o, &t, msg, sizeof msg);
    CHECK_MSG(st == VSR_ERR_INVALID && strstr(msg, want), "%s: status %d, message '%s' (want '%s')",
              field, st, msg, want);
    if (st == VSR_OK)
        vsr_gpu_task_free(&t);
}

static void test_valid(void)
{
    vsr_gpu_task t;
    char msg[VSR_ERROR_MSG_MAX];
    CHECK_MSG(decode_json(valid_task(), &t, msg, sizeof msg) == VSR_OK, "%s", msg);
    CHECK(t.track == VSR_GPU_TRACK_UPSCALING);
    CHECK(!strcmp(t.variant->name, "balanced"));
    CHECK(!strcmp(t.input_digest, DIGEST));
    CHECK(t.input_size == 2598);
    CHECK(t.deadline_s == 60.0);
    CHECK(json_integer_value(json_object_get(t.params, "upscale_factor")) == 2);
    vsr_gpu_task_free(&t);

    /* params absent: none; other keys: ignored (pydantic's default);
     * every variant and both tracks. */
    const char *variants[] = {"quality", "balanced", "compact", "premium"};
    for (int i = 0; i < 4; i++) {
        json_t *o = valid_task();
        json_object_del(o, "params");
        json_object_set_new(o, "solution_variant", json_string(variants[i]));
        json_object_set_new(o, "track", json_string("compression"));
        json_object_set_new(o, "extra", json_string("ignored"));
        json_object_set_new(o, "deadline_seconds", json_integer(600)); /* the maximum */
        CHECK_MSG(decode_json(o, &t, msg, sizeof msg) == VSR_OK, "%s: %s", variants[i], msg);
        CHECK(t.track == VSR_GPU_TRACK_COMPRESSION && json_object_size(t.params) == 0);
        CHECK(!strcmp(t.variant->name, variants[i]));
        vsr_gpu_task_free(&t);
    }
}

static void test_fields(void)
{
    refused("protocol", NULL, "protocol: missing");
    refused("protocol", json_string("vidaio-next-gpu-transform/v2"), "unsupported GPU protocol");
    refused("protocol", json_integer(1), "protocol: expected a string");
    refused("track", NULL, "track: missing");
    refused("track", json_string("restoration"), "unsupported track");
    refused("track", json_string("Upscaling"), "unsupported track");
    refused("solution_variant", NULL, "solution_variant: missing");
    refused("solution_variant", json_string("fast"), "unsupported solution variant");
    refused("input_digest", NULL, "input_digest: missing");
    refused("input_digest",
            json_string("5C30C30180D3A4DA11EC1220653DFB9E8C28B9FB5E189ED72065B04C34927822"),
            "lowercase sha256 hex");
    refused("input_digest", json_string("5c30c301"), "lowercase sha256 hex");
    refused("input_digest",
            json_string("zc30c30180d3a4da11ec1220653dfb9e8c28b9fb5e189ed72065b04c34927822"),
            "lowercase sha256 hex");
    refused("input_size", NULL, "input_size: missing");
    refused("input_size", json_integer(0), "input_size: must be greater than 0");
    refused("input_size", json_integer(-5), "input_size: must be greater than 0");
    refused("input_size", json_string("2598"), "input_size: expected an integer");
    refused("input_size", json_real(25.5), "input_size: expected an integer");
    refused("deadline_seconds", NULL, "deadline_seconds: missing");
    refused("deadline_seconds", json_integer(0), "deadline_seconds: must be greater than 0");
    refused("deadline_seconds", json_real(600.001), "at most 600");
    refused("deadline_seconds", json_string("60"), "deadline_seconds: expected a number");
    refused("params", json_null(), "params: expected an object");
    refused("params", json_pack("[i]", 2), "params: expected an object");
    refused("params", json_pack("{s:[i]}", "upscale_factor", 2), "params.upscale_factor");
    refused("params", json_pack("{s:b}", "upscale_factor", 1), "params.upscale_factor");
    refused("params", json_pack("{s:n}", "upscale_factor"), "params.upscale_factor");
    refused("params", json_pack("{s:{}}", "upscale_factor"), "params.upscale_factor");

    /* 32 params pass, 33 do not. */
    json_t *p = json_object();
    char key[16];
    for (int i = 0; i < 32; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        json_object_set_new(p, key, json_integer(i));
    }
    json_t *o = valid_task();
    json_object_set(o, "params", p);
    vsr_gpu_task t;
    char msg[VSR_ERROR_MSG_MAX];
    CHECK_MSG(decode_json(o, &t, msg, sizeof msg) == VSR_OK, "%s", msg);
    vsr_gpu_task_free(&t);
    json_object_set_new(p, "k32", json_integer(32));
    refused("params", p, "too many transform parameters");
}

/* The params limit counts Python's json.dumps bytes: ASCII escapes for
 * non-ASCII text, repr for floats. */
static void test_params_length(void)
{
    struct {
        const char *json;
        size_t python_len; /* len(json.dumps(json.loads(s), separators=(",", ":"))) */
    } cases[] = {
        {"{}", 2},
        {"{\"a\":1}", 7},
        {"{\"a\":1.0}", 9},
        {"{\"a\":1e16}", 11},    /* 1e+16 */
        {"{\"a\":1.5e16}", 13},  /* 1.5e+16 */
        {"{\"a\":0.0001}", 12},  /* 0.0001 */
        {"{\"a\":0.00001}", 11}, /* 1e-05 */
        {"{\"a\":123.25}", 12},
        {"{\"a\":1e15}", 24}, /* 1000000000000000.0 */
        {"{\"a\":-0.0}", 10},
        {"{\"a\":1e300}", 12}, /* 1e+300 */
        {"{\"a\":0.1}", 9},
        {"{\"a\":\"x\\\"y\"}", 12},         /* "x\"y" */
        {"{\"a\":\"\\u00e9\"}", 14},        /* "\u00e9" */
        {"{\"a\":\"\\ud83d\\ude00\"}", 20}, /* an astral character: a surrogate pair */
        {"{\"a\":\"\\u007f\\n\\u0001\"}", 22},
        {"{\"\\u00e9\":\"b\",\"c\":2}", 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *p = json_loads(cases[i].json, 0, &jerr);
        CHECK_MSG(p != NULL, "%s: %s", cases[i].json, jerr.text);
        if (!p)
            continue;
        size_t n = vsr_gpu_params_json_len(p);
        CHECK_MSG(n == cases[i].python_len, "%s: %zu, Python %zu", cases[i].json, n,
                  cases[i].python_len);
        json_decref(p);
    }

    /* The edge: 8192 bytes pass, 8193 do not ({"s":"..."} is 8 + n). */
    char *big = malloc(8200);
    memset(big, 'x', 8184);
    big[8184] = '\0';
    json_t *o = valid_task();
    json_object_set_new(o, "params", json_pack("{s:s}", "s", big));
    vsr_gpu_task t;
    char msg[VSR_ERROR_MSG_MAX];
    CHECK_MSG(decode_json(o, &t, msg, sizeof msg) == VSR_OK, "%s", msg);
    vsr_gpu_task_free(&t);
    big[8184] = 'x';
    big[8185] = '\0';
    refused("params", json_pack("{s:s}", "s", big), "transform parameters are too large");
    free(big);
}

static int decode_header(const char *h, char *msg, size_t size)
{
    vsr_gpu_task t;
    vsr_error err;
    vsr_error_clear(&err);
    int st = vsr_gpu_task_decode(h, &t, &err);
    snprintf(msg, size, "%s", err.msg);
    if (st == VSR_OK)
        vsr_gpu_task_free(&t);
    return st;
}

static void test_encoding(void)
{
    char msg[VSR_ERROR_MSG_MAX];
    CHECK(decode_header(NULL, msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "missing"));
    CHECK(decode_header("", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "missing"));
    CHECK(decode_header("e30*", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "base64url"));
    CHECK(decode_header("e30=====", msg, sizeof msg) == VSR_ERR_INVALID);
    CHECK(decode_header("e", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "base64url"));
    /* "{}" (e30) is base64url and JSON, but lacks every field. */
    CHECK(decode_header("e30", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "protocol"));
    CHECK(decode_header("e30=", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "protocol"));
    CHECK(decode_header("e30==", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "base64url"));
    /* "[]" and "no" */
    CHECK(decode_header("W10", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "JSON object"));
    CHECK(decode_header("bm8", msg, sizeof msg) == VSR_ERR_INVALID && strstr(msg, "not JSON"));

    /* Padding, when present, completes the quantum: both forms decode. */
    json_t *task = valid_task();
    char *text = json_dumps(task, JSON_COMPACT);
    json_decref(task);
    char *h = b64url(text, strlen(text));
    char padded[4096];
    snprintf(padded, sizeof padded, "%s%s", h,
             strlen(h) % 4 == 2   ? "=="
             : strlen(h) % 4 == 3 ? "="
                                  : "");
    CHECK_MSG(decode_header(h, msg, sizeof msg) == VSR_OK, "%s", msg);
    CHECK_MSG(decode_header(padded, msg, sizeof msg) == VSR_OK, "%s", msg);
    free(h);
    free(text);

    /* The sizes: 21,848 encoded characters at most, 16 KiB decoded. */
    char *longh = malloc(VSR_GPU_MAX_METADATA_ENCODED + 8);
    memset(longh, 'A', VSR_GPU_MAX_METADATA_ENCODED + 1);
    longh[VSR_GPU_MAX_METADATA_ENCODED + 1] = '\0';
    CHECK(decode_header(longh, msg, sizeof msg) == VSR_ERR_INVALID &&
          strstr(msg, "encoded GPU task metadata is too large"));
    /* 16,385 bytes of JSON (a valid task padded with white space) encode
     * to 21,847 characters: under the first limit, over the second. */
    json_t *o = valid_task();
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *raw = malloc(VSR_GPU_MAX_METADATA_BYTES + 2);
    size_t n = strlen(text);
    memcpy(raw, text, n);
    memset(raw + n, ' ', VSR_GPU_MAX_METADATA_BYTES + 1 - n);
    h = b64url(raw, VSR_GPU_MAX_METADATA_BYTES + 1);
    CHECK(strlen(h) <= VSR_GPU_MAX_METADATA_ENCODED);
    CHECK(decode_header(h, msg, sizeof msg) == VSR_ERR_INVALID &&
          strstr(msg, "GPU task metadata is too large"));
    free(h);
    h = b64url(raw, VSR_GPU_MAX_METADATA_BYTES); /* 16,384: accepted */
    CHECK_MSG(decode_header(h, msg, sizeof msg) == VSR_OK, "%s", msg);
    free(h);
    free(raw);
    free(text);
    free(longh);
}

static vsr_gpu_task task_with(vsr_gpu_track track, const char *params_json)
{
    vsr_gpu_task t;
    memset(&t, 0, sizeof t);
    t.track = track;
    t.variant = vsr_gpu_variant_find("balanced");
    t.params = json_loads(params_json, 0, NULL);
    return t;
}

static void target_case(vsr_gpu_track track, const char *params, int in_w, int in_h, int want_w,
                        int want_h, int want_factor, const char *want_error)
{
    vsr_gpu_task t = task_with(track, params);
    int w = 0, h = 0, f = -1;
    vsr_error err;
    vsr_error_clear(&err);
    int st = vsr_gpu_target(&t, in_w, in_h, &w, &h, &f, &err);
    if (want_error)
        CHECK_MSG(st == VSR_ERR_INVALID && strstr(err.msg, want_error), "%s: %d '%s'", params, st,
                  err.msg);
    else
        CHECK_MSG(st == VSR_OK && w == want_w && h == want_h && f == want_factor,
                  "%s: %d %dx%d x%d '%s'", params, st, w, h, f, err.msg);
    vsr_gpu_task_free(&t);
}

static void test_target(void)
{
    const vsr_gpu_track U = VSR_GPU_TRACK_UPSCALING, C = VSR_GPU_TRACK_COMPRESSION;
    target_case(U, "{\"upscale_factor\":2}", 64, 36, 128, 72, 2, NULL);
    target_case(U, "{\"upscale_factor\":4}", 64, 36, 256, 144, 4, NULL);
    target_case(U, "{\"upscale_factor\":\"4\"}", 64, 36, 256, 144, 4, NULL);
    target_case(U, "{\"upscale_factor\":\" 2 \"}", 64, 36, 128, 72, 2, NULL);
    target_case(U, "{\"upscale_factor\":2.0}", 64, 36, 128, 72, 2, NULL);
    target_case(U, "{\"upscale_factor\":3}", 64, 36, 0, 0, 0,
                "upscale_factor must be one of (2, 4)");
    target_case(U, "{}", 64, 36, 0, 0, 0, "upscale_factor must be one of (2, 4)");
    target_case(U, "{\"upscale_factor\":2.5}", 64, 36, 0, 0, 0,
                "upscale_factor must be an integer");
    target_case(U, "{\"upscale_factor\":\"2.0\"}", 64, 36, 0, 0, 0, "must be an integer");
    target_case(U, "{\"upscale_factor\":\"two\"}", 64, 36, 0, 0, 0, "must be an integer");
    target_case(U, "{\"upscale_factor\":-2}", 64, 36, 0, 0, 0, "upscale_factor must be positive");
    /* A target size wins; a factor beside it picks the model. */
    target_case(U, "{\"upscale_factor\":2,\"target_width\":100,\"target_height\":56}", 64, 36, 100,
                56, 2, NULL);
    target_case(U, "{\"upscale_factor\":7,\"target_width\":100,\"target_height\":56}", 64, 36, 100,
                56, 0, NULL);
    target_case(U, "{\"target_width\":100}", 64, 36, 0, 0, 0, "must appear together");
    target_case(U, "{\"target_height\":100}", 64, 36, 0, 0, 0, "must appear together");
    target_case(U, "{\"target_width\":101,\"target_height\":56}", 64, 36, 0, 0, 0, "must be even");
    target_case(U, "{\"target_width\":8194,\"target_height\":56}", 64, 36, 0, 0, 0,
                "outside bounds");
    target_case(U, "{\"target_width\":8192,\"target_height\":4096}", 64, 36, 8192, 4096, 0, NULL);
    target_case(U, "{\"target_width\":8192,\"target_height\":4098}", 64, 36, 0, 0, 0,
                "outside bounds"); /* 33,570,816 pixels */
    target_case(U, "{\"target_width\":0,\"target_height\":56}", 64, 36, 0, 0, 0,
                "must be positive");
    target_case(U, "{\"upscale_factor\":4}", 3840, 2160, 0, 0, 0, "outside bounds");
    target_case(U, "{\"upscale_factor\":2}", 3840, 2160, 7680, 4320, 2, NULL);
    /* compression: the input's size unless a target is given; even */
    target_case(C, "{\"upscale_factor\":4}", 64, 36, 64, 36, 0, NULL);
    target_case(C, "{}", 63, 36, 0, 0, 0, "must be even");
    target_case(C, "{\"target_width\":32,\"target_height\":18}", 64, 36, 32, 18, 0, NULL);
}

static void plan_case(const char *params, const char *codec, int vbr, long long bitrate, int tier,
                      double vmaf, const char *want_error)
{
    json_t *p = json_loads(params, 0, NULL);
    CHECK_MSG(p != NULL, "%s", params);
    vsr_gpu_encode_plan plan;
    vsr_error err;
    vsr_error_clear(&err);
    int st = vsr_gpu_encode_plan_resolve(p, "hevc", 90.0, &plan, &err);
    if (want_error)
        CHECK_MSG(st == VSR_ERR_INVALID && strstr(err.msg, want_error), "%s: %d '%s'", params, st,
                  err.msg);
    else
        CHECK_MSG(st == VSR_OK && !strcmp(plan.codec, codec) && plan.vbr == vbr &&
                      plan.bitrate == bitrate && plan.tier == tier && plan.vmaf_target == vmaf,
                  "%s: %d %s vbr %d %lld tier %d vmaf %g '%s'", params, st, plan.codec, plan.vbr,
                  (long long)plan.bitrate, plan.tier, plan.vmaf_target, err.msg);
    json_decref(p);
}

static void test_encode_plan(void)
{
    plan_case("{}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"\"}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"H.264\"}", "h264", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"avc\"}", "h264", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\" x265 \"}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"AV1\"}", "av1", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"vp9\"}", "vp9", 0, 0, -1, 90, NULL);
    plan_case("{\"target_codec\":\"libx265\"}", NULL, 0, 0, 0, 0, "unsupported target_codec");
    plan_case("{\"target_codec\":264}", NULL, 0, 0, 0, 0, "unsupported target_codec");
    plan_case("{\"codec_mode\":\"crf\"}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"codec_mode\":\"\"}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"codec_mode\":\"CBR\"}", NULL, 0, 0, 0, 0, "unsupported codec_mode");
    /* VBR counts only with a positive bitrate; else CRF */
    plan_case("{\"codec_mode\":\"VBR\",\"target_bitrate\":5000000}", "hevc", 1, 5000000, -1, 90,
              NULL);
    plan_case("{\"codec_mode\":\"vbr\",\"target_bitrate\":\"8e6\"}", "hevc", 1, 8000000, -1, 90,
              NULL);
    plan_case("{\"codec_mode\":\"VBR\"}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"codec_mode\":\"VBR\",\"target_bitrate\":0}", "hevc", 0, 0, -1, 90, NULL);
    plan_case("{\"target_bitrate\":5000000.9}", "hevc", 0, 5000000, -1, 90, NULL);
    plan_case("{\"target_bitrate\":500000001}", NULL, 0, 0, 0, 0, "500 Mbps cap");
    plan_case("{\"target_bitrate\":\"fast\"}", NULL, 0, 0, 0, 0, "invalid target_bitrate");
    plan_case("{\"target_bitrate\":\"inf\"}", NULL, 0, 0, 0, 0, "invalid target_bitrate");
    /* the tier, in CRF mode only */
    plan_case("{\"compression_type\":\"High\"}", "hevc", 0, 0, 0, 93, NULL);
    plan_case("{\"compression_type\":\" medium\"}", "hevc", 0, 0, 1, 89, NULL);
    plan_case("{\"compression_type\":\"LOW\"}", "hevc", 0, 0, 2, 85, NULL);
    plan_case("{\"compression_type\":\"Ultra\"}", NULL, 0, 0, 0, 0, "unsupported compression_type");
    plan_case("{\"codec_mode\":\"VBR\",\"target_bitrate\":5e6,\"compression_type\":\"Ultra\"}",
              "hevc", 1, 5000000, -1, 90, NULL);
    /* vmaf_threshold wins over the tier */
    plan_case("{\"compression_type\":\"High\",\"vmaf_threshold\":89}", "hevc", 0, 0, 0, 89, NULL);
    plan_case("{\"vmaf_threshold\":\"91.5\"}", "hevc", 0, 0, -1, 91.5, NULL);
    plan_case("{\"vmaf_threshold\":0}", NULL, 0, 0, 0, 0, "vmaf_threshold");
    plan_case("{\"vmaf_threshold\":101}", NULL, 0, 0, 0, 0, "vmaf_threshold");
}

int main(void)
{
    test_valid();
    test_fields();
    test_params_length();
    test_encoding();
    test_target();
    test_encode_plan();
    return test_report("test_gpu_transform");
}
