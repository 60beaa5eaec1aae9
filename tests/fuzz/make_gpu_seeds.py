#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_gpu_metadata.c: x-vidaio-gpu-metadata
header values as validator-vidaio's remote_gpu.py builds them (base64url of
compact JSON, padding stripped) and the raw JSON of two, for both tracks and every params form the
worker reads. Deterministic; the output is committed under
tests/fuzz/corpus/gpu_metadata.

    make_gpu_seeds.py OUT_DIR
"""
import base64
import json
import os
import sys

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def meta_json(track, params, variant="balanced", deadline=300):
    meta = {"protocol": "vidaio-next-gpu-transform/v1", "track": track,
            "solution_variant": variant, "input_digest": DIGEST, "input_size": 123456,
            "deadline_seconds": deadline, "params": params}
    return json.dumps(meta, separators=(",", ":")).encode()


def header(*args, **kwargs):
    return base64.urlsafe_b64encode(meta_json(*args, **kwargs)).rstrip(b"=")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        "up_factor2": header("upscaling", {"upscale_factor": 2}),
        "up_factor4_str": header("upscaling", {"upscale_factor": "4"}, "quality"),
        "up_target": header("upscaling", {"target_width": 3840, "target_height": 2160}, "premium"),
        "comp_crf": header("compression", {"target_codec": "av1", "codec_mode": "CRF",
                                           "compression_type": "High"}, "compact", 180),
        "comp_vbr": header("compression", {"target_codec": "HEVC", "codec_mode": "VBR",
                                           "target_bitrate": 5000000.0}),
        "comp_threshold": header("compression", {"vmaf_threshold": 89.5, "target_codec": "vp9"},
                                 deadline=0.5),
        # raw JSON (the target encodes it): mutations reach the field rules
        "json_up": meta_json("upscaling", {"upscale_factor": 2, "target_width": 1920,
                                           "target_height": 1080}),
        "json_comp": meta_json("compression", {"target_codec": "h264", "codec_mode": "VBR",
                                               "target_bitrate": 8000000,
                                               "compression_type": "Medium"}),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
