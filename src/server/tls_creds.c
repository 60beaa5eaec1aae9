#include "server/tls_creds.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/x509.h>

#include "util/file_read.h"

/* A chain longer than this is not a server certificate chain. */
#define MAX_CHAIN 16
/* PEM files of a certificate chain or a key are a few KB. */
#define MAX_PEM_BYTES (1 << 20)

typedef struct cert_set {
    gnutls_pcert_st pcerts[MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
    char about[256];           /* subject and expiry */
    struct cert_set *replaced; /* older sets, freed with the holder */
} cert_set;

struct vsr_tls_creds {
    pthread_mutex_t lock;
    char *cert_path, *key_path;
    cert_set *current;
};

static void set_free(cert_set *s)
{
    while (s) {
        cert_set *older = s->replaced;
        for (unsigned i = 0; i < s->n; i++)
            gnutls_pcert_deinit(&s->pcerts[i]);
        if (s->key)
            gnutls_privkey_deinit(s->key);
        free(s);
        s = older;
    }
}

static void describe(const gnutls_datum_t *cert_pem, char *buf, size_t size)
{
    gnutls_x509_crt_t crt;
    snprintf(buf, size, "?");
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, cert_pem, GNUTLS_X509_FMT_PEM) >= 0) {
        char dn[160];
        size_t dn_len = sizeof dn;
        if (gnutls_x509_crt_get_dn(crt, dn, &dn_len) < 0)
            snprintf(dn, sizeof dn, "?");
        time_t until = gnutls_x509_crt_get_expiration_time(crt);
        struct tm tm;
        char when[32] = "?";
        if (until != (time_t)-1 && gmtime_r(&until, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(buf, size, "%s, valid until %s", dn, when);
    }
    gnutls_x509_crt_deinit(crt);
}

/* Reads both files into a new set; checks that the key is the
 * certificate's. */
static int load_set(const char *cert_path, const char *key_path, cert_set **out, vsr_error *err)
{
    *out = NULL;
    unsigned char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    int st = vsr_read_file(cert_path, MAX_PEM_BYTES, "a PEM certificate", &cert, &cert_len, err);
    if (st < 0) {
        vsr_error_prefix(err, "TLS certificate");
        return st;
    }
    if ((st = vsr_read_file(key_path, MAX_PEM_BYTES, "a PEM private key", &key, &key_len, err)) <
        0) {
        free(cert);
        vsr_error_prefix(err, "TLS key");
        return st;
    }
    gnutls_datum_t cd = {cert, (unsigned)cert_len}, kd = {key, (unsigned)key_len};
    cert_set *s = calloc(1, sizeof *s);
    gnutls_certificate_credentials_t check = NULL;
    int rc;
    if (!s) {
        st = vsr_error_set(err, VSR_ERR_NOMEM, "TLS: out of memory");
        goto done;
    }
    /* GnuTLS's own pairing of the two: a key of another certificate, or a
     * file that is not what it should be, is refused here, before the
     * set is used. */
    if ((rc = gnutls_certificate_allocate_credentials(&check)) < 0 ||
        (rc = gnutls_certificate_set_x509_key_mem2(check, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) <
            0) {
        st = vsr_error_set(err, VSR_ERR_INVALID, "TLS certificate %s with key %s: %s", cert_path,
                           key_path, gnutls_strerror(rc));
        goto done;
    }
    s->n = MAX_CHAIN;
    if ((rc = gnutls_pcert_list_import_x509_raw(s->pcerts, &s->n, &cd, GNUTLS_X509_FMT_PEM, 0)) <
        0) {
        s->n = 0;
        st = vsr_error_set(err, VSR_ERR_INVALID, "TLS certificate %s: %s", cert_path,
                           gnutls_strerror(rc));
        goto done;
    }
    if ((rc = gnutls_privkey_init(&s->key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(s->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        st = vsr_error_set(err, VSR_ERR_INVALID, "TLS key %s: %s", key_path, gnutls_strerror(rc));
        goto done;
    }
    describe(&cd, s->about, sizeof s->about);
    *out = s;
    s = NULL;
done:
    if (check)
        gnutls_certificate_free_credentials(check);
    set_free(s);
    /* The key's bytes do not linger in freed memory. */
    gnutls_memset(key, 0, key_len);
    free(key);
    free(cert);
    return st;
}

int vsr_tls_creds_create(const char *cert_path, const char *key_path, vsr_tls_creds **out,
                         vsr_error *err)
{
    *out = NULL;
    vsr_tls_creds *c = calloc(1, sizeof *c);
    if (!c || !(c->cert_path = strdup(cert_path)) || !(c->key_path = strdup(key_path))) {
        if (c)
            free(c->cert_path);
        free(c);
        return vsr_error_set(err, VSR_ERR_NOMEM, "TLS: out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    int st = load_set(cert_path, key_path, &c->current, err);
    if (st < 0) {
        vsr_tls_creds_destroy(c);
        return st;
    }
    *out = c;
    return VSR_OK;
}

int vsr_tls_creds_reload(vsr_tls_creds *c, vsr_error *err)
{
    cert_set *s;
    int st = load_set(c->cert_path, c->key_path, &s, err);
    if (st < 0)
        return st;
    pthread_mutex_lock(&c->lock);
    s->replaced = c->current;
    c->current = s;
    pthread_mutex_unlock(&c->lock);
    return VSR_OK;
}

void vsr_tls_creds_current(vsr_tls_creds *c, gnutls_pcert_st **pcerts, unsigned *n,
                           gnutls_privkey_t *key)
{
    pthread_mutex_lock(&c->lock);
    *pcerts = c->current->pcerts;
    *n = c->current->n;
    *key = c->current->key;
    pthread_mutex_unlock(&c->lock);
}

void vsr_tls_creds_describe(vsr_tls_creds *c, char *buf, size_t size)
{
    pthread_mutex_lock(&c->lock);
    snprintf(buf, size, "%s", c->current ? c->current->about : "none");
    pthread_mutex_unlock(&c->lock);
}

void vsr_tls_creds_destroy(vsr_tls_creds *c)
{
    if (!c)
        return;
    set_free(c->current);
    pthread_mutex_destroy(&c->lock);
    free(c->cert_path);
    free(c->key_path);
    free(c);
}
