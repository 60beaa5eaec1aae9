# Checks run_band_group's band formulas (rrdb-band) for every frame height
# (tile rows ty), group size G and band K it may meet: (1) each step's
# bands cover [0, ty) once, in order; (2) a band of step k+1 needs (its
# rows +- 1) only rows of step k in bands launched before it; (3) a later
# step's band never writes rows that an earlier step reads in a band
# launched after it (buffers reused); (4) every band has >= K rows.
bad = 0
for ty in list(range(2, 160)) + [270, 271, 540, 541]:
    for G in (2, 3, 5, 15):
        for K in (2, 3, 5, 8, 12, 17, 27):
            nb = (ty - G) // K
            if nb < 2:
                continue
            rng = {}
            for b in range(nb):
                for k in range(G):
                    r0 = 0 if b == 0 else b * K + G - k
                    r1 = ty if b == nb - 1 else (b + 1) * K + G - k
                    rng[b, k] = (r0, r1)
            order = [(b, k) for b in range(nb) for k in range(G)]
            pos = {x: i for i, x in enumerate(order)}
            for k in range(G):
                cov = [rng[b, k] for b in range(nb)]
                assert cov[0][0] == 0 and cov[-1][1] == ty and all(cov[i][1] == cov[i + 1][0] for i in range(nb - 1)), (ty, G, K, k)
                assert all(r1 - r0 >= K for r0, r1 in cov), (ty, G, K, k, cov)
            for (b, k), (r0, r1) in rng.items():
                if k > 0:
                    need_lo, need_hi = max(r0 - 1, 0), min(r1 + 1, ty)
                    for b2 in range(nb):
                        q0, q1 = rng[b2, k - 1]
                        if q0 < need_hi and need_lo < q1:
                            assert pos[b2, k - 1] < pos[b, k], ("dep", ty, G, K, b, k)
                # WAR: any earlier step k2 < k reading rows (with halo) in a
                # band launched after (b, k) must not touch rows (b, k) writes
                for k2 in range(k):
                    for b2 in range(nb):
                        if pos[b2, k2] > pos[b, k]:
                            q0, q1 = rng[b2, k2]
                            lo, hi = max(q0 - 1, 0), min(q1 + 1, ty)
                            if lo < r1 and r0 < hi:
                                bad += 1
                                print("WAR", ty, G, K, b, k, b2, k2); raise SystemExit(1)
print("all band schedules check out; WAR cases:", bad)
