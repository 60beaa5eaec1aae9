/* VMAF model loading and prediction: see vmaf_model.h. The prediction is
 * libvmaf's (predict.c) for a LIBSVMNUSVR model with linear_rescale
 * normalisation; the SVM part is libsvm's svm_predict for nu-SVR. */
#include "quality/vmaf_model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quality/vmaf_models_data.h"
#include "util/file_read.h"

#define MODEL_MAX_BYTES (16u << 20)
#define MODEL_MAX_SV 100000

struct vsr_vmaf_model {
    /* feature k of the model (its order) is vsr feature order[k] */
    vsr_vmaf_feature order[VSR_VMAF_N_FEATURES];
    double slope[1 + VSR_VMAF_N_FEATURES], intercept[1 + VSR_VMAF_N_FEATURES];
    double adm_gain_limit, vif_gain_limit;
    int integer; /* names libvmaf's integer extractors */
    int transform, out_gte_in, out_lte_in;
    double p0, p1, p2;
    int clip;
    double clip_min, clip_max;
    double gamma, rho;
    int n_sv;
    double *coef; /* n_sv */
    double *sv;   /* n_sv x VSR_VMAF_N_FEATURES, in model order, missing = 0 */
};

void vsr_vmaf_model_free(vsr_vmaf_model *m)
{
    if (!m)
        return;
    free(m->coef);
    free(m->sv);
    free(m);
}

static int feature_from_name(const char *name, vsr_vmaf_feature *out, int *integer)
{
    static const struct {
        const char *suffix;
        vsr_vmaf_feature f;
    } names[] = {{"adm2_score", VSR_VMAF_ADM2},       {"motion2_score", VSR_VMAF_MOTION2},
                 {"vif_scale0_score", VSR_VMAF_VIF0}, {"vif_scale1_score", VSR_VMAF_VIF1},
                 {"vif_scale2_score", VSR_VMAF_VIF2}, {"vif_scale3_score", VSR_VMAF_VIF3}};
    const char *prefixes[] = {"VMAF_feature_", "VMAF_integer_feature_"};
    for (size_t p = 0; p < 2; p++) {
        size_t pl = strlen(prefixes[p]);
        if (strncmp(name, prefixes[p], pl) != 0)
            continue;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(name + pl, names[i].suffix) == 0) {
                *out = names[i].f;
                *integer = p == 1;
                return 1;
            }
    }
    return 0;
}

static int read_number_array(json_t *arr, double *dst, size_t n, const char *key, const char *name,
                             vsr_error *err)
{
    if (!json_is_array(arr) || json_array_size(arr) != n)
        return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: \"%s\" must be %zu numbers", name,
                             key, n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v))
            return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: \"%s\"[%zu] is not a number",
                                 name, key, i);
        dst[i] = json_number_value(v);
    }
    return VSR_OK;
}

/* "true"/"false" strings (libvmaf's files) or JSON booleans. */
static int json_truthy(json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v);
    return json_is_string(v) && strcmp(json_string_value(v), "true") == 0;
}

/* libsvm's text model: header lines, "SV", then "coef i:v i:v ..." lines. */
static int parse_svm(vsr_vmaf_model *m, const char *text, const char *name, vsr_error *err)
{
    const char *p = text;
    int have_sv = 0, total_sv = -1, rbf = 0, nu_svr = 0, have_gamma = 0, have_rho = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[256];
        if (len >= sizeof line)
            return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: SVM header line too long",
                                 name);
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : p + len;
        if (strcmp(line, "SV") == 0) {
            have_sv = 1;
            break;
        }
        if (strcmp(line, "svm_type nu_svr") == 0)
            nu_svr = 1;
        else if (strcmp(line, "kernel_type rbf") == 0)
            rbf = 1;
        else if (sscanf(line, "gamma %lf", &m->gamma) == 1)
            have_gamma = 1;
        else if (sscanf(line, "rho %lf", &m->rho) == 1)
            have_rho = 1;
        else if (sscanf(line, "total_sv %d", &total_sv) == 1) {
        } else if (strncmp(line, "nr_class ", 9) != 0 && line[0] != '\0')
            return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: unknown SVM line \"%s\"",
                                 name, line);
    }
    if (!nu_svr || !rbf)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "VMAF model %s: only nu_svr with an rbf kernel is supported", name);
    if (!have_sv || !have_gamma || !have_rho || total_sv <= 0 || total_sv > MODEL_MAX_SV)
        return vsr_error_set(err, VSR_ERR_FORMAT,
                             "VMAF model %s: SVM lacks gamma, rho, total_sv (1..%d) or SV", name,
                             MODEL_MAX_SV);
    m->n_sv = total_sv;
    m->coef = calloc((size_t)total_sv, sizeof(double));
    m->sv = calloc((size_t)total_sv * VSR_VMAF_N_FEATURES, sizeof(double));
    if (!m->coef || !m->sv)
        return vsr_error_set(err, VSR_ERR_NOMEM, "VMAF model %s: out of memory", name);
    for (int s = 0; s < total_sv; s++) {
        char *end;
        errno = 0;
        m->coef[s] = strtod(p, &end);
        if (end == p || errno)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "VMAF model %s: support vector %d has no coefficient", name, s);
        p = end;
        while (*p == ' ')
            p++;
        while (*p && *p != '\n') {
            long idx = strtol(p, &end, 10);
            if (end == p || *end != ':' || idx < 1 || idx > VSR_VMAF_N_FEATURES)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "VMAF model %s: support vector %d: bad feature index", name,
                                     s);
            p = end + 1;
            double v = strtod(p, &end);
            if (end == p)
                return vsr_error_set(err, VSR_ERR_FORMAT,
                                     "VMAF model %s: support vector %d: bad value", name, s);
            m->sv[(size_t)s * VSR_VMAF_N_FEATURES + (size_t)(idx - 1)] = v;
            p = end;
            while (*p == ' ')
                p++;
        }
        if (*p == '\n')
            p++;
        else if (s + 1 < total_sv)
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "VMAF model %s: %d support vectors, total_sv says %d", name, s + 1,
                                 total_sv);
    }
    return VSR_OK;
}

