#include "server/upscale_request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/path_confine.h"

/* The request's codec: a family or an encoder name. */
static int parse_codec(const char *name, vsr_encoder_options *enc)
{
    static const struct {
        const char *name, *codec, *encoder;
    } codecs[] = {
        {"hevc", "hevc", NULL},
        {"h265", "hevc", NULL},
        {"libx265", "hevc", "libx265"},
        {"hevc_nvenc", "hevc", "hevc_nvenc"},
        {"av1", "av1", NULL},
        {"libsvtav1", "av1", "libsvtav1"},
        {"av1_nvenc", "av1", "av1_nvenc"},
        {"h264", "h264", NULL},
        {"libx264", "h264", "libx264"},
        {"h264_nvenc", "h264", "h264_nvenc"},
    };
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        if (!strcasecmp(name, codecs[i].name)) {
            enc->codec = codecs[i].codec;
            enc->encoder = codecs[i].encoder;
            return 0;
        }
    }
    return -1;
}

/* One clip's input: a URL (downloaded by the job) or a path in the root. */
static int set_source(const vsr_server_config *cfg, vsr_clip *c, const char *value, int index,
                      char *why, size_t why_len)
{
    if (vsr_request_is_url(value)) {
        if (strlen(value) >= sizeof c->source) {
            snprintf(why, why_len, "video_paths[%d]: URL too long", index);
            return -1;
        }
        snprintf(c->source, sizeof c->source, "%s", value);
        c->source_is_url = 1;
        return 0;
    }
    if (strstr(value, "://")) {
        snprintf(why, why_len, "video_paths[%d]: only http and https URLs are fetched", index);
        return -1;
    }
    if (!cfg->root) {
        snprintf(why, why_len,
                 "video_paths[%d]: local paths are disabled on this server (no root "
                 "configured); give an http(s) URL",
                 index);
        return -1;
    }
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_path_confine(cfg->root, value, VSR_PATH_READ, c->source, sizeof c->source, &err) < 0) {
        snprintf(why, why_len, "video_paths[%d]: %s", index, err.msg);
        return -1;
    }
    return 0;
}

static int set_output(const vsr_server_config *cfg, vsr_clip *c, const char *value, int index,
                      char *why, size_t why_len)
{
    if (!cfg->root) {
        snprintf(why, why_len,
                 "output_paths[%d]: local paths are disabled on this server (no root "
                 "configured); leave output_paths out to get output_urls",
                 index);
        return -1;
    }
    vsr_error err;
    vsr_error_clear(&err);
    if (vsr_path_confine(cfg->root, value, VSR_PATH_WRITE, c->output_path, sizeof c->output_path,
                         &err) < 0) {
        snprintf(why, why_len, "output_paths[%d]: %s", index, err.msg);
        return -1;
    }
    return 0;
}

static int parse_upscale_inputs(const vsr_server_config *cfg, json_t *paths, vsr_upscale_job *j,
                                char *why, size_t why_len)
{
    if (!json_is_array(paths) || json_array_size(paths) < 1 ||
        json_array_size(paths) > VSR_MAX_CLIPS) {
        snprintf(why, why_len, "video_paths: expected a list of 1 to %d strings", VSR_MAX_CLIPS);
        return -1;
    }
    j->n_clips = (int)json_array_size(paths);
    for (int i = 0; i < j->n_clips; i++) {
        json_t *p = json_array_get(paths, (size_t)i);
        if (!json_is_string(p) || !json_string_length(p)) {
            snprintf(why, why_len, "video_paths[%d]: expected a non-empty string", i);
            return -1;
        }
        if (set_source(cfg, &j->clips[i], json_string_value(p), i, why, why_len) < 0)
            return -1;
    }
    return 0;
}

/* The name the subnet's services give an input's output: the input's
 * name without its extension, <task>_input for a download (<task>_input<i>
 * after the first clip), and, where an earlier clip of the request has the
 * same, its index. */
static void output_base(const vsr_upscale_job *j, int index, char *base, size_t size)
{
    const vsr_clip *c = &j->clips[index];
    if (c->source_is_url) {
        if (index)
            snprintf(base, size, "%.80s_input%d", j->job.id, index);
        else
            snprintf(base, size, "%.80s_input", j->job.id);
        return;
    }
    const char *name = strrchr(c->source, '/');
    name = name ? name + 1 : c->source;
    const char *dot = strrchr(name, '.');
    int len = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
    snprintf(base, size, "%.*s", len > 400 ? 400 : len, name);
    for (int k = 0; k < index; k++) {
        const vsr_clip *o = &j->clips[k];
        if (o->source_is_url)
            continue;
        const char *on = strrchr(o->source, '/');
        on = on ? on + 1 : o->source;
        if (!strncmp(on, name, (size_t)len) && (on[len] == '\0' || on[len] == '.')) {
            snprintf(base + strlen(base), size - strlen(base), "_%d", index);
            return;
        }
    }
}

static int set_default_output(const vsr_server_config *cfg, vsr_upscale_job *j, int index,
                              char *why, size_t why_len)
{
    char base[512], name[600];
    output_base(j, index, base, sizeof base);
    snprintf(name, sizeof name, "%s_upscaled_%dx.mp4", base, j->scale);
    if (set_output(cfg, &j->clips[index], name, index, why, why_len) < 0)
        return -1;
    /* (k < VSR_MAX_CLIPS too: GCC 12 at -O3 cannot tell n_clips is that
     * bounded and warns of a read past the array, an error with -Werror) */
    for (int k = 0; k < j->n_clips && k < VSR_MAX_CLIPS; k++) {
        if (!j->clips[k].source_is_url &&
            !strcmp(j->clips[k].source, j->clips[index].output_path)) {
            snprintf(why, why_len, "output_paths[%d]: %s would be an input", index, name);
            return -1;
        }
    }
    return 0;
}

