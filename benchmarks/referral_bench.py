"""How many melanomas does a bundle send to a clinician under the product's high-risk rule? (not a timed test)

    python benchmarks/referral_bench.py <bundle or run dir> [more ...] [--data ../shared/data/ham10000] [--mass 0.3 0.25 0.2]

The product (``lesion_contract.risk``, used by the server and the app) calls a screening ``high`` risk when the top label is a
high-risk class (mel, bcc, akiec) or those classes together hold at least a mass of the probability:
the lower of ``SCREENING_HIGH_RISK_MASS`` (default ``DEFAULT_HIGH_RISK_MASS``) and the bundle's own ``manifest.high_risk.mass``. This
prints, for each bundle's int8 model on its lesion-level validation split, at each ``--mass`` and at the
bundle's recorded mass: the share of melanomas and of all malignant lesions flagged high risk, and the
share of benign lesions flagged (the referral burden), on the whole split and on the 224x224 centre
crops. Two models with the same balanced accuracy can sit at very different points here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA

from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundles", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset root (HAM10000 layout)")
    parser.add_argument(
        "--mass", type=float, nargs="+", default=[DEFAULT_HIGH_RISK_MASS], help=f"high-risk mass thresholds (server default {DEFAULT_HIGH_RISK_MASS})"
    )
    args = parser.parse_args()

    import json

    import numpy as np

    from lesion_contract.labels import HIGH_RISK_INDICES, LABELS
    from lesion_contract.risk import effective_high_risk_mass, high_risk_flags
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import read_split
    from model_pipeline.export.tflite import TFLiteModel

    if not args.data.is_dir():
        print(f"error: dataset {args.data} not found (pass --data)", file=sys.stderr)
        return 2
    dataset = read_ham10000(args.data)
    for bundle in args.bundles:
        if not (bundle / "model_int8.tflite").is_file() or not (bundle / "split.csv").is_file():
            print(f"error: {bundle} has no model_int8.tflite or split.csv", file=sys.stderr)
            return 2
        val = read_split(bundle / "split.csv", dataset).val
        y = np.array([r.label_index for r in val])
        crops = np.array([r.source_size() == "224x224" for r in val])
        size = int(json.loads((bundle / "config.json").read_text())["image_size"])
        manifest_path = bundle / "manifest.json"
        recorded = json.loads(manifest_path.read_text()).get("high_risk") if manifest_path.is_file() else None
        own = effective_high_risk_mass(DEFAULT_HIGH_RISK_MASS, float(recorded["mass"]) if recorded else None)
        probs = TFLiteModel(bundle / "model_int8.tflite", num_threads=2).predict(load_images(val, size, label=f"decode val ({bundle.name})"))
        mel, malignant = y == LABELS.index("mel"), np.isin(y, HIGH_RISK_INDICES)
        print(f"{bundle.name}: {len(y)} validation images ({mel.sum()} melanomas, {(mel & crops).sum()} of them 224x224 crops)")
        for mass in sorted({*args.mass, own}, reverse=True):
            flagged = high_risk_flags(probs, mass)
            parts = []
            for name, mask in (("all", np.ones(len(y), bool)), ("224x224", crops)):
                parts.append(
                    f"{name}: melanoma {flagged[mel & mask].mean():.3f}  malignant {flagged[malignant & mask].mean():.3f}  "
                    f"benign flagged {flagged[~malignant & mask].mean():.3f}"
                )
            mark = "  (the bundle's rule)" if mass == own else ""
            print(f"  mass >= {mass:.2f}  " + "  |  ".join(parts) + mark)
    return 0


if __name__ == "__main__":
    sys.exit(main())
