#!/usr/bin/python3
"""A misbehaving HTTP server for the download tests (tests/unit/test_download.c).

Binds --bind on a free port (port 0) and writes the port to --port-file
(atomically, so a reader never sees half a number). Logs every accepted
connection ("accept <peer>") and request ("GET <path>") to --log, flushed at
once, so a test can tell whether anything reached it.

Paths:
  /file/NAME            NAME from --dir, with Content-Length
  /redirect?to=URL      302 to URL
  /loop                 302 to itself, forever
  /chain/N              N redirects, then a 2-byte body "ok"
  /drop?len=L&send=S    claims L bytes, sends S, closes the connection
  /stall-headers        accepts, never answers
  /stall-body           claims 1000 bytes, sends 10, then nothing
  /big?n=N              N bytes without Content-Length (ends at close)
  /biglen?n=N           N bytes with Content-Length
  /drip?n=N&ms=M        N bytes without Content-Length, one every M ms
  /status/CODE          that status with a short body
"""
import argparse
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")
            f.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True  # stalled handlers must not keep the process alive
    allow_reuse_address = True

    def get_request(self):
        sock, peer = super().get_request()
        log("accept %s" % peer[0])
        return sock, peer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        pass  # the request log above is enough; keep ctest output clean

    def send_bytes(self, n, content_length=True):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if content_length:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        chunk = b"x" * 65536
        while n > 0:
            k = min(n, len(chunk))
            self.wfile.write(chunk[:k])
            n -= k

    def do_GET(self):
        log("GET %s" % self.path)
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.strip("/").split("/")
        try:
            self.route(parts, q)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def route(self, parts, q):
        head = parts[0]
        if head == "file" and len(parts) == 2:
            path = os.path.join(args.dir, os.path.basename(parts[1]))
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif head == "redirect":
            self.send_response(302)
            self.send_header("Location", q["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif head == "loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif head == "chain" and len(parts) == 2:
            n = int(parts[1])
            if n > 0:
                self.send_response(302)
                self.send_header("Location", "/chain/%d" % (n - 1))
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
        elif head == "drop":
            self.send_response(200)
            self.send_header("Content-Length", q["len"])
            self.end_headers()
            self.wfile.write(b"d" * int(q["send"]))
            self.wfile.flush()
            self.close_connection = True
        elif head == "stall-headers":
            time.sleep(120)
        elif head == "stall-body":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"s" * 10)
            self.wfile.flush()
            time.sleep(120)
        elif head == "big":
            self.send_bytes(int(q["n"]), content_length=False)
        elif head == "biglen":
            self.send_bytes(int(q["n"]), content_length=True)
        elif head == "drip":
            self.send_response(200)
            self.end_headers()
            for _ in range(int(q["n"])):
                self.wfile.write(b".")
                self.wfile.flush()
                time.sleep(int(q["ms"]) / 1000.0)
        elif head == "status" and len(parts) == 2:
            code = int(parts[1])
            body = b"status %d\n" % code
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--max-seconds", type=float, default=600)
    args = p.parse_args()
    # A backstop for a test that died without stopping us (the test also
    # sets PR_SET_PDEATHSIG): never outlive the test's own ctest timeout.
    timer = threading.Timer(args.max_seconds, os._exit, (1,))
    timer.daemon = True
    timer.start()
    srv = Server((args.bind, 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
