# Coarse LRU model of L2 for one RRDB (3 dense blocks, 15 convs) at 960x540:
# a line = one 96-px tile column x one row x 32 channels (6 KiB); tiles are
# 96 x 4, claimed in order (down the columns; serpent: even convs right to left).
import sys
from collections import OrderedDict
TX, TY, H = 10, 135, 540
LINE = 96 * 32 * 2
def run(cap_mb, serpent, across=False):
    cap = int(cap_mb * 2**20 / LINE)
    l2 = OrderedDict(); miss = 0; reads = 0
    def touch(k):
        nonlocal miss, reads
        reads += 1
        if k in l2: l2.move_to_end(k)
        else:
            miss += 1; l2[k] = 1
            if len(l2) > cap: l2.popitem(last=False)
    def write(k):
        l2[k] = 1; l2.move_to_end(k)
        if len(l2) > cap: l2.popitem(last=False)
    epoch = 0
    for db in range(6):
        for c in range(5):
            epoch += 1
            gin = 2 + c
            order = []
            if across:
                order = [(sx, sy) for sy in range(TY) for sx in range(TX)]
            else:
                cols = range(TX) if not (serpent and epoch % 2 == 0) else range(TX - 1, -1, -1)
                order = [(sx, sy) for sx in cols for sy in range(TY)]
            for sx, sy in order:
                for y in range(sy * 4 - 1, sy * 4 + 5):
                    if 0 <= y < H:
                        for g in range(gin):
                            touch((db, g, sx, y))
                for y in range(sy * 4, sy * 4 + 4):
                    if c < 4: write((db, 2 + c, sx, y))
                    else:
                        for g in range(2): write((db + 1, g, sx, y))
    # count only dense blocks 1..5 (the first starts cold)
    return miss, reads
for cap in (25, 40, 50):
    base = run(cap, False); s = run(cap, True)
    print(f"L2 {cap} MB: main miss {base[0]/base[1]:.3f} ({base[0]*LINE/2**30:.2f} GiB of {base[1]*LINE/2**30:.2f}), serpent {s[0]/s[1]:.3f} ({s[0]*LINE/2**30:.2f} GiB)")

def wave(cap_mb, lag_rows, across=True):
    cap = int(cap_mb * 2**20 / LINE)
    l2 = OrderedDict(); st = {"miss": 0, "reads": 0}
    def touch(k):
        st["reads"] += 1
        if k in l2: l2.move_to_end(k)
        else:
            st["miss"] += 1; l2[k] = 1
            if len(l2) > cap: l2.popitem(last=False)
    def write(k):
        l2[k] = 1; l2.move_to_end(k)
        if len(l2) > cap: l2.popitem(last=False)
    n = TX * TY
    if across: order = [(sx, sy) for sy in range(TY) for sx in range(TX)]
    else: order = [(sx, sy) for sx in range(TX) for sy in range(TY)]
    lag = lag_rows * (TX if across else TY)
    for db in range(6):
        for i in range(n + 4 * lag):
            for c in range(5):
                j = i - c * lag
                if not 0 <= j < n: continue
                sx, sy = order[j]
                for y in range(sy * 4 - 1, sy * 4 + 5):
                    if 0 <= y < H:
                        for g in range(2 + c): touch((db, g, sx, y))
                for y in range(sy * 4, sy * 4 + 4):
                    if c < 4: write((db, 2 + c, sx, y))
                    else:
                        for g in range(2): write((db + 1, g, sx, y))
    return st["miss"], st["reads"]
for cap in (25, 40):
    for lag in (2, 4, 8):
        m, r = wave(cap, lag)
        print(f"wave L2 {cap} MB lag {lag} rows: miss {m/r:.3f} ({m*LINE/2**30:.2f} GiB)")

def band(cap_mb, K, group=5):
    cap = int(cap_mb * 2**20 / LINE)
    l2 = OrderedDict(); st = {"miss": 0, "reads": 0}
    def touch(k):
        st["reads"] += 1
        if k in l2: l2.move_to_end(k)
        else:
            st["miss"] += 1; l2[k] = 1
            if len(l2) > cap: l2.popitem(last=False)
    def write(k):
        l2[k] = 1; l2.move_to_end(k)
        if len(l2) > cap: l2.popitem(last=False)
    steps = [(db, c) for db in range(6) for c in range(5)]
    launches = 0
    for g0 in range(0, len(steps), group):
        grp = steps[g0:g0 + group]
        nb = (TY + len(grp)) // K + 1
        for b in range(nb + 1):
            for k, (db, c) in enumerate(grp):
                r0 = max(b * K - k, 0); r1 = min((b + 1) * K - k, TY)
                if b == nb: r1 = TY
                if r0 >= r1: continue
                launches += 1
                for sx in range(TX):
                    for sy in range(r0, r1):
                        for y in range(sy * 4 - 1, sy * 4 + 5):
                            if 0 <= y < H:
                                for g in range(2 + c): touch((db, g, sx, y))
                        for y in range(sy * 4, sy * 4 + 4):
                            if c < 4: write((db, 2 + c, sx, y))
                            else:
                                for g in range(2): write((db + 1, g, sx, y))
    return st["miss"], st["reads"], launches
for cap in (25, 40):
    for K, grp in ((8, 5), (17, 5), (34, 5), (17, 15), (8, 15)):
        m, r, n = band(cap, K, grp)
        print(f"band L2 {cap} MB K {K} group {grp}: miss {m/r:.3f} ({m*LINE/2**30:.2f} GiB) launches {n} (x11.5 = {n*11.5:.0f}/frame)")
