#!/usr/bin/env python3
"""VBR rate control (issue 16): at a target bitrate R, which rate control
gives the higher VMAF with the average bitrate at most 1.1 R (what the
validators accept): one-pass ABR (-b:v R), two-pass (x265-params pass/stats,
ffmpeg -pass for the others), or capped CRF (the lowest CRF whose average is
<= R with -maxrate R -bufsize 2R; found by bisection over the whole range).
Encodes with the ffmpeg CLI (the same Debian libraries vsr links), scores
with `vsr quality`. Clips: bench/compress_bench.sh's (run it once first).

    VSR_BIN=build-rel/vsr CLIPS_DIR=/tmp/vsr-compress-bench/clips \
        bench/compress_vbr_rc.py [hevc,h264,vp9,av1]

Output: clip codec R mode bitrate xR VMAF delta seconds (one line each).
Presets: x265/x264 medium, SVT-AV1 8, libvpx-vp9 good cpu-used 4, 2 threads.
Results: bench/results/2026-12-06-compress-modes.md.
"""
import subprocess, json, os, sys, tempfile, time
VSR = os.environ.get("VSR_BIN", "build-rel/vsr")
CLIPS = os.environ.get("CLIPS_DIR", "/tmp/vsr-compress-bench/clips")
W = tempfile.mkdtemp(prefix="vsr-vbr-rc-")
clips = {"garden_pan": [100e3, 200e3], "ladybird_zoom": [100e3, 200e3], "rain_grain": [300e3, 800e3]}
codecs = sys.argv[1].split(",") if len(sys.argv) > 1 else ["hevc", "h264", "vp9", "av1"]
def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
def vbits(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=size", "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout
    b = sum(int(x) for x in out.split())
    return b * 8 / 5.0
def vmaf(path, ref):
    j = json.loads(subprocess.run([VSR, "quality", path, "--reference", ref, "--json"], capture_output=True, text=True, check=True).stdout)
    return j["pooled"]["vmaf"]["mean"], j["neg_delta"]
base = {"hevc": ["-c:v", "libx265", "-preset", "medium"],
        "h264": ["-c:v", "libx264", "-preset", "medium"],
        "vp9": ["-c:v", "libvpx-vp9", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1"],
        "av1": ["-c:v", "libsvtav1", "-preset", "8"]}
def enc(codec, src, out, R, mode, crf=None, pas=None):
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", src, "-an", "-threads", "2"] + base[codec]
    stats = f"{W}/{codec}.stats"
    xp = "log-level=error"
    if mode == "abr":
        cmd += ["-b:v", str(int(R))]
    elif mode == "2pass":
        cmd += ["-b:v", str(int(R))]
        if codec == "hevc":
            xp += f":pass={pas}:stats={stats}"
        else:
            cmd += ["-pass", str(pas), "-passlogfile", stats]
    elif mode == "capped":
        cmd += ["-crf", str(crf), "-maxrate", str(int(R)), "-bufsize", str(int(2 * R))]
        if codec == "vp9":
            cmd += ["-b:v", str(int(R))]
    if codec == "hevc":
        cmd += ["-x265-params", xp]
    if pas == 1:
        cmd += ["-f", "null", "/dev/null"]
    else:
        cmd += ["-pix_fmt", "yuv420p", out]
    run(cmd)
ranges = {"hevc": (0, 51), "h264": (0, 51), "vp9": (0, 63), "av1": (1, 63)}
for codec in codecs:
    for clip, rates in clips.items():
        src = f"{CLIPS}/{clip}.mp4"
        for R in rates:
            out = f"{W}/o.mp4"
            for mode in ["abr", "2pass", "capped"]:
                t0 = time.time()
                try:
                    if mode == "abr":
                        enc(codec, src, out, R, mode)
                    elif mode == "2pass":
                        enc(codec, src, out, R, mode, pas=1)
                        enc(codec, src, out, R, mode, pas=2)
                    else:
                        lo, hi = ranges[codec]  # the lowest CRF with bitrate <= R
                        best = None
                        while lo <= hi:
                            m = (lo + hi) // 2
                            enc(codec, src, out, R, mode, crf=m)
                            if vbits(out) <= R:
                                best = m; hi = m - 1
                            else:
                                lo = m + 1
                        if best is None:
                            print(f"{clip} {codec} {R/1e3:.0f}k capped: no CRF under R"); continue
                        enc(codec, src, out, R, mode, crf=best)
                        mode = f"capped{best}"
                except subprocess.CalledProcessError as e:
                    print(f"{clip} {codec} {R/1e3:.0f}k {mode}: FAILED {e.stderr[-300:]}"); continue
                br = vbits(out); v, d = vmaf(out, src)
                print(f"{clip:14s} {codec:4s} {R/1e3:5.0f}k {mode:10s} {br/1e3:7.1f}k x{br/R:.3f} VMAF {v:7.3f} delta {d:5.2f} {time.time()-t0:5.1f}s", flush=True)
