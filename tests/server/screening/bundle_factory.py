"""Builds tiny but contract-complete model bundles (32x32 Keras model, real TFLite conversions) for tests."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

SIZE = 32


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tiny_bundle(
    root: Path,
    version: str,
    *,
    seed: int,
    created_at: str,
    model: Any = None,
    size: int = SIZE,
    ood_reference: np.ndarray | None = None,
    ood_threshold: float | None = None,
    ood_variant_thresholds: dict[str, float] | None = None,
) -> Path:
    """Write `root/version/` with model.h5, int8/fp16 .tflite, golden vectors and a manifest the
    pipeline's validator accepts. A few kB; about two seconds on a laptop core. Pass `model` (a Keras
    model taking size x size x 3 pixels 0..255) to bundle another network, e.g. for benchmarks.

    `ood_reference` (a uint8 tensor) and `ood_threshold`: the default model gets the "cannot assess"
    output (4 `ood_features`) and the manifest a mahalanobis rule whose every class mean is the
    reference tensor's features, so photos like it are assessed and photos far from it are not;
    `ood_variant_thresholds` goes into the rule as its `variant_thresholds` (each variant's own)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from lesion_contract.labels import LABELS, label_info
    from lesion_contract.manifest import VARIANT_OF
    from lesion_contract.ood import OodRule
    from lesion_contract.preprocess import PREPROCESSING_SPEC
    from model_pipeline.bundle.golden import golden_entries, write_golden_images
    from model_pipeline.bundle.writer import DISCLAIMER, model_texts
    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import TFLiteModel, convert
    from model_pipeline.ood import h5_outputs

    bundle = Path(root) / version
    bundle.mkdir(parents=True)
    keras.utils.set_random_seed(seed)
    if model is None:
        inputs = keras.Input((size, size, 3))
        x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
        x = keras.layers.Conv2D(6, 3, activation="relu")(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        outputs = keras.layers.Dense(len(LABELS), activation="softmax")(x)
        if ood_reference is not None:
            features = keras.layers.Dense(4, name="ood_features")(x)
            model = keras.Model(inputs, [outputs, features])
        else:
            model = keras.Model(inputs, outputs)
        # Spread the logits so the tiny model's top label depends on the picture's colours.
        dense = model.get_layer(model.output_names[0]) if ood_reference is not None else model.layers[-1]
        weights, bias = dense.get_weights()
        dense.set_weights([weights * 25.0, bias])
    model.save(bundle / "model.h5")

    rng = np.random.default_rng(seed)
    rep = rng.integers(0, 256, size=(16, size, size, 3), dtype=np.uint8)
    (bundle / "model_int8.tflite").write_bytes(convert(model, Quantization.for_int8(rep)))
    (bundle / "model_fp16.tflite").write_bytes(convert(model, Quantization.for_float16()))
    (bundle / "labels.txt").write_text("\n".join(LABELS) + "\n")
    (bundle / "report.json").write_text(json.dumps({"note": "tiny test bundle"}))
    (bundle / "report.md").write_text("# Tiny test bundle\n\nSYNTHETIC - not for clinical use.\n")
    (bundle / "split.csv").write_text("image_id,lesion_id,label,split\n")
    (bundle / "config.json").write_text(json.dumps({"image_size": size, "seed": seed}))

    names = write_golden_images(bundle / "golden")
    int8 = TFLiteModel(bundle / "model_int8.tflite")
    fp16 = TFLiteModel(bundle / "model_fp16.tflite")
    predictors = {
        "h5": lambda t: h5_outputs(model, t[None])[0][0],
        "int8": int8.predict_one,
        "fp16": fp16.predict_one,
    }
    ood: dict[str, Any] | None = None
    if ood_reference is not None:
        reference = h5_outputs(model, ood_reference[None])[1][0]  # type: ignore[index]
        fq = int8.features_quantization
        assert fq is not None
        ood = {
            "score": "mahalanobis",
            "threshold": float(ood_threshold if ood_threshold is not None else 1.0),
            "output": "ood_features",
            "dim": 4,
            "means": [[round(float(v), 6) for v in reference]] * len(LABELS),
            "int8_quantization": {"scale": fq[0], "zero_point": fq[1]},
        }
        if ood_variant_thresholds is not None:
            ood["variant_thresholds"] = dict(ood_variant_thresholds)
    golden = golden_entries(
        bundle,
        names,
        size,
        predictors,
        ood_rule=OodRule.from_dict(ood) if ood else None,
        feature_predictors={
            "h5": lambda t: h5_outputs(model, t[None])[1][0],  # type: ignore[index]
            "int8": lambda t: int8.predict_with_features(t)[1],
            "fp16": lambda t: fp16.predict_with_features(t)[1],
        },
        int8_features=lambda t: int8.raw_with_features(t)[1],
    )
    (bundle / "golden.json").write_text(json.dumps(golden, indent=2))
    scale, zero_point = int8.output_quantization
    texts = model_texts(True, version, "synthetic-ham10000-layout")
    files = [
        {"name": p.relative_to(bundle).as_posix(), "size": p.stat().st_size, "sha256": _sha(p), "variant": VARIANT_OF.get(p.relative_to(bundle).as_posix())}
        for p in sorted(bundle.rglob("*"))
        if p.is_file()
    ]
    per_variant = {v: 0.5 for v in ("h5", "int8", "fp16")}
    manifest = {
        "schema_version": 1,
        "version": version,
        "created_at": created_at,
        "name": texts["name"],
        "description": texts["description"],
        "author": "tests",
        "licence": "Apache-2.0 (synthetic test bundle)",
        "synthetic": True,
        "disclaimer": DISCLAIMER,
        "labels": list(LABELS),
        "label_info": label_info(),
        "input": {
            "height": size,
            "width": size,
            "channels": 3,
            "color": "RGB",
            "layout": "NHWC",
            "dtype": {"h5": "float32", "int8": "uint8", "fp16": "float32"},
            "preprocessing": dict(PREPROCESSING_SPEC),
        },
        "output": {
            "kind": "probabilities",
            "dtype": {"h5": "float32", "int8": "uint8", "fp16": "float32"},
            "int8_quantization": {"scale": scale, "zero_point": zero_point},
        },
        "files": files,
        "thresholds": dict.fromkeys(LABELS, 0.5),
        **({"ood": ood} if ood else {}),
        "metrics": {
            "balanced_accuracy": per_variant,
            "per_class_recall": {},
            "melanoma": {},
            "macro_auc": per_variant,
            "ece": per_variant,
            "int8_agreement": 1.0,
            "fp16_agreement": 1.0,
            "sizes_bytes": {},
            "latency_ms": {},
            "eval_split": "val",
            "n_eval": 0,
        },
        "data": {
            "dataset": "synthetic-ham10000-layout",
            "synthetic": True,
            "split_seed": seed,
            "split_file": "split.csv",
            "n_images": {"train": 0, "val": 0},
            "n_lesions": {},
            "class_counts": {},
            "licence": "synthetic",
        },
        "training": {"image_size": size, "seed": seed},
        "code_revision": "unknown",
    }
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return bundle
