"""What inference-only changes would do to a bundle's `.h5`, on the split and on an external set (not a timed test).

    python benchmarks/inference_probes.py tflite_artifacts/<bundle> [--data ../shared/data/ham10000]
        [--external ../shared/data/isic_archive] [--resamples 1000]

The bundle's `.h5` scores its lesion-level validation images and the external set's fixed held-out half
(``external_holdout``, never trained on) as shipped, and with:

* test-time views: the 4 mirror images (identity, horizontal, vertical, both) or all 8 dihedral orientations,
  probabilities averaged (what ``tta_flips`` / ``tta_transpose`` or views stacked along the batch axis would do);
* shades-of-grey colour constancy applied to the images at test time only (``lesion_contract.preprocess
  .shades_of_grey``; the model never trained on such images, so this shows whether the colour cast of a
  source is what it trips on, not what a model trained with it would reach: ``loso`` with
  ``configs/loso_proxy_cc.json`` measures that).

Prints per set and variant: balanced accuracy (over the classes present), melanoma recall (top-1), melanomas /
benign lesions referred at the bundle's high-risk mass, and the balanced-accuracy difference to the shipped
model with its 95% interval over lesion resamples (paired: the same resampled lesions for both).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA, DEFAULT_EXTERNAL, missing_input


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path, help="a bundle holding model.h5, manifest.json and split.csv")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset root (HAM10000 layout)")
    parser.add_argument("--external", type=Path, default=DEFAULT_EXTERNAL, help="an external set in HAM10000 layout (its held-out half)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if problem := missing_input(args.bundle, ("model.h5", "manifest.json", "split.csv"), args.data):
        print(problem, file=sys.stderr)
        return 2

    import keras
    import numpy as np
    from compare_bundles import bootstrap

    from lesion_contract.preprocess import shades_of_grey
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import external_holdout, read_split
    from model_pipeline.loso import transfer_figures
    from model_pipeline.metrics import confusion, per_class_recall
    from model_pipeline.ood import h5_outputs

    manifest = json.loads((args.bundle / "manifest.json").read_text())
    size, mass = int(manifest["input"]["height"]), float(manifest["high_risk"]["mass"])
    model = keras.models.load_model(args.bundle / "model.h5", compile=False)
    sets = [("split", read_split(args.bundle / "split.csv", read_ham10000(args.data)).val)]
    if args.external and args.external.is_dir():
        sets.append((f"{args.external.name} held-out half", external_holdout(read_ham10000(args.external, require_all_classes=False)).val))

    def view(flip_h: bool, flip_w: bool, transpose: bool):
        def apply(x: np.ndarray) -> np.ndarray:
            x = x[:, ::-1] if flip_h else x
            x = x[:, :, ::-1] if flip_w else x
            return x.transpose(0, 2, 1, 3) if transpose else x

        return apply

    mirrors = [view(h, w, False) for h in (False, True) for w in (False, True)]
    dihedral = mirrors + [view(h, w, True) for h in (False, True) for w in (False, True)]

    def probs(x: np.ndarray, views: list) -> np.ndarray:
        out = []
        for start in range(0, len(x), 64):
            batch = x[start : start + 64]
            out.append(np.mean([h5_outputs(model, np.ascontiguousarray(view(batch)))[0] for view in views], axis=0))
        return np.concatenate(out)

    def present_bal_acc(y: np.ndarray, pred: np.ndarray) -> float:
        return float(np.mean(per_class_recall(confusion(y, pred))[np.unique(y)]))

    rng = np.random.default_rng(args.seed)
    print(f"{args.bundle.name} .h5; high-risk mass {mass}; {args.resamples} lesion resamples")
    for set_name, records in sets:
        x = load_images(records, size, label=f"decode {set_name}")
        y = np.array([r.label_index for r in records])
        lesions = np.array([r.lesion_id for r in records])
        variants = {
            "shipped (1 view)": probs(x, mirrors[:1]),
            "4 mirror views": probs(x, mirrors),
            "8 dihedral views": probs(x, dihedral),
            "shades of grey at test time": probs(shades_of_grey(x), mirrors[:1]),
        }
        base = variants["shipped (1 view)"].argmax(1)
        print(f"\n{set_name}: {len(y)} images, {len(np.unique(lesions))} lesions")
        print(f"  {'variant':30s} bal.acc  mel.recall  mel/benign referred  bal.acc vs shipped (95%)")
        for name, p in variants.items():
            f = transfer_figures(y, p, mass=mass)
            pred = p.argmax(1)
            _, diff = bootstrap(rng, args.resamples, y, pred, base, lesions, np.ones(len(y), bool), present_bal_acc)
            lo, hi = np.nanpercentile(diff, [2.5, 97.5]) * 100
            print(
                f"  {name:30s} {f['balanced_accuracy']:.4f}  {f['melanoma_recall']:.4f}      "
                f"{f['melanoma_referred']:.3f} / {f['benign_referred']:.3f}        {np.nanmean(diff) * 100:+.1f} ({lo:+.1f} to {hi:+.1f})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
