#!/usr/bin/env bash
# Compression benchmark (issue 16, item 5): `vsr compress` against what a
# Vidaio compression miner would otherwise hand in, on clips made like the
# validators' (camera moves over Debian photos, one with film grain), for
# each VMAF target T and codec:
#   (a) tiers:   the reference miners' fixed CRFs (validator-vidaio
#                vidaio/miner/encoding.py TIER_CRF: x265 22/26/30, SVT-AV1
#                35/40/45, preset "medium" = x265 medium / SVT-AV1 6, -tag:v
#                hvc1, yuv420p, MP4 +faststart, no audio), and the cheapest
#                tier whose VMAF meets T (with a NEG delta <= 3);
#   (b) bisect:  a plain CRF bisection on the whole clip: encode the whole
#                clip at a CRF with the ffmpeg CLI (the preset vsr compress
#                chose, encoder defaults otherwise), score it with `vsr
#                quality`, bisect over the codec's whole CRF range to the
#                largest CRF whose VMAF >= T (no margin) and NEG delta <= 3
#                (the validators' gate: without it the bisection often lands
#                on a file that scores 0);
#   (c) vsr compress --vmaf T --codec C (no deadline: the slowest preset of
#                its ladder, x265 slow / SVT-AV1 6).
# For each: bytes, VMAF v0.6.1 by `vsr quality` (integer extractors, the
# validators' score) and with --features float, VMAF by the oracle (libvmaf
# 1.3, float extractors: tests/tools/vmaf_oracle.sh), the NEG delta
# (integer VMAF - VMAF NEG), the Vidaio compression score and wall time.
# Score (validator-vidaio vidaio/scoring/compression.py): (0.7 (1 -
# bytes/ref_bytes) + 0.3 VMAF/100) / 1.12, zero if bytes >= 0.8 ref_bytes,
# VMAF < T or delta > 3; ref_bytes = the input's bytes, VMAF = vsr's integer
# score. Ratios: vsr compress bytes / the cheapest passing tier's (the issue
# asks <= 0.7) and / the bisection's.
#
#   bench/compress_bench.sh
#   CLIPS='garden|rain' TARGETS='89' CODECS=hevc bench/compress_bench.sh
#   HD=1 bench/compress_bench.sh           # also the 1280x720 clip
#
# Environment: CLIPS (a regex over clip names; default all 640x360 ones:
# garden_pan, ladybird_zoom, rain_grain), HD=1 (add wood_zoom720, 1280x720),
# HD_TARGETS (targets for the 720p clip; default TARGETS), TARGETS (default
# "85 89 93"), CODECS (default "hevc av1"), ORACLE=0 (skip the oracle),
# THREADS (vsr's and the oracle's threads; default every core), BUILD_DIR
# (default build-compress-bench; vsr is built there, Release, CUDA off),
# VSR_BIN (a vsr to use instead), WORK_DIR (default ${TMPDIR:-/tmp}/vsr-
# compress-bench; clips and encodes there, clips kept between runs, every
# encode made again), KEEP=1 (keep the encodes).
#
# Clips (5 s, 30 fps, no audio): zoompan over a photo of Debian's
# mate-backgrounds (integer crop positions on a larger canvas, resampled to
# the output size, so the camera jitters like a hand-held one; the photo is
# downscaled 2-3x, like the validators' 1080p/4K stock footage brought down),
# then "the reference" the miner receives: libx264 medium CRF 20, yuv420p,
# MP4 +faststart. That file is IN: every VMAF is against it, ref_bytes is
# its size.
#   garden_pan     640x360  a pan over a garden with a shaking camera
#   ladybird_zoom  640x360  a zoom into a ladybird, drifting and shaking
#   rain_grain     640x360  a pan over rain drops, with film grain (luma and
#                           chroma noise, new every frame)
#   wood_zoom720   1280x720 a slow zoom over wood grain, shaking (HD=1)
#
# Timings are wall clock on whatever else the machine runs: the script
# prints the load average at start and end.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIPS=${CLIPS:-.}
HD=${HD:-0}
TARGETS=${TARGETS:-85 89 93}
HD_TARGETS=${HD_TARGETS:-$TARGETS}
CODECS=${CODECS:-hevc av1}
ORACLE=${ORACLE:-1}
THREADS=${THREADS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build-compress-bench}
WORK_DIR=${WORK_DIR:-${TMPDIR:-/tmp}/vsr-compress-bench}
KEEP=${KEEP:-0}

