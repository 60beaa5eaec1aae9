# Coarse LRU model of L2 for six dense blocks (two RRDBs, 30 convs) of
# realesrgan-x4plus at 960x540: a line is one 96-pixel tile column x one
# pixel row x 32 channels (6 KiB); tiles are 96 x 4; a conv reads its
# tile's rows +-1 of every input channel group and writes its 4 rows.
# Accesses come in claim order, one tile after another (no overlap, no
# concurrency). Counts the reads that miss (from HBM) for four schedules:
# main (down the columns), serpent (even convs right to left), a wavefront
# of the five convs a few tile rows apart, and bands (run_band_group's
# skew, without its larger first and last bands).
from collections import OrderedDict

TX, TY, H = 10, 135, 540
LINE = 96 * 32 * 2


class L2:
    def __init__(self, cap_mb):
        self.cap = int(cap_mb * 2**20 / LINE)
        self.lines = OrderedDict()
        self.miss = self.reads = 0

    def _use(self, k):
        self.lines[k] = 1
        self.lines.move_to_end(k)
        if len(self.lines) > self.cap:
            self.lines.popitem(last=False)

    def conv_tile(self, db, c, sx, sy):
        """conv c (0..4) of dense block db on tile (sx, sy)"""
        for y in range(max(sy * 4 - 1, 0), min(sy * 4 + 5, H)):
            for g in range(2 + c):  # x (2 groups), then the outputs before
                self.reads += 1
                self.miss += (db, g, sx, y) not in self.lines
                self._use((db, g, sx, y))
        for y in range(sy * 4, sy * 4 + 4):
            for key in [(db, 2 + c, sx, y)] if c < 4 else [(db + 1, g, sx, y) for g in range(2)]:
                self._use(key)

    def report(self):
        return f"miss {self.miss / self.reads:.3f} ({self.miss * LINE / 2**30:.2f} GiB of {self.reads * LINE / 2**30:.2f})"


def frame_order(rev=False):
    cols = range(TX - 1, -1, -1) if rev else range(TX)
    return [(sx, sy) for sx in cols for sy in range(TY)]


def sweep(cap_mb, serpent):
    l2, epoch = L2(cap_mb), 0
    for db in range(6):
        for c in range(5):
            epoch += 1
            for sx, sy in frame_order(serpent and epoch % 2 == 0):
                l2.conv_tile(db, c, sx, sy)
    return l2


def wave(cap_mb, lag_rows):
    """the five convs of a dense block at once, lag_rows tile rows apart (along the rows)"""
    l2 = L2(cap_mb)
    order = [(sx, sy) for sy in range(TY) for sx in range(TX)]
    lag, n = lag_rows * TX, TX * TY
    for db in range(6):
        for i in range(n + 4 * lag):
            for c in range(5):
                if 0 <= i - c * lag < n:
                    l2.conv_tile(db, c, *order[i - c * lag])
    return l2


def band(cap_mb, K, group):
    """bands: band b of step k is tile rows [bK - k, (b+1)K - k), clipped to the frame
    (run_band_group shifts them down by the group's size, so that its first band is larger)"""
    l2, launches = L2(cap_mb), 0
    steps = [(db, c) for db in range(6) for c in range(5)]
    for g0 in range(0, len(steps), group):
        grp = steps[g0:g0 + group]
        nb = (TY + len(grp)) // K + 1
        for b in range(nb + 1):
            for k, (db, c) in enumerate(grp):
                r0, r1 = max(b * K - k, 0), TY if b == nb else min((b + 1) * K - k, TY)
                if r0 < r1:
                    launches += 1
                    for sx in range(TX):
                        for sy in range(r0, r1):
                            l2.conv_tile(db, c, sx, sy)
    return l2, launches


for cap in (25, 40, 50):
    print(f"L2 {cap} MB: main {sweep(cap, False).report()}, serpent {sweep(cap, True).report()}")
for cap in (25, 40):
    for lag in (2, 4, 8):
        print(f"wave L2 {cap} MB lag {lag} rows: {wave(cap, lag).report()}")
for cap in (25, 40):
    for K, grp in ((8, 5), (17, 5), (34, 5), (17, 15), (8, 15)):
        l2, n = band(cap, K, grp)
        print(f"band L2 {cap} MB K {K} group {grp}: {l2.report()} launches {n} (x11.5 = {n * 11.5:.0f}/frame)")
