/* AWS Signature Version 4. The steps and their names follow AWS's
 * "Create a signed AWS API request" and the S3 "Signature Calculations"
 * pages; S3 differs from other services in two ways handled here: the
 * canonical URI is encoded once (not twice), and x-amz-content-sha256 is a
 * signed header (the caller supplies it). */
#include "server/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string; an allocation failure is remembered and reported once
 * by sb_finish, so the building code stays linear. */
typedef struct sb {
    char *p;
    size_t len, cap;
    bool failed;
} sb;

static void sb_add_n(sb *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_add(sb *b, const char *s)
{
    sb_add_n(b, s, strlen(s));
}

static void sb_addc(sb *b, char c)
{
    sb_add_n(b, &c, 1);
}

/* Returns the string (owned by the caller) or NULL with err set. */
static char *sb_finish(sb *b, const char *what, vsr_error *err)
{
    if (!b->failed && !b->p)
        sb_add_n(b, "", 0); /* nothing added: "" rather than NULL */
    if (b->failed) {
        free(b->p);
        vsr_error_set(err, VSR_ERR_NOMEM, "sigv4: out of memory building the %s", what);
        return NULL;
    }
    return b->p;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void sb_add_encoded(sb *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            sb_addc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sb_add_n(b, e, 3);
        }
    }
}

char *vsr_sigv4_uri_encode(const char *s, bool keep_slash, vsr_error *err)
{
    sb b = {0};
    sb_add_encoded(&b, s, keep_slash);
    return sb_finish(&b, "URI encoding", err);
}

int vsr_sigv4_amz_date(time_t t, char out[VSR_SIGV4_DATE_SIZE], vsr_error *err)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return vsr_error_set(err, VSR_ERR_INVALID, "sigv4: time %lld is not representable",
                             (long long)t);
    if (strftime(out, VSR_SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm) != VSR_SIGV4_DATE_SIZE - 1)
        return vsr_error_set(err, VSR_ERR_INVALID, "sigv4: time %lld is out of range",
                             (long long)t);
    return VSR_OK;
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int vsr_sigv4_sha256_hex(const void *data, size_t n, char out[VSR_SIGV4_HEX_SIZE], vsr_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "sigv4: SHA-256 failed (OpenSSL)");
    to_hex(md, 32, out);
    return VSR_OK;
}

static int hmac256(const void *key, size_t key_len, const char *msg, unsigned char out[32],
                   vsr_error *err)
{
    unsigned int len = 0;
    if (key_len > (size_t)INT32_MAX ||
        !HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out,
              &len) ||
        len != 32)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "sigv4: HMAC-SHA256 failed (OpenSSL)");
    return VSR_OK;
}

int vsr_sigv4_signing_key(const char *secret_key, const char *date8, const char *region,
                          const char *service, unsigned char out[32], vsr_error *err)
{
    size_t n = strlen(secret_key) + 4;
    char *k_secret = malloc(n + 1);
    if (!k_secret)
        return vsr_error_set(err, VSR_ERR_NOMEM, "sigv4: out of memory");
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret_key, n - 4 + 1);
    unsigned char k_date[32], k_region[32], k_service[32];
    int rc = hmac256(k_secret, n, date8, k_date, err);
    /* The secret is not left in freed memory. */
    OPENSSL_cleanse(k_secret, n);
    free(k_secret);
    if (rc == VSR_OK)
        rc = hmac256(k_date, 32, region, k_region, err);
    if (rc == VSR_OK)
        rc = hmac256(k_region, 32, service, k_service, err);
    if (rc == VSR_OK)
        rc = hmac256(k_service, 32, "aws4_request", out, err);
    OPENSSL_cleanse(k_date, sizeof k_date);
    OPENSSL_cleanse(k_region, sizeof k_region);
    OPENSSL_cleanse(k_service, sizeof k_service);
    return rc;
}

/* A header or query pair after canonicalisation, for sorting. */
typedef struct canon_kv {
    char *name;
    char *value;
} canon_kv;

static int cmp_kv(const void *a, const void *b)
{
    const canon_kv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static void free_kvs(canon_kv *kv, size_t n)
{
    if (!kv)
        return;
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

/* Header values: leading and trailing spaces trimmed, inner runs of spaces
 * collapsed to one (AWS's Trimall). */
static char *trimall(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        bool space = v[i] == ' ' || v[i] == '\t';
        if (space && o && out[o - 1] == ' ')
            continue;
        out[o++] = space ? ' ' : v[i];
    }
    out[o] = '\0';
    return out;
}

static char *lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    return out;
}

