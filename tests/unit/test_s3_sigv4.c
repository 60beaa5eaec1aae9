/* SigV4 against AWS's published examples:
 * - S3 API Reference, "Authenticating Requests: Using Query Parameters"
 *   (presigned GET of examplebucket/test.txt, signature aeeed9bb...);
 * - S3 API Reference, "Signature Calculations for the Authorization Header:
 *   Transferring Payload in a Single Chunk": GET Object (f0e8bdb8...), PUT
 *   Object (98ad7217...), GET Bucket Lifecycle (fea454ca...), Get Bucket
 *   list objects (34b48302...);
 * - IAM/General Reference, "Examples of how to derive a signing key"
 *   (20120215/us-east-1/iam, f4780e2d...);
 * - the SigV4 test suite's get-vanilla and get-vanilla-query-order-key-case.
 * A single wrong byte anywhere in the canonicalisation changes these
 * signatures, so they pin the whole algorithm. */
#include "server/sigv4.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T_20130524 ((time_t)1369353600) /* 2013-05-24T00:00:00Z */
#define T_20150830 ((time_t)1440938160) /* 2015-08-30T12:36:00Z */

static const vsr_sigv4_creds s3_creds = {S3_AK, S3_SK, "us-east-1", "s3"};

static void hex_of(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_signing_key(void)
{
    unsigned char key[32];
    char hex[65];
    vsr_error err = {0};
    CHECK(vsr_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
                                "iam", key, &err) == VSR_OK);
    hex_of(key, 32, hex);
    CHECK_MSG(strcmp(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d") == 0,
              "signing key %s", hex);
    CHECK(vsr_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", "20120215", "us-east-1",
                                "iam", key, &err) == VSR_OK);
    hex_of(key, 32, hex);
    CHECK(strcmp(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d") != 0);
}

static void test_helpers(void)
{
    vsr_error err = {0};
    char d[VSR_SIGV4_DATE_SIZE];
    CHECK(vsr_sigv4_amz_date(T_20130524, d, &err) == VSR_OK && strcmp(d, "20130524T000000Z") == 0);
    CHECK(vsr_sigv4_amz_date((time_t)951782400, d, &err) == VSR_OK &&
          strcmp(d, "20000229T000000Z") == 0);

    char hex[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_sha256_hex("", 0, hex, &err) == VSR_OK &&
          strcmp(hex, VSR_SIGV4_EMPTY_SHA256) == 0);
    const char *body = "Welcome to Amazon S3.";
    CHECK(vsr_sigv4_sha256_hex(body, strlen(body), hex, &err) == VSR_OK &&
          strcmp(hex, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072") == 0);

    struct {
        const char *in;
        bool keep_slash;
        const char *want;
    } enc[] = {
        {"a b/c", true, "a%20b/c"},
        {"a b/c", false, "a%20b%2Fc"},
        {"-_.~AZaz09", false, "-_.~AZaz09"},
        {"\xc3\xb1", false, "%C3%B1"},
        {"+*=&?%$", true, "%2B%2A%3D%26%3F%25%24"},
        {"", false, ""},
    };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        char *got = vsr_sigv4_uri_encode(enc[i].in, enc[i].keep_slash, &err);
        CHECK_MSG(got && strcmp(got, enc[i].want) == 0, "encode '%s': '%s', want '%s'", enc[i].in,
                  got ? got : "(null)", enc[i].want);
        free(got);
    }
}

/* Example: GET Object (the first 10 bytes of test.txt). */
static void test_get_object(void)
{
    vsr_error err = {0};
    vsr_sigv4_kv headers[] = {
        /* deliberately unsorted and mixed case: canonicalisation sorts and
         * lowercases */
        {"x-amz-date", "20130524T000000Z"},
        {"Range", "bytes=0-9"},
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"x-amz-content-sha256", VSR_SIGV4_EMPTY_SHA256},
    };
    vsr_sigv4_request req = {
        .method = "GET",
        .path = "/test.txt",
        .headers = headers,
        .n_headers = 4,
        .payload_hash = VSR_SIGV4_EMPTY_SHA256,
    };
    char *sh = NULL;
    char *creq = vsr_sigv4_canonical_request(&req, &sh, &err);
    const char *want_creq = "GET\n/test.txt\n\n"
                            "host:examplebucket.s3.amazonaws.com\n"
                            "range:bytes=0-9\n"
                            "x-amz-content-sha256:" VSR_SIGV4_EMPTY_SHA256 "\n"
                            "x-amz-date:20130524T000000Z\n\n"
                            "host;range;x-amz-content-sha256;x-amz-date\n" VSR_SIGV4_EMPTY_SHA256;
    CHECK_MSG(creq && strcmp(creq, want_creq) == 0, "canonical request:\n%s", creq ? creq : "");
    CHECK(sh && strcmp(sh, "host;range;x-amz-content-sha256;x-amz-date") == 0);

    char *sts =
        creq ? vsr_sigv4_string_to_sign("20130524T000000Z", "us-east-1", "s3", creq, &err) : NULL;
    CHECK_MSG(
        sts && strcmp(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
                           "20130524/us-east-1/s3/aws4_request\n"
                           "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972") == 0,
        "string to sign:\n%s", sts ? sts : "");

    char sig[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_signature(&s3_creds, T_20130524, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == 0,
              "signature %s", sig);

    char *auth = vsr_sigv4_authorization(&s3_creds, T_20130524, &req, &err);
    CHECK_MSG(auth && strcmp(auth, "AWS4-HMAC-SHA256 "
                                   "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                   "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;"
                                   "x-amz-date,Signature="
                                   "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb4"
                                   "1") == 0,
              "authorization %s", auth ? auth : "(null)");

    /* A wrong secret, or one changed header byte, gives another signature. */
    vsr_sigv4_creds wrong = s3_creds;
    wrong.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz";
    char sig2[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_signature(&wrong, T_20130524, &req, sig2, NULL, &err) == VSR_OK);
    CHECK(strcmp(sig, sig2) != 0);
    headers[1].value = "bytes=0-8";
    CHECK(vsr_sigv4_signature(&s3_creds, T_20130524, &req, sig2, NULL, &err) == VSR_OK);
    CHECK(strcmp(sig, sig2) != 0);
    free(creq);
    free(sh);
    free(sts);
    free(auth);
}

/* Example: PUT Object: a body, a Date header, and a key that needs
 * encoding ('$' -> %24, once). */
static void test_put_object(void)
{
    vsr_error err = {0};
    char body_hash[VSR_SIGV4_HEX_SIZE];
    const char *body = "Welcome to Amazon S3.";
    CHECK(vsr_sigv4_sha256_hex(body, strlen(body), body_hash, &err) == VSR_OK);
    vsr_sigv4_kv headers[] = {
        {"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-date", "20130524T000000Z"},         {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"x-amz-content-sha256", body_hash},
    };
    vsr_sigv4_request req = {
        .method = "PUT",
        .path = "/test$file.text",
        .headers = headers,
        .n_headers = 5,
        .payload_hash = body_hash,
    };
    char *creq = vsr_sigv4_canonical_request(&req, NULL, &err);
    CHECK(creq && strncmp(creq, "PUT\n/test%24file.text\n\ndate:", 28) == 0);
    char *sts =
        creq ? vsr_sigv4_string_to_sign("20130524T000000Z", "us-east-1", "s3", creq, &err) : NULL;
    CHECK_MSG(sts &&
                  strstr(sts, "\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"),
              "string to sign:\n%s", sts ? sts : "");
    char sig[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_signature(&s3_creds, T_20130524, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") == 0,
              "signature %s", sig);
    free(creq);
    free(sts);
}

/* Examples: GET Bucket Lifecycle (a query parameter without a value) and
 * list objects (query parameters sorted). */
static void test_bucket_queries(void)
{
    vsr_error err = {0};
    vsr_sigv4_kv headers[] = {
        {"host", "examplebucket.s3.amazonaws.com"},
        {"x-amz-date", "20130524T000000Z"},
        {"x-amz-content-sha256", VSR_SIGV4_EMPTY_SHA256},
    };
    vsr_sigv4_kv lifecycle[] = {{"lifecycle", ""}};
    vsr_sigv4_request req = {
        .method = "GET",
        .path = "/",
        .query = lifecycle,
        .n_query = 1,
        .headers = headers,
        .n_headers = 3,
        .payload_hash = VSR_SIGV4_EMPTY_SHA256,
    };
    char sig[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_signature(&s3_creds, T_20130524, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543") == 0,
              "lifecycle signature %s", sig);

    vsr_sigv4_kv list[] = {{"prefix", "J"}, {"max-keys", "2"}}; /* unsorted on purpose */
    req.query = list;
    req.n_query = 2;
    CHECK(vsr_sigv4_signature(&s3_creds, T_20130524, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == 0,
              "list signature %s", sig);
}

/* The generic SigV4 test suite (service "service", not S3). */
static void test_suite_vanilla(void)
{
    vsr_error err = {0};
    const vsr_sigv4_creds creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   "us-east-1", "service"};
    vsr_sigv4_kv headers[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    vsr_sigv4_request req = {
        .method = "GET",
        .path = "/",
        .headers = headers,
        .n_headers = 2,
        .payload_hash = VSR_SIGV4_EMPTY_SHA256,
    };
    char sig[VSR_SIGV4_HEX_SIZE];
    CHECK(vsr_sigv4_signature(&creds, T_20150830, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") == 0,
              "get-vanilla %s", sig);
    vsr_sigv4_kv q[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    req.query = q;
    req.n_query = 2;
    CHECK(vsr_sigv4_signature(&creds, T_20150830, &req, sig, NULL, &err) == VSR_OK);
    CHECK_MSG(strcmp(sig, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") == 0,
              "get-vanilla-query-order-key-case %s", sig);
}

static void test_canonical_details(void)
{
    vsr_error err = {0};
    /* Values trimmed, inner spaces collapsed; a repeated header joined with
     * commas in the order given; the host check. */
    vsr_sigv4_kv headers[] = {
        {"My-Header", "  a   b  "},
        {"host", "h:9000"},
        {"x-amz-meta-x", "2"},
        {"X-Amz-Meta-X", "1"},
    };
    vsr_sigv4_request req = {
        .method = "GET",
        .path = "",
        .headers = headers,
        .n_headers = 4,
        .payload_hash = VSR_SIGV4_UNSIGNED_PAYLOAD,
    };
    char *sh = NULL;
    char *creq = vsr_sigv4_canonical_request(&req, &sh, &err);
    CHECK_MSG(creq && strcmp(creq, "GET\n/\n\nhost:h:9000\nmy-header:a b\nx-amz-meta-x:2,1\n\n"
                                   "host;my-header;x-amz-meta-x\nUNSIGNED-PAYLOAD") == 0,
              "canonical:\n%s", creq ? creq : "");
    free(creq);
    free(sh);
    req.headers = headers;
    req.n_headers = 1;
    CHECK(vsr_sigv4_canonical_request(&req, NULL, &err) == NULL && err.code == VSR_ERR_INVALID &&
          strstr(err.msg, "host"));
}

static void test_presign(void)
{
    vsr_error err = {0};
    char *url = vsr_sigv4_presign_url(&s3_creds, T_20130524, 86400, "GET", "https",
                                      "examplebucket.s3.amazonaws.com", "/test.txt", &err);
    const char *want =
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    CHECK_MSG(url && strcmp(url, want) == 0, "presigned URL\n%s\nwant\n%s", url ? url : err.msg,
              want);
    free(url);

    vsr_sigv4_creds wrong = s3_creds;
    wrong.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEx";
    url = vsr_sigv4_presign_url(&wrong, T_20130524, 86400, "GET", "https",
                                "examplebucket.s3.amazonaws.com", "/test.txt", &err);
    CHECK(url && strstr(url, "X-Amz-Signature=") && !strstr(url, "aeeed9bbccd4d02ee5c0109b"));
    free(url);

    /* Path-style with a port and a key needing encoding. */
    url = vsr_sigv4_presign_url(&s3_creds, T_20130524, 604800, "GET", "http", "127.0.0.1:9000",
                                "/bucket/dir/a b+c.mp4", &err);
    CHECK_MSG(url && strncmp(url, "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc.mp4?", 47) == 0 &&
                  strstr(url, "&X-Amz-Expires=604800&"),
              "%s", url ? url : err.msg);
    free(url);

    /* Lifetimes outside 1 s .. 7 days are refused. */
    CHECK(vsr_sigv4_presign_url(&s3_creds, T_20130524, 0, "GET", "https", "h", "/k", &err) ==
              NULL &&
          err.code == VSR_ERR_INVALID);
    CHECK(vsr_sigv4_presign_url(&s3_creds, T_20130524, 604801, "GET", "https", "h", "/k", &err) ==
          NULL);
    vsr_sigv4_creds none = s3_creds;
    none.secret_key = "";
    CHECK(vsr_sigv4_presign_url(&none, T_20130524, 60, "GET", "https", "h", "/k", &err) == NULL &&
          err.code == VSR_ERR_INVALID);
}

int main(void)
{
    test_signing_key();
    test_helpers();
    test_get_object();
    test_put_object();
    test_bucket_queries();
    test_suite_vanilla();
    test_canonical_details();
    test_presign();
    return test_report("test_s3_sigv4");
}
