"""Reading and checking model bundles (tflite_artifacts/<version>/) against the bundle contract."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
VARIANTS = ("h5", "int8", "fp16")


class BundleInvalid(Exception):
    """The bundle does not match its manifest or the contract; the message says where."""


def _pipeline() -> Any:
    import screening.preprocess  # noqa: F401  (puts the repository root on sys.path)
    from model_pipeline.bundle import validate

    return validate


def sha256_file(path: Path) -> str:
    return str(_pipeline().sha256_file(Path(path)))


def _safe_member(bundle_dir: Path, name: str) -> Path:
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in name.split("/")):
        raise BundleInvalid(f"{bundle_dir}: unsafe file name in manifest: {name!r}")
    return bundle_dir / name


def parse_created_at(manifest: dict[str, Any]) -> datetime:
    raw = str(manifest.get("created_at", ""))
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BundleInvalid(f"created_at is not ISO 8601: {raw!r}") from exc
    if value.tzinfo is None:
        raise BundleInvalid(f"created_at has no UTC offset: {raw!r}")
    return value


def _check_servable(bundle_dir: Path, manifest: dict[str, Any]) -> None:
    """What this server needs beyond the contract: a square input and an h5 variant."""
    spec = manifest["input"]
    if spec["height"] != spec["width"]:
        raise BundleInvalid(f"{bundle_dir}: input must be square, got {spec['height']}x{spec['width']}")
    if not any(entry.get("variant") == "h5" for entry in manifest["files"]):
        raise BundleInvalid(f"{bundle_dir}: no h5 variant in files")
    parse_created_at(manifest)


def validate_bundle_dir(bundle_dir: Path) -> dict[str, Any]:
    """The pipeline's validator (manifest schema, sizes, every sha256, golden tensor checksums), no TF."""
    bundle_dir = Path(bundle_dir)
    validate = _pipeline()
    try:
        manifest: dict[str, Any] = validate.validate_bundle(bundle_dir, load_models=False)
    except validate.BundleError as exc:
        raise BundleInvalid(str(exc)) from exc
    _check_servable(bundle_dir, manifest)
    return manifest


def check_files(bundle_dir: Path, manifest: dict[str, Any]) -> None:
    """Every listed file is on disk with its size and sha256, and nothing else is (re-check before activation)."""
    problems = _pipeline().check_files(Path(bundle_dir), manifest)
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


def check_golden(
    bundle_dir: Path,
    manifest: dict[str, Any],
    predict: Callable[[np.ndarray], np.ndarray],
    *,
    atol: float = 2e-3,
) -> int:
    """Preprocess each golden image per the spec and compare tensor checksums and h5 outputs.

    Returns the number of golden vectors checked; raises BundleInvalid on the first mismatch.
    """
    from screening.preprocess import preprocess_path, tensor_sha256

    golden_path = Path(bundle_dir) / "golden.json"
    if not golden_path.is_file():
        raise BundleInvalid(f"{bundle_dir}: golden.json missing")
    try:
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleInvalid(f"{golden_path}: not valid JSON ({exc})") from exc
    if not isinstance(golden, list) or not golden:
        raise BundleInvalid(f"{golden_path}: must be a non-empty list")
    size = input_size(manifest)
    tensors = []
    for item in golden:
        image_path = _safe_member(Path(bundle_dir), str(item.get("file")))
        tensor = preprocess_path(image_path, size)
        if tensor_sha256(tensor) != item.get("tensor_sha256"):
            raise BundleInvalid(f"{item.get('file')}: preprocessed tensor checksum differs from golden.json (preprocessing drift)")
        tensors.append(tensor)
    outputs = predict(np.stack(tensors))
    for item, out in zip(golden, outputs, strict=True):
        expected = np.asarray(item["expected"]["h5"], dtype=np.float64)
        diff = float(np.max(np.abs(expected - out.astype(np.float64))))
        if diff > atol:
            raise BundleInvalid(f"{item.get('file')}: h5 output differs from golden.json by {diff:.2e} (> {atol})")
    return len(golden)
