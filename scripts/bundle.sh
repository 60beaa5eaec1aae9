#!/bin/bash
# Packs a vsr binary with the shared libraries it needs (its ldd closure) into
# one .tar.xz that runs on another x86-64 Linux machine without installing
# FFmpeg or the other libraries: on the GPU machine, or a user's GPU box.
#
#   scripts/bundle.sh [BINARY] [OUT.tar.xz]
#     BINARY   default build-cuda/vsr
#     OUT      default vsr-bundle-$(uname -m).tar.xz
#
# Unpack anywhere and run ./vsr-bundle/vsr ...; the wrapper points the loader
# at the bundled lib/. Left out on purpose, taken from the target system:
#   - glibc and its loader (libc, libm, libdl, libpthread, librt, ld-linux):
#     they must match the system's loader; the target's glibc must be as new
#     as the build machine's (check with: ldd --version)
#   - the NVIDIA driver (libcuda.so.1, libnvidia-*): always the system's
#   - cuDNN (libcudnn*.so.9): loaded at run time only if present (the CUDA
#     backend runs the SRVGG models without it; other models' convolutions
#     then use the slower direct kernel). Set VSR_BUNDLE_CUDNN=1 to include
#     it from this machine (adds several hundred MB).
# The CUDA runtime is linked statically into vsr, so no libcudart is needed.
set -euo pipefail
BIN=${1:-build-cuda/vsr}
OUT=${2:-vsr-bundle-$(uname -m).tar.xz}
[ -x "$BIN" ] || { echo "bundle: $BIN is not an executable" >&2; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
D=$STAGE/vsr-bundle
# The binary and its libraries, as for a device run (bench/device/bundle.sh),
# with the C++ runtime: a user's machine may have an older one.
"$(dirname "$0")/../bench/device/bundle.sh" --unpacked --no-limit --with-cxx-runtime \
    --program "$BIN:bin/vsr" "$D" >/dev/null
rm "$D/BUNDLE.txt"
if [ "${VSR_BUNDLE_CUDNN:-0}" = 1 ]; then
  for f in $(ldconfig -p | awk '/libcudnn.*\.so\.9 / {print $NF}'); do cp -L "$f" "$D/lib/"; done
fi

cat >"$D/vsr" <<'EOF'
#!/bin/sh
# vsr with its bundled libraries (scripts/bundle.sh)
here=$(dirname "$(readlink -f "$0")")
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/vsr" "$@"
EOF
chmod +x "$D/vsr"
{
  echo "vsr bundle, built $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -m), glibc $(ldd --version | head -1 | awk '{print $NF}')"
  echo "binary: $BIN"
  echo "libraries:"
  ls "$D/lib"
} >"$D/BUNDLE.txt"
tar -C "$STAGE" -cf - vsr-bundle | xz -T0 -6 >"$OUT"
echo "bundle: $OUT ($(du -h "$OUT" | cut -f1), $(ls "$D/lib" | wc -l) libraries)"
