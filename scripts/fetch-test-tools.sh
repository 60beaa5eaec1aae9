#!/usr/bin/env bash
# Installs the tools that only the tests need, pinned and reproducible:
#   s3rver (an S3-compatible server, for the storage tests), the exact
#   versions and integrity hashes of tests/s3rver/package-lock.json,
#   installed with `npm ci` into ${VSR_S3RVER_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/s3rver}.
# A second run with the same lock file does nothing: the installed tree is
# stamped with the lock file's sha256.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/s3rver
dest=${VSR_S3RVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/s3rver}
stamp=$dest/.vsr-lock-sha256

want=$(sha256sum "$src_dir/package-lock.json" | cut -d' ' -f1)
if [[ -f $stamp && $(<"$stamp") == "$want" && -x $dest/node_modules/.bin/s3rver ]]; then
    echo "fetch-test-tools: s3rver already installed in $dest"
    exit 0
fi

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "fetch-test-tools: $tool not found (run scripts/install-deps.sh)" >&2
        exit 1
    }
done

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
