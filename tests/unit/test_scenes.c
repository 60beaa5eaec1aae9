/* Scene cuts from luma histograms and the compression search's sample
 * layout (pipeline/scenes.h): cuts found where the content changes and not
 * where a textured picture pans, shakes or gets grain; samples inside
 * scenes, every scene sampled while there are samples enough, weights
 * that add up to the clip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/scenes.h"
#include "test_util.h"

#define W 160
#define H 90

static uint32_t rng = 12345;
static int noise(int amp)
{
    rng = rng * 1103515245u + 12345u;
    return (int)((rng >> 16) % (unsigned)(2 * amp + 1)) - amp;
}

static uint8_t clamp(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* scene 0: a diagonal ramp panning right with grain; 1: bright texture
 * shaking; 2: a dark picture zooming. */
static void frame(int scene, int t, uint8_t *y)
{
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            int v;
            if (scene == 0)
                v = 30 + ((c + 2 * t) + r) % 120 + noise(6);
            else if (scene == 1)
                v = 170 + (int)(40 * sin((c + (t % 3)) * 0.3) * cos(r * 0.2)) + noise(3);
            else
                v = 20 + (int)(25 * sin(c * (0.1 + 0.002 * t))) + (r / 9) + noise(2);
            y[r * W + c] = clamp(v);
        }
}

static int inside(const vsr_sample_span *s, int64_t a, int64_t b)
{
    return s->first >= a && s->first + s->n <= b && s->n > 0;
}

int main(void)
{
    /* detection: 3 scenes of 40, 25, 35 frames */
    static uint8_t y[W * H];
    double scores[100];
    vsr_scene_detector d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < 100; i++) {
        int scene = i < 40 ? 0 : i < 65 ? 1 : 2;
        frame(scene, i, y);
        scores[i] = vsr_scene_score(&d, y, W, W, H);
    }
    int64_t cuts[8];
    int n = vsr_scene_cuts(scores, 100, cuts, 8);
    CHECK(n == 2);
    CHECK(cuts[0] == 40 && cuts[1] == 65);
    CHECK(scores[0] == 0);
    for (int i = 1; i < 100; i++)
        if (i != 40 && i != 65)
            CHECK(scores[i] < 0.15); /* pans, shake, zoom and grain stay low */
    CHECK(scores[40] > 0.5 && scores[65] > 0.5);

    /* a single flash frame is not two scenes */
    double flash[60] = {0};
    for (int i = 1; i < 60; i++)
        flash[i] = 0.02;
    flash[30] = 0.8;
    flash[31] = 0.8;
    CHECK(vsr_scene_cuts(flash, 60, cuts, 8) == 1 && cuts[0] == 30);
    /* cuts past max_cuts are counted, not written */
    double many[200];
    for (int i = 0; i < 200; i++)
        many[i] = i % 10 == 0 ? 0.9 : 0.01;
    CHECK(vsr_scene_cuts(many, 200, cuts, 4) == 19);

    vsr_sample_span s[8];
    /* short clip: the whole clip */
    CHECK(vsr_sample_layout(40, NULL, 0, 30, 3, s) == 1);
    CHECK(s[0].first == 0 && s[0].n == 40 && s[0].weight == 40);
    /* one scene: even spread, equal weights */
    CHECK(vsr_sample_layout(300, NULL, 0, 30, 5, s) == 5);
    for (int i = 0; i < 5; i++)
        CHECK(s[i].n == 30 && s[i].weight == 60 && s[i].first == 60 * i + 15);
    /* three scenes of 100, 20, 180 frames, 5 samples: one each, the two
     * left to the long scene; the 20-frame scene's sample is the scene */
    int64_t c3[] = {100, 120};
    n = vsr_sample_layout(300, c3, 2, 30, 5, s);
    CHECK(n == 5);
    double total = 0;
    int in0 = 0, in1 = 0, in2 = 0;
    for (int i = 0; i < n; i++) {
        total += s[i].weight;
        in0 += inside(&s[i], 0, 100);
        in1 += inside(&s[i], 100, 120);
        in2 += inside(&s[i], 120, 300);
        if (i)
            CHECK(s[i].first >= s[i - 1].first + s[i - 1].n); /* ordered, no overlap */
    }
    CHECK(in0 == 1 && in1 == 1 && in2 == 3);
    CHECK(fabs(total - 300) < 1e-9);
    CHECK(s[1].first == 100 && s[1].n == 20 && s[1].weight == 20);
    /* ten scenes of 30 frames, 3 samples: one per third, each inside a
     * scene, standing for its third */
    int64_t c10[9];
    for (int i = 0; i < 9; i++)
        c10[i] = 30 * (i + 1);
    n = vsr_sample_layout(300, c10, 9, 30, 3, s);
    CHECK(n == 3);
    total = 0;
    for (int i = 0; i < n; i++) {
        total += s[i].weight;
        CHECK(s[i].first % 30 == 0 && s[i].n == 30);
        int64_t mid = s[i].first + s[i].n / 2;
        CHECK(mid >= 100 * i && mid < 100 * (i + 1));
    }
    CHECK(fabs(total - 300) < 1e-9);
    return test_report("test_scenes");
}
