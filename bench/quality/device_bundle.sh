#!/usr/bin/env bash
# Packs the quality study for a device machine that has CUDA but no FFmpeg
# (the H100 hosts; bench/quality/README.md): vsr and detail_encode from a
# CUDA build, the shared libraries they load, the models, the corpus and the
# study's scripts, under the 64 MiB a device call may carry.
#
#   bench/quality/device_bundle.sh BUILD_DIR CORPUS_DIR OUT_DIR
#
# BUILD_DIR: a CUDA build (-DVSR_WITH_CUDA=ON; -DVSR_WITH_ONEDNN=OFF keeps
# oneDNN's 38 MB out). OUT_DIR must be a git-ignored path of the checkout the
# device call sends. On the device:
#   bash OUT_DIR/setup.sh        # unpacks into /tmp/vsr-study
#   /tmp/vsr-study/run.sh        # run_study.sh with the bundle's paths
# Environment: MODELS (installed model names to pack; default the study's),
# VSR_MODELS_DIR, CLIPS (a regular expression: the corpus clips to pack).
#
# Debian's FFmpeg libraries pull in ~170 MB of others (codecs, subtitle and
# network libraries, ICU's data), ~50 MB xz-packed, which leaves no room for
# a 33 MB model. The study decodes H.264 and HEVC and encodes x264 and x265,
# none of which touches the libraries listed in STUBS: each is replaced by a
# stub of the same soname that exports the same symbols (functions that
# return 0, zeroed data of the same size), so that the loader,
# which binds every symbol at start (BIND_NOW), is satisfied, and what those
# libraries load in turn stays behind. The bundle's vsr is run here with the
# stubs first on the library path before packing (vsr --version, a decode
# and an encode), so a stub that was needed fails here, not on the device.
# (libgme and libopenmpt stay real: libavformat's probes call them on every
# file it opens.)
set -euo pipefail
(($# == 3)) || {
    echo "usage: device_bundle.sh BUILD_DIR CORPUS_DIR OUT_DIR" >&2
    exit 2
}
BUILD=$(cd "$1" && pwd)
CORPUS=$(cd "$2" && pwd)
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
MODELS_DIR=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
# realesrgan-x4plus (33 MB of weights) fits only with a small corpus (e.g.
# CLIPS of one task): the bundle is ~18 MB, the 1080p clips ~5 MB each.
MODELS=${MODELS:-realesr-animevideov3-x2 realesr-animevideov3-x4 realesr-general-x4v3}
STUBS="libcodec2.so.1.0 librsvg-2.so.2 libaom.so.3 libSvtAv1Enc.so.1 librav1e.so.0 libvpx.so.7
libjxl.so.0.7 libicudata.so.72 libdav1d.so.6 libzvbi.so.0 libbluray.so.2
libchromaprint.so.1 libssh-gcrypt.so.4 librabbitmq.so.4 libzmq.so.5 libsrt-gnutls.so.1.5
libcairo.so.2 libxml2.so.2 libglib-2.0.so.0 libgobject-2.0.so.0 libX11.so.6"

cmake --build "$BUILD" --target vsr detail_encode -j"$(nproc)" >/dev/null
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
B=$STAGE/vsr-study
mkdir -p "$B/lib" "$STAGE/stubsrc"

# 1. The stubs.
cache=$(ldconfig -p)
for lib in $STUBS; do
    src=$(awk -v l="$lib" '$1 == l {print $NF; exit}' <<<"$cache")
    [[ -n $src ]] || { echo "device_bundle: $lib not installed here, no stub made" >&2; continue; }
    python3 - "$src" "$STAGE/stubsrc/$lib" <<'EOF'
import re, subprocess, sys
src, out = sys.argv[1:]
# objdump -T: VALUE FLAGS... SECTION SIZE [VERSION] NAME
syms, versions = [], {}
for line in subprocess.run(["objdump", "-T", src], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    m = re.match(r"^[0-9a-f]+ (.{7}) (\S+)\s+([0-9a-f]+)\s+(?:(\(?[\w.@]+\)?)\s+)?(\S+)$", line)
    if not m or m.group(2) == "*UND*" or m.group(2) == "*ABS*":
        continue
    flags, section, size, ver, name = m.groups()
    kind = "F" if "F" in flags else "O" if "O" in flags else None
    if kind is None:
        continue
    ver = (ver or "Base").strip("()")
    if any(n == name for _, _, n in syms):
        continue  # one definition a name (foo@V1 beside foo@@V2)
    syms.append((kind, int(size, 16), name))
    if ver != "Base":
        versions.setdefault(ver, []).append(name)
with open(out + ".c", "w") as c:
    # Functions return 0 rather than trap: libavcodec's codec table calls
    # some at start (aom_codec_version, vpx_codec_vp9_cx, ...) and copes
    # with a 0; nothing the study decodes or encodes goes through them.
    c.write("/* generated stub: every function returns 0, data is zeroed */\n")
    for i, (kind, size, name) in enumerate(syms):
        if kind == "F":
            c.write(f'long s{i}(void) __asm__("{name}");\nlong s{i}(void) {{ return 0; }}\n')
        else:
            c.write(f'char d{i}[{max(size, 1)}] __asm__("{name}") __attribute__((aligned(64)));\n')
if versions:
    with open(out + ".map", "w") as v:
        for ver, names in versions.items():
            v.write(ver + " {\n  global:\n" + "".join(f"    {n};\n" for n in names) + "};\n")
EOF
    soname=$(readelf -d "$src" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    map=()
    [[ -f $STAGE/stubsrc/$lib.map ]] && map=(-Wl,--version-script="$STAGE/stubsrc/$lib.map")
    gcc -shared -fPIC -O0 -nostdlib -o "$B/lib/$soname" -Wl,-soname,"$soname" "${map[@]}" \
        "$STAGE/stubsrc/$lib.c"
done

# 2. The binaries and the libraries the loader takes with the stubs first
# (the C runtime, CUDA's and the driver's come from the device).
cp "$BUILD/vsr" "$BUILD/detail_encode" "$B/"
LD_LIBRARY_PATH=$B/lib ldd "$B/vsr" "$B/detail_encode" | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -v "^$B/lib/" |
    grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libcudart|libcudnn[^/]*|libnvidia-[^/]*|libstdc\+\+|libgcc_s)\.so' |
    xargs -r -I{} cp -L {} "$B/lib/"
if LD_LIBRARY_PATH=$B/lib ldd "$B/vsr" "$B/detail_encode" | grep -q "not found"; then
    echo "device_bundle: unresolved libraries:" >&2
    LD_LIBRARY_PATH=$B/lib ldd "$B/vsr" "$B/detail_encode" | grep "not found" >&2
    exit 1
fi

# 3. Does it run with the stubs? Version, a decode and an x264 + x265 encode.
first=$(awk -F'\t' 'NR == 1 {print $4}' "$CORPUS/corpus.tsv")
LD_LIBRARY_PATH=$B/lib "$B/vsr" --version >/dev/null
LD_LIBRARY_PATH=$B/lib "$B/detail_encode" "$CORPUS/$first" - 64x36 "$STAGE/selftest" 0 fast >/dev/null
LD_LIBRARY_PATH=$B/lib "$B/vsr" quality "$STAGE/selftest-d0.00-fast.mp4" --reference "$CORPUS/$first" \
    --threads 2 >/dev/null
rm -f "$STAGE"/selftest*

# 4. Scripts; models and clips travel as they are (xz gains nothing on them).
cp "$HERE/run_study.sh" "$HERE/summarize.py" "$B/"
cp "$HERE/device_run.sh" "$OUT/"
cat >"$B/run.sh" <<'EOF'
#!/bin/bash
# run_study.sh with the bundle's vsr, libraries, models and corpus: run.sh WORK_DIR
H=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$H/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} VSR_MODELS_DIR=$H/models
export VSR=$H/vsr DETAIL_ENCODE=$H/detail_encode
exec "$H/run_study.sh" "$H/corpus" "$1"
EOF
chmod +x "$B/run.sh"
rm -rf "$OUT/models" "$OUT/corpus"
mkdir -p "$OUT/models" "$OUT/corpus"
for m in $MODELS; do
    cp "$MODELS_DIR/$m.param" "$MODELS_DIR/$m.bin" "$OUT/models/"
done
# The corpus rows of CLIPS (a regular expression on the clip's name; all by default).
awk -F'\t' -v c="${CLIPS:-.}" '$3 ~ c' "$CORPUS/corpus.tsv" >"$OUT/corpus/corpus.tsv"
cut -f3 "$OUT/corpus/corpus.tsv" | sort -u | while read -r clip; do
    cp -r "$CORPUS/$clip" "$OUT/corpus/"
done
tar -C "$STAGE" -cf - vsr-study | xz -T"$(nproc)" -9 >"$OUT/bundle.tar.xz"
cat >"$OUT/setup.sh" <<'EOF'
#!/bin/bash
# Unpacks the bundle beside this script into /tmp/vsr-study, models and corpus beside it.
set -e
H=$(cd "$(dirname "$0")" && pwd)
tar -C /tmp -xJf "$H/bundle.tar.xz"
ln -sfn "$H/models" /tmp/vsr-study/models
ln -sfn "$H/corpus" /tmp/vsr-study/corpus
EOF
chmod +x "$OUT/setup.sh"
echo "device_bundle: $(du -sh "$OUT" | cut -f1) in $OUT: bundle.tar.xz $(du -sh "$OUT/bundle.tar.xz" | cut -f1)" \
    "($(ls "$B/lib" | wc -l) libraries, $(echo $STUBS | wc -w) stubbed), models $(du -sh "$OUT/models" | cut -f1)," \
    "corpus $(du -sh "$OUT/corpus" | cut -f1)"
