#include "model/model_registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/model_auto.h"
#include "model/ncnn_loader.h"
#include "model/onnx_loader.h"

int vsr_models_dir(const char *override_dir, char *buf, size_t len, vsr_error *err)
{
    const char *env = getenv("VSR_MODELS_DIR");
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (override_dir && *override_dir)
        n = snprintf(buf, len, "%s", override_dir);
    else if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else if (cache && *cache)
        n = snprintf(buf, len, "%s/vsr/models", cache);
    else if (home && *home)
        n = snprintf(buf, len, "%s/.cache/vsr/models", home);
    else
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "no models directory: set --models-dir, VSR_MODELS_DIR or HOME");
    if (n < 0 || (size_t)n >= len)
        return vsr_error_set(err, VSR_ERR_INVALID, "models directory path too long");
    return VSR_OK;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* An ONNX file: named .onnx, or (any other name but .param) starting as a
 * serialized ModelProto does, with field 1 (ir_version) as a varint. */
static int is_onnx_path(const char *path)
{
    if (ends_with(path, ".onnx"))
        return 1;
    if (ends_with(path, ".param"))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int c = fgetc(f);
    fclose(f);
    return c == 0x08;
}

/* NAME.onnx in dir, if it exists (param gets its path, bin is empty). */
static int try_onnx(const char *dir, const char *name, char *param, char *bin, size_t len)
{
    int a = snprintf(param, len, "%s/%s.onnx", dir, name);
    if (len)
        bin[0] = '\0';
    return a > 0 && (size_t)a < len && is_file(param);
}

/* The pair NAME.param / NAME.bin in dir, if both exist. */
static int try_pair(const char *dir, const char *name, char *param, char *bin, size_t len)
{
    int a = snprintf(param, len, "%s/%s.param", dir, name);
    int b = snprintf(bin, len, "%s/%s.bin", dir, name);
    return a > 0 && (size_t)a < len && b > 0 && (size_t)b < len && is_file(param) && is_file(bin);
}

int vsr_model_resolve(const char *name_or_path, int scale, const char *models_dir, char *param_path,
                      char *bin_path, size_t path_len, vsr_error *err)
{
    if (!name_or_path || !*name_or_path)
        return vsr_error_set(err, VSR_ERR_INVALID, "empty model name");
    if (ends_with(name_or_path, ".onnx") ||
        (strchr(name_or_path, '/') && is_onnx_path(name_or_path))) {
        /* A path to an ONNX model: one file, weights inside. */
        if (strlen(name_or_path) + 1 > path_len)
            return vsr_error_set(err, VSR_ERR_INVALID, "model path too long");
        snprintf(param_path, path_len, "%s", name_or_path);
        bin_path[0] = '\0';
        if (!is_file(param_path))
            return vsr_error_set(err, VSR_ERR_IO, "model file %s not found", param_path);
        return VSR_OK;
    }
    if (ends_with(name_or_path, ".param") || strchr(name_or_path, '/')) {
        /* A path: NAME.param with NAME.bin beside it. */
        size_t n = strlen(name_or_path);
        if (!ends_with(name_or_path, ".param"))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "model path %s: expected a .param file (with the .bin beside "
                                 "it) or an .onnx file",
                                 name_or_path);
        if (n + 1 > path_len)
            return vsr_error_set(err, VSR_ERR_INVALID, "model path too long");
        snprintf(param_path, path_len, "%s", name_or_path);
        snprintf(bin_path, path_len, "%.*s.bin", (int)(n - strlen(".param")), name_or_path);
        if (!is_file(param_path))
            return vsr_error_set(err, VSR_ERR_IO, "model file %s not found", param_path);
        if (!is_file(bin_path))
            return vsr_error_set(err, VSR_ERR_IO, "model weights %s not found (next to %s)",
                                 bin_path, param_path);
        return VSR_OK;
    }
    if (strlen(name_or_path) >= VSR_NAME_MAX)
        return vsr_error_set(err, VSR_ERR_INVALID, "model name too long: %s", name_or_path);
    char dir[4096];
    int rc = vsr_models_dir(models_dir, dir, sizeof dir, err);
    if (rc)
        return rc;
    /* A family name plus a scale first (realesr-animevideov3 -> -x2), then
     * the name as it is. */
    if (scale > 0) {
        char scaled[VSR_NAME_MAX + 8];
        snprintf(scaled, sizeof scaled, "%s-x%d", name_or_path, scale);
        if (try_pair(dir, scaled, param_path, bin_path, path_len) ||
            try_onnx(dir, scaled, param_path, bin_path, path_len))
            return VSR_OK;
    }
    if (try_pair(dir, name_or_path, param_path, bin_path, path_len) ||
        try_onnx(dir, name_or_path, param_path, bin_path, path_len))
        return VSR_OK;
    return vsr_error_set(err, VSR_ERR_IO,
                         "model '%s'%s not found in %s (run scripts/fetch-models.sh, or `vsr "
                         "models` to list what is installed)",
                         name_or_path, scale > 0 ? " at that scale" : "", dir);
}