log() { echo "compress_bench: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive number, not '$THREADS'"
command -v python3 >/dev/null 2>&1 || die "python3 not found (run scripts/install-deps.sh)"
command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg not found (run scripts/install-deps.sh)"
enc=$(ffmpeg -hide_banner -encoders 2>/dev/null)
for e in libx264 libx265 libsvtav1; do
    grep -qw "$e" <<<"$enc" || die "this ffmpeg has no $e encoder"
done
oracle=${VSR_VMAF_ORACLE:-${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/vmaf-oracle}/ffmpeg}
if ((ORACLE)) && [[ ! -x $oracle ]]; then
    log "no VMAF oracle at $oracle: installing it"
    scripts/fetch-test-tools.sh
fi

if [[ -z ${VSR_BIN:-} ]]; then
    log "building vsr (Release, CUDA off) in $BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DVSR_WITH_CUDA=OFF \
        -DVSR_BUILD_TESTS=OFF >/dev/null
    cmake --build "$BUILD_DIR" --target vsr -j"$(nproc)" >/dev/null
    VSR_BIN=$BUILD_DIR/vsr
fi
[[ -x $VSR_BIN ]] || die "no vsr binary at $VSR_BIN"
"$VSR_BIN" compress --help >/dev/null 2>&1 || die "$VSR_BIN has no working 'compress' command"

# Clips.
photos=/usr/share/backgrounds/mate/nature
mkdir -p "$WORK_DIR/clips"
# clip NAME PHOTO WxH CANVAS_FILTER ZOOMPAN_ARGS [AFTER_FILTER]
clip() {
    local name=$1 photo=$photos/$2 size=$3 canvas=$4 zp=$5 after=${6:-}
    local out=$WORK_DIR/clips/$name.mp4
    [[ $name =~ $CLIPS ]] || return 0
    [[ -f $out ]] || {
        [[ -f $photo ]] || die "$photo missing (apt-get install mate-backgrounds)"
        log "making $name"
        ffmpeg -nostdin -v error -y -i "$photo" \
            -vf "$canvas,zoompan=$zp:d=150:s=$size:fps=30,format=yuv420p$after" -frames:v 150 \
            -c:v libx264 -preset medium -crf 20 -threads 1 -pix_fmt yuv420p -movflags +faststart \
            -map_metadata -1 -fflags +bitexact -flags:v +bitexact -an "$out.part.mp4"
        mv -f "$out.part.mp4" "$out"
    }
    echo "$name $out" >>"$WORK_DIR/clips.txt"
}
rm -f "$WORK_DIR/clips.txt"
clip garden_pan Garden.jpg 640x360 "crop=2560:1440:0:80" \
    "z=1.6:x='60+6*on+12*sin(on*1.7)+7*sin(on*4.1)':y='200+1.5*on+9*sin(on*2.3+1)'"
clip ladybird_zoom LadyBird.jpg 640x360 "crop=2560:1440:0:80" \
    "z='1.3+0.004*on':x='(iw-iw/zoom)/2+80+2*on+8*sin(on*2.9)':y='(ih-ih/zoom)/2+30+on+6*sin(on*1.3)'"
clip rain_grain RainDrops.jpg 640x360 "crop=1920:1080:0:60" \
    "z=1.25:x='20+2.4*on+6*sin(on*1.9)':y='40+0.8*on+5*sin(on*2.7)'" \
    ",noise=c0s=12:c0f=t+u:c1s=4:c1f=t+u:c2s=4:c2f=t+u"
if ((HD)); then
    clip wood_zoom720 Wood.jpg 1280x720 "crop=2560:1440:0:240" \
        "z='1.2+0.002*on':x='(iw-iw/zoom)/2-80+on+6*sin(on*1.9)':y='(ih-ih/zoom)/2+4*sin(on*2.7)'"
fi
[[ -s $WORK_DIR/clips.txt ]] || die "no clip matches CLIPS='$CLIPS'"

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# compress_bench: $(date -u +%Y-%m-%dT%H:%MZ), $cpu, $(nproc) cores, THREADS=$THREADS"
echo "# vsr: $VSR_BIN ($("$VSR_BIN" --version 2>&1 | head -1)); $(ffmpeg -version | head -1)"
((ORACLE)) && echo "# oracle: $oracle (libvmaf 1.3, float extractors, data/vmaf/vmaf_float_v0.6.1.pkl)"
echo "# TARGETS='$TARGETS' CODECS='$CODECS' HD=$HD HD_TARGETS='$HD_TARGETS'"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

VSR_BIN=$VSR_BIN WORK_DIR=$WORK_DIR TARGETS=$TARGETS HD_TARGETS=$HD_TARGETS CODECS=$CODECS \
    ORACLE=$ORACLE THREADS=$THREADS KEEP=$KEEP python3 - <<'EOF'
import json, os, subprocess, sys, time

vsr, work = os.environ["VSR_BIN"], os.environ["WORK_DIR"]
targets = [float(t) for t in os.environ["TARGETS"].split()]
hd_targets = [float(t) for t in os.environ["HD_TARGETS"].split()]
codecs = os.environ["CODECS"].split()
use_oracle = os.environ["ORACLE"] == "1"
threads = os.environ["THREADS"]
enc_dir = os.path.join(work, "enc")
os.makedirs(enc_dir, exist_ok=True)

# validator-vidaio vidaio/miner/encoding.py
TIERS = {"hevc": {"High": 22, "Medium": 26, "Low": 30}, "av1": {"High": 35, "Medium": 40, "Low": 45}}
TIER_PRESET = {"hevc": "medium", "av1": "6"}
ENCODER = {"hevc": "libx265", "av1": "libsvtav1"}
CRF_RANGE = {"hevc": (0, 51), "av1": (1, 63)}

def say(msg):
    print(f"compress_bench: {msg}", file=sys.stderr, flush=True)

def run(cmd, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return p, time.monotonic() - t0

def encode(src, dst, codec, preset, crf):
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-c:v", ENCODER[codec],
            "-preset", preset, "-crf", str(crf)]
    if codec == "hevc":
        args += ["-x265-params", "log-level=error", "-tag:v", "hvc1"]
    args += ["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-an", dst]
    p, s = run(args)
    if p.returncode:
        sys.exit(f"compress_bench: encode failed: {' '.join(args)}\n{p.stderr}")
    return s

qcache = {}
def quality(dist, ref, features="integer"):
    key = (dist, features)
    if key not in qcache:
        p, s = run([vsr, "quality", dist, "--reference", ref, "--features", features,
                    "--threads", threads, "--json"])
        if p.returncode:
            sys.exit(f"compress_bench: vsr quality failed on {dist}\n{p.stderr}")
        d = json.loads(p.stdout)["pooled"]
        qcache[key] = (d["vmaf"]["mean"], d["vmaf_neg"]["mean"], s)
    return qcache[key]

ocache = {}
def oracle(dist, ref):
    if not use_oracle:
        return None
    if dist not in ocache:
        p, _ = run(["tests/tools/vmaf_oracle.sh", "--threads", threads, dist, ref])
        if p.returncode:
            sys.exit(f"compress_bench: the oracle failed on {dist}\n{p.stderr}")
        ocache[dist] = json.loads(p.stdout)["mean"]
    return ocache[dist]

def frames_md5(f):
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", f, "-map", "0:v", "-f", "framemd5",
                        "-"], capture_output=True, text=True)
    return hash(p.stdout) if p.returncode == 0 else None