char *vsr_sigv4_canonical_request(const vsr_sigv4_request *req, char **signed_headers,
                                  vsr_error *err)
{
    if (signed_headers)
        *signed_headers = NULL;
    if (!req->method || !req->payload_hash || (req->n_query && !req->query) ||
        (req->n_headers && !req->headers)) {
        vsr_error_set(err, VSR_ERR_INVALID, "sigv4: incomplete request");
        return NULL;
    }
    canon_kv *q = calloc(req->n_query ? req->n_query : 1, sizeof *q);
    canon_kv *h = calloc(req->n_headers ? req->n_headers : 1, sizeof *h);
    sb b = {0}, sh = {0};
    bool oom = !q || !h;
    bool have_host = false;
    /* Query pairs are sorted by their encoded names (then values). */
    for (size_t i = 0; !oom && i < req->n_query; i++) {
        q[i].name = vsr_sigv4_uri_encode(req->query[i].name, false, NULL);
        q[i].value =
            vsr_sigv4_uri_encode(req->query[i].value ? req->query[i].value : "", false, NULL);
        oom = !q[i].name || !q[i].value;
    }
    for (size_t i = 0; !oom && i < req->n_headers; i++) {
        h[i].name = lower_dup(req->headers[i].name);
        h[i].value = trimall(req->headers[i].value ? req->headers[i].value : "");
        oom = !h[i].name || !h[i].value;
        if (!oom && strcmp(h[i].name, "host") == 0)
            have_host = true;
    }
    if (oom) {
        free_kvs(q, req->n_query);
        free_kvs(h, req->n_headers);
        vsr_error_set(err, VSR_ERR_NOMEM, "sigv4: out of memory building the canonical request");
        return NULL;
    }
    if (!have_host) {
        free_kvs(q, req->n_query);
        free_kvs(h, req->n_headers);
        vsr_error_set(err, VSR_ERR_INVALID, "sigv4: the host header must be signed");
        return NULL;
    }
    qsort(q, req->n_query, sizeof *q, cmp_kv);
    /* Headers sort by name only; a repeated name keeps its values in the
     * order given, joined by commas: qsort is not stable, so an insertion
     * sort (a request signs a handful of headers). */
    for (size_t i = 1; i < req->n_headers; i++) {
        canon_kv t = h[i];
        size_t j = i;
        while (j > 0 && strcmp(h[j - 1].name, t.name) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = t;
    }

    sb_add(&b, req->method);
    sb_addc(&b, '\n');
    if (!req->path || !*req->path)
        sb_addc(&b, '/');
    else
        sb_add_encoded(&b, req->path, true);
    sb_addc(&b, '\n');
    for (size_t i = 0; i < req->n_query; i++) {
        if (i)
            sb_addc(&b, '&');
        sb_add(&b, q[i].name);
        sb_addc(&b, '=');
        sb_add(&b, q[i].value);
    }
    sb_addc(&b, '\n');
    for (size_t i = 0; i < req->n_headers; i++) {
        bool repeat = i > 0 && strcmp(h[i - 1].name, h[i].name) == 0;
        if (repeat) {
            sb_addc(&b, ',');
        } else {
            if (i)
                sb_addc(&b, '\n');
            sb_add(&b, h[i].name);
            sb_addc(&b, ':');
            if (sh.len)
                sb_addc(&sh, ';');
            sb_add(&sh, h[i].name);
        }
        sb_add(&b, h[i].value);
    }
    sb_addc(&b, '\n');
    sb_addc(&b, '\n');
    sb_add(&b, sh.p ? sh.p : "");
    sb_addc(&b, '\n');
    sb_add(&b, req->payload_hash);
    free_kvs(q, req->n_query);
    free_kvs(h, req->n_headers);

    char *out = sb_finish(&b, "canonical request", err);
    if (!out) {
        free(sh.p);
        return NULL;
    }
    if (signed_headers) {
        *signed_headers = sb_finish(&sh, "signed headers", err);
        if (!*signed_headers) {
            free(out);
            return NULL;
        }
    } else {
        free(sh.p);
    }
    return out;
}

char *vsr_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                               const char *canonical_request, vsr_error *err)
{
    char hash[VSR_SIGV4_HEX_SIZE];
    if (strlen(amz_date) != VSR_SIGV4_DATE_SIZE - 1) {
        vsr_error_set(err, VSR_ERR_INVALID, "sigv4: bad x-amz-date '%s'", amz_date);
        return NULL;
    }
    if (vsr_sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash, err) < 0)
        return NULL;
    sb b = {0};
    sb_add(&b, "AWS4-HMAC-SHA256\n");
    sb_add(&b, amz_date);
    sb_addc(&b, '\n');
    sb_add_n(&b, amz_date, 8);
    sb_addc(&b, '/');
    sb_add(&b, region);
    sb_addc(&b, '/');
    sb_add(&b, service);
    sb_add(&b, "/aws4_request\n");
    sb_add(&b, hash);
    return sb_finish(&b, "string to sign", err);
}

static int check_creds(const vsr_sigv4_creds *c, vsr_error *err)
{
    if (!c || !c->access_key || !*c->access_key || !c->secret_key || !*c->secret_key ||
        !c->region || !*c->region || !c->service || !*c->service)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "sigv4: access key, secret key, region and service are required");
    return VSR_OK;
}

