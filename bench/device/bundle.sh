#!/bin/bash
# The one bundler for device runs: packs programs of a build with the shared
# libraries they load, models and other files into a directory that a device
# call carries (the GPU machines have CUDA and a C/C++ runtime but no FFmpeg,
# oneDNN, ... and no network). Every device script packs through it
# (gpu_prepare.sh, pipeline_device_bundle.sh, multi_gpu_bundle.sh,
# compress_device.sh, bench/quality/device_bundle.sh, scripts/bundle.sh).
#
#   bench/device/bundle.sh [OPTIONS] OUT_DIR
#
#   --build DIR         where --program names are looked up (default build-cuda)
#   --program P[:NAME]  a program (a name in the build, or a path), packed as
#                       NAME (default its file name; may hold a folder: bin/vsr)
#   --model NAME        NAME.param and NAME.bin from the models directory
#                       ($VSR_MODELS_DIR, default ~/.cache/vsr/models)
#   --model-xz NAME     the same, the .bin xz-packed (fp32 weights shrink;
#                       setup.sh unpacks it)
#   --file SRC[:DEST]   a file or folder (a corpus, clips, test images, a run
#                       script), copied to OUT_DIR/DEST (default its name)
#   --stub SONAME       replace an installed library the programs load but the
#                       run never calls by a stub of the same soname and
#                       symbols (see stub_lib.py): what it loads stays behind
#   --stub-ffmpeg-extras  --stub each library of FFMPEG_EXTRAS below: what
#                       Debian's FFmpeg pulls in that decoding H.264 and
#                       HEVC and encoding x264, x265 never call (~170 MB,
#                       ~50 MB xz-packed, which leaves no room for a large
#                       model); vsr's runs must still pass a --selftest
#   --selftest CMD      run CMD (bash) with the staged programs before packing,
#                       B and LD_LIBRARY_PATH set to them: a missing library or
#                       a stub that was needed fails here, not on the device
#   --unpack-to DIR     where setup.sh unpacks on the device (default /tmp/vsr-bundle)
#   --xz-level N        xz preset for the programs and libraries (default 6)
#   --with-cxx-runtime  also pack libstdc++ and libgcc_s (for machines other
#                       than the device; there they would shadow the system's,
#                       which its Python needs)
#   --unpacked          programs and lib/ directly in OUT_DIR, no archive and
#                       no setup.sh (scripts/bundle.sh's user bundle)
#   --no-limit          skip the carry-size check
#
# OUT_DIR is emptied first; for a device call it must be a git-ignored path
# of the checkout the call sends (e.g. /work/main/build-dev-NAME). It gets:
#   bundle.tar.xz  the programs and lib/ (every library but glibc's, the
#                  loader's, the NVIDIA driver's and CUDA's; the C++ runtime's
#                  too unless --with-cxx-runtime), xz-packed
#   setup.sh       on the device: `. OUT_DIR/setup.sh` (or bash it) unpacks
#                  into $B (the --unpack-to directory; $VSR_UNPACK_TO
#                  there overrides it), links OUT_DIR's other
#                  entries (models/, clips, scripts) into it, unpacks *.xz
#                  models, and exports B, LD_LIBRARY_PATH and VSR_MODELS_DIR
#   BUNDLE.txt     what was packed, from which build, when
#   models/ and every --file, as they are
# The device call carries the checkout and its carried paths, 64 MiB in
# all: OUT_DIR plus the checkout's own files must fit, else this fails
# and says by how much (VSR_CARRY_LIMIT_MIB changes the limit).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
die() {
    echo "bundle: $*" >&2
    exit 1
}
BUILD=build-cuda
MODELS_DIR=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
UNPACK_TO=/tmp/vsr-bundle
XZ_LEVEL=6
CXX=0
UNPACKED=0
LIMIT=1
PROGRAMS=() MODELS=() MODELS_XZ=() FILES=() STUBS=() SELFTESTS=()
# (libgme and libopenmpt stay real: libavformat's probes call them on
# every file it opens.)
FFMPEG_EXTRAS=(libcodec2.so.1.0 librsvg-2.so.2 libaom.so.3 libSvtAv1Enc.so.1 librav1e.so.0
    libvpx.so.7 libjxl.so.0.7 libicudata.so.72 libdav1d.so.6 libzvbi.so.0 libbluray.so.2
    libchromaprint.so.1 libssh-gcrypt.so.4 librabbitmq.so.4 libzmq.so.5 libsrt-gnutls.so.1.5
    libcairo.so.2 libxml2.so.2 libglib-2.0.so.0 libgobject-2.0.so.0 libX11.so.6)
