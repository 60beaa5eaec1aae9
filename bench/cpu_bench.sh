#!/usr/bin/env bash
# CPU benchmark: vsr's `cpu` backend (oneDNN) against PyTorch CPU on the same
# machine, in the same run, with the same weights (read from the ncnn files)
# and thread count. Frames/s and GFLOP/s of realesr-animevideov3-x4 at
# 480x270 and 960x540, fp32 and bf16, and the ratios.
#
#   bench/cpu_bench.sh            # everything
#   SIZES="480x270" PRECISIONS=fp32 RUNS=5 THREADS=2 bench/cpu_bench.sh
#
# Environment: BUILD_DIR (default build-bench), MODEL (default
# realesr-animevideov3-x4), VSR_MODELS_DIR, THREADS (default: all cores),
# RUNS (timed runs per point, median reported; default 3), SIZES,
# PRECISIONS, DIRECT=0 (skip the direct-convolution fp32 row), BENCH_ENGINE
# (a prebuilt bench_engine to use instead). Installs python3-torch (Debian)
# when missing. Wall-clock timings on a machine busy with other work are
# meaningless: the script prints the load average, and also reports GFLOP
# per CPU-second of each process, which other work disturbs much less
# (exactly comparable between engines with THREADS=1).
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=${MODEL:-realesr-animevideov3-x4}
THREADS=${THREADS:-$(nproc)}
RUNS=${RUNS:-3}
SIZES=${SIZES:-"480x270 960x540"}
PRECISIONS=${PRECISIONS:-"fp32 bf16"}
BUILD_DIR=${BUILD_DIR:-build-bench}
MODELS_DIR=${VSR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vsr/models}
PY=/usr/bin/python3 # Debian's python3-torch lives in the system Python
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

log() { echo "cpu_bench: $*" >&2; }

# PyTorch (Debian python3-torch).
if ! "$PY" -c "import torch, numpy" 2>/dev/null; then
    log "installing python3-torch"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi

# Models.
if [ ! -f "$MODELS_DIR/$MODEL.param" ]; then
    log "fetching models"
    scripts/fetch-models.sh
fi

# bench_engine.
if [ -z "${BENCH_ENGINE:-}" ]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DVSR_BUILD_TESTS=OFF >/dev/null
    cmake --build "$BUILD_DIR" --target bench_engine -j"$(nproc)" >/dev/null
    BENCH_ENGINE=$(find "$BUILD_DIR" -name bench_engine -type f -perm -u+x | head -1)
fi
[ -x "$BENCH_ENGINE" ] || { log "no bench_engine binary"; exit 1; }
export VSR_MODELS_DIR="$MODELS_DIR"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Same weights, same network: both engines on one small image must agree.
"$PY" -c "import numpy as np; np.random.seed(0); np.random.rand(1,3,24,32).astype(np.float32).tofile('$TMP/in.f32')"
"$PY" bench/pytorch_baseline.py --model-dir "$MODELS_DIR" --model "$MODEL" --threads "$THREADS" \
    --size 32x24 --input "$TMP/in.f32" --output "$TMP/pt.f32"
"$BENCH_ENGINE" --model "$MODEL" --threads "$THREADS" --size 32x24 --input "$TMP/in.f32" \
    --output "$TMP/vsr.f32"
"$PY" - "$TMP/pt.f32" "$TMP/vsr.f32" <<'EOF'
import sys, numpy as np
a, b = (np.fromfile(p, np.float32) for p in sys.argv[1:3])
d = float(np.abs(a - b).max()) if a.size == b.size else float("inf")
print(f"cpu_bench: vsr vs PyTorch on a 32x24 image: max abs diff {d:.2e}", file=sys.stderr)
sys.exit(0 if d < 1e-3 else 1)
EOF

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
flags=$(grep -o -w -E 'avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "# $(date -u +%Y-%m-%d) | $cpu, $(nproc) cores ($flags) | threads $THREADS | runs $RUNS (median)"
echo "# oneDNN $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo '?'), torch $("$PY" -c 'import torch; print(torch.__version__)') | load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Interleave the engines per point so that all see the same machine. Rows:
# vsr fp32 (Winograd where oneDNN has it: the default), vsr fp32 with direct
# convolutions only (VSR_CPU_CONV=direct), vsr bf16, PyTorch fp32 and bf16.
results="$TMP/results"
: >"$results"
point() { # label command...
    local label=$1
    shift
    if "$@" >"$TMP/line" 2>"$TMP/err"; then
        grep -v '^#' "$TMP/line" | sed "s/^/$label|/" | tee -a "$results" | sed 's/|/: /'
    else
        log "$label: $(tail -1 "$TMP/err")"
    fi
}
for size in $SIZES; do
    for prec in $PRECISIONS; do
        point "vsr $prec" "$BENCH_ENGINE" --model "$MODEL" --precision "$prec" \
            --threads "$THREADS" --runs "$RUNS" --size "$size"
        if [ "$prec" = fp32 ] && [ "${DIRECT:-1}" = 1 ]; then
            point "vsr fp32-direct" env VSR_CPU_CONV=direct "$BENCH_ENGINE" --model "$MODEL" \
                --precision fp32 --threads "$THREADS" --runs "$RUNS" --size "$size"
        fi
        point "PyTorch $prec" "$PY" bench/pytorch_baseline.py --model-dir "$MODELS_DIR" \
            --model "$MODEL" --threads "$THREADS" --runs "$RUNS" --precision "$prec" --size "$size"
    done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Table: wall-clock (median of RUNS) and, robust to other work on the
# machine, GFLOP per CPU-second of the process (best run); ratios against
# PyTorch at the same precision.
awk -F'|' '
{
    split($1, l, " "); eng = l[1]; prec = l[2]
    split($2, w, " "); size = w[3]
    line = $2
    fps = line; sub(/.*: /, "", fps); sub(/ fps.*/, "", fps)
    gf = line; sub(/.*ms\/frame, /, "", gf); sub(/ GFLOP\/s.*/, "", gf)
    cg = line; sub(/.* = /, "", cg); sub(/ GFLOP\/cpu-s.*/, "", cg)
    key = prec " " size
    FPS[eng, key] = fps; GF[eng, key] = gf; CG[eng, key] = cg
    if (!((key) in seen)) { seen[key] = 1; order[n++] = key }
}
END {
    printf "\n| precision | size | fps | GFLOP/s | GFLOP/cpu-s | PyTorch fps | PyTorch GFLOP/s | PyTorch GFLOP/cpu-s | ratio (wall) | ratio (cpu) |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|\n"
    for (i = 0; i < n; i++) {
        k = order[i]; split(k, kk, " "); p = kk[1]; sub(/-direct/, "", p)
        pk = p " " kk[2]
        if (!(("vsr", k) in GF)) continue
        rw = (("PyTorch", pk) in GF && GF["PyTorch", pk] > 0) ? sprintf("%.2fx", GF["vsr", k] / GF["PyTorch", pk]) : "-"
        rc = (("PyTorch", pk) in CG && CG["PyTorch", pk] > 0) ? sprintf("%.2fx", CG["vsr", k] / CG["PyTorch", pk]) : "-"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", kk[1], kk[2], \
            FPS["vsr", k], GF["vsr", k], CG["vsr", k], \
            (("PyTorch", pk) in FPS ? FPS["PyTorch", pk] : "-"), \
            (("PyTorch", pk) in GF ? GF["PyTorch", pk] : "-"), \
            (("PyTorch", pk) in CG ? CG["PyTorch", pk] : "-"), rw, rc
    }
}' "$results"
