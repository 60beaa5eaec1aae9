#!/usr/bin/env python3
"""Encoder settings at a VMAF target (issue 16, item 2): for each variant of
the search's encoder settings, the bytes at VMAF = GOAL, interpolated
log-linearly between the two CRFs that bracket GOAL (CRFs added by 3 until
they do), and the NEG delta there (a variant that lowers the bytes but
lifts the delta over 3 does not pay: the search must then take a lower
CRF). Encodes with the ffmpeg CLI (x265 slow / SVT-AV1 preset 6, as vsr
compress without a deadline; keyint 300 = vsr's 10 s; x265 info=0 as vsr),
scores with `vsr quality`. Clips: bench/compress_bench.sh's.

    VSR_BIN=build-rel/vsr CLIPS_DIR=/tmp/vsr-compress-bench/clips \
        bench/compress_settings.py hevc 89.5 garden_pan,ladybird_zoom,rain_grain [variants]

Results: bench/results/2026-12-06-compress-modes.md.
"""
import subprocess, json, sys, math, os, tempfile, time
VSR = os.environ.get("VSR_BIN", "build-rel/vsr")
W = tempfile.mkdtemp(prefix="vsr-settings-")
CL = os.environ.get("CLIPS_DIR", "/tmp/vsr-compress-bench/clips")
codec = sys.argv[1]
goal = float(sys.argv[2])
clips = sys.argv[3].split(",")
grid = {  # starting CRFs per clip
    "hevc": {"garden_pan": [34, 37, 40], "ladybird_zoom": [30, 33, 36], "rain_grain": [28, 31, 34]},
    "av1": {"garden_pan": [54, 58, 62], "ladybird_zoom": [50, 54, 58], "rain_grain": [45, 49, 53]},
}[codec]
if codec == "hevc":
    variants = {"base": [], "aq3": ["aq-mode=3"], "psy0": ["psy-rd=0", "psy-rdoq=0"], "nosao": ["no-sao=1"],
                "psy0nosao": ["psy-rd=0", "psy-rdoq=0", "no-sao=1"], "keyint60": "G60", "slower": "Pslower"}
else:
    variants = {"base": [], "tune0": ["tune=0"], "qm": ["enable-qm=1"], "notf": ["enable-tf=0"],
                "keyint60": "G60", "preset5": "P5"}
sel = sys.argv[4].split(",") if len(sys.argv) > 4 else list(variants)
def enc(src, crf, var, out):
    v = variants[var]
    g = 300; preset = "slow" if codec == "hevc" else "6"; params = []
    if isinstance(v, str):
        if v[0] == "G": g = int(v[1:])
        else: preset = v[1:]
    else:
        params = v
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", src, "-an", "-threads", "2", "-g", str(g)]
    if codec == "hevc":
        cmd += ["-c:v", "libx265", "-preset", preset, "-crf", str(crf), "-x265-params", ":".join(["log-level=error", "info=0"] + params)]
    else:
        cmd += ["-c:v", "libsvtav1", "-preset", preset, "-crf", str(crf)]
        if params: cmd += ["-svtav1-params", ":".join(params)]
    cmd += ["-pix_fmt", "yuv420p", "-movflags", "+faststart", out]
    t0 = time.time()
    subprocess.run(cmd, check=True, env=dict(os.environ, SVT_LOG="1"))
    return time.time() - t0
def vmaf(p, ref):
    j = json.loads(subprocess.run([VSR, "quality", p, "--reference", ref, "--json"], capture_output=True, text=True, check=True).stdout)
    return j["pooled"]["vmaf"]["mean"], j["neg_delta"]
for clip in clips:
    src = f"{CL}/{clip}.mp4"
    for var in sel:
        pts = {}
        crfs = list(grid[clip])
        tsum = 0
        while True:
            for crf in crfs:
                if crf in pts: continue
                out = f"{W}/{codec}_{clip}_{var}_{crf}.mp4"
                tsum += enc(src, crf, var, out)
                v, d = vmaf(out, src)
                pts[crf] = (v, d, os.path.getsize(out))
            ks = sorted(pts)
            # bracket: some CRF with vmaf >= goal and a higher CRF with vmaf < goal
            lo = [k for k in ks if pts[k][0] >= goal]; hi = [k for k in ks if pts[k][0] < goal]
            if not lo: crfs = [min(ks) - 3]; continue
            if not hi: crfs = [max(ks) + 3] if max(ks) + 3 <= (51 if codec == "hevc" else 63) else []; 
            if not hi and not crfs: break
            if not hi: continue
            break
        lo = [k for k in sorted(pts) if pts[k][0] >= goal]; hi = [k for k in sorted(pts) if pts[k][0] < goal]
        if lo and hi:
            a = max(lo); b = min(k for k in hi if k > a) if [k for k in hi if k > a] else None
        if lo and hi and b is not None:
            (va, da, ba), (vb, db, bb) = pts[a], pts[b]
            t = (va - goal) / (va - vb)
            by = math.exp(math.log(ba) + t * (math.log(bb) - math.log(ba)))
            dl = da + t * (db - da)
            res = f"bytes@{goal} {by:9.0f} delta {dl:4.2f}"
        else:
            res = "not bracketed"
        pl = " ".join(f"{k}:{pts[k][0]:.2f}/{pts[k][1]:.2f}/{pts[k][2]}" for k in sorted(pts))
        print(f"{codec} {clip:14s} {var:9s} {res}  enc {tsum:6.1f}s  [{pl}]", flush=True)