def score(nbytes, ref_bytes, vmaf, delta, T):
    if nbytes >= 0.8 * ref_bytes or vmaf < T or delta > 3:
        return 0.0
    return (0.7 * (1 - nbytes / ref_bytes) + 0.3 * vmaf / 100) / 1.12

def finish(row, ref, ref_bytes, T):
    """Fill in the float and oracle VMAF and the score of a row with a file."""
    vf, _, _ = quality(row["file"], ref, "float")
    row["vmaf_float"] = vf
    row["oracle"] = oracle(row["file"], ref)
    row["delta"] = row["vmaf"] - row["vmaf_neg"]
    row["score"] = score(row["bytes"], ref_bytes, row["vmaf"], row["delta"], T)
    return row

results = []  # one dict per (clip, codec, T)
tier_rows = []  # one per (clip, codec, tier)
for line in open(os.path.join(work, "clips.txt")):
    name, src = line.split()
    ref_bytes = os.path.getsize(src)
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "csv=s=x:p=0", src],
                          capture_output=True, text=True).stdout.strip()
    Ts = hd_targets if size != "640x360" else targets
    for codec in codecs:
        # (a) the fixed tiers
        tiers = []
        for tier, crf in TIERS[codec].items():
            f = f"{enc_dir}/{name}.{codec}.tier{crf}.mp4"
            s = encode(src, f, codec, TIER_PRESET[codec], crf)
            v, vn, qs = quality(f, src)
            row = {"clip": name, "size": size, "codec": codec, "tier": tier, "crf": crf,
                   "file": f, "bytes": os.path.getsize(f), "vmaf": v, "vmaf_neg": vn,
                   "wall": s}
            finish(row, src, ref_bytes, 0)
            say(f"{name} {codec} tier {tier} CRF {crf}: {row['bytes']} B, VMAF {v:.3f} "
                f"(float {row['vmaf_float']:.3f}, oracle {row['oracle']}), encode {s:.1f} s")
            tiers.append(row)
            tier_rows.append(row)
        # (c) vsr compress, every target (its preset is the bisection's)
        comp = {}
        for T in Ts:
            f = f"{enc_dir}/{name}.{codec}.vsr{T:g}.mp4"
            if os.path.exists(f):
                os.remove(f)
            p, s = run([vsr, "compress", "-i", src, "-o", f, "--vmaf", f"{T:g}", "--codec", codec,
                        "--threads", threads, "--json"])
            if p.returncode:
                say(f"{name} {codec} T={T:g}: vsr compress failed ({p.returncode}): {p.stderr.strip()}")
                comp[T] = {"failed": p.stderr.strip(), "wall": s}
                continue
            j = json.loads(p.stdout)
            v, vn, _ = quality(f, src)
            row = {"file": f, "bytes": os.path.getsize(f), "vmaf": v, "vmaf_neg": vn, "wall": s,
                   "crf": j["crf"], "preset": j["preset"], "trials": len(j["trials"]),
                   "encodes": len(j["encodes"]), "own_vmaf": j["vmaf"]}
            finish(row, src, ref_bytes, T)
            say(f"{name} {codec} T={T:g}: vsr compress {row['bytes']} B, CRF {j['crf']} preset "
                f"{j['preset']}, VMAF {v:.3f} (own {j['vmaf']:.3f}, float {row['vmaf_float']:.3f}, "
                f"oracle {row['oracle']}), {row['trials']} trials, {row['encodes']} encodes, {s:.1f} s")
            comp[T] = row
        preset = next((r["preset"] for r in comp.values() if "preset" in r),
                      "slow" if codec == "hevc" else "6")
        # (b) plain bisection on the whole clip, the encodes shared by the targets
        memo = {}
        def point(crf):
            if crf not in memo:
                f = f"{enc_dir}/{name}.{codec}.bis{crf}.mp4"
                es = encode(src, f, codec, preset, crf)
                v, vn, qs = quality(f, src)
                memo[crf] = {"file": f, "bytes": os.path.getsize(f), "vmaf": v, "vmaf_neg": vn,
                             "crf": crf, "wall": es + qs}
                say(f"{name} {codec} bisect CRF {crf} ({preset}): {memo[crf]['bytes']} B, "
                    f"VMAF {v:.3f}, NEG delta {v - vn:.2f}, {es:.1f} + {qs:.1f} s")
            return memo[crf]
        lo_c, hi_c = CRF_RANGE[codec]
        for T in Ts:
            path = []
            lo2, hi2 = lo_c - 1, hi_c + 1
            # lo2 passes, hi2 fails (virtual ends of the range). Each target
            # bisects from scratch, so its path (and cost) is its own; the
            # memo only saves encoding a CRF twice.
            while hi2 - lo2 > 1:
                mid = (lo2 + hi2) // 2
                m = point(mid)
                path.append(mid)
                if m["vmaf"] >= T and m["vmaf"] - m["vmaf_neg"] <= 3:
                    lo2 = mid
                else:
                    hi2 = mid
            if lo2 < lo_c:
                bis = {"failed": "no CRF meets T with a NEG delta <= 3"}
            else:
                bis = dict(memo[lo2])
                finish(bis, src, ref_bytes, T)
            bis["wall"] = sum(memo[c]["wall"] for c in path)
            bis["steps"] = len(path)
            v = comp.get(T)
            if v and "failed" not in v and "failed" not in bis:
                # Same CRF: are the pictures the same (only the headers differ)?
                v["same_frames"] = frames_md5(v["file"]) == frames_md5(bis["file"])
            passing = [t for t in tiers if t["vmaf"] >= T and t["delta"] <= 3]
            cheapest = min(passing, key=lambda t: t["bytes"]) if passing else None
            results.append({"clip": name, "size": size, "codec": codec, "T": T,
                            "ref_bytes": ref_bytes, "tier": cheapest, "bisect": bis,
                            "vsr": comp.get(T, {"failed": "not run"})})

