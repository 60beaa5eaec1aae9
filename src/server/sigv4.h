/* AWS Signature Version 4 (HMAC-SHA256, OpenSSL), as S3 and S3-compatible
 * stores (MinIO, R2, ...) check it: canonical request, string to sign,
 * signing-key derivation, the Authorization header and presigned URLs.
 * Every function is pure: the signing time is an argument, so the AWS
 * published examples are exact tests (tests/unit/test_s3_sigv4.c).
 *
 * Strings in requests are given decoded (a key "my file$.mp4", not
 * "my%20file%24.mp4"): encoding happens here, once, by AWS's rules, so the
 * bytes signed and the bytes sent cannot disagree. */
#ifndef VSR_SERVER_SIGV4_H
#define VSR_SERVER_SIGV4_H

#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define VSR_SIGV4_HEX_SIZE 65  /* 64 lowercase hex digits and a NUL */
#define VSR_SIGV4_DATE_SIZE 17 /* "20130524T000000Z" and a NUL */
#define VSR_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define VSR_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define VSR_SIGV4_MAX_EXPIRES 604800L /* 7 days: the most S3 accepts */

typedef struct vsr_sigv4_kv {
    const char *name;
    const char *value; /* "" for a query parameter without a value */
} vsr_sigv4_kv;

/* Who signs and the credential scope. */
typedef struct vsr_sigv4_creds {
    const char *access_key;
    const char *secret_key;
    const char *region;  /* "us-east-1" */
    const char *service; /* "s3" */
} vsr_sigv4_creds;

typedef struct vsr_sigv4_request {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* decoded, absolute: "/bucket/key"; "" means "/" */
    const vsr_sigv4_kv *query;
    size_t n_query;
    /* The headers to sign, any case and order; must include host. For
     * header signing also x-amz-date (and, for S3, x-amz-content-sha256). */
    const vsr_sigv4_kv *headers;
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
} vsr_sigv4_request;

/* "YYYYMMDDTHHMMSSZ" (UTC) of t. */
int vsr_sigv4_amz_date(time_t t, char out[VSR_SIGV4_DATE_SIZE], vsr_error *err);

/* AWS URI encoding: A-Z a-z 0-9 - _ . ~ stay, every other byte becomes
 * %XX (uppercase hex); '/' stays when keep_slash (paths) and is encoded
 * otherwise (query names and values). Returns a malloc'ed string. */
char *vsr_sigv4_uri_encode(const char *s, bool keep_slash, vsr_error *err);

/* Lowercase hex SHA-256 of data. */
int vsr_sigv4_sha256_hex(const void *data, size_t n, char out[VSR_SIGV4_HEX_SIZE], vsr_error *err);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date8), region), service),
 * "aws4_request"), date8 = "YYYYMMDD". */
int vsr_sigv4_signing_key(const char *secret_key, const char *date8, const char *region,
                          const char *service, unsigned char out[32], vsr_error *err);

/* The canonical request (malloc'ed), and the signed-header list
 * ("host;x-amz-date", malloc'ed) when signed_headers is not NULL. */
char *vsr_sigv4_canonical_request(const vsr_sigv4_request *req, char **signed_headers,
                                  vsr_error *err);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date8>/<region>/<service>/aws4_request\n
 * <hex sha256 of canonical_request>" (malloc'ed). */
char *vsr_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                               const char *canonical_request, vsr_error *err);

/* The hex signature of req signed at time t. signed_headers as above. */
int vsr_sigv4_signature(const vsr_sigv4_creds *creds, time_t t, const vsr_sigv4_request *req,
                        char sig[VSR_SIGV4_HEX_SIZE], char **signed_headers, vsr_error *err);

/* The Authorization header value (malloc'ed) for req signed at time t:
 * "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
 * SignedHeaders=...,Signature=...". The x-amz-date header in req must be
 * vsr_sigv4_amz_date(t). */
char *vsr_sigv4_authorization(const vsr_sigv4_creds *creds, time_t t, const vsr_sigv4_request *req,
                              vsr_error *err);

/* A presigned URL (query-string signing, malloc'ed):
 * <scheme>://<host><encoded path>?X-Amz-Algorithm=...&X-Amz-Signature=...
 * host is exactly the Host header a client will send ("h" or "h:port",
 * the port only when not the scheme's default); the only signed header is
 * host and the payload is UNSIGNED-PAYLOAD, as S3 requires for presigned
 * URLs. expires_s in 1..VSR_SIGV4_MAX_EXPIRES. */
char *vsr_sigv4_presign_url(const vsr_sigv4_creds *creds, time_t t, long expires_s,
                            const char *method, const char *scheme, const char *host,
                            const char *path, vsr_error *err);

#endif
