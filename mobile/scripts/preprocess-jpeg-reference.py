"""Reference block means of the bundle's JPEG golden tensors, made by the contract's own preprocessing (Pillow).

Run from the repository root: .venv/bin/python mobile/scripts/preprocess-jpeg-reference.py [BUNDLE_DIR]
(default: the newest bundle in tflite_artifacts/). Writes
mobile/src/features/screening/golden-jpeg.reference.json, keyed by each image's sha256. JPEG decoders
differ between platforms, so the phones' TypeScript fallback (jpeg-js) is checked against these means
within a tolerance (golden.test.ts); PNG goldens are checked bit for bit against golden.json instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from lesion_contract.preprocess import preprocess_image

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "mobile/src/features/screening/golden-jpeg.reference.json"
GRID = 16


def newest_bundle() -> Path:
    bundles = sorted(p.parent for p in (REPO / "tflite_artifacts").glob("*/golden.json"))
    if not bundles:
        raise SystemExit("no bundle with golden.json under tflite_artifacts/")
    return bundles[-1]


def main() -> None:
    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else newest_bundle()
    manifest = json.loads((bundle / "manifest.json").read_text())
    size = int(manifest["input"]["height"])
    images = {}
    for entry in json.loads((bundle / "golden.json").read_text()):
        if not entry["file"].lower().endswith((".jpg", ".jpeg")):
            continue
        tensor = preprocess_image(bundle / entry["file"], size).astype(np.float64)
        block = size // GRID
        cropped = tensor[: block * GRID, : block * GRID]
        means = cropped.reshape(GRID, block, GRID, block, 3).mean(axis=(1, 3))
        images[entry["sha256"]] = {"file": entry["file"], "size": size, "grid": GRID, "block_means": [round(float(v), 3) for v in means.ravel()]}
    OUT.write_text(json.dumps({"bundle": manifest["version"], "images": images}, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {len(images)} JPEG goldens of {manifest['version']}")


if __name__ == "__main__":
    main()
