#!/bin/bash
V=/work/main/build/vsr
run() { local img=$1 fmt=$2; VSR_REF_STORE=$fmt $V image -i $img.png -o ${img}_${fmt/:/_}.png --model realesrgan-x4plus --backend ref -v 2>&1 | grep upscale; }
for fmt in e4m3:32 e5m2:32; do run elephants $fmt & run ladybird $fmt; wait; done
