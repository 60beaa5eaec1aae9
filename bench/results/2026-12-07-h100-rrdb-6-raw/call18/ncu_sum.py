# Sums ncu's CSV (call 18's run.sh): HBM bytes, time and the mean L2 hit
# rate of the profiled RRDB launches, per schedule.
import collections
import csv
import sys

SCALE = {"byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9,
         "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3}
for name in ("main", "bands"):
    try:
        with open(f"{sys.argv[1]}/ncu-{name}.csv") as f:
            rows = list(csv.DictReader(l for l in f if l.startswith('"')))
    except OSError:
        continue
    kernels = collections.OrderedDict()
    for r in rows:
        v = float(r["Metric Value"].replace(",", ""))
        kernels.setdefault(r["ID"], {})[r["Metric Name"]] = v * SCALE.get(r["Metric Unit"], 1)
    tot = collections.Counter()
    for m in kernels.values():
        tot.update(m)
    n = max(len(kernels), 1)
    print(f"{name}: {len(kernels)} kernels, HBM read {tot['dram__bytes_read.sum'] / 1e9:.3f} GB, "
          f"write {tot['dram__bytes_write.sum'] / 1e9:.3f} GB, "
          f"time {tot['gpu__time_duration.sum'] * 1e3:.3f} ms, "
          f"mean L2 hit {tot['lts__t_sector_hit_rate.pct'] / n:.1f}%")
