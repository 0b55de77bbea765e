"""Does a bundle's validation figure transfer? The split, per source, and an external held-out set (not a timed test).

    python benchmarks/transfer_bench.py tflite_artifacts/<bundle> [more ...] [--data ../shared/data/ham10000]
        [--external ../shared/data/isic_archive]

For each bundle's int8 model, under the product's high-risk rule at the bundle's own mass: balanced accuracy
(over the classes present), top-1 melanoma recall, melanomas referred and benign lesions referred, on
(1) the bundle's lesion-level validation split, (2) that split per source (HAM10000's ``dataset`` column;
"unrecorded" for the images added without one), and (3) the fixed held-out half of the external set
(``model_pipeline.data.split.external_holdout``: lesion-level, seeded, never trained on). A bundle whose
model outputs a "cannot assess" rule also gets the share of each set it refuses. Leave-one-source-out
(retraining per source) is ``python -m model_pipeline loso``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA, DEFAULT_EXTERNAL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundles", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="HAM10000 root (the bundles' split)")
    parser.add_argument("--external", type=Path, default=DEFAULT_EXTERNAL, help="an external set in HAM10000 layout")
    args = parser.parse_args()

    import json

    import numpy as np

    from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS, effective_high_risk_mass
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import external_holdout, read_split
    from model_pipeline.export.tflite import TFLiteModel
    from model_pipeline.loso import transfer_figures

    for root in (args.data, args.external):
        if not root.is_dir():
            print(f"error: dataset {root} not found (pass --data / --external)", file=sys.stderr)
            return 2
    ham = read_ham10000(args.data)
    external = external_holdout(read_ham10000(args.external, require_all_classes=False)).val
    print(f"external held-out part: {len(external)} images of {args.external.name}")

    def row(name: str, f: dict) -> str:
        def v(x):
            return "    -" if x is None else f"{x:.3f}"

        return (
            f"  {name:<26} {f['images']:>5}  bal.acc {v(f['balanced_accuracy'])}  mel recall {v(f['melanoma_recall'])}  "
            f"mel referred {v(f['melanoma_referred'])}  benign referred {v(f['benign_referred'])}"
        )

    for bundle in args.bundles:
        if not (bundle / "model_int8.tflite").is_file() or not (bundle / "split.csv").is_file():
            print(f"error: {bundle} has no model_int8.tflite or split.csv", file=sys.stderr)
            return 2
        manifest = json.loads((bundle / "manifest.json").read_text())
        size = int(json.loads((bundle / "config.json").read_text())["image_size"])
        recorded = manifest.get("high_risk")
        mass = effective_high_risk_mass(DEFAULT_HIGH_RISK_MASS, float(recorded["mass"]) if recorded else None)
        model = TFLiteModel(bundle / "model_int8.tflite", num_threads=2)
        val = read_split(bundle / "split.csv", ham).val
        print(f"{bundle.name} (int8, high-risk mass {mass}):")
        y = np.array([r.label_index for r in val])
        probs = model.predict(load_images(val, size, label=f"decode val ({bundle.name})"))
        print(row("validation split", transfer_figures(y, probs, mass=mass)))
        origins = np.array([r.origin or "unrecorded" for r in val])
        for origin in sorted(set(origins)):
            mask = origins == origin
            print(row(f"  split, {origin}", transfer_figures(y[mask], probs[mask], mass=mass)))
        ey = np.array([r.label_index for r in external])
        eprobs = model.predict(load_images(external, size, label=f"decode external ({bundle.name})"))
        print(row(f"external ({args.external.name})", transfer_figures(ey, eprobs, mass=mass)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
