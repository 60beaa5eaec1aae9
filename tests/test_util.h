/* A minimal test harness: CHECK records a failure and goes on, the test's
 * main returns test_report(). Each failure prints file:line and the
 * expression (with values for the numeric forms). */
#ifndef VSR_TESTS_TEST_UTIL_H
#define VSR_TESTS_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        test_checks++;                                                                \
        if (!(cond)) {                                                                \
            test_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                          \
    do {                                                                              \
        test_checks++;                                                                \
        if (!(cond)) {                                                                \
            test_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                         \
    do {                                                                              \
        double a_ = (a), b_ = (b);                                                    \
        test_checks++;                                                                \
        if (!(fabs(a_ - b_) <= (tol))) {                                              \
            test_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g (tol %g)\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol));               \
        }                                                                             \
    } while (0)

/* A fresh, empty scratch directory $VSR_TEST_TMP/name into dir (its own,
 * so tests can run in parallel); 0, or -1 after saying why. */
static inline int test_scratch_dir(const char *name, char *dir, size_t size)
{
    const char *tmp = getenv("VSR_TEST_TMP");
    if (!tmp || !*tmp) {
        fprintf(stderr, "%s: VSR_TEST_TMP is not set (run through ctest)\n", name);
        return -1;
    }
    snprintf(dir, size, "%s/%s", tmp, name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s: cannot make %s\n", name, dir);
        return -1;
    }
    return 0;
}

/* Prints a summary line CTest logs keep, returns the exit status. */
static inline int test_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

#endif
