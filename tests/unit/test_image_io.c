/* image_io: PNG round trips are lossless, JPEG round trips are close, bad
 * names and paths fail cleanly and leave no file behind, bad inputs are
 * refused with the file's name. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/image_io.h"
#include "test_util.h"

static char dir[1024];

static const char *tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Files in dir whose name starts with '.' (the writer's temporaries). */
static int count_hidden(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(dp);
    return n;
}

/* A noisy RGB24 image: every value 0..255 occurs, neighbours differ. */
static void fill_noise(vsr_image *img, uint32_t seed)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = (uint8_t *)img->data + (size_t)y * img->stride;
        for (int i = 0; i < img->width * 3; i++) {
            seed = seed * 1664525u + 1013904223u;
            row[i] = (uint8_t)(seed >> 24);
        }
    }
}

/* A smooth image, which JPEG keeps well. */
static void fill_gradient(vsr_image *img)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = (uint8_t *)img->data + (size_t)y * img->stride;
        for (int x = 0; x < img->width; x++) {
            row[3 * x + 0] = (uint8_t)(x * 255 / (img->width - 1));
            row[3 * x + 1] = (uint8_t)(y * 255 / (img->height - 1));
            row[3 * x + 2] = (uint8_t)((x + y) * 255 / (img->width + img->height - 2));
        }
    }
}

static int same_pixels(const vsr_image *a, const vsr_image *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int y = 0; y < a->height; y++)
        if (memcmp((const uint8_t *)a->data + (size_t)y * a->stride,
                   (const uint8_t *)b->data + (size_t)y * b->stride, (size_t)a->width * 3))
            return 0;
    return 1;
}

static double psnr(const vsr_image *a, const vsr_image *b)
{
    double sq = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *pa = (const uint8_t *)a->data + (size_t)y * a->stride;
        const uint8_t *pb = (const uint8_t *)b->data + (size_t)y * b->stride;
        for (int i = 0; i < a->width * 3; i++)
            sq += (double)(pa[i] - pb[i]) * (pa[i] - pb[i]);
    }
    double mse = sq / ((double)a->width * a->height * 3);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 999.0;
}

static void test_png_round_trip(void)
{
    char p[1200];
    vsr_error err = {0};
    /* odd sizes: no row or chroma alignment to hide behind */
    vsr_image img, back;
    CHECK(vsr_image_alloc(&img, 37, 23, VSR_PIX_RGB24, &err) == 0);
    fill_noise(&img, 1);
    CHECK_MSG(vsr_image_write(tmp_path(p, sizeof p, "rt.png"), &img, NULL, &err) == 0, "%s",
              err.msg);
    CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
    CHECK(back.format == VSR_PIX_RGB24);
    CHECK(back.width == 37 && back.height == 23);
    CHECK(same_pixels(&img, &back));
    vsr_image_free(&back);

    /* overwriting an existing file replaces it whole */
    fill_noise(&img, 2);
    CHECK_MSG(vsr_image_write(p, &img, NULL, &err) == 0, "%s", err.msg);
    CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
    CHECK(same_pixels(&img, &back));
    vsr_image_free(&back);
    CHECK(count_hidden(dir) == 0);

    /* the extension's case does not matter */
    CHECK_MSG(vsr_image_write(tmp_path(p, sizeof p, "upper.PNG"), &img, NULL, &err) == 0, "%s",
              err.msg);
    CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
    CHECK(same_pixels(&img, &back));
    vsr_image_free(&back);
    vsr_image_free(&img);
}

static void test_padded_stride(void)
{
    char p[1200];
    vsr_error err = {0};
    vsr_image img = {.width = 9, .height = 5, .format = VSR_PIX_RGB24, .stride = 9 * 3 + 13};
    img.data = calloc(img.stride, (size_t)img.height);
    CHECK(img.data != NULL);
    if (!img.data)
        return;
    fill_noise(&img, 3);
    vsr_image back;
    CHECK_MSG(vsr_image_write(tmp_path(p, sizeof p, "stride.png"), &img, NULL, &err) == 0, "%s",
              err.msg);
    CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
    CHECK(same_pixels(&img, &back));
    vsr_image_free(&back);
    free(img.data);
}