# Tables.
def fmt_o(x):
    return f"{x:7.3f}" if x is not None else "      -"

print("\n## Fixed tiers (validator-vidaio TIER_CRF, preset medium)\n")
print(f"{'clip':14} {'codec':5} {'tier':6} {'crf':>3} {'bytes':>8} {'xIN':>6} {'vmaf':>7} "
      f"{'float':>7} {'oracle':>7} {'delta':>5} {'enc s':>6}")
for r in tier_rows:
    ref = next(x["ref_bytes"] for x in results if x["clip"] == r["clip"])
    print(f"{r['clip']:14} {r['codec']:5} {r['tier']:6} {r['crf']:3d} {r['bytes']:8d} "
          f"{r['bytes'] / ref:6.3f} {r['vmaf']:7.3f} {r['vmaf_float']:7.3f} {fmt_o(r['oracle'])} "
          f"{r['delta']:5.2f} {r['wall']:6.1f}")

print("\n## Per target: the cheapest passing tier, the bisection, vsr compress\n")
print(f"{'clip':14} {'codec':5} {'T':>3} {'method':8} {'crf':>3} {'bytes':>8} {'xIN':>6} {'vmaf':>7} "
      f"{'float':>7} {'oracle':>7} {'delta':>5} {'score':>6} {'wall s':>6}")