int vsr_model_load(const char *name_or_path, int scale, const char *models_dir, vsr_graph *g,
                   vsr_error *err)
{
    char param[4096], bin[4096];
    int rc = vsr_model_resolve(name_or_path, scale, models_dir, param, bin, sizeof param, err);
    if (rc)
        return rc;
    /* An empty .bin path is what resolve gives for an ONNX file. */
    rc = bin[0] ? vsr_ncnn_load_files(param, bin, g, err) : vsr_onnx_load_file(param, g, err);
    if (rc)
        return rc;
    if (scale > 0 && g->scale != scale) {
        int own = g->scale;
        vsr_graph_free(g);
        return vsr_error_set(err, VSR_ERR_INVALID, "model %s upscales x%d, not x%d", param, own,
                             scale);
    }
    return VSR_OK;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const vsr_model_entry *)a)->name, ((const vsr_model_entry *)b)->name);
}

int vsr_models_list(const char *dir, vsr_model_entry **entries, int *count, vsr_error *err)
{
    *entries = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return vsr_error_set(err, VSR_ERR_IO, "cannot open models directory %s: %s", dir,
                             strerror(errno));
    vsr_model_entry *list = NULL;
    int n = 0, cap = 0, rc = VSR_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int onnx = ends_with(de->d_name, ".onnx");
        if (!onnx && !ends_with(de->d_name, ".param"))
            continue;
        size_t base = strlen(de->d_name) - strlen(onnx ? ".onnx" : ".param");
        if (base == 0 || base >= VSR_NAME_MAX)
            continue;
        vsr_model_entry e;
        snprintf(e.name, sizeof e.name, "%.*s", (int)base, de->d_name);
        char bin[4096];
        if (onnx ? !try_onnx(dir, e.name, e.param_path, bin, sizeof bin)
                 : !try_pair(dir, e.name, e.param_path, bin, sizeof bin))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            vsr_model_entry *p = realloc(list, sizeof *p * (size_t)cap);
            if (!p) {
                rc = vsr_error_set(err, VSR_ERR_NOMEM, "out of memory");
                break;
            }
            list = p;
        }
        list[n++] = e;
    }
    closedir(d);
    if (rc) {
        free(list);
        return rc;
    }
    if (n)
        qsort(list, (size_t)n, sizeof *list, compare_entries);
    *entries = list;
    *count = n;
    return VSR_OK;
}

int vsr_model_is_path(const char *s)
{
    size_t n = strlen(s); /* a suffix alone is a name */
    return strchr(s, '/') != NULL || (n > 6 && ends_with(s, ".param")) ||
           (n > 5 && ends_with(s, ".onnx"));
}

int vsr_model_load_default(const char *name_or_path, int scale, const char *models_dir,
                           vsr_graph *g, vsr_error *err)
{
    const char *name = name_or_path ? name_or_path : VSR_DEFAULT_MODEL;
    int use = scale;
    if (vsr_model_is_auto(name)) {
        /* the table's model at its own scale (model_auto.h) */
        name = vsr_model_auto_for_scale(scale);
        use = 0;
    }
    if (use == 0 && !vsr_model_is_path(name)) {
        /* Not the full name of an installed model, so a family: its
         * default is x4. A failed probe is not an error here; the load
         * below reports what it looked for. */
        char param[4096], bin[4096];
        vsr_error probe;
        vsr_error_clear(&probe);
        if (vsr_model_resolve(name, 0, models_dir, param, bin, sizeof param, &probe) < 0)
            use = 4;
    }
    int st = vsr_model_load(name, use, models_dir, g, err);
    if (st < 0 && use != scale)
        vsr_error_prefix(err, "--model %s at x%d (the default scale for a family name)", name, use);
    return st;
}

int vsr_model_load_for_scale(const char *name_or_path, int scale, const char *models_dir,
                             vsr_graph *g, vsr_error *err)
{
    const char *name = name_or_path ? name_or_path : VSR_DEFAULT_MODEL;
    if (vsr_model_is_auto(name))
        return vsr_model_load_default(name, scale, models_dir, g, err);
    char param[4096], bin[4096];
    vsr_error probe;
    vsr_error_clear(&probe);
    if (scale <= 0 || vsr_model_resolve(name, scale, models_dir, param, bin, sizeof param, &probe))
        return vsr_model_load_default(name, 0, models_dir, g, err);
    /* An empty .bin path is what resolve gives for an ONNX file. */
    return bin[0] ? vsr_ncnn_load_files(param, bin, g, err) : vsr_onnx_load_file(param, g, err);
}

int vsr_model_name_is_safe(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    /* A file suffix would make the registry treat it as a path. */
    static const char *const suffixes[] = {".param", ".bin", ".onnx"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i]))
            return 0;
    }
    return 1;
}