static void test_float_input(void)
{
    char p[1200];
    vsr_error err = {0};
    static const float px[2 * 3] = {-0.5f, 0.0f, 0.5f, 1.0f, 1.5f, 0.25f};
    vsr_image img = {
        .width = 2, .height = 1, .format = VSR_PIX_RGBF32, .stride = sizeof px, .data = (void *)px};
    vsr_image back;
    CHECK_MSG(vsr_image_write(tmp_path(p, sizeof p, "float.png"), &img, NULL, &err) == 0, "%s",
              err.msg);
    CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
    if (back.data) {
        const uint8_t *b = back.data;
        /* clamp(round(x * 255)): 0.5 * 255 = 127.5 rounds to even, 128 */
        CHECK(b[0] == 0 && b[1] == 0 && b[2] == 128 && b[3] == 255 && b[4] == 255);
        CHECK(b[5] == 64);
    }
    vsr_image_free(&back);
}

static void test_jpeg(void)
{
    char p[1200];
    vsr_error err = {0};
    vsr_image img, back;
    CHECK(vsr_image_alloc(&img, 64, 48, VSR_PIX_RGB24, &err) == 0);
    fill_gradient(&img);
    vsr_image_write_options opt;
    vsr_image_write_options_default(&opt);
    for (int c444 = 0; c444 <= 1; c444++) {
        opt.jpeg_chroma444 = c444;
        CHECK_MSG(vsr_image_write(tmp_path(p, sizeof p, c444 ? "q444.jpg" : "q420.jpeg"), &img,
                                  &opt, &err) == 0,
                  "%s", err.msg);
        CHECK_MSG(vsr_image_read(p, &back, &err) == 0, "%s", err.msg);
        CHECK(back.width == 64 && back.height == 48);
        double q = back.data ? psnr(&img, &back) : 0;
        CHECK_MSG(q >= 35.0, "JPEG (444=%d) round trip PSNR %.2f dB", c444, q);
        vsr_image_free(&back);
    }
    /* lower quality, smaller file */
    struct stat hi, lo;
    opt.jpeg_chroma444 = 0;
    opt.jpeg_quality = 100;
    CHECK(vsr_image_write(tmp_path(p, sizeof p, "q100.jpg"), &img, &opt, &err) == 0);
    CHECK(stat(p, &hi) == 0);
    opt.jpeg_quality = 10;
    CHECK(vsr_image_write(tmp_path(p, sizeof p, "q10.jpg"), &img, &opt, &err) == 0);
    CHECK(stat(p, &lo) == 0);
    CHECK_MSG(lo.st_size < hi.st_size, "q10 %lld bytes, q100 %lld bytes", (long long)lo.st_size,
              (long long)hi.st_size);
    opt.jpeg_quality = 101;
    CHECK(vsr_image_write(tmp_path(p, sizeof p, "q101.jpg"), &img, &opt, &err) == VSR_ERR_INVALID);
    CHECK(!file_exists(p));
    vsr_image_free(&img);
}

static void test_write_failures(void)
{
    char p[1200];
    vsr_error err = {0};
    vsr_image img;
    CHECK(vsr_image_alloc(&img, 8, 8, VSR_PIX_RGB24, &err) == 0);
    fill_noise(&img, 4);

    vsr_image_file_format ff;
    CHECK(vsr_image_file_format_from_path("a/b.JPG", &ff, &err) == 0 && ff == VSR_IMAGE_FILE_JPEG);
    CHECK(vsr_image_file_format_from_path("x.png.gif", &ff, &err) == VSR_ERR_UNSUPPORTED);
    CHECK(vsr_image_file_format_from_path("dir.png/x", &ff, &err) == VSR_ERR_UNSUPPORTED);

    CHECK(vsr_image_write(tmp_path(p, sizeof p, "out.gif"), &img, NULL, &err) ==
          VSR_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, ".png") != NULL);
    CHECK(!file_exists(p));

    CHECK(vsr_image_write(tmp_path(p, sizeof p, "no-such-dir/out.png"), &img, NULL, &err) ==
          VSR_ERR_IO);
    CHECK_MSG(strstr(err.msg, "no-such-dir") != NULL, "%s", err.msg);
    CHECK(!file_exists(p));

    /* the target is a directory: refused before anything is written
     * (util/output_file.h), and no temporary stays */
    char sub[1200];
    tmp_path(sub, sizeof sub, "adir.png");
    CHECK(mkdir(sub, 0755) == 0 || errno == EEXIST);
    CHECK(vsr_image_write(sub, &img, NULL, &err) == VSR_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "adir.png") != NULL, "%s", err.msg);
    CHECK(count_hidden(dir) == 0);

    vsr_image bad = img;
    bad.stride = 5;
    CHECK(vsr_image_write(tmp_path(p, sizeof p, "bad.png"), &bad, NULL, &err) == VSR_ERR_INVALID);
    CHECK(!file_exists(p));
    vsr_image_free(&img);
}

