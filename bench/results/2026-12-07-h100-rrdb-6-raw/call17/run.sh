#!/bin/bash
# Call 17 (written 2026-12-07, fifteenth session; replaces call 16): branch
# rrdb-band-land = main + RRDB convs in bands (on by default, K from the L2
# size; VSR_CUDA_RRDB_BAND=0 is main's schedule). The experiment build of
# branch rrdb-band (serpent, grids, the race checks) as *_exp.
# Decides: (1) do bands pay (frame time against BAND=0, same binary, same
# call); (2) are they right (bytes against one conv at a time, stalled and
# not; the oracle); (3) ncu: the HBM bytes of one RRDB, BAND=0 vs bands.
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/out}
. "$D/setup.sh" || exit 1
X=$B/models/realesrgan-x4plus.param; T=$B/testdata; E=$B/extra
exec > >(tee "$OUT/log.txt") 2>&1
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
BO="--no-host --no-cudnn --default-variant"
P=${P:-}
bn() { local name=$1 size=$2; shift 2; env "$@" timeout 40 $B/vsr_cuda_bench$P --quick $BO --size $size $X 2>&1 | grep -E "RESULT|rror" | sed "s/.*RESULT/$name RESULT/"; }
ov() { local runs=$1 f=$2; shift 2; env "$@" VSR_PSNR_REF_OFF=20 timeout 90 $B/cuda_psnr$P overlap $X $f $runs 2>&1 | tail -1 | sed "s/^/[$*] /"; }
S=960x540x1
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
bn band12 $S VSR_CUDA_RRDB_BAND=12
bn main $S VSR_CUDA_RRDB_BAND=0
bn bands $S
bn band24 $S VSR_CUDA_RRDB_BAND=24
bn band8 $S VSR_CUDA_RRDB_BAND=8
ov 20 $T/ladybird_960x540.ppm
ov 20 $T/ladybird_960x540.ppm VSR_CUDA_RRDB_OFF=128
ov 100 $T/ladybird_480x270.ppm VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
ov 100 $E/ladybird_500x270.ppm VSR_CUDA_RRDB_BAND=14 VSR_CUDA_RRDB_GROUP=5 VSR_CUDA_RRDB_OFF=128
VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 20 $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm
timeout 20 $B/cuda_psnr check $X $T/elephants_160x90.ppm $T/ref_x4plus_elephants.ppm
bn main-b2 960x540x2 VSR_CUDA_RRDB_BAND=0
bn bands-b2 960x540x2
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU"
M=dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,gpu__time_duration.sum
nc() { local name=$1 skip=$2 count=$3; shift 3; env "$@" timeout 150 $NCU --clock-control none --cache-control none -k regex:conv3x3_rrdb --launch-skip $skip --launch-count $count --metrics $M --csv $B/vsr_cuda_bench --quick $BO --size $S $X > "$OUT/ncu-$name.csv" 2> "$OUT/ncu-$name.err"; echo "ncu $name rc=$? lines $(wc -l < "$OUT/ncu-$name.csv")"; tail -2 "$OUT/ncu-$name.err"; }
nc main 376 15 VSR_CUDA_RRDB_BAND=0
nc bands 2626 105
python3 - "$OUT" <<'PY'
import csv, sys, collections
for name in ("main", "bands", "serpent"):
    try:
        rows = list(csv.DictReader(l for l in open(f"{sys.argv[1]}/ncu-{name}.csv") if l.startswith('"')))
    except Exception as e:
        continue
    k = collections.OrderedDict()
    for r in rows:
        k.setdefault(r["ID"], {})[r["Metric Name"]] = (float(r["Metric Value"].replace(",", "")), r["Metric Unit"])
    tot = collections.Counter()
    for i, m in k.items():
        if len(k) <= 15:
            print(name, i, " ".join(f"{n.split('.')[0].split('__')[1]}={v:g}{u}" for n, (v, u) in m.items()))
        for n, (v, u) in m.items():
            scale = {"byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3}.get(u, 1)
            tot[n] += v * scale
    print(f"{name}: {len(k)} kernels, HBM read {tot['dram__bytes_read.sum']/1e9:.3f} GB, write {tot['dram__bytes_write.sum']/1e9:.3f} GB, "
          f"time {tot['gpu__time_duration.sum']*1e3:.3f} ms, mean L2 hit {tot['lts__t_sector_hit_rate.pct']/max(len(k),1):.1f}%")
PY
# the experiment build (rrdb-band): serpent, and call 15's race checks
P=_exp bn serpent $S VSR_CUDA_RRDB_OFF=2048
P=_exp bn exp-main $S
P=_exp ov 200 $E/ladybird_192x88.ppm VSR_CUDA_RRDB_OFF=640
P=_exp ov 200 $E/ladybird_192x88.ppm VSR_CUDA_RRDB_OFF=896
P=_exp ov 200 $T/ladybird_160x90.ppm VSR_CUDA_RRDB_OFF=640
P=_exp ov 200 $T/ladybird_160x90.ppm VSR_CUDA_RRDB_OFF=896
P=_exp bn g66v $S VSR_CUDA_RRDB_GRID=66 VSR_CUDA_RRDB_OFF=256
# memory errors in the banded run (slow: last)
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null | head -1)
VSR_CUDA_RRDB_BAND=17 VSR_CUDA_RRDB_GROUP=5 timeout 150 $CS --tool memcheck $B/cuda_psnr check $X $T/ladybird_480x270.ppm $T/ref_x4plus_ladybird_480x270.ppm 2>&1 | tail -4
echo "== end $(date -u '+%H:%M:%S')"
