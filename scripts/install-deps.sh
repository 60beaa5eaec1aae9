#!/usr/bin/env bash
# Installs the Debian 12 packages that vsr's build, tests and demo need.
# Runs as root, or through sudo otherwise. Quick when everything is already
# installed: it asks dpkg first and runs apt-get (update once, then install)
# only for what is missing.
#
# python3-torch is deliberately not here: only bench/ needs it, and the
# benchmark script installs it itself.
set -euo pipefail

packages=(
    # build
    build-essential cmake pkg-config ninja-build git ca-certificates
    # FFmpeg libraries (image and video I/O) and the ffmpeg/ffprobe CLI
    # (sample images and test clips)
    libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
    # oneDNN CPU backend; Debian's build has the OpenCL runtime, so its CMake
    # config needs the OpenCL headers and libOpenCL.so (a Recommends of
    # libdnnl-dev, which --no-install-recommends leaves out)
    libdnnl-dev ocl-icd-opencl-dev opencl-c-headers
    # Mesa lavapipe (CPU Vulkan) for the realesrgan-ncnn-vulkan golden
    # reference; the binary also links libgomp
    mesa-vulkan-drivers libvulkan1 libgomp1
    # natural photographs (JPEG) for the samples and golden tests:
    # /usr/share/backgrounds/mate/nature/*.jpg
    mate-backgrounds
    # server: JSON, HTTP server, HTTP client, TLS and HMAC, pending deletions,
    # GnuTLS (the HTTP server's HTTPS)
    libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libgnutls28-dev
    # ONNX models: protoc-c generates the loader's protobuf C code at build
    # time from libonnx-dev's onnx.proto, linked with libprotobuf-c; the
    # tests write their ONNX files with python3-onnx (and numpy, the oracle
    # of the op tests)
    libprotobuf-c-dev protobuf-c-compiler libonnx-dev python3-onnx python3-numpy
    # the ONNX loader's fuzz test: clang with libFuzzer (libclang-rt-14-dev
    # holds libclang_rt.fuzzer: only recommended by clang-14's packages, so
    # --no-install-recommends would leave it out)
    clang libclang-rt-14-dev
    # server tests: curl as the client, jq to read its answers;
    # /usr/bin/python3 runs tests/tools/payload_server.py (download tests)
    # and tests/tools/gpu_client.py (HTTPS, standard library); openssl makes
    # the HTTPS tests' self-signed certificates; haproxy balances the fleet
    # test's three servers (tests/cli/test_fleet.sh, docs/fleet.md)
    curl jq python3 openssl haproxy
)

# npm fetches the models (scripts/fetch-models.sh). A Node.js from another
# source may already bring its own npm; install Debian's only when none is
# on PATH (Debian's npm conflicts with e.g. NodeSource's nodejs).
if ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [[ $status != installed ]]; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: not root and no sudo; install as root: ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${missing[@]}"
echo "install-deps: done"
