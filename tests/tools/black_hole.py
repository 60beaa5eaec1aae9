#!/usr/bin/python3
"""A server that accepts TCP connections and never answers (tests of issue 20).

Binds --bind on a free port, writes the port to --port-file (atomically),
then accepts connections for ever, keeps them open and never reads or
writes: a storage endpoint that takes a request and hangs. Each accepted
connection appends "accept" to --log, so a test can tell that a request
reached it. Stopped by a signal.
"""
import argparse
import os
import socket

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
args = ap.parse_args()

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind((args.bind, 0))
srv.listen(64)
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(tmp, args.port_file)
held = []
while True:
    conn, _ = srv.accept()
    held.append(conn)  # kept open, never read: the peer waits for an answer
    with open(args.log, "a") as f:
        f.write("accept\n")
