"""Golden vectors for the TypeScript preprocessing reference, made by the contract's reference (lesion_contract).

Run from the repository root: .venv/bin/python mobile/scripts/preprocess-golden.py
Writes mobile/src/features/screening/preprocess.golden.json. Pixels come from a 32-bit LCG that
src/features/screening/preprocess.test.ts reproduces, so only the expected outputs are stored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from lesion_contract.preprocess import PREPROCESSING_SPEC, preprocess_image

REPO = Path(__file__).resolve().parents[2]

OUT = REPO / "mobile/src/features/screening/preprocess.golden.json"


def pixels(width: int, height: int, seed: int, kind: str) -> np.ndarray:
    n = width * height * 3
    if kind == "gradient":
        idx = np.arange(n)
        x = (idx // 3) % width
        y = (idx // 3) // width
        c = idx % 3
        return (((x * 255) // max(width - 1, 1) + (y * 97) // max(height - 1, 1) * (c + 1)) % 256).astype(np.uint8).reshape(height, width, 3)
    out = np.empty(n, dtype=np.uint8)
    state = seed & 0xFFFFFFFF
    for i in range(n):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = state >> 24
    return out.reshape(height, width, 3)


CASES = [
    # name, width, height, orientation, size, kind
    ("shrink-portrait", 37, 53, 1, 16, "noise"),
    ("shrink-landscape-odd-margin", 64, 45, 1, 24, "noise"),
    ("upscale", 10, 7, 1, 20, "noise"),
    ("same-size-crop-only", 30, 20, 1, 20, "noise"),
    ("gradient-224", 320, 240, 1, 224, "gradient"),
    ("gradient-big-shrink", 600, 450, 1, 96, "gradient"),
]
CASES += [(f"orientation-{o}", 23, 31, o, 12, "noise") for o in range(2, 9)]


def main() -> None:
    cases = []
    for i, (name, width, height, orientation, size, kind) in enumerate(CASES):
        seed = 1000 + i
        image = Image.fromarray(pixels(width, height, seed, kind), "RGB")
        if orientation != 1:
            image.getexif()[0x0112] = orientation
        tensor = preprocess_image(image, size)
        case = {
            "name": name, "width": width, "height": height, "orientation": orientation, "size": size,
            "kind": kind, "seed": seed, "sha256": hashlib.sha256(tensor.tobytes()).hexdigest(),
        }
        if size <= 24:
            case["expected"] = tensor.reshape(-1).tolist()
        cases.append(case)
    OUT.write_text(json.dumps({"spec": PREPROCESSING_SPEC, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
