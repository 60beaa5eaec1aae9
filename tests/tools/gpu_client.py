#!/usr/bin/env python3
"""A client of the remote GPU transform worker (vidaio-next-gpu-transform/v1)
written from the contract of validator-vidaio's vidaio/miner/remote_gpu.py,
with Python's standard library only (http.client, ssl, hashlib): the real
miner is Python. It refuses plain HTTP, never follows redirects, sends the
base64url metadata header and the raw input, and accepts an answer only
when every binding header and the output digest check out.

  gpu_client.py process --url URL --token T --cafile CERT --track T
      --variant V --params JSON --input IN --output OUT [--deadline S]
      [--allow-cpu-fallback]
  gpu_client.py health --url URL --token T --cafile CERT
  gpu_client.py selftest --url URL --token T --cafile CERT --clip IN
      --compress-clip IN --scratch DIR --max-input BYTES

selftest runs the worker's flows through this client (tests/cli/
test_serve_gpu.sh runs it): both tracks end to end, the binding checks,
every metadata field wrong in turn, the params limit at its edge with
json.dumps as the oracle, size and digest mismatches, a truncated and an
oversize body, wrong and missing tokens, and no scratch file left behind.
Exit status 0 when everything held, 1 otherwise."""

import argparse
import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit

PROTOCOL = "vidaio-next-gpu-transform/v1"
H_METADATA = "x-vidaio-gpu-metadata"
H_PROTOCOL = "x-vidaio-gpu-protocol"
H_INPUT = "x-vidaio-input-digest"
H_OUTPUT = "x-vidaio-output-digest"
H_TRACK = "x-vidaio-track"
H_VARIANT = "x-vidaio-solution-variant"
H_ACCEL = "x-vidaio-gpu-accelerated"
H_DEVICE = "x-vidaio-gpu-device"
CPU_FALLBACK_DEVICE = "cpu:ffmpeg-fallback"
MAX_ERROR_BODY = 4 * 1024
MAX_HEALTH_BODY = 64 * 1024
VARIANTS = ("quality", "balanced", "compact", "premium")


