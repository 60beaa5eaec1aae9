/* The TLS certificate and key of `vsr serve` (PEM files), held in GnuTLS
 * form for libmicrohttpd's certificate callback, and replaced in place
 * when the files change (SIGHUP).
 *
 * Why a callback and credentials of our own: libmicrohttpd 0.9.75 reads
 * MHD_OPTION_HTTPS_MEM_CERT/KEY once, into credentials it owns, and has no
 * way to replace them. The alternative, quiescing the daemon and starting
 * another on the same socket, keeps the old daemon alive until its longest
 * request ends (a job may run for 10 minutes) and makes two daemons to
 * track and stop. With MHD_OPTION_HTTPS_CERT_CALLBACK every handshake asks
 * us for the certificate: it gets the current set under a lock, and a
 * reload swaps in a new set built and checked (the key must match the
 * certificate) before anything changes; a failed reload keeps the old one.
 * A handshake may still use the set it was given after a swap, so replaced
 * sets are freed with the holder, when the server stops (a few KB each). */
#ifndef VSR_SERVER_TLS_CREDS_H
#define VSR_SERVER_TLS_CREDS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "util/error.h"

typedef struct vsr_tls_creds vsr_tls_creds;

/* Loads cert_path (the certificate, then any chain, PEM) and key_path (its
 * private key, PEM); errors name the file and GnuTLS's reason. */
int vsr_tls_creds_create(const char *cert_path, const char *key_path, vsr_tls_creds **out,
                         vsr_error *err);

/* Reads the same two files again and swaps them in; on failure the old
 * certificate stays in use. */
int vsr_tls_creds_reload(vsr_tls_creds *c, vsr_error *err);

/* The current certificate chain and key, as a
 * gnutls_certificate_retrieve_function2 hands them out; they stay valid
 * until vsr_tls_creds_destroy. */
void vsr_tls_creds_current(vsr_tls_creds *c, gnutls_pcert_st **pcerts, unsigned *n,
                           gnutls_privkey_t *key);

/* The current certificate's subject and expiry, for the log. */
void vsr_tls_creds_describe(vsr_tls_creds *c, char *buf, size_t size);

void vsr_tls_creds_destroy(vsr_tls_creds *c);

#endif
