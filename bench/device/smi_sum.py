# (bundled beside a run script as smi_sum.py: calls 19 and 26 of
# bench/results/2026-12-07-h100-rrdb-6.md)
# Summarises an nvidia-smi log (timestamp, SM MHz, W, throttle reasons):
# the busy samples' clock and power, and how often each reason was set.
import collections
import sys

name, path = sys.argv[1], sys.argv[2]
rows = []
for line in open(path):
    f = [x.strip() for x in line.split(",")]
    try:
        rows.append((float(f[1]), float(f[2]), f[3]))
    except (IndexError, ValueError):
        pass
busy = [r for r in rows if r[1] > 200]  # watts: the GPU at work
if not busy:
    print(f"{name}: no busy samples of {len(rows)}")
    sys.exit(0)
clk = sorted(r[0] for r in busy)
reasons = collections.Counter(r[2] for r in busy)
print(f"{name}: {len(busy)} busy samples of {len(rows)}, SM MHz median {clk[len(clk) // 2]:.0f} "
      f"min {clk[0]:.0f} max {clk[-1]:.0f}, W mean {sum(r[1] for r in busy) / len(busy):.0f}, "
      f"reasons {dict(reasons)}")
