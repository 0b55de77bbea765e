"""Is bundle A really better than bundle B? A paired bootstrap over validation lesions (not a timed test).

    python benchmarks/compare_bundles.py tflite_artifacts/<A> tflite_artifacts/<B> [--data ../shared/data/ham10000]
        [--external ../shared/data/isic_archive]

Both bundles' int8 models score the same lesion-level validation images (the bundles' split.csv files must
put the same images on the validation side; a newer bundle may train on images the older one's split does
not list, see ``train --add-unlisted``). Prints each one's balanced accuracy (whole split and 224x224 centre
crops, the release's usual image form), A's own 95% interval, and the A-minus-B difference with its 95%
interval over lesion resamples (all images of a lesion are drawn together, as the split groups them); the
same for melanoma recall (top-1). With ``--external`` (default: ../shared/data/isic_archive when present),
the same on that set's fixed held-out half (``external_holdout``), which neither bundle trained on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA, DEFAULT_EXTERNAL


def bootstrap(rng, resamples: int, y, a, b, lesions, mask, metric):
    """(A's metric, A minus B) over ``resamples`` lesion resamples of the images in ``mask``."""
    import numpy as np

    groups = [np.flatnonzero((lesions == lesion) & mask) for lesion in np.unique(lesions[mask])]
    own, diff = [], []
    for _ in range(resamples):
        pick = np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])
        score_a = metric(y[pick], a[pick])
        own.append(score_a)
        diff.append(score_a - metric(y[pick], b[pick]))
    return np.array(own), np.array(diff)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset root (HAM10000 layout)")
    parser.add_argument("--external", type=Path, default=DEFAULT_EXTERNAL, help="an external set in HAM10000 layout (its held-out half)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import numpy as np

    from lesion_contract.labels import LABELS
    from model_pipeline.bundle.validate import validate_bundle
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import read_split
    from model_pipeline.export.tflite import TFLiteModel
    from model_pipeline.metrics import balanced_accuracy

    if not args.data.is_dir():
        print(f"error: dataset {args.data} not found (pass --data)", file=sys.stderr)
        return 2
    dataset = read_ham10000(args.data)
    val_a = read_split(args.a / "split.csv", dataset).val
    if sorted(r.image_id for r in val_a) != sorted(r.image_id for r in read_split(args.b / "split.csv", dataset).val):
        print("error: the two bundles validate on different images; a paired comparison needs the same validation side", file=sys.stderr)
        return 2
    sets = [("split", val_a)]
    if args.external and args.external.is_dir():
        from model_pipeline.data.split import external_holdout

        sets.append((f"{args.external.name} held-out half", external_holdout(read_ham10000(args.external, require_all_classes=False)).val))
    rng = np.random.default_rng(args.seed)
    mel = LABELS.index("mel")

    def mel_recall(y: np.ndarray, p: np.ndarray) -> float:
        m = y == mel
        return float((p[m] == mel).mean()) if m.any() else float("nan")

    for set_name, records in sets:
        y = np.array([r.label_index for r in records])
        lesions = np.array([r.lesion_id for r in records])
        crops = np.array([r.source_size() == "224x224" for r in records])
        preds = {}
        for bundle in (args.a, args.b):
            manifest = validate_bundle(bundle, load_models=False)
            x = load_images(records, manifest["input"]["height"], label=f"decode {set_name} ({bundle.name})")
            preds[bundle] = TFLiteModel(bundle / "model_int8.tflite", num_threads=2).predict(x).argmax(1)
        a, b = preds[args.a], preds[args.b]

        print(f"{set_name}: {len(y)} images, {len(np.unique(lesions))} lesions; int8 models; {args.resamples} lesion resamples")
        rows = [("balanced accuracy", "whole set", np.ones(len(y), bool), balanced_accuracy)]
        if crops.any() and not crops.all():
            rows.append(("balanced accuracy", "224x224 crops", crops, balanced_accuracy))
        rows.append(("melanoma recall", "whole set", np.ones(len(y), bool), mel_recall))
        for metric_name, name, mask, metric in rows:
            own, diff = bootstrap(rng, args.resamples, y, a, b, lesions, mask, metric)
            lo, hi = np.nanpercentile(own, [2.5, 97.5])
            dlo, dhi = np.nanpercentile(diff, [2.5, 97.5]) * 100
            print(
                f"  {metric_name:17s} {name:13s} A {metric(y[mask], a[mask]):.4f} (95% {lo:.3f}-{hi:.3f})  B {metric(y[mask], b[mask]):.4f}  "
                f"A-B {np.nanmean(diff) * 100:+.1f} points (95% {dlo:+.1f} to {dhi:+.1f}; A ahead in {np.mean(diff > 0):.0%})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
