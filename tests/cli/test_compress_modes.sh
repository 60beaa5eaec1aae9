#!/bin/bash
# vsr compress beyond CRF mode on HEVC (test_compress.sh): VBR mode keeps
# the average bitrate under the validators' 1.1x (two-pass x265, one-pass
# SVT-AV1), and refuses a VMAF target it cannot reach; VP9 in CRF mode;
# --size scales the output and is scored against the input scaled to it
# (as vsr quality does); samples follow the scene cuts of a three-scene
# clip; and the bad VBR inputs are refused with their numbers. Small clips
# and fast presets: the searches themselves are test_compress.sh's.
source "$(dirname "$0")/cli_lib.sh"
source "$(dirname "$0")/video_lib.sh"
need ffmpeg "to make the clips"
need python3 "to read the JSON answers"

BG=/usr/share/backgrounds/mate/nature
for p in Garden.jpg LadyBird.jpg RainDrops.jpg; do
    [ -r "$BG/$p" ] || { echo "FAIL: $BG/$p is needed (mate-backgrounds)" >&2; exit 1; }
done
ff() { ffmpeg -v error -y "$@"; }
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
size() { stat -c %s "$1"; }
ge() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }
near() { python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) <= 0.1 else 1)" "$1" "$2"; }
vmaf() {
    "$VSR_BIN" quality "$1" --reference "$2" --json > "$WORK/q.json" || return 1
    field "$WORK/q.json" "'%.4f' % j['pooled']['vmaf']['mean']"
}
json_of() { echo "$OUT" | sed -n '/^{/,$p' > "$1"; }
# bitrate FILE: what a validator reads: the file's bits over its duration
bitrate() { ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$1"; }

# 60 frames at 30 fps of a 320x180 pan, no audio (as the validators'
# inputs), x264 ultrafast CRF 16: ~1 Mbit/s
ff -loop 1 -framerate 30 -i "$BG/Garden.jpg" \
    -vf "scale=960:-2,crop=320:180:'20+t*150':'30+t*30',format=yuv420p" -frames:v 60 \
    -c:v libx264 -preset ultrafast -crf 16 -g 30 "$WORK/pan.mp4"
in_rate=$(bitrate "$WORK/pan.mp4")

# VBR, x265 two-pass at 150 kbit/s
expect 0 '"rate_control": "2-pass"' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$WORK/vbr.mp4" \
    --mode vbr --bitrate 150k --preset fast --json
json_of "$WORK/vbr.json"
r=$(bitrate "$WORK/vbr.mp4")
check "vbr hevc: $r bit/s <= 1.1 x 150000" [ "$r" -le 165000 ]
check "vbr hevc: $r bit/s >= 0.6 x 150000 (the bitrate is used)" [ "$r" -ge 90000 ]
check "vbr hevc: the JSON's bitrate ($(field "$WORK/vbr.json" "j['bitrate']")) is ffprobe's" \
    near "$(field "$WORK/vbr.json" "j['bitrate'] / 1000")" "$(python3 -c "print($r / 1000)")"
check "vbr hevc: 60 frames" [ "$(frames "$WORK/vbr.mp4")" = 60 ]
v=$(vmaf "$WORK/vbr.mp4" "$WORK/pan.mp4")
check "vbr hevc: VMAF $v as the search measured" near "$v" "$(field "$WORK/vbr.json" "j['vmaf']")"
check "vbr: no statistics files left" [ -z "$(find "$WORK" -name '*.stats*')" ]
# one-pass SVT-AV1 (FFmpeg 5.1's wrapper has no two-pass)
expect 0 '"rate_control": "1-pass"' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$WORK/vbr_av1.mp4" \
    --mode vbr --bitrate 150k --codec av1 --preset 12 --json
r=$(bitrate "$WORK/vbr_av1.mp4")
check "vbr av1: $r bit/s <= 1.1 x 150000" [ "$r" -le 165000 ]
# a VMAF target the bitrate cannot give: refused, nothing written
expect 1 'at [0-9]+ bit/s .* the clip scores VMAF [0-9.]+.*the goal is VMAF [0-9.]+ \(target 99.40 ' \
    "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$WORK/no.mp4" --mode vbr --bitrate 50k --vmaf 99.4 \
    --preset ultrafast

# VP9, CRF mode
expect 0 'libvpx-vp9' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$WORK/vp9.mp4" --vmaf 85 \
    --codec vp9 --preset 5
check "vp9: VP9 yuv420p in MP4" [ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,pix_fmt -of csv=p=0 "$WORK/vp9.mp4")" = "vp9,yuv420p" ]
v=$(vmaf "$WORK/vp9.mp4" "$WORK/pan.mp4")
check "vp9: VMAF $v >= 85" ge "$v" 85
check "vp9: 60 frames" [ "$(frames "$WORK/vp9.mp4")" = 60 ]

# --size: 320x180 -> 192x108, scored against the input Lanczos-scaled
expect 0 '"width": 192' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$WORK/small.mp4" --vmaf 85 \
    --size 192x108 --preset faster --json
json_of "$WORK/small.json"
check "size: 192x108" [ "$(image_size "$WORK/small.mp4")" = 192x108 ]
check "size: 60 frames" [ "$(frames "$WORK/small.mp4")" = 60 ]
v=$(vmaf "$WORK/small.mp4" "$WORK/pan.mp4")
check "size: VMAF $v (vsr quality, reference scaled) >= 85" ge "$v" 85
check "size: VMAF $v as the search measured" near "$v" "$(field "$WORK/small.json" "j['vmaf']")"

# Scenes: three photos, 24 + 36 + 30 frames at 10 fps (one-second
# samples: 10 frames; 4 for 90 frames), each panning with grain; the cuts
# must be found at 24 and 60, every sample must lie inside a scene and
# every scene have one.
i=0
for p in Garden.jpg LadyBird.jpg RainDrops.jpg; do
    n=$(( i == 0 ? 24 : i == 1 ? 36 : 30 ))
    ff -loop 1 -framerate 10 -i "$BG/$p" \
        -vf "scale=640:-2,crop=160:90:'40+t*60':'20+t*10',noise=c0s=6:c0f=t,format=yuv420p" \
        -frames:v $n -c:v libx264 -preset ultrafast -crf 14 "$WORK/s$i.mp4"
    echo "file 's$i.mp4'" >> "$WORK/list.txt"
    i=$((i + 1))
done
ff -f concat -safe 0 -i "$WORK/list.txt" -c:v libx264 -preset ultrafast -crf 14 "$WORK/scenes.mp4"
expect 0 '"scene_cuts": \[' "$VSR_BIN" compress -i "$WORK/scenes.mp4" -o "$WORK/scenes_out.mp4" \
    --vmaf 85 --preset ultrafast --json
json_of "$WORK/scenes.json"
check "scenes: cuts at 24 and 60 ($(field "$WORK/scenes.json" "j['scene_cuts']"))" \
    [ "$(field "$WORK/scenes.json" "j['scene_cuts']")" = "[24, 60]" ]
check "scenes: samples inside scenes, each scene sampled ($(field "$WORK/scenes.json" "j['samples']"))" \
    python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
scenes = [(0, 24), (24, 60), (60, 90)]
s = j['samples']
home = [[k for k, (a, b) in enumerate(scenes) if a <= x['first'] and x['first'] + x['frames'] <= b] for x in s]
ok = all(len(h) == 1 for h in home) and sorted(set(h[0] for h in home)) == [0, 1, 2]
ok = ok and abs(sum(x['weight'] for x in s) - 90) < 1e-6
sys.exit(0 if ok else 1)" "$WORK/scenes.json"
v=$(vmaf "$WORK/scenes_out.mp4" "$WORK/scenes.mp4")
check "scenes: VMAF $v >= 85" ge "$v" 85

# Bad VBR input: refused with the numbers, nothing written
bad="$WORK/bad.mp4"
expect 2 'mode vbr needs --bitrate' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --mode vbr
expect 2 'bitrate: expected bits/s from 1000 to 2000000000.*got .5.' \
    "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --mode vbr --bitrate 5
expect 2 'bitrate: expected .*got .3G.' \
    "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --mode vbr --bitrate 3G
expect 2 'bitrate is for --mode vbr' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --vmaf 90 \
    --bitrate 100k
expect 2 'mode: expected crf or vbr' "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --mode cbr \
    --bitrate 100k
expect 2 'size: expected WxH with even sides.*got .191x108.' \
    "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --vmaf 90 --size 191x108
expect 1 'encoder libvpx-vp9 has no option .bogus.' "$VSR_BIN" compress -i "$WORK/pan.mp4" \
    -o "$bad" --vmaf 85 --codec vp9 --preset 5 --encoder-params bogus=1
# the input's own bitrate: no output could be under 0.8x its bytes
expect 1 "$in_rate bit/s for 2.00 s is [0-9]+ bytes, not under 0.80x the input's" \
    "$VSR_BIN" compress -i "$WORK/pan.mp4" -o "$bad" --mode vbr --bitrate "$in_rate"
check "nothing left at the output" [ ! -e "$bad" ] && [ ! -e "$WORK/no.mp4" ]
check "no temporary files left" [ -z "$(find "$WORK" -name '*vsr-compress*' -o -name '*vsr-partial*')" ]

finish
