#include "pipeline/scenes.h"

#include <stdlib.h>
#include <string.h>

/* A cut's score must be this many times the median score around it. */
#define CUT_CONTRAST 4.0
/* Frames either side whose median is the frame's background. */
#define CUT_WINDOW 6
/* Scenes shorter than this do not start a new scene: a flash or a
 * one-frame glitch scores twice (in and out). */
#define MIN_SCENE 3

double vsr_scene_score(vsr_scene_detector *d, const uint8_t *luma, int linesize, int width,
                       int height)
{
    uint32_t h[VSR_SCENE_BINS] = {0};
    uint64_t n = 0;
    for (int y = 0; y < height; y += 2) {
        const uint8_t *row = luma + (size_t)y * (size_t)linesize;
        for (int x = 0; x < width; x += 2)
            h[row[x] >> 2]++;
        n += (uint64_t)(width + 1) / 2;
    }
    double score = 0;
    if (d->have_prev && n > 0 && d->count > 0) {
        double sum = 0;
        for (int i = 0; i < VSR_SCENE_BINS; i++) {
            double a = (double)h[i] / (double)n, b = (double)d->hist[i] / (double)d->count;
            sum += a > b ? a - b : b - a;
        }
        score = sum / 2;
    }
    memcpy(d->hist, h, sizeof h);
    d->count = n;
    d->have_prev = 1;
    return score;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int vsr_scene_cuts(const double *scores, int64_t frames, int64_t *cuts, int max_cuts)
{
    int n = 0;
    int64_t last = 0;
    for (int64_t i = 1; i < frames; i++) {
        if (scores[i] < VSR_SCENE_CUT_SCORE || i - last < MIN_SCENE || frames - i < MIN_SCENE)
            continue;
        double win[2 * CUT_WINDOW];
        int m = 0;
        for (int64_t j = i - CUT_WINDOW; j <= i + CUT_WINDOW; j++)
            if (j >= 1 && j < frames && j != i)
                win[m++] = scores[j];
        double median = 0;
        if (m > 0) {
            qsort(win, (size_t)m, sizeof win[0], cmp_double);
            median = win[m / 2];
        }
        if (scores[i] < CUT_CONTRAST * median)
            continue;
        if (n < max_cuts)
            cuts[n] = i;
        n++;
        last = i;
    }
    return n;
}

/* n samples of up to len frames centred in n equal parts of [a, b). */
static int spread(int64_t a, int64_t b, int n, int len, double weight, vsr_sample_span *out)
{
    int64_t frames = b - a;
    int take = frames < len ? (int)frames : len;
    for (int i = 0; i < n; i++) {
        int64_t mid = a + frames * (2 * i + 1) / (2 * n);
        int64_t first = mid - take / 2;
        if (first < a)
            first = a;
        if (first + take > b)
            first = b - take;
        out[i] = (vsr_sample_span){.first = first, .n = take, .weight = weight};
    }
    return n;
}

static int by_first(const void *a, const void *b)
{
    const vsr_sample_span *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

int vsr_sample_layout(int64_t frames, const int64_t *cuts, int n_cuts, int len, int k,
                      vsr_sample_span *out)
{
    if (k < 1)
        k = 1;
    if (len < 1)
        len = 1;
    if (frames <= (int64_t)(k + 1) * len) {
        out[0] = (vsr_sample_span){.first = 0, .n = (int)frames, .weight = (double)frames};
        return 1;
    }
    /* scenes: [start[s], start[s + 1]) */
    int S = n_cuts + 1;
    int64_t *start = malloc(sizeof *start * (size_t)(S + 1));
    int *count = calloc((size_t)S, sizeof *count);
    if (!start || !count) {
        free(start);
        free(count);
        return spread(0, frames, k, len, (double)frames / k, out);
    }
    start[0] = 0;
    for (int s = 1; s < S; s++)
        start[s] = cuts[s - 1];
    start[S] = frames;
    int n = 0;
    if (S <= k) {
        /* one per scene, the rest to the scene whose samples would each
         * stand for the most frames, while they fit without overlapping */
        for (int s = 0; s < S; s++)
            count[s] = 1;
        for (int extra = k - S; extra > 0; extra--) {
            int best = -1;
            double most = 0;
            for (int s = 0; s < S; s++) {
                int64_t f = start[s + 1] - start[s];
                double per = (double)f / (count[s] + 1);
                if ((int64_t)(count[s] + 1) * len <= f && per > most) {
                    most = per;
                    best = s;
                }
            }
            if (best < 0)
                break;
            count[best]++;
        }
        for (int s = 0; s < S; s++) {
            int64_t f = start[s + 1] - start[s];
            n += spread(start[s], start[s + 1], count[s], len, (double)f / count[s], out + n);
        }
    } else {
        /* K runs of scenes by their middle frame; each run's longest
         * scene stands for the run */
        for (int g = 0; g < k; g++) {
            int best = -1;
            int64_t longest = 0, run = 0;
            for (int s = 0; s < S; s++) {
                int64_t mid = (start[s] + start[s + 1]) / 2;
                if (mid * k / frames != g)
                    continue;
                int64_t f = start[s + 1] - start[s];
                run += f;
                if (f > longest) {
                    longest = f;
                    best = s;
                }
            }
            if (best >= 0)
                n += spread(start[best], start[best + 1], 1, len, (double)run, out + n);
        }
    }
    free(start);
    free(count);
    qsort(out, (size_t)n, sizeof out[0], by_first);
    return n;
}
