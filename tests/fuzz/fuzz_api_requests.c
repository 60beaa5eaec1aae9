/* libFuzzer target for the JSON bodies of POST /upscale and POST /compress
 * (server/upscale_request.h, server/compress_request.h): any body must be
 * accepted with every field in range, or refused naming a field, never
 * crash, leak or overflow. What an accepted /upscale body resolves to is
 * checked too: every local input and output lies under the root (which
 * holds a file, a subdirectory and a symlink that points out of it), and
 * the scale and clip count are in range.
 *
 * The first byte chooses the route and the server: bit 0 /compress, bit 1
 * a server with storage (outputs uploaded), bit 2 one without a root;
 * the rest is the body. Seeds: tests/fuzz/corpus/api_requests. */
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/compress_request.h"
#include "server/upscale_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The root the paths are confined to, made once per process under TMPDIR. */
static const char *fuzz_root(void)
{
    static char root[PATH_MAX];
    if (root[0])
        return root;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/vsr-fuzz-root-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir) || !realpath(dir, root))
        abort();
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/in.mp4", root);
    FILE *f = fopen(p, "w");
    if (!f)
        abort();
    fclose(f);
    snprintf(p, sizeof p, "%s/sub", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/out", root);
    if (symlink("/etc", p) != 0)
        abort();
    return root;
}

static int under(const char *root, const char *path)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && path[n] == '/';
}

static void upscale(const char *body, size_t len, int storage, int rooted)
{
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return;
    vsr_server_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.root = rooted ? (char *)fuzz_root() : NULL;
    vsr_upscale_job *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    json_t *tid = json_object_get(root, "task_id");
    snprintf(j->job.id, sizeof j->job.id, "%s",
             json_is_string(tid) && vsr_request_task_id_ok(json_string_value(tid), 1, "._:-")
                 ? json_string_value(tid)
                 : "fuzz");
    j->enc.codec = "hevc"; /* vsr_encoder_options_default's */
    j->enc.crf = -1;
    char why[VSR_ERROR_MSG_MAX + 64];
    why[0] = '\0';
    if (json_is_object(root) &&
        vsr_upscale_request_parse(&cfg, storage, root, j, why, sizeof why) == 0) {
        if (j->n_clips < 1 || j->n_clips > VSR_MAX_CLIPS || j->scale < 2 || j->scale > 4 ||
            j->enc.crf > 63 || j->upload != storage)
            abort();
        for (int i = 0; i < j->n_clips; i++) {
            const vsr_clip *c = &j->clips[i];
            if (!c->source_is_url && !under(cfg.root, c->source))
                abort();
            if (c->output_path[0] && !under(cfg.root, c->output_path))
                abort();
            if (!storage && !c->output_path[0])
                abort(); /* nowhere to put the output */
        }
    } else if (json_is_object(root) && !why[0]) {
        abort(); /* refused without saying why */
    }
    free(j);
    json_decref(root);
}

static void compress(const char *body, size_t len)
{
    vsr_compress_request r;
    json_t *root, *invalid;
    if (vsr_compress_request_parse(body, len, &r, &root, &invalid) == 0) {
        if (invalid || !root || !r.video_path || !r.video_path[0] || r.cq < 0 || r.cq > 63 ||
            r.target_bitrate < 0 || (strcmp(r.codec_mode, "CRF") && strcmp(r.codec_mode, "VBR")))
            abort();
        json_decref(root);
        return;
    }
    if (!invalid || root)
        abort();
    char *text = json_dumps(invalid, JSON_COMPACT); /* the 422 reply must serialise */
    if (!text)
        abort();
    free(text);
    json_decref(invalid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    if (data[0] & 1)
        compress(body, size - 1);
    else
        upscale(body, size - 1, data[0] >> 1 & 1, !(data[0] >> 2 & 1));
    return 0;
}
