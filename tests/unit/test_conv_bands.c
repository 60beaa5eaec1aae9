/* The band schedule of a group of convolutions (engine/conv_bands.h)
 * against its promises, for every frame height, group and band size the
 * CUDA backend may meet: each conv's bands cover the frame once, in order,
 * K rows or more each; a band reads only rows launched before it; no band
 * writes rows a conv before it reads later; the launch after a band's last
 * conv writes nothing that conv reads. Launch order: band-major, then
 * conv (b, k) at position b * G + k. */
#include "engine/conv_bands.h"
#include "test_util.h"

/* rows [lo, hi) and [lo2, hi2) share one */
static int overlap(int lo, int hi, int lo2, int hi2)
{
    return lo < hi2 && lo2 < hi;
}

/* The band of conv k holding row r. */
static int band_of(int ty, int G, int K, int nb, int k, int r)
{
    for (int b = 0; b < nb; ++b) {
        int r0, n;
        vsr_conv_band(ty, G, K, b, k, &r0, &n);
        if (r >= r0 && r < r0 + n)
            return b;
    }
    return -1;
}

static void check_schedule(int ty, int G, int K)
{
    const int nb = vsr_conv_band_count(ty, G, K);
    if (nb == 0) {
        CHECK_MSG(G < 2 || (ty - G) / K < 2, "ty %d G %d K %d: no bands", ty, G, K);
        return;
    }
    for (int k = 0; k < G; ++k) {
        int next = 0;
        for (int b = 0; b < nb; ++b) {
            int r0, n;
            vsr_conv_band(ty, G, K, b, k, &r0, &n);
            CHECK_MSG(r0 == next && n >= K, "ty %d G %d K %d conv %d band %d: rows %d+%d", ty, G,
                      K, k, b, r0, n);
            next = r0 + n;
            /* reads: its rows and one more each side, of conv k - 1 */
            const int lo = r0 > 0 ? r0 - 1 : 0, hi = r0 + n < ty ? r0 + n + 1 : ty;
            if (k > 0) {
                const int before = band_of(ty, G, K, nb, k - 1, hi - 1);
                CHECK_MSG(before >= 0 && before <= b, "ty %d G %d K %d conv %d band %d reads ahead",
                          ty, G, K, k, b);
            }
            /* no conv j < k reads, in a band launched later, what this band writes */
            for (int j = 0; j < k; ++j)
                for (int b2 = b + 1; b2 < nb; ++b2) {
                    int q0, m;
                    vsr_conv_band(ty, G, K, b2, j, &q0, &m);
                    const int qlo = q0 > 0 ? q0 - 1 : 0, qhi = q0 + m < ty ? q0 + m + 1 : ty;
                    CHECK_MSG(!overlap(r0, r0 + n, qlo, qhi),
                              "ty %d G %d K %d: conv %d band %d writes what conv %d band %d reads",
                              ty, G, K, k, b, j, b2);
                }
            /* the launch after the last conv's band b: conv 0's band b + 1 */
            if (k == G - 1 && b + 1 < nb) {
                int q0, m;
                vsr_conv_band(ty, G, K, b + 1, 0, &q0, &m);
                CHECK_MSG(!overlap(q0, q0 + m, lo, hi), "ty %d G %d K %d band %d: neighbours meet",
                          ty, G, K, b);
            }
        }
        CHECK_MSG(next == ty, "ty %d G %d K %d conv %d: bands end at %d", ty, G, K, k, next);
    }
}

int main(void)
{
    static const int groups[] = {2, 3, 5, 15, 16};
    static const int bands[] = {1, 2, 3, 5, 8, 12, 17, 27};
    for (int ty = 1; ty < 160; ++ty)
        for (size_t g = 0; g < sizeof groups / sizeof *groups; ++g)
            for (size_t k = 0; k < sizeof bands / sizeof *bands; ++k)
                check_schedule(ty, groups[g], bands[k]);
    static const int tall[] = {270, 271, 540, 541, 1080};
    for (size_t t = 0; t < sizeof tall / sizeof *tall; ++t)
        for (int K = 1; K <= 40; ++K)
            check_schedule(tall[t], 15, K);
    /* the sizes that make no bands */
    CHECK(vsr_conv_band_count(135, 1, 17) == 0);
    CHECK(vsr_conv_band_count(135, 15, 0) == 0);
    CHECK(vsr_conv_band_count(15, 15, 1) == 0);
    CHECK(vsr_conv_band_count(135, 15, 61) == 0); /* one band would fit */
    CHECK(vsr_conv_band_count(135, 15, 17) == 7); /* x4plus at 960x540 on an H100 */
    return test_report("conv_bands");
}
