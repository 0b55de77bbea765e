"""A small contract-complete bundle built in a temporary directory (no TensorFlow: the model files are
placeholders, the "model" is a NumPy function of the pixels)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from lesion_contract import manifest as contract
from lesion_contract.labels import LABELS, label_info
from lesion_contract.preprocess import PREPROCESSING_SPEC, preprocess_image, tensor_sha256

VERSION = "2026.01.01-synthetic-contract-r1"
SIZE = 16


def fake_model(batch: np.ndarray) -> np.ndarray:
    """Probabilities (n, 7) from the mean colour of each image: deterministic, depends on the pixels."""
    means = np.asarray(batch, dtype=np.float64).mean(axis=(1, 2)) / 255.0  # (n, 3)
    logits = np.concatenate([means, 1 - means, means[:, :1] * means[:, 1:2]], axis=1) * 4.0
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(bundle: Path, manifest: dict[str, Any]) -> None:
    (bundle / contract.MANIFEST).write_text(json.dumps(manifest, indent=2))


def relist(bundle: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Record every file's current size and sha256 in the manifest (after a deliberate edit)."""
    manifest["files"] = [
        {"name": p.relative_to(bundle).as_posix(), "size": p.stat().st_size, "sha256": _sha(p), "variant": contract.VARIANT_OF.get(p.name)}
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p.name != contract.MANIFEST
    ]
    write_manifest(bundle, manifest)
    return manifest


def build_bundle(root: Path, version: str = VERSION) -> Path:
    bundle = root / version
    (bundle / "golden").mkdir(parents=True)
    for name in ("model.h5", "model_int8.tflite", "model_fp16.tflite"):
        (bundle / name).write_bytes(hashlib.sha256(name.encode()).digest() * 8)  # placeholders: the contract never loads them
    (bundle / "labels.txt").write_text("\n".join(LABELS) + "\n")
    (bundle / "report.json").write_text("{}")
    (bundle / "report.md").write_text("# Contract test bundle\n\nSYNTHETIC - not for clinical use.\n")
    (bundle / "split.csv").write_text("image_id,lesion_id,label,split\n")
    (bundle / "config.json").write_text(json.dumps({"image_size": SIZE}))
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(bundle / "golden/0.png")
    Image.fromarray(rng.integers(0, 120, (50, 20, 3), dtype=np.uint8)).save(bundle / "golden/1.jpg", quality=90)
    golden = []
    for name in ("golden/0.png", "golden/1.jpg"):
        tensor = preprocess_image(bundle / name, SIZE)
        out = [round(float(p), 6) for p in fake_model(tensor[None])[0]]
        golden.append(
            {
                "file": name,
                "sha256": _sha(bundle / name),
                "tensor_sha256": tensor_sha256(tensor),
                "shape": list(tensor.shape),
                "expected": {"h5": out, "int8": out, "fp16": out},
            }
        )
    (bundle / "golden.json").write_text(json.dumps(golden, indent=2))
    per_variant = dict.fromkeys(contract.VARIANTS, 0.5)
    manifest = {
        "schema_version": contract.SCHEMA_VERSION,
        "version": version,
        "created_at": "2026-01-01T00:00:00Z",
        "name": f"Contract test bundle - {contract.SYNTHETIC_MARK}",
        "description": f"{contract.SYNTHETIC_MARK}. Placeholder models. Screening aid only, not a diagnosis.",
        "author": "tests",
        "licence": "CC0",
        "synthetic": True,
        "disclaimer": "Screening aid only, not a diagnosis. Test bundle.",
        "labels": list(LABELS),
        "label_info": label_info(),
        "input": {
            "height": SIZE,
            "width": SIZE,
            "channels": 3,
            "color": "RGB",
            "layout": "NHWC",
            "dtype": dict(contract.DTYPES),
            "preprocessing": dict(PREPROCESSING_SPEC),
        },
        "output": {"kind": "probabilities", "dtype": dict(contract.DTYPES), "int8_quantization": {"scale": 1 / 256, "zero_point": 0}},
        "files": [],
        "thresholds": dict.fromkeys(LABELS, 0.5),
        "high_risk": {"mass": 0.2, "melanoma_referred": 0.95},
        "metrics": {key: per_variant for key in contract.METRIC_KEYS},
        "data": {key: True if key == "synthetic" else "x" for key in contract.DATA_KEYS},
        "training": {},
        "code_revision": "test",
    }
    relist(bundle, manifest)
    return bundle


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return build_bundle(tmp_path)


@pytest.fixture
def manifest_of() -> Any:
    def read(bundle: Path) -> dict[str, Any]:
        return json.loads((bundle / contract.MANIFEST).read_text())

    return read