static int parse_model_dict(vsr_vmaf_model *m, json_t *md, const char *name, vsr_error *err)
{
    json_t *type = json_object_get(md, "model_type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "LIBSVMNUSVR") != 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "VMAF model %s: model_type must be LIBSVMNUSVR", name);
    json_t *norm = json_object_get(md, "norm_type");
    if (!json_is_string(norm) || strcmp(json_string_value(norm), "linear_rescale") != 0)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "VMAF model %s: norm_type must be linear_rescale", name);
    json_t *names = json_object_get(md, "feature_names");
    if (!json_is_array(names) || json_array_size(names) != VSR_VMAF_N_FEATURES)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                             "VMAF model %s: expected the %d features of VMAF v0.6.1", name,
                             VSR_VMAF_N_FEATURES);
    unsigned seen = 0;
    for (size_t i = 0; i < VSR_VMAF_N_FEATURES; i++) {
        json_t *n = json_array_get(names, i);
        vsr_vmaf_feature f;
        int integer = 0;
        if (!json_is_string(n) || !feature_from_name(json_string_value(n), &f, &integer) ||
            (seen & (1u << f)) || (i > 0 && integer != m->integer))
            return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                 "VMAF model %s: feature %zu (%s) is not one vsr computes", name, i,
                                 json_is_string(n) ? json_string_value(n) : "?");
        seen |= 1u << f;
        m->order[i] = f;
        m->integer = integer;
    }
    int rc;
    if ((rc = read_number_array(json_object_get(md, "slopes"), m->slope, 1 + VSR_VMAF_N_FEATURES,
                                "slopes", name, err)) < 0 ||
        (rc = read_number_array(json_object_get(md, "intercepts"), m->intercept,
                                1 + VSR_VMAF_N_FEATURES, "intercepts", name, err)) < 0)
        return rc;
    if (m->slope[0] == 0.0)
        return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: slopes[0] is 0", name);

    m->adm_gain_limit = m->vif_gain_limit = 100.0;
    json_t *opts = json_object_get(md, "feature_opts_dicts");
    if (opts) {
        if (!json_is_array(opts))
            return vsr_error_set(err, VSR_ERR_FORMAT,
                                 "VMAF model %s: feature_opts_dicts is not an array", name);
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o)
        {
            const char *key;
            json_t *v;
            json_object_foreach(o, key, v)
            {
                double *dst = strcmp(key, "adm_enhn_gain_limit") == 0   ? &m->adm_gain_limit
                              : strcmp(key, "vif_enhn_gain_limit") == 0 ? &m->vif_gain_limit
                                                                        : NULL;
                if (!dst)
                    return vsr_error_set(err, VSR_ERR_UNSUPPORTED,
                                         "VMAF model %s: unknown feature option \"%s\"", name, key);
                if (!json_is_number(v) || json_number_value(v) < 1.0 ||
                    json_number_value(v) > 100.0)
                    return vsr_error_set(err, VSR_ERR_FORMAT,
                                         "VMAF model %s: %s must be a number in 1..100", name, key);
                *dst = json_number_value(v);
            }
        }
    }
    json_t *tf = json_object_get(md, "score_transform");
    if (json_is_object(tf)) {
        json_t *en = json_object_get(tf, "enabled");
        /* libvmaf applies the transform only when asked (vmaf --model
         * ...:enable_transform); the validators do not ask */
        m->transform = en ? json_truthy(en) : 0;
        json_t *p0 = json_object_get(tf, "p0"), *p1 = json_object_get(tf, "p1"),
               *p2 = json_object_get(tf, "p2");
        m->p0 = json_is_number(p0) ? json_number_value(p0) : 0.0;
        m->p1 = json_is_number(p1) ? json_number_value(p1) : 0.0;
        m->p2 = json_is_number(p2) ? json_number_value(p2) : 0.0;
        m->out_gte_in = json_truthy(json_object_get(tf, "out_gte_in"));
        m->out_lte_in = json_truthy(json_object_get(tf, "out_lte_in"));
    }
    json_t *clip = json_object_get(md, "score_clip");
    if (clip) {
        double c[2];
        if ((rc = read_number_array(clip, c, 2, "score_clip", name, err)) < 0)
            return rc;
        m->clip = 1;
        m->clip_min = c[0];
        m->clip_max = c[1];
    }
    json_t *svm = json_object_get(md, "model");
    if (!json_is_string(svm))
        return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: no \"model\" (the SVM) string",
                             name);
    return parse_svm(m, json_string_value(svm), name, err);
}

