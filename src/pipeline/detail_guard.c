#include "pipeline/detail_guard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *vsr_detail_guard_action_name(vsr_detail_guard_action a)
{
    switch (a) {
    case VSR_DETAIL_GUARD_SEARCH: return "search";
    case VSR_DETAIL_GUARD_FLOOR: return "floor";
    case VSR_DETAIL_GUARD_SOFT_FLOOR: return "soft_floor";
    case VSR_DETAIL_GUARD_SOFTER_FLOOR: return "softer_floor";
    case VSR_DETAIL_GUARD_NOT_RUN: break;
    }
    return "not_run";
}

vsr_detail_guard vsr_detail_guard_resolved(const vsr_detail_guard *g, int factor)
{
    vsr_detail_guard r = *g;
    if (r.t1 < 0)
        r.t1 = factor == 4 ? VSR_DETAIL_GUARD_X4_T1 : VSR_DETAIL_GUARD_T1;
    if (r.t2 < 0)
        r.t2 = factor == 4 ? VSR_DETAIL_GUARD_X4_T2 : VSR_DETAIL_GUARD_T2;
    if (r.t3 < 0) {
        r.t3 = factor == 4 ? VSR_DETAIL_GUARD_X4_T3 : VSR_DETAIL_GUARD_T3;
        if (r.t3 < r.t2)
            r.t3 = r.t2;
    }
    return r;
}

int vsr_detail_guard_factor(int in_w, int in_h, int out_w, int out_h)
{
    /* even sides: the self-similar picture is encoded at the input's size */
    if (in_w <= 0 || in_h <= 0 || in_w % 2 || in_h % 2)
        return 0;
    for (int f = 2; f <= 4; f += 2)
        if (out_w == f * in_w && out_h == f * in_h)
            return f;
    return 0;
}

vsr_detail_guard_action vsr_detail_guard_decide(const vsr_detail_guard *g, int factor, double s)
{
    const vsr_detail_guard r = vsr_detail_guard_resolved(g, factor);
    if (r.off)
        return VSR_DETAIL_GUARD_NOT_RUN;
    if (!isfinite(s) || s < 0 || s <= r.t1)
        return VSR_DETAIL_GUARD_SEARCH;
    if (s <= r.t2)
        return VSR_DETAIL_GUARD_FLOOR;
    return s <= r.t3 ? VSR_DETAIL_GUARD_SOFT_FLOOR : VSR_DETAIL_GUARD_SOFTER_FLOOR;
}

/* Sharpest first: what the soft branches compare, spelled out rather than
 * read from the enum's order (the option table's). */
static int softness(vsr_resample_filter f)
{
    switch (f) {
    case VSR_RESAMPLE_LANCZOS3: return 0;
    case VSR_RESAMPLE_BICUBIC: return 1;
    case VSR_RESAMPLE_MITCHELL: return 2;
    case VSR_RESAMPLE_BILINEAR: return 3;
    }
    return 0;
}

vsr_resample_filter vsr_detail_guard_floor(vsr_detail_guard_action a, vsr_resample_filter run)
{
    const vsr_resample_filter want = a == VSR_DETAIL_GUARD_SOFT_FLOOR     ? VSR_RESAMPLE_BICUBIC
                                     : a == VSR_DETAIL_GUARD_SOFTER_FLOOR ? VSR_RESAMPLE_MITCHELL
                                                                          : run;
    return softness(run) < softness(want) ? want : run;
}

/* One threshold: a plain decimal in [0, 100], up to `end` */
static int parse_term(const char *s, const char *end, double *v)
{
    if (s == end || end - s > 31)
        return -1;
    char buf[32];
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = 0;
    char *e;
    const double x = strtod(buf, &e);
    if (*e || e == buf || !isfinite(x) || x < 0 || x > 100)
        return -1;
    /* strtod takes "inf", hex and leading blanks; only digits, '.' here */
    for (const char *c = buf; *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == '.'))
            return -1;
    *v = x;
    return 0;
}

int vsr_detail_guard_parse(const char *text, vsr_detail_guard *g)
{
    if (!text)
        return -1;
    if (!strcmp(text, "off")) {
        *g = (vsr_detail_guard){.off = 1, .t1 = -1, .t2 = -1, .t3 = -1};
        return 0;
    }
    double t[3] = {-1, -1, -1};
    int n = 0;
    for (const char *p = text;; n++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        if (n == 3 || parse_term(p, end, &t[n]) < 0 || (n > 0 && t[n - 1] > t[n]))
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n < 1) /* one term */
        return -1;
    *g = (vsr_detail_guard){.off = 0, .t1 = t[0], .t2 = t[1], .t3 = t[2]};
    return 0;
}
