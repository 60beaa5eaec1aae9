# fp16 GEMM (8192^3, as bench/cuda_torch_baseline.py measures the peak)
# run for SECONDS: TFLOP/s over the first 30 and over all of them, so
# that a peak measured before the power cap bites shows.
import sys
import time

import torch

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
n = 8192
a = torch.randn(n, n, device="cuda", dtype=torch.float16)
b = torch.randn(n, n, device="cuda", dtype=torch.float16)
for _ in range(5):
    a @ b
torch.cuda.synchronize()
flop = 2.0 * n ** 3
t0 = time.perf_counter()
done, first = 0, None
while time.perf_counter() - t0 < secs:
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    done += 10
    if done == 30:
        first = flop * 30 / (time.perf_counter() - t0) / 1e12
total = flop * done / (time.perf_counter() - t0) / 1e12
print(f"RESULT gemm fp16 8192^3 first30 tflops={first:.1f} sustained {secs:g}s tflops={total:.1f} ({done} GEMMs)")
