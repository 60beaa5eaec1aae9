/* Scene cuts and where the compression search samples a clip
 * (pipeline/compress.h).
 *
 * Cuts: a cheap luma-histogram difference between consecutive decoded
 * frames, the ones the search decodes anyway. Each frame's 64-bin histogram
 * of every other luma sample of every other row (a 1080p frame: 0.5 M
 * samples, well under a millisecond) is compared with the previous frame's:
 * the score is half the L1 distance of the normalised histograms, 0 (the
 * same distribution) to 1 (disjoint). A camera pan, shake, zoom or film
 * grain moves the picture but hardly its distribution (0.01-0.1 on the
 * bench's clips), a cut to other content moves it a lot; a frame is a cut
 * where its score is at least VSR_SCENE_CUT_SCORE and several times the
 * median of the scores around it (a flash or a fade raises a run of
 * scores, not one). Why not libavfilter's scdet or select's scene score: a
 * filter graph over frames already in memory would add a library and a
 * copy for a score that is, in essence, the same frame difference; and the
 * encoders (x265/x264 scenecut, SVT-AV1's) still place their own
 * keyframes.
 *
 * Samples: a clip's frames are what the whole-clip VMAF averages over, and
 * the scenes' content is what sets the bytes and the score, so samples are
 * spread over the scenes rather than over time alone: with no more scenes
 * than samples, every scene gets one (the longest get the rest), each
 * inside its scene; with more scenes, the clip is cut into K runs of scenes
 * of about equal length and each run's longest scene gets the sample. Each
 * sample carries the weight of the frames it stands for, and the search
 * pools sample scores by those weights. */
#ifndef VSR_PIPELINE_SCENES_H
#define VSR_PIPELINE_SCENES_H

#include <stdint.h>

#define VSR_SCENE_BINS 64
#define VSR_SCENE_CUT_SCORE 0.3

typedef struct vsr_scene_detector {
    uint32_t hist[VSR_SCENE_BINS];
    uint64_t count;
    int have_prev;
} vsr_scene_detector;

/* The score of this frame's luma plane against the previous one given
 * (0 for the first frame). */
double vsr_scene_score(vsr_scene_detector *d, const uint8_t *luma, int linesize, int width,
                       int height);

/* Frames where a new scene starts, from the scores of every frame:
 * writes at most max_cuts frame numbers (ascending, never 0) to cuts and
 * returns how many there are in all. */
int vsr_scene_cuts(const double *scores, int64_t frames, int64_t *cuts, int max_cuts);

typedef struct vsr_sample_span {
    int64_t first; /* first frame */
    int n;         /* frames */
    double weight; /* frames of the clip it stands for */
} vsr_sample_span;

/* Up to k samples of about len frames for a clip of `frames` frames with
 * the given cuts: the whole clip as one sample when it is not longer than
 * k + 1 samples' worth of frames; otherwise as described above. Returns
 * the number of spans written (1..k). */
int vsr_sample_layout(int64_t frames, const int64_t *cuts, int n_cuts, int len, int k,
                      vsr_sample_span *out);

#endif
