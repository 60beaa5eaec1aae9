#!/usr/bin/env python3
"""Replays `--detail auto`'s choice under other rules, on what a run of
auto_rows.sh left (bench/quality/README.md): for each task and clip, the
probe's measurements of every candidate (rows run with `vsr upscale
--probe-all`, model MODEL and detail auto) and the whole clip's scores at
fixed details (rows with DETAIL=0.05, 0.1, ...), per model.

    detail_rule.py ROWS_DIR [--model M] [--rel R,...] [--vmaf-drop V,...] [--cap C,...]

A rule passes candidate d when, on the probe's sample against the input
Lanczos-scaled,
    delta(d) <= delta(0) + rel, delta(d) <= cap and VMAF(d) >= VMAF(0) - vmaf_drop
(delta = |VMAF - NEG|; 0 = the baseline, the input alone, encoded); the
candidates are searched by bisection as detail_choice.c searches them. For
each rule: per task the mean VMAF against the reference of the chosen
outputs (whole clips, the fixed-detail rows), its gain over Lanczos, and
the worst NEG delta against the reference and against the input, with the
clips where the delta against the reference passes 2.5 (beyond Lanczos's
own) or 3. A chosen detail with no fixed row is reported as missing.
"""
import argparse
import glob
import json
import os
import re
import sys


def done_line(path):
    with open(path) as f:
        for line in f:
            if '"event":"done"' in line:
                return json.loads(line)
    return None


def load(rows):
    """{(task, clip): {'probe': {model: (base, {d: (vmaf, neg)})},
                       'whole': {(model, d): (vmaf, delta_ref, delta_in, vmaf_in)}}}"""
    data = {}
    for p in glob.glob(os.path.join(rows, '*.progress.json')):
        name = os.path.basename(p)[:-len('.progress.json')]
        m = re.match(r'^([A-Z0-9]+)-([a-z0-9]+)-(.+)-(auto|[0-9.]+)-([a-z]+)$', name)
        if not m:
            continue
        task, clip, model, detail, _profile = m.groups()
        d = done_line(p)
        base = os.path.join(rows, name)
        if d is None or not os.path.exists(base + '.ref.json'):
            continue
        ref = json.load(open(base + '.ref.json'))
        inp = json.load(open(base + '.in.json'))
        e = data.setdefault((task, clip), {'probe': {}, 'whole': {}})
        chosen = round(d['detail'], 4)
        whole = (ref['pooled']['vmaf']['mean'], ref['neg_delta'], inp['neg_delta'],
                 inp['pooled']['vmaf']['mean'])
        if detail == 'auto':
            a = d['detail_auto']
            b = a.get('baseline')
            cands = {round(c['detail'], 4): (c['vmaf'], c['vmaf_neg']) for c in a['candidates']}
            e['probe'][model] = ((b['vmaf'], b['vmaf_neg']) if b else None, cands)
        if chosen == 0:
            e['whole'][('*', 0.0)] = whole
        else:
            e['whole'].setdefault((model, chosen), whole)
    return data


def choose(base, cands, rel, drop, cap):
    """detail_choice.c's bisection over the candidates, highest first."""
    ds = sorted(cands, reverse=True)
    b_vmaf, b_neg = base
    b_delta = abs(b_vmaf - b_neg)

    def passes(d):
        v, n = cands[d]
        delta = abs(v - n)
        return delta <= b_delta + rel and delta <= cap and v >= b_vmaf - drop

    lo, hi, best = 0, len(ds), -1
    while lo < hi:
        i = lo + (hi - lo - 1) // 2
        if passes(ds[i]):
            best = i if best < 0 or i < best else best
            hi = i
        else:
            lo = i + 1
    return ds[best] if best >= 0 else 0.0


def floats(s):
    return [float(x) for x in s.split(',')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('rows')
    ap.add_argument('--model', action='append', help='model names as in the file names (default: all probed)')
    ap.add_argument('--rel', type=floats, default=[0.5, 0.75, 1.0])
    ap.add_argument('--vmaf-drop', type=floats, default=[0.5, 1.0, 100])
    ap.add_argument('--cap', type=floats, default=[2.0, 100])
    ap.add_argument('--per-clip', action='store_true')
    a = ap.parse_args()
    data = load(a.rows)
    if not data:
        sys.exit('detail_rule: no rows in %s' % a.rows)
    models = a.model or sorted({m for e in data.values() for m in e['probe']})
    tasks = sorted({t for t, _ in data})
    print('| model | rel | vmaf drop | cap | task | clips | mean VMAF | vs Lanczos | max delta ref '
          '(Lanczos) | max delta in | ref > 2.5 beyond Lanczos / > 3 | missing |')
    print('|' + '---|' * 12)
    for model in models:
        for rel in a.rel:
            for drop in a.vmaf_drop:
                for cap in a.cap:
                    for task in tasks:
                        vm, vl, dr, dl, di, over, fail, miss, n, clips = [], [], [], [], [], [], [], [], 0, []
                        for (t, clip), e in sorted(data.items()):
                            if t != task or model not in e['probe'] or ('*', 0.0) not in e['whole']:
                                continue
                            base, cands = e['probe'][model]
                            if base is None:
                                continue
                            d = choose(base, cands, rel, drop, cap)
                            lz = e['whole'][('*', 0.0)]
                            w = lz if d == 0 else e['whole'].get((model, round(d, 4)))
                            if w is None:
                                miss.append('%s@%g' % (clip, d))
                                continue
                            n += 1
                            clips.append('%s %g: %.2f/%.2f/%.2f' % (clip, d, w[0], w[1], w[2]))
                            vm.append(w[0])
                            vl.append(lz[0])
                            dr.append(w[1])
                            dl.append(lz[1])
                            di.append(w[2])
                            if w[1] > 2.5 and w[1] > lz[1] + 0.05:
                                over.append(clip)
                            if w[1] > 3:
                                fail.append(clip)
                        if not n:
                            continue
                        mean = sum(vm) / n
                        print('| %s | %g | %g | %g | %s | %d | %.2f | %+.2f | %.2f (%.2f) | %.2f | %s / %s | %s |'
                              % (model, rel, drop, cap, task, n, mean, mean - sum(vl) / n, max(dr),
                                 max(dl), max(di), ','.join(over) or '-', ','.join(fail) or '-',
                                 ','.join(miss) or '-'))
                        if a.per_clip:
                            print('|  |  |  |  |  |  | ' + '; '.join(clips) + ' |' + ' |' * 5)


if __name__ == '__main__':
    main()
