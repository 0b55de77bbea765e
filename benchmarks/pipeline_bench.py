"""Benchmark a model bundle against the issue's numbers (not a timed test).

    python benchmarks/pipeline_bench.py tflite_artifacts/<version> [--data ../shared/data/ham10000] [--runs 200]

Prints: int8 top-1 agreement with the .h5 on the bundle's validation split, the h5/int8 size ratio,
median one-thread single-image latency of the .h5 (``model(x, training=False)``), int8 and fp16, and the
int8 balanced accuracy and melanoma recall. Without the dataset it re-measures sizes and latency and
reports the accuracy numbers recorded in the bundle.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _model_bench import DEFAULT_DATA

TARGETS = {"agreement": 0.98, "size_ratio": 3.5, "latency_ratio": 3.0, "bacc": 0.70, "mel_recall": 0.70}


def _by_source_size(records, y, pred, labels) -> None:
    """int8 recall per original image size: in the shared subset the size tracks the copy an image came
    from (224x224 centre crops, 150x150 / 180x180 squashed full frames, 600x450 originals), and the
    squashed sizes hold only some classes, so a model could learn the copy instead of the lesion."""
    import numpy as np

    from model_pipeline.metrics import confusion, per_class_recall

    sizes = np.array([r.source_size() for r in records])
    print("  int8 by source image size (recall of the classes present; a lesion photo's centre crop looks like 224x224):")
    for key in sorted(set(sizes), key=lambda k: -int((sizes == k).sum())):
        mask = sizes == key
        recall = per_class_recall(confusion(y[mask], pred[mask]))
        present = [k for k in range(len(labels)) if (y[mask] == k).any()]
        print(
            f"    {key:8s} n={int(mask.sum()):5d}  mean recall {np.mean(recall[present]):.4f}  "
            + " ".join(f"{labels[k]} {recall[k]:.2f}" for k in present)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--data", type=Path, help="dataset root (default: ../shared/data/ham10000 when present)")
    parser.add_argument("--runs", type=int, default=200, help="latency runs per variant (median reported)")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from lesion_contract.labels import LABELS, MEL_INDEX
    from lesion_contract.preprocess import preprocess_image
    from model_pipeline.bundle.validate import validate_bundle
    from model_pipeline.export.tflite import TFLiteModel, median_latency_ms
    from model_pipeline.metrics import balanced_accuracy, confusion, per_class_recall

    manifest = validate_bundle(args.bundle, load_models=False)
    size = manifest["input"]["height"]
    h5 = keras.models.load_model(args.bundle / "model.h5", compile=False)
    int8 = TFLiteModel(args.bundle / "model_int8.tflite", num_threads=1)
    fp16 = TFLiteModel(args.bundle / "model_fp16.tflite", num_threads=1)
    print(
        f"bundle {manifest['version']} ({'SYNTHETIC' if manifest['synthetic'] else manifest['data']['dataset']}), "
        f"input {size}x{size}, {len(manifest['training']['members'])} ensemble member(s)"
    )

    data = args.data or (DEFAULT_DATA if DEFAULT_DATA.is_dir() and not manifest["synthetic"] else None)
    results: dict[str, float] = {}
    if data is not None:
        from model_pipeline.data.cache import load_images
        from model_pipeline.data.ham10000 import read_ham10000
        from model_pipeline.data.split import read_split

        split = read_split(args.bundle / "split.csv", read_ham10000(data))
        x = load_images(split.val, size, label="decode val")
        y = np.array([r.label_index for r in split.val])
        t0 = time.perf_counter()
        p_h5 = np.concatenate([np.asarray(h5(x[i : i + 128].astype(np.float32), training=False)) for i in range(0, len(x), 128)])
        p_int8 = int8.predict(x)
        p_fp16 = fp16.predict(x)
        print(f"evaluated {len(x)} validation images (lesion-level split from the bundle) in {time.perf_counter() - t0:.0f}s")
        for name, p in (("h5", p_h5), ("int8", p_int8), ("fp16", p_fp16)):
            recall = per_class_recall(confusion(y, p.argmax(1)))
            print(
                f"  {name:5s} balanced accuracy {balanced_accuracy(y, p.argmax(1)):.4f}  per-class recall "
                + " ".join(f"{lab} {r:.2f}" for lab, r in zip(LABELS, recall, strict=True))
            )
        _by_source_size(split.val, y, p_int8.argmax(1), LABELS)
        results["agreement"] = float((p_int8.argmax(1) == p_h5.argmax(1)).mean())
        results["fp16_agreement"] = float((p_fp16.argmax(1) == p_h5.argmax(1)).mean())
        results["bacc"] = balanced_accuracy(y, p_int8.argmax(1))
        results["mel_recall"] = float(per_class_recall(confusion(y, p_int8.argmax(1)))[MEL_INDEX])
        sample = x[0]
    else:
        m = manifest["metrics"]
        print("dataset not available: accuracy numbers below are the ones recorded in the bundle")
        results["agreement"] = m["int8_agreement"]
        results["fp16_agreement"] = m["fp16_agreement"]
        results["bacc"] = m["balanced_accuracy"]["int8"]
        results["mel_recall"] = m["per_class_recall"]["int8"]["mel"]
        golden = json.loads((args.bundle / "golden.json").read_text())
        sample = preprocess_image(args.bundle / golden[0]["file"], size)

    sizes = {
        v: (args.bundle / f).stat().st_size for v, f in (("h5", "model.h5"), ("int8", "model_int8.tflite"), ("fp16", "model_fp16.tflite"))
    }
    latency = {
        "h5": median_latency_ms(lambda im: h5(im[None].astype(np.float32), training=False), sample, args.runs),
        "int8": median_latency_ms(int8.raw, sample, args.runs),
        "fp16": median_latency_ms(fp16.raw, sample, args.runs),
    }
    results["size_ratio"] = sizes["h5"] / sizes["int8"]
    results["latency_ratio"] = latency["h5"] / latency["int8"]
    print(f"sizes bytes: h5 {sizes['h5']:,}  int8 {sizes['int8']:,}  fp16 {sizes['fp16']:,}")
    print(f"median latency ms (1 thread, {args.runs} runs): h5 {latency['h5']:.2f}  int8 {latency['int8']:.2f}  fp16 {latency['fp16']:.2f}")
    print()
    rows = [
        ("int8 top-1 agreement with h5", "agreement", ">= 0.98", "{:.4f}"),
        ("h5 / int8 file size", "size_ratio", ">= 3.5x", "{:.2f}x"),
        ("h5 / int8 latency (1 thread)", "latency_ratio", ">= 3x", "{:.1f}x"),
        ("int8 balanced accuracy", "bacc", ">= 0.70", "{:.4f}"),
        ("int8 melanoma recall", "mel_recall", ">= 0.70", "{:.4f}"),
    ]
    failed = 0
    for label, key, target, fmt in rows:
        ok = results[key] >= TARGETS[key]
        failed += not ok
        print(f"{label:32s} {fmt.format(results[key]):>10s}  target {target:8s} {'PASS' if ok else 'FAIL'}")
    print(f"{'fp16 top-1 agreement with h5':32s} {results['fp16_agreement']:>10.4f}")
    if manifest["synthetic"]:
        print("note: SYNTHETIC bundle; the accuracy targets apply to the real HAM10000 bundle")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
