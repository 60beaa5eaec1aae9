#!/usr/bin/python3
"""The client side of the soak benchmark (bench/soak/soak.sh): sends N mixed
jobs to one vsr serve, several at a time, and samples the server's RSS.

Mix (per 20 jobs): 10 valid upscales of a small local clip (output under the
root, removed by the client after it checked the reply), 5 invalid requests
(bad JSON, bad field, path traversal, unknown model, wrong method), 3
cancelled ones (the client hangs up 0.3 s into a long job), and bursts that
overrun the queue (their 429s counted). Writes one JSON summary line.

    soak_client.py --port P --root DIR --pid PID --jobs N --out summary.json
"""
import argparse
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Client:
    def __init__(self, port, root):
        self.base = f"http://127.0.0.1:{port}"
        self.root = root
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def post(self, path, body, timeout=120):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def valid(self, i):
        out = f"out/soak_{i}.mp4"
        code, body = self.post("/upscale", {"video_paths": ["clip.mp4"], "output_paths": [out],
                                            "scale": 2, "task_id": f"soak-{i}"})
        if code == 429:
            self.count("valid_429")
            return
        ok = code == 200 and json.loads(body).get("success") is True
        path = os.path.join(self.root, out)
        if ok and os.path.getsize(path) > 0:
            self.count("valid_ok")
            os.remove(path)
        else:
            self.count("valid_failed")
            self.errors.append(f"valid {i}: {code} {body[:200]!r}")

    def invalid(self, i):
        kind = i % 5
        if kind == 0:
            code, _ = self.post("/upscale", b'{"video_paths": [')
        elif kind == 1:
            code, _ = self.post("/upscale", {"video_paths": ["clip.mp4"], "scale": 7})
        elif kind == 2:
            code, _ = self.post("/upscale", {"video_paths": ["../../etc/passwd"],
                                             "output_paths": ["out/x.mp4"], "scale": 2})
        elif kind == 3:
            code, _ = self.post("/upscale", {"video_paths": ["clip.mp4"], "output_paths":
                                             ["out/x.mp4"], "scale": 2, "model": "no-such"})
        else:
            req = urllib.request.Request(self.base + "/upscale", method="GET")
            try:
                urllib.request.urlopen(req, timeout=30)
                code = 200
            except urllib.error.HTTPError as e:
                code = e.code
        if 400 <= code < 500 and code != 429:
            self.count("invalid_refused")
        elif code == 429:
            self.count("invalid_429")
        else:
            self.count("invalid_wrong")
            self.errors.append(f"invalid {i} (kind {kind}): status {code}")

    def cancelled(self, i):
        body = json.dumps({"video_paths": ["long.mp4"], "output_paths": [f"out/cancel_{i}.mp4"],
                           "scale": 2}).encode()
        port = int(self.base.rsplit(":", 1)[1])
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"POST /upscale HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.3)
        s.close()
        self.count("cancelled_sent")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--jobs", type=int, default=500)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c = Client(a.port, a.root)
    plan = []
    for i in range(a.jobs):
        r = i % 20
        plan.append(c.valid if r < 10 else c.invalid if r < 15 else c.cancelled if r < 18
                    else "burst")
    samples = [(0, rss_kib(a.pid))]
    t0 = time.time()
    i = 0
    bucket = 0
    while i < len(plan):
        batch = []
        while i < len(plan) and len(batch) < a.parallel:
            if plan[i] == "burst":
                # more at once than running + queued: the excess gets 429
                for k in range(8):
                    batch.append(threading.Thread(target=c.valid, args=(10000 + i * 10 + k,)))
            else:
                batch.append(threading.Thread(target=plan[i], args=(i,)))
            i += 1
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        if i // 25 != bucket or i == len(plan):
            bucket = i // 25
            samples.append((i, rss_kib(a.pid)))
    summary = {"jobs": a.jobs, "seconds": round(time.time() - t0, 1), "counts": c.counts,
               "rss_kib": samples, "errors": c.errors[:20]}
    with open(a.out, "w") as f:
        json.dump(summary, f)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
