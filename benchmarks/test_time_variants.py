"""Does a bundle gain from inference-only changes? Validation balanced accuracy of variants (not a timed test).

    python benchmarks/test_time_variants.py tflite_artifacts/<bundle> [--sizes 176 192] [--data ../shared/data/ham10000]

Rebuilds the bundle's `.h5` ensemble (same members, same test-time views) and scores it on the
bundle's lesion-level validation split:

* at the trained input size (the shipped model) and at each of ``--sizes`` (convolution weights do not
  depend on the input size; a higher test resolution sometimes helps a model trained with zoom);
* the shipped size averaged with each other size (multi-scale test-time augmentation);
* with exact batch-norm statistics recomputed over the training images, plain and augmented
  ("precise BN", in place of the momentum-0.9 running averages saved by training).

These are candidate changes judged on the same split that reports the score, so a gain of a point or
less is noise (see compare_bundles.py for the lesion bootstrap).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _model_bench import DEFAULT_DATA, missing_input


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path, help="a bundle or run directory holding model.h5, config.json and split.csv")
    parser.add_argument("--sizes", type=int, nargs="*", default=[176, 192], help="other input sizes to try")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset root (HAM10000 layout)")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf

    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import read_split
    from model_pipeline.data.tfdata import augment_batch
    from model_pipeline.metrics import balanced_accuracy, confusion, per_class_recall
    from model_pipeline.models.ensemble import build_ensemble, build_member, member_size
    from model_pipeline.pipeline import run_config
    from model_pipeline.train import copy_member_weights, recalibrate_batch_norm

    if problem := missing_input(args.bundle, ("model.h5", "config.json", "split.csv"), args.data):
        print(problem, file=sys.stderr)
        return 2
    cfg = run_config(args.bundle)
    if any(member_size(spec, cfg.image_size) != cfg.image_size for spec in cfg.members):
        print(f"error: {args.bundle} is a multi-resolution ensemble; this script varies one input size for all members", file=sys.stderr)
        return 2
    split = read_split(args.bundle / "split.csv", read_ham10000(args.data))
    y = np.array([r.label_index for r in split.val])

    def members(size: int) -> list:
        out = []
        for i, spec in enumerate(cfg.members):
            model = build_member(spec, i, size, pretrained=False)
            if not copy_member_weights(model, i, args.bundle / "model.h5", i):
                raise SystemExit(f"error: {args.bundle / 'model.h5'} has no member {i} although config.json lists it")
            out.append(model)
        return out

    def score(name: str, probs: np.ndarray) -> None:
        pred = probs.argmax(axis=1)
        recall = " ".join(f"{r:.2f}" for r in per_class_recall(confusion(y, pred)))
        print(f"{name:<34} {balanced_accuracy(y, pred):.4f}   {recall}", flush=True)

    def predict(models: list, size: int, x: np.ndarray) -> np.ndarray:
        ensemble = build_ensemble(models, cfg.members, size, tta_transpose=cfg.tta_transpose, tta_flips=cfg.tta_flips)
        return ensemble.predict(x, batch_size=32, verbose=0)

    print(f"{args.bundle.name}: {len(y)} validation images; balanced accuracy, then recall per class (akiec .. vasc)")
    base = cfg.image_size
    val = {base: load_images(split.val, base, label="decode val")}
    probs = {base: predict(members(base), base, val[base])}
    score(f"shipped ({base} px)", probs[base])
    for size in args.sizes:
        val[size] = load_images(split.val, size, label="decode val")
        probs[size] = predict(members(size), size, val[size])
        score(f"test at {size} px", probs[size])
        score(f"{base} + {size} px averaged", (probs[base] + probs[size]) / 2)

    train_x = load_images(split.train, base, label="decode train")
    plain = members(base)
    for model in plain:
        recalibrate_batch_norm(model, train_x, seed=0)
    score("exact BN statistics (plain)", predict(plain, base, val[base]))
    gen = tf.random.Generator.from_seed(0)
    augmented = members(base)
    for model in augmented:
        recalibrate_batch_norm(model, train_x, seed=0, transform=lambda batch: augment_batch(batch, cfg.augment, gen))
    score("exact BN statistics (augmented)", predict(augmented, base, val[base]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