for x in results:
    for meth in ("tier", "bisect", "vsr"):
        r = x[meth]
        head = f"{x['clip']:14} {x['codec']:5} {x['T']:3g} {meth:8}"
        if r is None or "failed" in r:
            why = "no tier meets T" if r is None else r["failed"]
            print(f"{head} -- {why}")
            continue
        print(f"{head} {r['crf']:3d} {r['bytes']:8d} {r['bytes'] / x['ref_bytes']:6.3f} "
              f"{r['vmaf']:7.3f} {r['vmaf_float']:7.3f} {fmt_o(r['oracle'])} {r['delta']:5.2f} "
              f"{r['score']:6.4f} {r['wall']:6.1f}")

print("\n## Ratios: vsr compress bytes / cheapest passing tier (target <= 0.7), / bisection\n")
print(f"{'clip':14} {'codec':5} {'T':>3} {'/tier':>6} {'/bisect':>7} {'oracle>=T':>9} "
      f"{'score vsr':>9} {'tier':>6} {'bisect':>6} {'crf vsr/bis':>11} {'same pictures':>13}")
agg = {}
for x in results:
    v, t, b = x["vsr"], x["tier"], x["bisect"]
    ok = v is not None and "failed" not in v
    rt = v["bytes"] / t["bytes"] if ok and t else None
    rb = v["bytes"] / b["bytes"] if ok and "failed" not in b else None
    oc = ("yes" if v["oracle"] >= x["T"] else f"NO {v['oracle']:.2f}") if ok and v["oracle"] is not None else "-"
    sc = lambda r: f"{r['score']:6.4f}" if r and "failed" not in r else "     -"
    print(f"{x['clip']:14} {x['codec']:5} {x['T']:3g} "
          f"{(f'{rt:6.3f}' if rt else '     -')} {(f'{rb:7.3f}' if rb else '      -')} {oc:>9} "
          f"{sc(v):>9} {sc(t)} {sc(b)} "
          f"{(str(v['crf']) if ok else '-') + '/' + (str(b['crf']) if 'failed' not in b else '-'):>11} "
          f"{('yes' if v.get('same_frames') else 'no') if ok and 'same_frames' in v else '-':>13}")
    a = agg.setdefault((x["codec"], x["T"]), {"rt": [], "rb": [], "sv": [], "st": [], "sb": []})
    if rt: a["rt"].append(rt)
    if rb: a["rb"].append(rb)
    a["sv"].append(v["score"] if ok else 0.0)
    a["st"].append(t["score"] if t else 0.0)
    a["sb"].append(b["score"] if "failed" not in b else 0.0)