while (($#)); do
    case $1 in
    --build) BUILD=$2 && shift ;;
    --program) PROGRAMS+=("$2") && shift ;;
    --model) MODELS+=("$2") && shift ;;
    --model-xz) MODELS_XZ+=("$2") && shift ;;
    --file) FILES+=("$2") && shift ;;
    --stub) STUBS+=("$2") && shift ;;
    --stub-ffmpeg-extras) STUBS+=("${FFMPEG_EXTRAS[@]}") ;;
    --selftest) SELFTESTS+=("$2") && shift ;;
    --unpack-to) UNPACK_TO=$2 && shift ;;
    --xz-level) XZ_LEVEL=$2 && shift ;;
    --with-cxx-runtime) CXX=1 ;;
    --unpacked) UNPACKED=1 ;;
    --no-limit) LIMIT=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
    -*) die "unknown option $1 (--help lists them)" ;;
    *) break ;;
    esac
    shift
done
(($# == 1)) || die "usage: bundle.sh [OPTIONS] OUT_DIR (--help lists the options)"
((${#PROGRAMS[@]})) || die "nothing to pack: name at least one --program"
OUT=$1

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
S=$STAGE/b
mkdir -p "$S/lib"

# 1. Programs.
bins=()
for spec in "${PROGRAMS[@]}"; do
    src=${spec%%:*}
    name=${spec#*:}
    [[ $spec == *:* ]] || name=$(basename "$src")
    [[ $src == */* ]] || src=$BUILD/$src
    [ -x "$src" ] && [ -f "$src" ] || die "--program $spec: $src is not an executable (built?)"
    mkdir -p "$(dirname "$S/$name")"
    cp "$src" "$S/$name"
    bins+=("$S/$name")
done

# 2. Stubs, before the closure below, so that what the real libraries load
# stays behind.
if ((${#STUBS[@]})); then
    cache=$(ldconfig -p)
    for lib in "${STUBS[@]}"; do
        src=$(awk -v l="$lib" '$1 == l {print $NF; exit}' <<<"$cache")
        [[ -n $src ]] || { echo "bundle: $lib not installed here, no stub made" >&2 && continue; }
        python3 "$HERE/stub_lib.py" "$src" "$STAGE/$lib"
        soname=$(readelf -d "$src" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
        map=()
        [[ -f $STAGE/$lib.map ]] && map=(-Wl,--version-script="$STAGE/$lib.map")
        gcc -shared -fPIC -O0 -nostdlib -o "$S/lib/$soname" -Wl,-soname,"$soname" "${map[@]}" "$STAGE/$lib.c"
    done
fi

# 3. The shared libraries the programs load, but those the target has:
# glibc's and its loader, the NVIDIA driver's, CUDA's (the runtime is
# linked statically; cuDNN is loaded at run time if present) and, for the
# device, the C++ runtime.
system='/(ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libcuda|libcudart|libcudnn[^/]*|libnvidia-[^/]*'
((CXX)) || system+='|libstdc\+\+|libgcc_s'
system+=')\.so'
closure=$(LD_LIBRARY_PATH=$S/lib ldd "${bins[@]}" 2>&1) || die "ldd failed on ${PROGRAMS[*]}: $(tr -s "\t\n" "  " <<<"$closure")"
if grep -q "not found" <<<"$closure"; then
    die "unresolved libraries: $(grep "not found" <<<"$closure" | sort -u | tr -s '\t\n' '  ')"
fi
awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$closure" | sort -u | grep -v "^$S/lib/" |
    { grep -vE "$system" || true; } | while read -r lib; do
    cp -L "$lib" "$S/lib/"
done

for cmd in "${SELFTESTS[@]}"; do
    B=$S LD_LIBRARY_PATH=$S/lib bash -c "$cmd" || die "self-test failed: $cmd"
done

# 4. OUT_DIR: the archive (or the staged tree), models, files.
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Only an earlier bundle (this one's, or the older bundlers' with their
# setup.sh) is emptied: a wrong OUT_DIR must not lose files.
if [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/BUNDLE.txt" ] && [ ! -f "$OUT/setup.sh" ]; then
    die "$OUT is not empty and holds no earlier bundle (BUNDLE.txt): remove it or name another OUT_DIR"
fi
find "$OUT" -mindepth 1 -delete
if ((UNPACKED)); then
    cp -a "$S"/. "$OUT/"
else
    tar -C "$S" -cf - . | xz -T0 -"$XZ_LEVEL" >"$OUT/bundle.tar.xz"
fi
if ((${#MODELS[@]} + ${#MODELS_XZ[@]})); then
    mkdir -p "$OUT/models"
    for m in "${MODELS[@]}" "${MODELS_XZ[@]}"; do
        [ -f "$MODELS_DIR/$m.param" ] && [ -f "$MODELS_DIR/$m.bin" ] ||
            die "--model $m: no $m.param and $m.bin in $MODELS_DIR (scripts/fetch-models.sh)"
        cp "$MODELS_DIR/$m.param" "$OUT/models/"
    done
    for m in "${MODELS[@]}"; do cp "$MODELS_DIR/$m.bin" "$OUT/models/"; done
    for m in "${MODELS_XZ[@]}"; do xz -T0 -6 -c "$MODELS_DIR/$m.bin" >"$OUT/models/$m.bin.xz"; done
fi
for spec in "${FILES[@]}"; do
    src=${spec%%:*}
    dest=${spec#*:}
    [[ $spec == *:* ]] || dest=$(basename "$src")
    [ -e "$src" ] || die "--file $spec: no $src"
    mkdir -p "$(dirname "$OUT/$dest")"
    cp -rL "$src" "$OUT/$dest"
done

if ((!UNPACKED)); then
    cat >"$OUT/setup.sh" <<EOF
#!/bin/bash
# Unpacks the bundle beside this script (bench/device/bundle.sh) into \$B
# (\$VSR_UNPACK_TO, default $UNPACK_TO) and links its other files there;
# sourced (. setup.sh), it exports B, LD_LIBRARY_PATH and VSR_MODELS_DIR.
H=\$(cd "\$(dirname "\${BASH_SOURCE[0]}")" && pwd)
B=\${VSR_UNPACK_TO:-$UNPACK_TO}
mkdir -p "\$B" && tar -C "\$B" -xJf "\$H/bundle.tar.xz" || { echo "setup.sh: cannot unpack \$H/bundle.tar.xz into \$B" >&2; return 1 2>/dev/null || exit 1; }
for f in "\$H"/models/*.xz; do
    [ -e "\$f" ] && [ ! -e "\${f%.xz}" ] && xz -d -k "\$f"
done
for f in "\$H"/*; do
    case \${f##*/} in bundle.tar.xz | setup.sh | BUNDLE.txt) continue ;; esac
    ln -sfn "\$f" "\$B/\${f##*/}"
done
export B LD_LIBRARY_PATH=\$B/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} VSR_MODELS_DIR=\$B/models
EOF
    chmod +x "$OUT/setup.sh"
fi
{
    echo "bundle made $(date -u '+%Y-%m-%d %H:%M UTC') by bench/device/bundle.sh on $(uname -m)," \
        "glibc $(ldd --version | head -1 | awk '{print $NF}') (the target's must be as new)"
    echo "build: $(cd "$BUILD" 2>/dev/null && pwd || echo -)"
    echo "programs: ${PROGRAMS[*]}"
    echo "models: ${MODELS[*]} ${MODELS_XZ[*]}"
    echo "files: ${FILES[*]}"
    echo "stubbed: ${STUBS[*]}"
    echo "libraries:"
    ls "$S/lib" | sed 's/^/  /'
} >"$OUT/BUNDLE.txt"

mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
size=$(du -sb "$OUT" | cut -f1)
summary="$OUT: $(mib "$size") MiB ($(ls "$S/lib" | wc -l) libraries, ${#STUBS[@]} stubbed)"
if ((LIMIT)); then
    # What else the call sends: the checkout's tracked and untracked, not
    # ignored files (OUT_DIR itself is ignored, so not counted twice).
    checkout=0
    if top=$(git -C "$OUT" rev-parse --show-toplevel 2>/dev/null); then
        git -C "$top" check-ignore -q "$OUT" ||
            echo "bundle: warning: $OUT is not git-ignored in $top: a device call carries only ignored paths by name" >&2
        checkout=$(cd "$top" && git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
    fi
    limit=$((${VSR_CARRY_LIMIT_MIB:-64} * 1048576))
    if ((size + checkout > limit)); then
        die "$OUT is $(mib "$size") MiB; with the checkout's $(mib "$checkout") MiB that is" \
            "$(mib $((size + checkout))) MiB, over the $((limit / 1048576)) MiB a device call carries." \
            "Pack fewer models or files (--model-xz shrinks fp32 weights), or --stub libraries the run never calls."
    fi
    summary+=", with the checkout $(mib $((size + checkout))) of $((limit / 1048576)) MiB"
fi
echo "bundle: $summary"
