"""Reading and checking model bundles (tflite_artifacts/<version>/) against the bundle contract."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from lesion_contract import manifest as contract

logger = logging.getLogger(__name__)

MANIFEST = contract.MANIFEST
VARIANTS = contract.VARIANTS
sha256_file = contract.sha256_file


class BundleInvalid(contract.BundleError):
    """The bundle does not match its manifest or the contract; the message says where."""


def _safe_member(bundle_dir: Path, name: str) -> Path:
    path = contract.safe_member(bundle_dir, name)
    if path is None:
        raise BundleInvalid(f"{bundle_dir}: unsafe file name in manifest: {name!r}")
    return path


def parse_created_at(manifest: dict[str, Any]) -> datetime:
    try:
        return contract.parse_created_at(str(manifest.get("created_at", "")))
    except contract.BundleError as exc:
        raise BundleInvalid(str(exc)) from exc


def _check_servable(bundle_dir: Path, manifest: contract.Manifest) -> None:
    """What this server needs beyond the contract: a square input and an h5 variant."""
    if manifest.input.height != manifest.input.width:
        raise BundleInvalid(f"{bundle_dir}: input must be square, got {manifest.input.height}x{manifest.input.width}")
    if manifest.variant_file("h5") is None:
        raise BundleInvalid(f"{bundle_dir}: no h5 variant in files")


def validate_bundle_dir(bundle_dir: Path) -> dict[str, Any]:
    """The contract's checks (manifest schema, sizes, every sha256, golden tensor checksums); no TensorFlow."""
    bundle_dir = Path(bundle_dir)
    try:
        manifest = contract.verify_bundle(bundle_dir)
    except contract.BundleError as exc:
        raise BundleInvalid(str(exc)) from exc
    _check_servable(bundle_dir, manifest)
    return manifest.raw


def check_files(bundle_dir: Path, manifest: dict[str, Any]) -> None:
    """Every listed file is on disk with its size and sha256, and nothing else is (re-check before activation)."""
    problems = contract.check_files(Path(bundle_dir), manifest)
    if problems:
        raise BundleInvalid("; ".join(problems))


def manifest_sha256(bundle_dir: Path) -> str:
    return hashlib.sha256((Path(bundle_dir) / MANIFEST).read_bytes()).hexdigest()


def h5_path(bundle_dir: Path, manifest: dict[str, Any]) -> Path:
    for entry in manifest.get("files", []):
        if entry.get("variant") == "h5":
            return _safe_member(Path(bundle_dir), entry["name"])
    raise BundleInvalid(f"{bundle_dir}: no h5 variant")


def input_size(manifest: dict[str, Any]) -> int:
    return int(manifest["input"]["height"])


def check_golden(bundle_dir: Path, manifest: dict[str, Any], predict: Callable[[np.ndarray], np.ndarray]) -> int:
    """Preprocess each golden image per the spec and compare tensor checksums and h5 outputs
    (``predict``: uint8 batch -> probabilities). Returns the number of golden vectors checked.

    A bundle with a "cannot assess" rule (manifest.ood) must also reproduce its golden ood scores, from
    ``predict.with_features`` (batch -> probabilities, ood_features; see inference.load_forward)."""
    problems, golden = contract.check_golden(Path(bundle_dir), manifest, {"h5": predict})
    if not problems and manifest.get("ood") is not None:
        with_features = getattr(predict, "with_features", None)
        rule = contract.Manifest.from_dict(manifest).ood
        if rule is not None and rule.needs_features and with_features is None:
            problems.append(f"manifest.ood needs the model's {rule.output} output, which model.h5 lacks")
        else:
            both = with_features or (lambda batch: (predict(batch), None))
            problems = contract.check_golden_ood(Path(bundle_dir), manifest, golden, {"h5": both})
    if problems:
        raise BundleInvalid("; ".join(problems))
    return len(golden)