def gmean(xs):
    import math
    return math.exp(sum(math.log(v) for v in xs) / len(xs)) if xs else None

print(f"\n{'codec':5} {'T':>3} {'gmean /tier':>11} {'gmean /bisect':>13} {'mean score: vsr':>15} {'tier':>6} {'bisect':>6}")
for (codec, T), a in agg.items():
    g1, g2 = gmean(a["rt"]), gmean(a["rb"])
    print(f"{codec:5} {T:3g} {(f'{g1:11.3f}' if g1 else '          -')} "
          f"{(f'{g2:13.3f}' if g2 else '            -')} {sum(a['sv']) / len(a['sv']):15.4f} "
          f"{sum(a['st']) / len(a['st']):6.4f} {sum(a['sb']) / len(a['sb']):6.4f}")
print("\nvmaf: vsr quality (integer extractors, the validators'); float: vsr quality --features float; "
      "oracle: libvmaf 1.3 (float); delta: vmaf - vmaf NEG (integer); xIN: bytes / IN's bytes; "
      "score: Vidaio compression score with vmaf; same pictures: vsr compress's output and the "
      "bisection's decode to the same frames (framemd5); wall s: tier = its encode, bisect = the encodes and "
      "measurements of its own path (each target counted alone), vsr = the whole vsr compress run")

json.dump({"tiers": tier_rows, "results": results}, open(os.path.join(work, "results.json"), "w"), indent=1)
EOF
((KEEP)) || rm -rf "$WORK_DIR/enc"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