/* The object key of a clip's upload, as vidaio-subnet's upscaling service
 * lays them out: processing/<task>/<input's name>_upscaled_<scale>x.mp4,
 * where a downloaded input is named <task>_input (<task>_input<i> for
 * the clips after the first). */
static void set_upload_key(const vsr_upscale_job *j, vsr_clip *c, int index)
{
    char base[512];
    output_base(j, index, base, sizeof base);
    snprintf(c->upload_key, sizeof c->upload_key, "processing/%.80s/%s_upscaled_%dx.mp4", j->job.id,
             base, j->scale);
}

int vsr_upscale_request_parse(const vsr_server_config *cfg, int has_storage, json_t *root,
                              vsr_upscale_job *j, char *why, size_t why_len)
{
    json_t *paths = json_object_get(root, "video_paths"), *one = NULL;
    /* The service of vidaio-subnet today takes one "video_path" (and the
     * neuron sends that): a list of one. */
    json_t *single = json_object_get(root, "video_path");
    if (!paths && single) {
        if (!json_is_string(single) || !json_string_length(single)) {
            snprintf(why, why_len, "video_path: expected a URL or a path");
            return -1;
        }
        paths = one = json_pack("[O]", single);
    }
    if (!paths) {
        snprintf(why, why_len, "video_paths: missing (a list of 1 to %d inputs, or video_path)",
                 VSR_MAX_CLIPS);
        return -1;
    }
    int st = parse_upscale_inputs(cfg, paths, j, why, why_len);
    json_decref(one);
    if (st < 0)
        return -1;

    json_t *outs = json_object_get(root, "output_paths");
    if (outs && !json_is_null(outs)) {
        if (!json_is_array(outs) || json_array_size(outs) != (size_t)j->n_clips) {
            snprintf(why, why_len, "output_paths: expected a list of %d strings, one per video",
                     j->n_clips);
            return -1;
        }
        for (int i = 0; i < j->n_clips; i++) {
            json_t *p = json_array_get(outs, (size_t)i);
            if (!json_is_string(p) || !json_string_length(p)) {
                snprintf(why, why_len, "output_paths[%d]: expected a non-empty string", i);
                return -1;
            }
            if (set_output(cfg, &j->clips[i], json_string_value(p), i, why, why_len) < 0)
                return -1;
            for (int k = 0; k < j->n_clips; k++) {
                if ((k < i && !strcmp(j->clips[k].output_path, j->clips[i].output_path)) ||
                    (!j->clips[k].source_is_url &&
                     !strcmp(j->clips[k].source, j->clips[i].output_path))) {
                    snprintf(why, why_len,
                             "output_paths[%d]: the same file as another input or output", i);
                    return -1;
                }
            }
        }
    }
    j->upload = has_storage;
    int default_outputs = !j->upload && !(outs && !json_is_null(outs));
    for (int i = 0; default_outputs && i < j->n_clips; i++) {
        if (j->clips[i].source_is_url) {
            snprintf(why, why_len,
                     "output_paths: needed for a URL input, as this server has no storage to "
                     "upload to");
            return -1;
        }
    }

    json_t *scale = json_object_get(root, "scale");
    if (!scale) {
        snprintf(why, why_len, "scale: missing (2 or 4)");
        return -1;
    }
    json_int_t s = json_is_integer(scale) ? json_integer_value(scale) : 0;
    if (s < 2 || s > 4) {
        snprintf(why, why_len, "scale: expected 2, 3 or 4");
        return -1;
    }
    j->scale = (int)s;
    if (j->upload) {
        j->presign_expiry_s = cfg->service_presign_expiry_s;
        for (int i = 0; i < j->n_clips; i++)
            set_upload_key(j, &j->clips[i], i);
    }
    /* Local inputs and nowhere to upload: the service's local mode, the
     * output beside its shared volume (here the root) as
     * <name>_upscaled_<scale>x.mp4, which the neuron maps back and
     * uploads itself. */
    for (int i = 0; default_outputs && i < j->n_clips; i++)
        if (set_default_output(cfg, j, i, why, why_len) < 0)
            return -1;

    json_t *codec = json_object_get(root, "codec");
    if (codec && !json_is_null(codec) &&
        (!json_is_string(codec) || parse_codec(json_string_value(codec), &j->enc) < 0)) {
        snprintf(why, why_len,
                 "codec: expected hevc, av1 or h264 (or an encoder: libx265, "
                 "libsvtav1, libx264, hevc_nvenc, av1_nvenc, h264_nvenc)");
        return -1;
    }
    json_t *cq = json_object_get(root, "cq");
    if (cq && !json_is_null(cq)) {
        json_int_t q = json_is_integer(cq) ? json_integer_value(cq) : -1;
        int max = !strcmp(j->enc.codec, "av1") ? 63 : 51;
        if (q < 0 || q > max) {
            snprintf(why, why_len, "cq: expected an integer 0..%d for %s", max, j->enc.codec);
            return -1;
        }
        j->enc.crf = (int)q;
    }
    return 0;
}