int vsr_sigv4_signature(const vsr_sigv4_creds *creds, time_t t, const vsr_sigv4_request *req,
                        char sig[VSR_SIGV4_HEX_SIZE], char **signed_headers, vsr_error *err)
{
    char amz_date[VSR_SIGV4_DATE_SIZE], date8[9];
    int rc = check_creds(creds, err);
    if (rc < 0)
        return rc;
    if ((rc = vsr_sigv4_amz_date(t, amz_date, err)) < 0)
        return rc;
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';

    char *sh = NULL;
    char *creq = vsr_sigv4_canonical_request(req, &sh, err);
    if (!creq)
        return err ? err->code : VSR_ERR_INVALID;
    char *sts = vsr_sigv4_string_to_sign(amz_date, creds->region, creds->service, creq, err);
    free(creq);
    if (!sts) {
        free(sh);
        return err ? err->code : VSR_ERR_INVALID;
    }
    unsigned char key[32], mac[32];
    rc = vsr_sigv4_signing_key(creds->secret_key, date8, creds->region, creds->service, key, err);
    if (rc == VSR_OK)
        rc = hmac256(key, sizeof key, sts, mac, err);
    OPENSSL_cleanse(key, sizeof key);
    free(sts);
    if (rc < 0) {
        free(sh);
        return rc;
    }
    to_hex(mac, 32, sig);
    if (signed_headers)
        *signed_headers = sh;
    else
        free(sh);
    return VSR_OK;
}

static void sb_add_scope(sb *b, const vsr_sigv4_creds *c, const char *amz_date)
{
    sb_add(b, c->access_key);
    sb_addc(b, '/');
    sb_add_n(b, amz_date, 8);
    sb_addc(b, '/');
    sb_add(b, c->region);
    sb_addc(b, '/');
    sb_add(b, c->service);
    sb_add(b, "/aws4_request");
}

char *vsr_sigv4_authorization(const vsr_sigv4_creds *creds, time_t t, const vsr_sigv4_request *req,
                              vsr_error *err)
{
    char sig[VSR_SIGV4_HEX_SIZE], amz_date[VSR_SIGV4_DATE_SIZE];
    char *sh = NULL;
    if (vsr_sigv4_amz_date(t, amz_date, err) < 0 ||
        vsr_sigv4_signature(creds, t, req, sig, &sh, err) < 0)
        return NULL;
    sb b = {0};
    sb_add(&b, "AWS4-HMAC-SHA256 Credential=");
    sb_add_scope(&b, creds, amz_date);
    sb_add(&b, ",SignedHeaders=");
    sb_add(&b, sh);
    sb_add(&b, ",Signature=");
    sb_add(&b, sig);
    free(sh);
    return sb_finish(&b, "Authorization header", err);
}

char *vsr_sigv4_presign_url(const vsr_sigv4_creds *creds, time_t t, long expires_s,
                            const char *method, const char *scheme, const char *host,
                            const char *path, vsr_error *err)
{
    if (expires_s < 1 || expires_s > VSR_SIGV4_MAX_EXPIRES) {
        vsr_error_set(err, VSR_ERR_INVALID,
                      "sigv4: presigned URL lifetime %ld s is outside 1..%ld s", expires_s,
                      VSR_SIGV4_MAX_EXPIRES);
        return NULL;
    }
    if (!method || !scheme || !host || !*host) {
        vsr_error_set(err, VSR_ERR_INVALID, "sigv4: presigning needs a method, scheme and host");
        return NULL;
    }
    if (check_creds(creds, err) < 0)
        return NULL;
    char amz_date[VSR_SIGV4_DATE_SIZE], expires[24], sig[VSR_SIGV4_HEX_SIZE];
    if (vsr_sigv4_amz_date(t, amz_date, err) < 0)
        return NULL;
    snprintf(expires, sizeof expires, "%ld", expires_s);
    sb cred = {0};
    sb_add_scope(&cred, creds, amz_date);
    char *credential = sb_finish(&cred, "credential", err);
    if (!credential)
        return NULL;

    /* Already in sorted order; the canonical query below sorts anyway. */
    vsr_sigv4_kv query[] = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", credential},
        {"X-Amz-Date", amz_date},
        {"X-Amz-Expires", expires},
        {"X-Amz-SignedHeaders", "host"},
    };
    vsr_sigv4_kv headers[] = {{"host", host}};
    vsr_sigv4_request req = {
        .method = method,
        .path = path,
        .query = query,
        .n_query = sizeof query / sizeof query[0],
        .headers = headers,
        .n_headers = 1,
        .payload_hash = VSR_SIGV4_UNSIGNED_PAYLOAD,
    };
    if (vsr_sigv4_signature(creds, t, &req, sig, NULL, err) < 0) {
        free(credential);
        return NULL;
    }
    sb b = {0};
    sb_add(&b, scheme);
    sb_add(&b, "://");
    sb_add(&b, host);
    if (!path || !*path)
        sb_addc(&b, '/');
    else
        sb_add_encoded(&b, path, true);
    for (size_t i = 0; i < req.n_query; i++) {
        sb_addc(&b, i ? '&' : '?');
        sb_add(&b, query[i].name);
        sb_addc(&b, '=');
        sb_add_encoded(&b, query[i].value, false);
    }
    sb_add(&b, "&X-Amz-Signature=");
    sb_add(&b, sig);
    free(credential);
    return sb_finish(&b, "presigned URL", err);
}
