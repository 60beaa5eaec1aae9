/* imgcmp: compares two images of the same size, for golden tests.
 *
 *   imgcmp [--min-psnr X] [--max-diff N] A B
 *
 * Prints `psnr=%.2f maxdiff=%d mean=%.4f` (PSNR over all RGB samples with
 * peak 255, "inf" when identical; maxdiff the largest absolute sample
 * difference; mean the mean absolute difference). Exits 0, 1 when a given
 * bound is violated, 2 on a usage or read error or a size mismatch. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/image_io.h"

static void usage(FILE *to)
{
    fprintf(to, "usage: imgcmp [--min-psnr X] [--max-diff N] A B\n"
                "  prints psnr=P maxdiff=M mean=D; exits 1 if PSNR < X or maxdiff > N,\n"
                "  2 on errors or when the sizes differ\n");
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && !isnan(*v);
}

static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (errno || end == s || *end || l < 0 || l > 255)
        return 0;
    *v = (int)l;
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"min-psnr", required_argument, NULL, 'p'},
        {"max-diff", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double min_psnr = -1.0;
    int max_diff = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!parse_double(optarg, &min_psnr)) {
                fprintf(stderr, "imgcmp: --min-psnr: expected a number, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'm':
            if (!parse_int(optarg, &max_diff)) {
                fprintf(stderr, "imgcmp: --max-diff: expected an integer 0..255, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        case ':': fprintf(stderr, "imgcmp: %s needs a value\n", argv[optind - 1]); return 2;
        default:
            fprintf(stderr, "imgcmp: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }

    vsr_error err = {0};
    vsr_image a, b;
    if (vsr_image_read(argv[optind], &a, &err) < 0) {
        fprintf(stderr, "imgcmp: %s\n", err.msg);
        return 2;
    }
    if (vsr_image_read(argv[optind + 1], &b, &err) < 0) {
        fprintf(stderr, "imgcmp: %s\n", err.msg);
        vsr_image_free(&a);
        return 2;
    }
    if (a.width != b.width || a.height != b.height) {
        fprintf(stderr, "imgcmp: sizes differ: %s is %dx%d, %s is %dx%d\n", argv[optind], a.width,
                a.height, argv[optind + 1], b.width, b.height);
        vsr_image_free(&a);
        vsr_image_free(&b);
        return 2;
    }

    double sq = 0.0, abs_sum = 0.0;
    int maxd = 0;
    for (int y = 0; y < a.height; y++) {
        const uint8_t *pa = (const uint8_t *)a.data + (size_t)y * a.stride;
        const uint8_t *pb = (const uint8_t *)b.data + (size_t)y * b.stride;
        for (int i = 0; i < a.width * 3; i++) {
            int d = abs((int)pa[i] - (int)pb[i]);
            sq += (double)d * d;
            abs_sum += d;
            if (d > maxd)
                maxd = d;
        }
    }
    double n = (double)a.width * a.height * 3;
    double mse = sq / n;
    double psnr = mse > 0.0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
    if (isinf(psnr))
        printf("psnr=inf maxdiff=%d mean=%.4f\n", maxd, abs_sum / n);
    else
        printf("psnr=%.2f maxdiff=%d mean=%.4f\n", psnr, maxd, abs_sum / n);
    vsr_image_free(&a);
    vsr_image_free(&b);

    int rc = 0;
    if (min_psnr >= 0.0 && psnr < min_psnr) {
        fprintf(stderr, "imgcmp: PSNR %.2f dB is below the minimum %.2f\n", psnr, min_psnr);
        rc = 1;
    }
    if (max_diff >= 0 && maxd > max_diff) {
        fprintf(stderr, "imgcmp: max difference %d is above the limit %d\n", maxd, max_diff);
        rc = 1;
    }
    return rc;
}
