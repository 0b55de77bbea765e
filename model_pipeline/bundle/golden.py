"""Golden vectors: a few SYNTHETIC images (never HAM10000), their preprocessed-tensor checksums and
each variant's expected outputs, so the server and the app can prove they preprocess identically."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from lesion_contract.ood import OodRule, ood_score
from lesion_contract.preprocess import preprocess_image, tensor_sha256
from model_pipeline.data.synthetic import _lesion_params, draw_lesion

EXIF_ORIENTATION = 0x0112


def write_golden_images(directory: Path, seed: int = 7) -> list[str]:
    """Draw golden images: a non-square JPEG, a square PNG, a JPEG with EXIF orientation 6, a small
    RGBA PNG (alpha composited on white) and a JPEG of another class. Returns bundle-relative names."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []

    def lesion(label: str, w: int, h: int) -> Image.Image:
        return draw_lesion(_lesion_params(rng, label), rng, w, h)

    lesion("nv", 300, 225).save(directory / "0.jpg", quality=90)
    names.append("golden/0.jpg")
    lesion("mel", 256, 256).save(directory / "1.png")
    names.append("golden/1.png")
    upright = lesion("bcc", 240, 180)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # viewer must rotate 90 degrees clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(directory / "2.jpg", quality=90, exif=exif.tobytes())
    names.append("golden/2.jpg")
    rgba = lesion("vasc", 90, 120).convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 10, 10))
    rgba.putalpha(alpha)
    rgba.save(directory / "3.png")
    names.append("golden/3.png")
    lesion("bkl", 600, 450).save(directory / "4.jpg", quality=85)
    names.append("golden/4.jpg")
    return names


def golden_entries(
    bundle_dir: Path,
    names: list[str],
    size: int,
    predictors: dict,
    *,
    ood_rule: OodRule | None = None,
    feature_predictors: dict | None = None,
    int8_features: Callable[[np.ndarray], np.ndarray | None] | None = None,
) -> list[dict]:
    """``predictors``: variant -> fn(uint8 HxWx3) -> 7 float probabilities.

    With the "cannot assess" rule: ``feature_predictors`` (variant -> fn(tensor) -> float ood_features or
    None) give each variant's expected ``ood_score``, and ``int8_features`` (tensor -> the int8 model's raw
    uint8 features) is stored as ``ood_features_int8``; the int8 score is the rule's score of exactly those
    values, so the app checks its arithmetic against it without running a model."""
    entries = []
    for name in names:
        path = bundle_dir / name
        tensor = preprocess_image(path, size)
        expected = {v: [round(float(p), 6) for p in fn(tensor)] for v, fn in predictors.items()}
        entry = {
            "file": name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "tensor_sha256": tensor_sha256(tensor),
            "shape": list(tensor.shape),
            "expected": expected,
        }
        if ood_rule is not None:
            scores = {}
            for variant, fn in (feature_predictors or {}).items():
                features = fn(tensor)
                if variant == "int8" and ood_rule.needs_features:
                    stored = None if int8_features is None else int8_features(tensor)
                    if stored is None:
                        raise ValueError("the int8 model has no ood_features output although the rule needs it")
                    raw = [int(q) for q in stored]
                    entry["ood_features_int8"] = raw
                    features = ood_rule.dequantize(raw)
                scores[variant] = round(ood_score(ood_rule, features, expected[variant]), 6)
            entry["ood_score"] = scores
        entries.append(entry)
    return entries
