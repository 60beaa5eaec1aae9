#include "media/encoder_profile.h"

#include <stdint.h>
#include <string.h>

/* Output size classes, by pixels so that random crops fall in the class of
 * their cost: up to 1920x1088, up to 4096x2304, and larger (8K). */
enum { SIZE_HD, SIZE_UHD, SIZE_8K, N_SIZES };

static int size_class(int w, int h)
{
    int64_t px = (int64_t)w * h;
    if (px <= 1920LL * 1088)
        return SIZE_HD;
    if (px <= 4096LL * 2304)
        return SIZE_UHD;
    return SIZE_8K;
}

typedef struct profile_row {
    const char *encoder;
    vsr_encoder_setting s[3][N_SIZES]; /* [profile][size class] */
} profile_row;

/* Speeds on the 16-core target (DESIGN.md §6, one instance): x265
 * ultrafast 106/26/4.5 fps at 1080p/2160p/4320p, superfast 90/18/2.6,
 * veryfast 49/11/1.8, slow 18.8 at 1080p; SVT-AV1 preset 12 41/8.7/1.8.
 * balanced (the default) is chosen so that a 10 s clip, end to end, fits
 * its task's deadline on that host: SD2HD's 4 s needed superfast at 1080p
 * (veryfast: 4.1-4.5 s), HD24K's 10 s ultrafast at 4K (superfast: 8.9-11.3
 * s on four H100 hosts; bench/results/2026-11-27-h100-e2e-tasks.md). Its
 * PSNR against the frames before encoding stays far above 38 dB (50.2 dB at
 * 1080p, 50.6 dB at 4K: bench/encoder_profiles.sh, bench/results/
 * 2026-11-27-encoder-profiles.md).
 * quality at 1080p is the reference miner's x265 slow CRF 20. */
static const profile_row TABLE[] = {
    {"libx265",
     {
         [VSR_PROFILE_FAST] = {{"ultrafast", 22}, {"ultrafast", 22}, {"ultrafast", 22}},
         [VSR_PROFILE_BALANCED] = {{"superfast", 20}, {"ultrafast", 20}, {"ultrafast", 20}},
         [VSR_PROFILE_QUALITY] = {{"slow", 20}, {"medium", 20}, {"veryfast", 20}},
     }},
    {"libsvtav1",
     {
         [VSR_PROFILE_FAST] = {{"12", 35}, {"12", 35}, {"12", 35}},
         [VSR_PROFILE_BALANCED] = {{"10", 30}, {"11", 30}, {"12", 30}},
         [VSR_PROFILE_QUALITY] = {{"8", 28}, {"10", 28}, {"11", 28}},
     }},
    {"libx264",
     {
         [VSR_PROFILE_FAST] = {{"ultrafast", 23}, {"ultrafast", 23}, {"ultrafast", 23}},
         [VSR_PROFILE_BALANCED] = {{"veryfast", 20}, {"superfast", 20}, {"ultrafast", 20}},
         [VSR_PROFILE_QUALITY] = {{"medium", 18}, {"fast", 18}, {"veryfast", 18}},
     }},
};

static const char *const NAMES[] = {
    [VSR_PROFILE_BALANCED] = "balanced",
    [VSR_PROFILE_FAST] = "fast",
    [VSR_PROFILE_QUALITY] = "quality",
};

const char *vsr_encoder_profile_name(vsr_encoder_profile p)
{
    return (unsigned)p < sizeof NAMES / sizeof NAMES[0] ? NAMES[p] : "?";
}

int vsr_encoder_profile_parse(const char *name, vsr_encoder_profile *p)
{
    for (unsigned i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!strcmp(name, NAMES[i])) {
            *p = (vsr_encoder_profile)i;
            return 0;
        }
    return -1;
}

int vsr_encoder_profile_pick(vsr_encoder_profile p, const char *encoder, int width, int height,
                             vsr_encoder_setting *out)
{
    if ((unsigned)p >= sizeof NAMES / sizeof NAMES[0])
        return 0;
    for (unsigned i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (!strcmp(encoder, TABLE[i].encoder)) {
            *out = TABLE[i].s[p][size_class(width, height)];
            return 1;
        }
    return 0;
}