static void test_read_failures(void)
{
    char p[1200];
    vsr_error err = {0};
    vsr_image img;
    CHECK(vsr_image_read(tmp_path(p, sizeof p, "missing.png"), &img, &err) == VSR_ERR_IO);
    CHECK_MSG(strstr(err.msg, "missing.png") != NULL, "%s", err.msg);
    CHECK(img.data == NULL);

    FILE *f = fopen(tmp_path(p, sizeof p, "garbage.png"), "wb");
    CHECK(f != NULL);
    if (f) {
        uint32_t s = 7;
        for (int i = 0; i < 5000; i++) {
            s = s * 1664525u + 1013904223u;
            fputc((int)(s >> 24), f);
        }
        fclose(f);
    }
    CHECK(vsr_image_read(p, &img, &err) == VSR_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "garbage.png") != NULL, "%s", err.msg);
    CHECK(img.data == NULL);

    /* a PNG cut in half */
    vsr_image src;
    CHECK(vsr_image_alloc(&src, 50, 40, VSR_PIX_RGB24, &err) == 0);
    fill_noise(&src, 5);
    CHECK(vsr_image_write(tmp_path(p, sizeof p, "whole.png"), &src, NULL, &err) == 0);
    vsr_image_free(&src);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    char cut[1200];
    CHECK(truncate(p, st.st_size / 2) == 0);
    snprintf(cut, sizeof cut, "%s", p);
    CHECK(vsr_image_read(cut, &img, &err) == VSR_ERR_FORMAT);
    CHECK_MSG(strstr(err.msg, "whole.png") != NULL, "%s", err.msg);
    CHECK(img.data == NULL);

    CHECK(vsr_image_read(dir, &img, &err) == VSR_ERR_IO);
}

static void test_size_limits(void)
{
    vsr_error err = {0};
    CHECK(vsr_image_check_size(VSR_IMAGE_MAX_SIDE, 1, "x", &err) == 0);
    CHECK(vsr_image_check_size(VSR_IMAGE_MAX_SIDE + 1, 1, "x", &err) == VSR_ERR_NOMEM);
    CHECK(vsr_image_check_size(VSR_IMAGE_MAX_SIDE, VSR_IMAGE_MAX_SIDE, "x", &err) == VSR_ERR_NOMEM);
    CHECK(strstr(err.msg, "16384x16384") != NULL);
    CHECK(vsr_image_check_size(0, 5, "x", &err) == VSR_ERR_INVALID);
}

/* Removes what an earlier run left in d (files, and empty directories). */
static void empty_dir(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp)
        return;
    struct dirent *e;
    char p[2048];
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(dp);
}

int main(void)
{
    const char *tmp = getenv("VSR_TEST_TMP");
    if (!tmp || !*tmp) {
        fprintf(stderr, "test_image_io: VSR_TEST_TMP is not set (run through ctest)\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/test_image_io", tmp);
    empty_dir(dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "test_image_io: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    test_png_round_trip();
    test_padded_stride();
    test_float_input();
    test_jpeg();
    test_write_failures();
    test_read_failures();
    test_size_limits();
    return test_report("test_image_io");
}
