#!/usr/bin/python3
"""Slow HTTP clients for the server's time limits (tests of issue 20).

Opens --connections connections to 127.0.0.1:--port, each from --source
(one address for all) or, with --distinct-sources, from 127.0.1.1,
127.0.1.2, ... (one address each: a per-address limit does not stop them).
Each sends a request line, then either (--mode headers) one more header line
every --interval seconds, never ending the headers, or (--mode body) whole
headers announcing a 1 MB body and then one body byte every --interval
seconds. It keeps this up for --duration seconds (or until the server has
closed every connection) and notes, per connection,
when the server closed it (end of file or a reset), measured from the
moment the connection was opened.

Prints one JSON object: {"opened": N, "closed_by_server": N,
"close_times": [seconds, ...], "still_open": N}.
"""
import argparse
import errno
import json
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--connections", type=int, default=64)
ap.add_argument("--source", default="127.0.0.2")
ap.add_argument("--distinct-sources", action="store_true")
ap.add_argument("--mode", choices=["headers", "body"], default="headers")
ap.add_argument("--interval", type=float, default=0.5)
ap.add_argument("--duration", type=float, default=10)
args = ap.parse_args()

conns = []
for i in range(args.connections):
    src = "127.0.1.%d" % (i + 1) if args.distinct_sources else args.source
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", args.port))
    except BlockingIOError:
        pass
    head = b"POST /upscale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if args.mode == "body":
        head += b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
    conns.append({"sock": s, "opened": time.monotonic(), "closed": None, "pending": head})


def alive(c):
    """Whether the server has not closed c; notes when it did."""
    if c["closed"] is not None:
        return False
    try:
        data = c["sock"].recv(4096)
        if data == b"":
            c["closed"] = time.monotonic() - c["opened"]
            return False
        return True  # an answer (a 4xx, say): the connection still counts as held
    except BlockingIOError:
        return True
    except OSError as e:
        if e.errno in (errno.ENOTCONN, errno.EINPROGRESS):
            return True  # still connecting (in the server's backlog)
        c["closed"] = time.monotonic() - c["opened"]
        return False


def send(c, data):
    c["pending"] += data
    try:
        n = c["sock"].send(c["pending"])
        c["pending"] = c["pending"][n:]
    except (BlockingIOError, InterruptedError):
        pass
    except OSError as e:
        if e.errno not in (errno.ENOTCONN, errno.EINPROGRESS):
            c["closed"] = time.monotonic() - c["opened"]


start = time.monotonic()
tick = 0
# Until the duration is over, or every connection has been closed.
while time.monotonic() - start < args.duration and any(c["closed"] is None for c in conns):
    for c in conns:
        if alive(c):
            if tick == 0:
                send(c, b"")
            elif args.mode == "headers":
                send(c, b"X-Slow-%d: x\r\n" % tick)
            else:
                send(c, b" ")
    tick += 1
    # Check for closes often, send at the interval.
    end = time.monotonic() + args.interval
    while time.monotonic() < end:
        for c in conns:
            alive(c)
        time.sleep(0.05)

times = sorted(c["closed"] for c in conns if c["closed"] is not None)
print(json.dumps({
    "opened": len(conns),
    "closed_by_server": len(times),
    "close_times": [round(t, 2) for t in times],
    "still_open": len(conns) - len(times),
}))