int vsr_vmaf_model_parse(const char *text, size_t len, const char *name, vsr_vmaf_model **out,
                         vsr_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: not JSON (line %d: %s)", name,
                             jerr.line, jerr.text);
    json_t *md = json_object_get(root, "model_dict");
    if (!json_is_object(md)) {
        json_decref(root);
        return vsr_error_set(err, VSR_ERR_FORMAT, "VMAF model %s: no \"model_dict\" object", name);
    }
    vsr_vmaf_model *m = calloc(1, sizeof *m);
    if (!m) {
        json_decref(root);
        return vsr_error_set(err, VSR_ERR_NOMEM, "VMAF model %s: out of memory", name);
    }
    int rc = parse_model_dict(m, md, name, err);
    json_decref(root);
    if (rc < 0) {
        vsr_vmaf_model_free(m);
        return rc;
    }
    *out = m;
    return VSR_OK;
}

int vsr_vmaf_model_load(const char *path, vsr_vmaf_model **out, vsr_error *err)
{
    unsigned char *data;
    size_t len;
    int rc = vsr_read_file(path, MODEL_MAX_BYTES, "a VMAF model", &data, &len, err);
    if (rc < 0)
        return rc;
    rc = vsr_vmaf_model_parse((const char *)data, len, path, out, err);
    free(data);
    return rc;
}

int vsr_vmaf_model_builtin(const char *name, vsr_vmaf_model **out, vsr_error *err)
{
    for (size_t i = 0; i < vsr_vmaf_builtin_model_count; i++)
        if (strcmp(vsr_vmaf_builtin_models[i].name, name) == 0)
            return vsr_vmaf_model_parse((const char *)vsr_vmaf_builtin_models[i].data,
                                        vsr_vmaf_builtin_models[i].size, name, out, err);
    *out = NULL;
    return vsr_error_set(err, VSR_ERR_INVALID, "no built-in VMAF model \"%s\"", name);
}

int vsr_vmaf_model_integer(const vsr_vmaf_model *m)
{
    return m->integer;
}

double vsr_vmaf_model_adm_gain_limit(const vsr_vmaf_model *m)
{
    return m->adm_gain_limit;
}

double vsr_vmaf_model_vif_gain_limit(const vsr_vmaf_model *m)
{
    return m->vif_gain_limit;
}

double vsr_vmaf_model_predict(const vsr_vmaf_model *m, const double features[VSR_VMAF_N_FEATURES],
                              int clip)
{
    double x[VSR_VMAF_N_FEATURES];
    for (int k = 0; k < VSR_VMAF_N_FEATURES; k++)
        x[k] = m->slope[1 + k] * features[m->order[k]] + m->intercept[1 + k];
    double sum = 0.0;
    for (int s = 0; s < m->n_sv; s++) {
        const double *sv = m->sv + (size_t)s * VSR_VMAF_N_FEATURES;
        double d2 = 0.0;
        for (int k = 0; k < VSR_VMAF_N_FEATURES; k++) {
            double d = x[k] - sv[k];
            d2 += d * d;
        }
        sum += m->coef[s] * exp(-m->gamma * d2);
    }
    double score = ((sum - m->rho) - m->intercept[0]) / m->slope[0];
    if (m->transform) {
        double t = m->p0 + m->p1 * score + m->p2 * score * score;
        if (m->out_gte_in && t < score)
            t = score;
        if (m->out_lte_in && t > score)
            t = score;
        score = t;
    }
    if (m->clip && clip)
        score = score < m->clip_min ? m->clip_min : (score > m->clip_max ? m->clip_max : score);
    return score;
}
