"""Is bundle A really better than bundle B? A paired bootstrap over validation lesions (not a timed test).

    python benchmarks/compare_bundles.py tflite_artifacts/<A> tflite_artifacts/<B> [--data ../shared/data/ham10000]

Both bundles' int8 models score the same lesion-level validation split (the bundles must record the
same split). Prints each one's balanced accuracy (whole split and 224x224 centre crops, the release's
usual image form), A's own 95% interval, and the A-minus-B difference with its 95% interval over
lesion resamples (all images of a lesion are drawn together, as the split groups them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset root (HAM10000 layout)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import numpy as np

    from model_pipeline.bundle.validate import validate_bundle
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import read_split
    from model_pipeline.export.tflite import TFLiteModel
    from model_pipeline.metrics import balanced_accuracy

    if not args.data.is_dir():
        print(f"error: dataset {args.data} not found (pass --data)", file=sys.stderr)
        return 2
    if (args.a / "split.csv").read_bytes() != (args.b / "split.csv").read_bytes():
        print("error: the two bundles record different validation splits; a paired comparison needs one", file=sys.stderr)
        return 2
    dataset = read_ham10000(args.data)
    val = read_split(args.a / "split.csv", dataset).val
    y = np.array([r.label_index for r in val])
    lesions = np.array([r.lesion_id for r in val])
    crops = np.array([r.source_size() == "224x224" for r in val])

    preds = {}
    for bundle in (args.a, args.b):
        manifest = validate_bundle(bundle, load_models=False)
        x = load_images(val, manifest["input"]["height"], label=f"decode val ({bundle.name})")
        preds[bundle] = TFLiteModel(bundle / "model_int8.tflite", num_threads=2).predict(x).argmax(1)
    a, b = preds[args.a], preds[args.b]

    rng = np.random.default_rng(args.seed)

    def bootstrap(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        groups = [np.flatnonzero((lesions == lesion) & mask) for lesion in np.unique(lesions[mask])]
        own, diff = [], []
        for _ in range(args.resamples):
            pick = np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])
            score_a = balanced_accuracy(y[pick], a[pick])
            own.append(score_a)
            diff.append(score_a - balanced_accuracy(y[pick], b[pick]))
        return np.array(own), np.array(diff)

    print(f"{len(y)} validation images, {len(np.unique(lesions))} lesions; int8 models; {args.resamples} lesion resamples")
    for name, mask in (("whole split", np.ones(len(y), bool)), ("224x224 crops", crops)):
        own, diff = bootstrap(mask)
        lo, hi = np.percentile(own, [2.5, 97.5])
        dlo, dhi = np.percentile(diff, [2.5, 97.5]) * 100
        print(
            f"{name:14s} A {balanced_accuracy(y[mask], a[mask]):.4f} (95% {lo:.3f}-{hi:.3f})  B {balanced_accuracy(y[mask], b[mask]):.4f}  "
            f"A-B {diff.mean() * 100:+.1f} points (95% {dlo:+.1f} to {dhi:+.1f}; A ahead in {np.mean(diff > 0):.0%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
