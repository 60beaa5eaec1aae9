#!/usr/bin/env python3
"""timed.py TIMEFILE CMD [ARG...]: runs CMD (stdin, stdout and stderr
inherited), writes "WALL_S CPU_S" (seconds of wall clock, and of user + system
CPU time of CMD and its children) to TIMEFILE, and exits with CMD's status
(128 + N for a signal N). For the VMAF oracle and the quality benchmark."""
import resource
import subprocess
import sys
import time

if len(sys.argv) < 3:
    sys.exit("usage: timed.py TIMEFILE CMD [ARG...]")
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.monotonic()
try:
    rc = subprocess.call(sys.argv[2:])
except OSError as e:
    sys.exit(f"timed.py: cannot run {sys.argv[2]}: {e}")
wall = time.monotonic() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
with open(sys.argv[1], "w") as f:
    f.write(f"{wall:.3f} {cpu:.3f}\n")
sys.exit(128 - rc if rc < 0 else rc)
