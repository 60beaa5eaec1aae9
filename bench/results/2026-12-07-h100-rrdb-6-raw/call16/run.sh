#!/bin/bash
# Call 16 (2026-12-07, fifteenth session): branch rrdb-band (rrdb-wave +
# bands). Does cutting HBM bytes pay?
# (a) SERPENT (OFF bit 2048): launches of even epoch claim the tile
#     columns right to left, so a conv starts where the one before ended,
#     on what that one left in L2.
# (b) BAND=K (VSR_CUDA_RRDB_BAND, GROUP G): an RRDB's 15 convs run band by
#     band (K tile rows, skewed a row a step): the working set a band of
#     rows in L2 instead of the frame; ~7x the launches.
# (c) Nsight Compute, kernels serialized, caches not flushed: HBM bytes
#     and L2 hit rate of one RRDB's convs at 960x540, main / serpent / band.
# Then bytes against one conv at a time (stalled too) and call 15's checks.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
bn() { local name=$1; shift; env "$@" timeout 40 $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
bn main
bn band17 VSR_CUDA_RRDB_BAND=17
bn serpent VSR_CUDA_RRDB_OFF=2048
bn band12 VSR_CUDA_RRDB_BAND=12
bn band24 VSR_CUDA_RRDB_BAND=24
bn main
bn band17g5 VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5
bn band17s VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_OFF=2048
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_BAND=17
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm VSR_CUDA_RRDB_OFF=2176
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=2176
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU"
M=dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,gpu__time_duration.sum
nc() { local name=$1 skip=$2 count=$3; shift 3; env "$@" timeout 150 $NCU --clock-control none --cache-control none -k regex:conv3x3_rrdb --launch-skip $skip --launch-count $count --metrics $M --csv $B/vsr_cuda_bench --quick $BO --size 960x540x1 $X > "$OUT/ncu-$name.csv" 2> "$OUT/ncu-$name.err"; echo "ncu $name rc=$? lines $(wc -l < "$OUT/ncu-$name.csv")"; tail -2 "$OUT/ncu-$name.err"; }
nc main 376 15
nc band17 2626 105 VSR_CUDA_RRDB_BAND=17
nc serpent 376 15 VSR_CUDA_RRDB_OFF=2048
python3 - "$OUT" <<'PY'
import csv, sys, collections
for name in ("main", "serpent", "band17"):
    try:
        rows = list(csv.DictReader(l for l in open(f"{sys.argv[1]}/ncu-{name}.csv") if l.startswith('"')))
    except Exception as e:
        print(name, "no csv", e); continue
    k = collections.OrderedDict()
    for r in rows:
        k.setdefault(r["ID"], {})[r["Metric Name"]] = (float(r["Metric Value"].replace(",", "")), r["Metric Unit"])
    tot = collections.Counter()
    for i, m in k.items():
        if name != "band17":
            print(name, i, " ".join(f"{n.split('.')[0].split('__')[1]}={v:g}{u}" for n, (v, u) in m.items()))
        for n, (v, u) in m.items():
            scale = {"byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3}.get(u, 1)
            tot[n] += v * scale
    print(f"{name}: {len(k)} kernels, HBM read {tot['dram__bytes_read.sum']/1e9:.3f} GB, write {tot['dram__bytes_write.sum']/1e9:.3f} GB, "
          f"time {tot['gpu__time_duration.sum']*1e3:.3f} ms, mean L2 hit {tot['lts__t_sector_hit_rate.pct']/max(len(k),1):.1f}%")
PY
for f in $E/ladybird_192x88.ppm $T/ladybird_160x90.ppm; do
  ov 200 $f VSR_CUDA_RRDB_OFF=640
  ov 200 $f VSR_CUDA_RRDB_OFF=896
done
bn g66v VSR_CUDA_RRDB_GRID=66 VSR_CUDA_RRDB_OFF=256
bn g66v-across VSR_CUDA_RRDB_GRID=66 VSR_CUDA_RRDB_OFF=1280
bn band17 VSR_CUDA_RRDB_BAND=17
bn main
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 20 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
echo "== end $(date -u '+%H:%M:%S')"
