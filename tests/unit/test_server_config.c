/* vsr serve's settings: the JSON file (types, unknown keys, syntax errors
 * with their line), the environment over the file, and validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/server_config.h"
#include "test_util.h"

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

int main(void)
{
    const char *t = getenv("VSR_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/server_config", t ? t : "/tmp");
    mkdir(dir, 0755);
    vsr_error err;
    vsr_error_clear(&err);
    vsr_server_config c;

    /* Defaults: Vidaio's limits, loopback, 7-day links, valid as they are. */
    vsr_server_config_default(&c);
    CHECK(c.max_running == 2 && c.max_queued == 5 && c.listen_port == 29115);
    CHECK(c.presign_expiry_s == 604800 && c.delete_after_s == 600);
    CHECK(c.service_presign_expiry_s == 3600);
    CHECK(!c.download.allow_private);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_OK);

    /* A file sets what it names. */
    const char *good = write_file("good.json", "{\"max_running\": 3, \"root\": \"/srv/v\",\n"
                                               " \"allow_private_urls\": true, \"threads\": 4,\n"
                                               " \"download_max_bytes\": 5000000000,\n"
                                               " \"operator_id\": \"op-file\"}\n");
    CHECK(vsr_server_config_load_file(&c, good, &err) == VSR_OK);
    CHECK(c.operator_id && !strcmp(c.operator_id, "op-file"));
    CHECK(c.max_running == 3 && c.root && !strcmp(c.root, "/srv/v"));
    CHECK(c.download.allow_private == 1 && c.engine.config.threads == 4);
    CHECK(c.download.max_bytes == 5000000000LL);

    /* Refusals name the file and the setting. */
    const char *unknown = write_file("unknown.json", "{\"max_runing\": 3}");
    CHECK(vsr_server_config_load_file(&c, unknown, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "unknown setting \"max_runing\"") && strstr(err.msg, "unknown.json"),
              "%s", err.msg);
    const char *type = write_file("type.json", "{\"max_queued\": \"5\"}");
    CHECK(vsr_server_config_load_file(&c, type, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "\"max_queued\" must be an integer"), "%s", err.msg);
    const char *neg = write_file("neg.json", "{\"workers\": -1}");
    CHECK(vsr_server_config_load_file(&c, neg, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "out of range"), "%s", err.msg);
    const char *syntax = write_file("syntax.json", "{\n\"max_queued\": 5,\n}");
    CHECK(vsr_server_config_load_file(&c, syntax, &err) == VSR_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "line 3"), "%s", err.msg);
    const char *dup = write_file("dup.json", "{\"workers\": 1, \"workers\": 2}");
    CHECK(vsr_server_config_load_file(&c, dup, &err) == VSR_ERR_FORMAT);
    CHECK(vsr_server_config_load_file(&c, "/nonexistent/x.json", &err) == VSR_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "/nonexistent/x.json"), "%s", err.msg);

    /* The environment wins over the file; storage must come whole. */
    const char *s3 = write_file("s3.json", "{\"bucket\": \"from-file\"}");
    CHECK(vsr_server_config_load_file(&c, s3, &err) == VSR_OK);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "BUCKET_COMPATIBLE_ENDPOINT"), "%s", err.msg);
    setenv("BUCKET_NAME", "from-env", 1);
    setenv("BUCKET_COMPATIBLE_ENDPOINT", "http://127.0.0.1:9", 1);
    setenv("VSR_OPERATOR_ID", "op-env", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(c.operator_id && !strcmp(c.operator_id, "op-env"));
    CHECK(!strcmp(c.bucket, "from-env") && vsr_server_config_has_storage(&c));
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID); /* no keys */
    setenv("BUCKET_COMPATIBLE_ACCESS_KEY", "ak", 1);
    setenv("BUCKET_COMPATIBLE_SECRET_KEY", "sk", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID); /* no deletions db */
    CHECK_MSG(strstr(err.msg, "deletions_db"), "%s", err.msg);
    CHECK(vsr_server_config_set(&c.deletions_db, "/tmp/x.sqlite", &err) == VSR_OK);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_OK);

    /* Limits: SigV4 links live at most 7 days; connections cover the jobs. */
    c.presign_expiry_s = 604801;
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
    c.presign_expiry_s = 3600;
    c.max_connections = c.max_running + c.max_queued;
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "max_connections"), "%s", err.msg);

    /* HTTPS and the GPU worker: the pair of files, the caps, the token
     * (validator-vidaio's name for it, vsr's own winning). */
    c.max_connections = 64;
    const char *tls = write_file("tls.json", "{\"tls_cert\": \"/etc/vsr/cert.pem\",\n"
                                             " \"gpu_max_input_bytes\": 1000}");
    CHECK(vsr_server_config_load_file(&c, tls, &err) == VSR_OK);
    CHECK(c.gpu_max_input_bytes == 1000 && c.gpu_max_output_bytes == 4LL << 30);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "tls_key"), "%s", err.msg);
    CHECK(vsr_server_config_set(&c.tls_key, "/etc/vsr/key.pem", &err) == VSR_OK);
    CHECK(vsr_server_config_validate(&c, &err) == VSR_OK);
    setenv("VIDAIO_NEXT_GPU_AUTH_TOKEN", "from-vidaio", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(c.gpu_token && !strcmp(c.gpu_token, "from-vidaio"));
    setenv("VSR_GPU_TOKEN", "from-vsr", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(c.gpu_token && !strcmp(c.gpu_token, "from-vsr"));
    CHECK(vsr_server_config_validate(&c, &err) == VSR_OK);
    const char *bad_tokens[] = {" lead", "trail ", "two\nlines"};
    for (int i = 0; i < 3; i++) {
        CHECK(vsr_server_config_set(&c.gpu_token, bad_tokens[i], &err) == VSR_OK);
        CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
        CHECK_MSG(strstr(err.msg, "gpu_token"), "%s", err.msg);
    }
    CHECK(vsr_server_config_set(&c.gpu_token, "ok", &err) == VSR_OK);
    c.gpu_max_output_bytes = 0;
    CHECK(vsr_server_config_validate(&c, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "gpu_max_output_bytes"), "%s", err.msg);

    vsr_server_config_free(&c);

    /* vidaio-subnet's storage names win over the BUCKET_* aliases; a
     * bucket without an endpoint is AWS's in its region; the presigned
     * links' lifetime, clamped to 7 days. */
    vsr_server_config_default(&c);
    unsetenv("BUCKET_COMPATIBLE_ENDPOINT");
    setenv("BUCKET_NAME", "old-name", 1);
    setenv("MINER_STORAGE_S3_BUCKET_NAME", "new-name", 1);
    setenv("MINER_STORAGE_S3_REGION", "us-east-005", 1);
    setenv("MINER_STORAGE_S3_PRESIGNED_EXPIRY", "3600", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(c.bucket && !strcmp(c.bucket, "new-name"));
    CHECK_MSG(c.endpoint && !strcmp(c.endpoint, "https://s3.us-east-005.amazonaws.com"), "%s",
              c.endpoint ? c.endpoint : "(none)");
    CHECK(c.service_presign_expiry_s == 3600 && c.presign_expiry_s == 604800);
    setenv("MINER_STORAGE_S3_ENDPOINT", "https://a.example", 1);
    setenv("MINER_STORAGE_S3_ENDPOINT_URL", "https://b.example", 1);
    setenv("MINER_STORAGE_S3_ACCESS_KEY_ID", "new-ak", 1);
    setenv("MINER_STORAGE_S3_PRESIGNED_EXPIRY", "999999999", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_OK);
    CHECK(!strcmp(c.endpoint, "https://b.example") && !strcmp(c.access_key, "new-ak"));
    CHECK(c.service_presign_expiry_s == 604800);
    setenv("MINER_STORAGE_S3_PRESIGNED_EXPIRY", "an hour", 1);
    CHECK(vsr_server_config_load_env(&c, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "MINER_STORAGE_S3_PRESIGNED_EXPIRY"), "%s", err.msg);
    vsr_server_config_free(&c);
    return test_report("test_server_config");
}
