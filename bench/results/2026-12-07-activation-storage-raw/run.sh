#!/bin/bash
V=/work/main/build/vsr
run() { local img=$1 fmt=$2; if [ $fmt = fp32 ]; then env -u VSR_REF_STORE $V image -i $img.png -o ${img}_$fmt.png --model realesrgan-x4plus --backend ref -v; else VSR_REF_STORE=$fmt $V image -i $img.png -o ${img}_$fmt.png --model realesrgan-x4plus --backend ref -v; fi 2>&1 | grep upscale; }
for fmt in fp32 fp16 e5m2 e4m3; do run elephants $fmt & run ladybird $fmt; wait; done