class WorkerError(Exception):
    """The worker refused, or its answer did not bind to the request."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def encode_metadata(payload):
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                     allow_nan=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Client:
    def __init__(self, url, token, cafile, timeout=120.0):
        parts = urlsplit(url)
        if (parts.scheme.lower() != "https" or not parts.hostname or parts.username
                or parts.password or parts.query or parts.fragment):
            raise ValueError("remote GPU endpoint must be absolute HTTPS without credentials, "
                             "query, or fragment")
        if not token or token != token.strip() or any(c in token for c in "\r\n\x00"):
            raise ValueError("remote GPU auth token must be non-empty, trimmed and single-line")
        self.host, self.port = parts.hostname, parts.port or 443
        self.base = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=cafile)

    def connect(self):
        return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                           context=self.ctx)

    def request(self, method, path, headers, body=None):
        """One raw request; returns (status, headers, body bytes)."""
        conn = self.connect()
        try:
            conn.request(method, self.base + path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.headers, data
        finally:
            conn.close()

    def metadata(self, track, variant, input_path, params, deadline, **override):
        meta = {
            "protocol": PROTOCOL,
            "track": track,
            "solution_variant": variant,
            "input_digest": sha256_file(input_path),
            "input_size": os.path.getsize(input_path),
            "deadline_seconds": float(deadline),
            "params": dict(params),
        }
        meta.update(override)
        return meta

    def headers(self, meta_header, size, token=None):
        h = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
            H_PROTOCOL: PROTOCOL,
            H_METADATA: meta_header,
        }
        if token is not False:
            h["Authorization"] = f"Bearer {self.token if token is None else token}"
        return h

    def process(self, track, variant, input_path, output_path, params, deadline=120.0,
                allow_cpu_fallback=False, max_output_bytes=1 << 32):
        """POST /process as remote_gpu.py does; the output lands at
        output_path only when it binds. Returns the response headers."""
        if variant not in VARIANTS:
            raise ValueError(f"unsupported solution variant {variant!r}")
        meta = self.metadata(track, variant, input_path, params, deadline)
        headers = self.headers(encode_metadata(meta), meta["input_size"])
        partial = output_path + ".part"
        conn = self.connect()
        try:
            with open(input_path, "rb") as source:
                conn.request("POST", self.base + "/process", body=source, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                detail = resp.read(MAX_ERROR_BODY).decode("utf-8", "replace")
                detail = detail.replace("\n", " ").strip().replace(self.token, "<redacted>")
                raise WorkerError(f"remote GPU worker refused transform (HTTP {resp.status}): "
                                  f"{detail}", resp.status)
            validate_binding(resp.headers, meta["input_digest"], track, variant,
                             allow_cpu_fallback)
            media = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media not in ("video/mp4", "application/octet-stream"):
                raise WorkerError(f"unsupported media type {media!r}")
            declared = resp.headers.get("content-length")
            if declared is not None and not 1 <= int(declared) <= max_output_bytes:
                raise WorkerError(f"response size outside the bound: {declared}")
            digest = hashlib.sha256()
            received = 0
            with open(partial, "xb") as sink:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > max_output_bytes:
                        raise WorkerError("response crossed the output cap")
                    digest.update(chunk)
                    sink.write(chunk)
            if received < 1:
                raise WorkerError("remote GPU worker returned an empty output")
            if declared is not None and received != int(declared):
                raise WorkerError(f"received {received} bytes of {declared}")
            claimed = resp.headers.get(H_OUTPUT, "")
            if claimed != digest.hexdigest():
                raise WorkerError(f"output digest mismatch: received {digest.hexdigest()}, "
                                  f"worker claimed {claimed or '<missing>'}")
            os.replace(partial, output_path)
            return resp.headers
        finally:
            conn.close()
            if os.path.exists(partial):
                os.unlink(partial)

    def health(self):
        status, headers, data = self.request("GET", "/healthz",
                                             {"Authorization": f"Bearer {self.token}"})
        if status != 200:
            raise WorkerError(f"remote GPU health probe failed: HTTP {status}", status)
        if len(data) > MAX_HEALTH_BODY:
            raise WorkerError("remote GPU health response is too large")
        payload = json.loads(data)
        if not isinstance(payload, dict) or payload.get("protocol") != PROTOCOL:
            raise WorkerError("remote GPU health probe has the wrong protocol")
        if payload.get("gpu_available") is not True:
            raise WorkerError("remote GPU health probe did not report gpu_available=true")
        return payload


def validate_binding(headers, input_digest, track, variant, allow_cpu_fallback):
    device = headers.get(H_DEVICE, "")
    cpu_fallback = allow_cpu_fallback and device == CPU_FALLBACK_DEVICE
    expected = {
        H_PROTOCOL: PROTOCOL,
        H_INPUT: input_digest,
        H_TRACK: track,
        H_VARIANT: variant,
        H_ACCEL: "false" if cpu_fallback else "true",
    }
    for name, value in expected.items():
        actual = headers.get(name, "")
        if actual != value:
            raise WorkerError(f"remote GPU response binding {name}={actual!r}, expected {value!r}")
    cuda = device.lower().startswith("cuda:")
    premium_cpu = (variant == "premium" and track == "compression"
                   and device.lower().startswith("abav1:"))
    if not (cuda or premium_cpu or cpu_fallback):
        raise WorkerError(f"remote worker did not attest an acceptable device: {device!r}")


# ---- selftest ---------------------------------------------------------------

class Checks:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what):
        self.n += 1
        if not ok:
            self.failed += 1
            print(f"FAIL: {what}", file=sys.stderr)
        return ok


def scratch_entries(scratch):
    return sorted(e for e in os.listdir(scratch) if e.startswith(("vsr-gpu-", "vsr-job-")))


def wait_scratch_empty(scratch, seconds=10.0):
    end = time.monotonic() + seconds
    while scratch_entries(scratch) and time.monotonic() < end:
        time.sleep(0.1)
    return scratch_entries(scratch)


def status_of(client, meta, body, token=None, protocol_header=True, raw_header=None):
    h = client.headers(raw_header if raw_header is not None else encode_metadata(meta), len(body),
                       token)
    if not protocol_header:
        del h[H_PROTOCOL]
    status, _, data = client.request("POST", "/process", h, body)
    return status, data.decode("utf-8", "replace").strip()


def selftest(args):
    c = Checks()
    client = Client(args.url, args.token, args.cafile)
    clip, cclip, scratch = args.clip, args.compress_clip, args.scratch
    out = os.path.join(scratch, "py-out.mp4")
    body = open(clip, "rb").read()

    # Plain HTTP is refused by the client, as remote_gpu.py refuses it.
    try:
        Client(args.url.replace("https://", "http://", 1), args.token, args.cafile)
        c.check(False, "a plain-HTTP endpoint was accepted")
    except ValueError as e:
        c.check("HTTPS" in str(e), f"plain HTTP refused for another reason: {e}")

    # Both tracks end to end. This CI machine has no GPU: the worker must
    # say so (accelerated false, the CPU device), which the client takes
    # only with CPU fallback allowed, and refuses otherwise.
    h = client.process("upscaling", "balanced", clip, out, {"upscale_factor": 2},
                       allow_cpu_fallback=True)
    c.check(os.path.getsize(out) > 0, "upscaling: empty output")
    c.check(h.get(H_DEVICE) == CPU_FALLBACK_DEVICE and h.get(H_ACCEL) == "false",
            f"upscaling on the CPU attested {h.get(H_ACCEL)} {h.get(H_DEVICE)}")
    print(json.dumps({"track": "upscaling", "output": out, "device": h.get(H_DEVICE)}))
    try:
        client.process("upscaling", "compact", clip, out + ".2", {"upscale_factor": 2})
        c.check(False, "a CPU-made output was taken for a GPU's")
    except WorkerError as e:
        c.check("x-vidaio-gpu-accelerated" in str(e), f"refused for another reason: {e}")
    c.check(not os.path.exists(out + ".2"), "a refused output was kept")
    cout = os.path.join(scratch, "py-cout.mp4")
    h = client.process("compression", "quality", cclip, cout,
                       {"target_codec": "hevc", "codec_mode": "CRF", "compression_type": "Low"},
                       allow_cpu_fallback=True)
    c.check(os.path.getsize(cout) < 0.8 * os.path.getsize(cclip), "compression: output too big")
    print(json.dumps({"track": "compression", "output": cout, "device": h.get(H_DEVICE)}))

    # Health: honest about the GPU.
    status, _, data = client.request("GET", "/healthz", {"Authorization": f"Bearer {args.token}"})
    payload = json.loads(data) if status == 200 else {}
    c.check(status == 200 and payload.get("protocol") == PROTOCOL
            and payload.get("gpu_available") is False,
            f"healthz: {status} {data[:200]!r}")
    try:
        client.health()
        c.check(False, "health probe passed without a GPU")
    except WorkerError as e:
        c.check("gpu_available" in str(e), f"health refused for another reason: {e}")

    # Tokens.
    meta = client.metadata("upscaling", "balanced", clip, {"upscale_factor": 2}, 60)
    c.check(status_of(client, meta, body, token="wrong")[0] == 401, "wrong token not 401")
    c.check(status_of(client, meta, body, token=False)[0] == 401, "missing token not 401")
    status, _, _ = client.request("GET", "/healthz", {})
    c.check(status == 401, f"healthz without a token: {status}")

    # Every field wrong in turn: 400 naming it.
    wrong = [
        ("protocol", "vidaio-next-gpu-transform/v2"), ("protocol", None), ("protocol", 1),
        ("track", "restoration"), ("track", None), ("solution_variant", "fast"),
        ("solution_variant", None), ("input_digest", meta["input_digest"].upper()),
        ("input_digest", "abc"), ("input_digest", None), ("input_size", 0),
        ("input_size", "2598"), ("input_size", None), ("deadline_seconds", 0),
        ("deadline_seconds", 600.5), ("deadline_seconds", "60"), ("deadline_seconds", None),
        ("params", None), ("params", [2]), ("params", {"upscale_factor": [2]}),
        ("params", {"upscale_factor": True}), ("params", {f"k{i}": i for i in range(33)}),
    ]
    for field, value in wrong:
        m = dict(meta)
        if value is None and field != "params":
            del m[field]
        else:
            m[field] = value
        status, text = status_of(client, m, body)
        c.check(status == 400 and (field in text or "metadata" in text),
                f"{field}={value!r}: {status} {text}")
    for raw, why in (("", "missing"), ("e30*", "base64url"), ("bm8", "not JSON"),
                     ("W10", "JSON object"), ("A" * 21849, "too large")):
        status, text = status_of(client, meta, body, raw_header=raw)
        c.check(status == 400 and why in text, f"metadata {raw[:8]!r}: {status} {text}")
    status, text = status_of(client, meta, body, protocol_header=False)
    c.check(status == 400 and "protocol header" in text, f"no protocol header: {status} {text}")

    # The params limit, json.dumps being the oracle: 8192 bytes pass the
    # metadata (and fail later, on the digest given), 8193 do not.
    for size, want in ((8192, 422), (8193, 400)):
        params = {"upscale_factor": 2, "pad": ""}
        params["pad"] = "é" * 10
        params["pad"] += "x" * (size - len(json.dumps(params, allow_nan=False,
                                                       separators=(",", ":"))))
        c.check(len(json.dumps(params, separators=(",", ":")).encode()) == size, "params size")
        m = dict(meta, params=params, input_digest="0" * 64)
        status, text = status_of(client, m, body)
        c.check(status == want, f"params of {size} bytes: {status} {text}")

    # Size and digest mismatches.
    status, text = status_of(client, dict(meta, input_size=len(body) + 1), body)
    c.check(status == 400 and "size" in text, f"size mismatch: {status} {text}")
    status, text = status_of(client, dict(meta, input_digest="0" * 64), body)
    c.check(status == 422 and "digest" in text, f"digest mismatch: {status} {text}")
    # Oversize: the worker's cap, before any byte is read.
    big = args.max_input + 1
    m = dict(meta, input_size=big)
    h = client.headers(encode_metadata(m), big)
    conn = client.connect()
    try:
        conn.putrequest("POST", client.base + "/process")
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        text = resp.read().decode()
        c.check(resp.status == 413, f"oversize: {resp.status} {text}")
    finally:
        conn.close()

    # A truncated body: the client stops half way and hangs up. No answer
    # can come; the worker must drop the request and its scratch, and go on.
    raw = socket.create_connection((client.host, client.port), timeout=30)
    tls = client.ctx.wrap_socket(raw, server_hostname=client.host)
    head = "".join(f"{k}: {v}\r\n" for k, v in client.headers(encode_metadata(meta),
                                                                 len(body)).items())
    tls.sendall(f"POST {client.base}/process HTTP/1.1\r\nHost: {client.host}\r\n{head}\r\n"
                .encode() + body[: len(body) // 2])
    time.sleep(0.5)
    tls.close()
    left = wait_scratch_empty(scratch)
    c.check(not left, f"a truncated upload left {left}")
    status, _, _ = client.request("GET", "/healthz", {"Authorization": f"Bearer {args.token}"})
    c.check(status == 200, f"the worker after a truncated upload: {status}")

    left = wait_scratch_empty(scratch)
    c.check(not left, f"scratch left behind: {left}")
    print(f"gpu_client selftest: {c.n} checks, {c.failed} failed")
    return 0 if c.failed == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("process", "health", "selftest"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--token", required=True)
        p.add_argument("--cafile", required=True)
        if name == "process":
            p.add_argument("--track", required=True)
            p.add_argument("--variant", default="balanced")
            p.add_argument("--params", default="{}")
            p.add_argument("--input", required=True)
            p.add_argument("--output", required=True)
            p.add_argument("--deadline", type=float, default=120.0)
            p.add_argument("--allow-cpu-fallback", action="store_true")
        if name == "selftest":
            p.add_argument("--clip", required=True)
            p.add_argument("--compress-clip", required=True)
            p.add_argument("--scratch", required=True)
            p.add_argument("--max-input", type=int, required=True)
    args = ap.parse_args()
    try:
        if args.cmd == "selftest":
            return selftest(args)
        client = Client(args.url, args.token, args.cafile)
        if args.cmd == "health":
            print(json.dumps(client.health()))
            return 0
        h = client.process(args.track, args.variant, args.input, args.output,
                           json.loads(args.params), args.deadline, args.allow_cpu_fallback)
        print(json.dumps({k.lower(): v for k, v in h.items() if k.lower().startswith("x-vidaio")}))
        return 0
    except (WorkerError, ValueError, OSError, http.client.HTTPException, ssl.SSLError) as e:
        print(f"gpu_client: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
