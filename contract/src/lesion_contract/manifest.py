"""The bundle manifest: its typed model, schema check, file sha256/size checks and golden vectors.

Model-free (NumPy + Pillow): the server validates a bundle with this alone. Outputs are compared
when the caller passes predictors (the server its .h5 forward, the pipeline every variant)::

    from lesion_contract.manifest import BundleError, verify_bundle
    manifest = verify_bundle(path)                                  # schema, files, golden tensors
    manifest = verify_bundle(path, predictors={"h5": forward})      # ... and the h5 golden outputs
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from lesion_contract.labels import LABELS, RISK_GROUP
from lesion_contract.ood import OOD_VARIANTS, OodRule, check_ood, ood_score
from lesion_contract.preprocess import PREPROCESSING_SPEC, preprocess_image, tensor_sha256

__all__ = [
    "DTYPES",
    "MANIFEST",
    "REQUIRED_FILES",
    "SCHEMA_VERSION",
    "SYNTHETIC_MARK",
    "VARIANTS",
    "VARIANT_OF",
    "BundleError",
    "HighRisk",
    "InputSpec",
    "Manifest",
    "ManifestFile",
    "Predictor",
    "check_files",
    "check_golden",
    "check_golden_ood",
    "check_golden_outputs",
    "check_manifest",
    "golden_tolerance",
    "load_golden",
    "parse_created_at",
    "read_manifest",
    "safe_member",
    "sha256_file",
    "verify_bundle",
]

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
SYNTHETIC_MARK = "SYNTHETIC - not for clinical use"
DISCLAIMER_START = "Screening aid only, not a diagnosis."
REQUIRED_FILES = (
    "model.h5",
    "model_int8.tflite",
    "model_fp16.tflite",
    "labels.txt",
    "report.json",
    "report.md",
    "split.csv",
    "config.json",
    "golden.json",
)
VARIANTS = OOD_VARIANTS  # ("h5", "int8", "fp16"): the keys a rule's ood.variant_thresholds may use, too
VARIANT_OF = {"model.h5": "h5", "model_int8.tflite": "int8", "model_fp16.tflite": "fp16"}
DTYPES = {"h5": "float32", "int8": "uint8", "fp16": "float32"}
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TOPLEVEL_TYPES: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "version": str,
    "created_at": str,
    "name": str,
    "description": str,
    "author": str,
    "licence": str,
    "synthetic": bool,
    "disclaimer": str,
    "labels": list,
    "label_info": dict,
    "input": dict,
    "output": dict,
    "files": list,
    "thresholds": dict,
    "metrics": dict,
    "data": dict,
    "training": dict,
    "code_revision": str,
}
METRIC_KEYS = (
    "balanced_accuracy",
    "per_class_recall",
    "melanoma",
    "macro_auc",
    "ece",
    "int8_agreement",
    "fp16_agreement",
    "sizes_bytes",
    "latency_ms",
    "eval_split",
    "n_eval",
)
DATA_KEYS = ("dataset", "synthetic", "split_seed", "split_file", "n_images", "n_lesions", "class_counts", "licence")
# golden-vector tolerances (absolute, on probabilities)
TOLERANCE = {"h5": 2e-3, "fp16": 2e-3}
INT8_STEPS = 2  # int8 outputs may differ by this many quantisation steps between kernels

# golden ood scores: relative tolerance (of max(1, |expected|)) per variant; int8 features may move by
# INT8_STEPS quantisation steps between kernels, which moves a squared distance by a few percent
OOD_TOLERANCE = {"h5": 0.01, "fp16": 0.02, "int8": 0.1}

# variant -> fn(uint8 batch (n, size, size, 3)) -> probabilities (n, 7)
Predictor = Callable[[np.ndarray], np.ndarray]
# variant -> fn(uint8 batch) -> (probabilities (n, 7), float ood_features (n, dim) or None)
OodPredictor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


class BundleError(Exception):
    """A bundle is missing, malformed, or does not match its manifest; the message names the file."""


# -- the typed model --


@dataclass(frozen=True)
class ManifestFile:
    name: str
    size: int
    sha256: str
    variant: str | None = None


@dataclass(frozen=True)
class InputSpec:
    height: int
    width: int
    channels: int
    color: str
    layout: str
    dtype: dict[str, str]
    preprocessing: dict[str, Any]


@dataclass(frozen=True)
class HighRisk:
    """The bundle's own operating point for the high-risk rule (optional; older bundles have none)."""

    mass: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """A manifest that passed ``check_manifest``; ``raw`` keeps the JSON object as written."""

    schema_version: int
    version: str
    created_at: str
    name: str
    description: str
    synthetic: bool
    disclaimer: str
    labels: tuple[str, ...]
    label_info: dict[str, dict[str, str]]
    input: InputSpec
    files: tuple[ManifestFile, ...]
    thresholds: dict[str, float]
    high_risk: HighRisk | None
    int8_quantization: tuple[float, int]
    metrics: dict[str, Any]
    data: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)
    ood: OodRule | None = None  # the "cannot assess" rule (bundles from r21 on; None: always assessed)

    @classmethod
    def from_dict(cls, raw: Any, *, dir_name: str | None = None, source: str | None = None) -> Manifest:
        """Check ``raw`` against the contract and type it; BundleError lists every problem.

        ``dir_name``: the bundle directory's name, which must equal the version; ``source``: where
        the manifest came from, for the message.
        """
        problems = check_manifest(raw, dir_name)
        if problems:
            raise BundleError(f"{source or MANIFEST}: invalid manifest: " + "; ".join(problems))
        inp = raw["input"]
        high_risk = raw.get("high_risk")
        quant = raw["output"]["int8_quantization"]
        return cls(
            schema_version=raw["schema_version"],
            version=raw["version"],
            created_at=raw["created_at"],
            name=raw["name"],
            description=raw["description"],
            synthetic=raw["synthetic"],
            disclaimer=raw["disclaimer"],
            labels=tuple(raw["labels"]),
            label_info={k: dict(v) for k, v in raw["label_info"].items()},
            input=InputSpec(
                height=inp["height"],
                width=inp["width"],
                channels=inp["channels"],
                color=inp["color"],
                layout=inp["layout"],
                dtype=dict(inp["dtype"]),
                preprocessing=dict(inp["preprocessing"]),
            ),
            files=tuple(ManifestFile(name=f["name"], size=f["size"], sha256=f["sha256"], variant=f["variant"]) for f in raw["files"]),
            thresholds={k: float(v) for k, v in raw["thresholds"].items()},
            high_risk=None if high_risk is None else HighRisk(mass=float(high_risk["mass"]), details=dict(high_risk)),
            int8_quantization=(float(quant["scale"]), int(quant["zero_point"])),
            metrics=dict(raw["metrics"]),
            data=dict(raw["data"]),
            raw=raw,
            ood=OodRule.from_dict(raw["ood"]) if raw.get("ood") is not None else None,
        )

    @classmethod
    def load(cls, bundle_dir: str | Path) -> Manifest:
        """Read and check ``bundle_dir/manifest.json`` (the directory name must equal the version)."""
        bundle = Path(bundle_dir)
        return cls.from_dict(read_manifest(bundle), dir_name=bundle.name, source=str(bundle))

    @property
    def size(self) -> int:
        """The square input side in pixels."""
        return self.input.height

    @property
    def high_risk_mass(self) -> float | None:
        return None if self.high_risk is None else self.high_risk.mass

    @property
    def created_at_datetime(self) -> datetime:
        return parse_created_at(self.created_at)

    def file(self, name: str) -> ManifestFile | None:
        return next((f for f in self.files if f.name == name), None)

    def variant_file(self, variant: str) -> ManifestFile | None:
        return next((f for f in self.files if f.variant == variant), None)


def parse_created_at(raw: str) -> datetime:
    """ISO 8601 with a UTC offset (``Z`` accepted); BundleError otherwise."""
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BundleError(f"created_at is not ISO 8601: {raw!r}") from exc
    if value.tzinfo is None:
        raise BundleError(f"created_at has no UTC offset: {raw!r}")
    return value


# -- checks (each returns a list of problems; empty when fine) --


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def read_manifest(bundle_dir: str | Path) -> dict[str, Any]:
    """The raw JSON object of ``bundle_dir/manifest.json``; BundleError when absent or not JSON."""
    bundle = Path(bundle_dir)
    if not bundle.is_dir():
        raise BundleError(f"{bundle}: not a directory")
    try:
        raw = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleError(f"{bundle}: {MANIFEST} not found") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{bundle}/{MANIFEST}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise BundleError(f"{bundle}/{MANIFEST}: not a JSON object")
    return raw


def check_manifest(manifest: Any, dir_name: str | None = None) -> list[str]:
    """Schema problems of a manifest (empty list when it is valid)."""
    problems: list[str] = []
    if not isinstance(manifest, dict):
        return ["manifest.json is not a JSON object"]
    for key, typ in TOPLEVEL_TYPES.items():
        if key not in manifest:
            problems.append(f"missing key {key!r}")
        elif not isinstance(manifest[key], typ) or (typ is int and isinstance(manifest[key], bool)):
            problems.append(f"{key!r} has the wrong type ({type(manifest[key]).__name__})")
    if problems:
        return problems
    if manifest["schema_version"] != SCHEMA_VERSION:
        problems.append(f"schema_version {manifest['schema_version']} is not {SCHEMA_VERSION}")
    version = manifest["version"]
    if not VERSION_RE.match(version):
        problems.append(f"version {version!r} is not a safe directory name")
    if dir_name is not None and dir_name != version:
        problems.append(f"directory name {dir_name!r} differs from manifest version {version!r}")
    try:
        parse_created_at(manifest["created_at"])
    except BundleError as exc:
        problems.append(str(exc))
    if manifest["labels"] != list(LABELS):
        problems.append(f"labels must be {list(LABELS)} in this order, got {manifest['labels']}")
    for label in LABELS:
        info = manifest["label_info"].get(label)
        if not isinstance(info, dict) or not isinstance(info.get("display_name"), str) or info.get("risk") != RISK_GROUP[label]:
            problems.append(f"label_info[{label!r}] must have display_name and risk {RISK_GROUP[label]!r}")
    synthetic = manifest["synthetic"]
    if synthetic:
        if "synthetic" not in version.lower():
            problems.append("a synthetic bundle's version must contain 'synthetic'")
        for key in ("name", "description"):
            if SYNTHETIC_MARK not in manifest[key]:
                problems.append(f"synthetic bundle: {key} must say {SYNTHETIC_MARK!r}")
    elif "synthetic" in version.lower():
        problems.append("version says synthetic but manifest synthetic is false")
    if not manifest["disclaimer"].startswith(DISCLAIMER_START):
        problems.append(f"disclaimer must start with {DISCLAIMER_START!r}")
    inp = manifest["input"]
    for key in ("height", "width", "channels"):
        if not isinstance(inp.get(key), int) or isinstance(inp.get(key), bool) or inp[key] <= 0:
            problems.append(f"input.{key} must be a positive integer")
    if inp.get("channels") != 3 or inp.get("color") != "RGB" or inp.get("layout") != "NHWC":
        problems.append("input must be 3-channel RGB NHWC")
    if inp.get("dtype") != DTYPES:
        problems.append(f"input.dtype must be {DTYPES}")
    if inp.get("preprocessing") != PREPROCESSING_SPEC:
        problems.append(f"input.preprocessing must be {PREPROCESSING_SPEC}")
    out = manifest["output"]
    quant = out.get("int8_quantization")
    if out.get("kind") != "probabilities" or out.get("dtype") != DTYPES:
        problems.append("output must be kind 'probabilities' with dtype per variant")
    if not isinstance(quant, dict) or not _is_number(quant.get("scale")) or not isinstance(quant.get("zero_point"), int):
        problems.append("output.int8_quantization must hold a float scale and an int zero_point")
    thresholds = manifest["thresholds"]
    if sorted(thresholds) != sorted(LABELS) or not all(_is_number(v) and 0 <= v <= 1 for v in thresholds.values()):
        problems.append("thresholds must map every label to a number in [0, 1]")
    if "high_risk" in manifest:  # optional: bundles before 2026-12-01 leave the server's default rule in force
        high_risk = manifest["high_risk"]
        if not isinstance(high_risk, dict) or not _is_number(high_risk.get("mass")) or not 0 < high_risk["mass"] <= 1:
            problems.append("high_risk.mass must be a number in (0, 1]")
    if manifest.get("ood") is not None:  # optional: bundles before r21 have no "cannot assess" rule
        problems += check_ood(manifest["ood"])
    missing = [k for k in METRIC_KEYS if k not in manifest["metrics"]]
    if missing:
        problems.append(f"metrics missing {missing}")
    else:
        balanced = manifest["metrics"]["balanced_accuracy"]
        for variant in VARIANTS:
            if not isinstance(balanced, dict) or not _is_number(balanced.get(variant)):
                problems.append(f"metrics.balanced_accuracy.{variant} missing")
    data = manifest["data"]
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        problems.append(f"data missing {missing}")
    elif data["synthetic"] != synthetic:
        problems.append("data.synthetic differs from synthetic")
    for i, entry in enumerate(manifest["files"]):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("size"), int)
            or isinstance(entry.get("size"), bool)
            or not isinstance(entry.get("sha256"), str)
            or "variant" not in entry
        ):
            problems.append(f"files[{i}] must have name, size, sha256, variant")
        elif entry["variant"] != VARIANT_OF.get(entry["name"]):
            problems.append(f"files[{i}] ({entry['name']}): variant should be {VARIANT_OF.get(entry['name'])!r}")
    return problems


def safe_member(bundle_dir: Path, name: Any) -> Path | None:
    """``bundle_dir / name`` for a relative, normalised member name; None for anything that could escape."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return Path(bundle_dir) / name


def _raw(manifest: Manifest | Mapping[str, Any]) -> Mapping[str, Any]:
    return manifest.raw if isinstance(manifest, Manifest) else manifest


def check_files(bundle_dir: str | Path, manifest: Manifest | Mapping[str, Any]) -> list[str]:
    """Every file listed exists with the recorded size and sha256; every file on disk is listed."""
    bundle = Path(bundle_dir)
    problems: list[str] = []
    listed: set[str] = set()
    for entry in _raw(manifest)["files"]:
        name = entry["name"]
        path = safe_member(bundle, name)
        if path is None:
            problems.append(f"files: unsafe path {name!r}")
            continue
        listed.add(name)
        if not path.is_file():
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        if path.stat().st_size != entry["size"]:
            problems.append(f"{name}: size {path.stat().st_size} != manifest {entry['size']}")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{name}: sha256 does not match the manifest")
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {MANIFEST}
    for name in sorted(on_disk - listed):
        problems.append(f"{name}: present in the bundle but not listed in the manifest")
    for name in REQUIRED_FILES:
        if name not in listed:
            problems.append(f"{name}: required file not listed")
    return problems


def load_golden(bundle_dir: str | Path) -> list[dict[str, Any]]:
    """golden.json's entries; BundleError when it is absent, not JSON or empty."""
    path = Path(bundle_dir) / "golden.json"
    try:
        golden = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"golden.json unreadable: {exc}") from exc
    if not isinstance(golden, list) or not golden:
        raise BundleError("golden.json must be a non-empty list")
    return golden


def golden_tolerance(variant: str, manifest: Manifest | Mapping[str, Any]) -> float:
    """Largest absolute difference allowed between a variant's output and golden.json's expectation."""
    if variant == "int8":
        return INT8_STEPS * float(_raw(manifest)["output"]["int8_quantization"]["scale"]) + 1e-6
    return TOLERANCE[variant]


def check_golden(
    bundle_dir: str | Path,
    manifest: Manifest | Mapping[str, Any],
    predictors: Mapping[str, Predictor] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Golden vectors reproduce: each image's sha256, its preprocessed tensor's shape and checksum,
    and (for each variant in ``predictors``) the model's outputs within ``golden_tolerance``.

    Returns (problems, golden entries).
    """
    bundle = Path(bundle_dir)
    raw = _raw(manifest)
    try:
        golden = load_golden(bundle)
    except BundleError as exc:
        return [str(exc)], []
    problems: list[str] = []
    size = int(raw["input"]["height"])
    for i, entry in enumerate(golden):
        try:
            path = safe_member(bundle, entry["file"])
            if path is None or not path.is_file():
                problems.append(f"golden[{i}]: file {entry['file']!r} missing")
                continue
            if sha256_file(path) != entry["sha256"]:
                problems.append(f"golden[{i}]: {entry['file']} sha256 mismatch")
            tensor = preprocess_image(path, size)
            if list(tensor.shape) != entry["shape"]:
                problems.append(f"golden[{i}]: shape {list(tensor.shape)} != {entry['shape']}")
            if tensor_sha256(tensor) != entry["tensor_sha256"]:
                problems.append(f"golden[{i}]: preprocessed tensor checksum mismatch for {entry['file']} (preprocessing drift)")
            for variant in VARIANTS:
                if len(entry["expected"][variant]) != len(LABELS):
                    problems.append(f"golden[{i}]: expected.{variant} must have {len(LABELS)} values")
            if raw.get("ood") is not None:
                problems += _check_golden_ood_entry(i, entry, raw)
        except (KeyError, TypeError) as exc:
            problems.append(f"golden[{i}]: malformed entry ({exc})")
    if not problems and predictors:
        problems = check_golden_outputs(bundle, manifest, golden, predictors)
    return problems, golden


def _check_golden_ood_entry(i: int, entry: Mapping[str, Any], raw: Mapping[str, Any]) -> list[str]:
    """A golden entry of a bundle with an ood rule: its expected scores, and the int8 features the int8
    score was computed from (so the app can check its own arithmetic without a model)."""
    rule = OodRule.from_dict(raw["ood"])
    scores = entry.get("ood_score")
    if not isinstance(scores, Mapping) or not all(isinstance(scores.get(v), (int, float)) for v in VARIANTS):
        return [f"golden[{i}]: ood_score must give a number for each of {list(VARIANTS)}"]
    if not rule.needs_features:
        return []
    q = entry.get("ood_features_int8")
    if not isinstance(q, list) or len(q) != rule.dim or not all(isinstance(v, int) and 0 <= v <= 255 for v in q):
        return [f"golden[{i}]: ood_features_int8 must be {rule.dim} uint8 values"]
    probs = entry["expected"]["int8"]
    got = ood_score(rule, rule.dequantize(q), probs)
    if abs(got - float(scores["int8"])) > 1e-6 * max(1.0, abs(got)):
        return [f"golden[{i}]: ood_score.int8 {scores['int8']} is not the rule's score of ood_features_int8 ({got})"]
    return []


def check_golden_ood(
    bundle_dir: str | Path,
    manifest: Manifest | Mapping[str, Any],
    golden: list[dict[str, Any]],
    predictors: Mapping[str, OodPredictor],
) -> list[str]:
    """Each predictor reproduces golden.json's ``ood_score`` within ``OOD_TOLERANCE`` (a bundle without a
    rule has nothing to check)."""
    raw = _raw(manifest)
    if raw.get("ood") is None:
        return []
    rule = OodRule.from_dict(raw["ood"])
    size = int(raw["input"]["height"])
    batch = np.stack([preprocess_image(Path(bundle_dir) / entry["file"], size) for entry in golden])
    problems: list[str] = []
    for variant, predict in predictors.items():
        probs, features = predict(batch)
        for i, entry in enumerate(golden):
            got = ood_score(rule, None if features is None else features[i], probs[i])
            want = float(entry["ood_score"][variant])
            if abs(got - want) > OOD_TOLERANCE[variant] * max(1.0, abs(want)):
                problems.append(f"golden[{i}] {entry['file']}: {variant} ood score {got:.4g} differs from expected {want:.4g}")
    return problems


def check_golden_outputs(
    bundle_dir: str | Path,
    manifest: Manifest | Mapping[str, Any],
    golden: list[dict[str, Any]],
    predictors: Mapping[str, Predictor],
) -> list[str]:
    """Each predictor (variant -> batch function) reproduces golden.json's expected outputs within
    ``golden_tolerance``; call after ``check_golden`` found the images and tensors in order."""
    bundle = Path(bundle_dir)
    raw = _raw(manifest)
    size = int(raw["input"]["height"])
    batch = np.stack([preprocess_image(bundle / entry["file"], size) for entry in golden])
    problems: list[str] = []
    for variant, predict in predictors.items():
        outputs = np.asarray(predict(batch), dtype=np.float64)
        if outputs.shape != (len(golden), len(LABELS)):
            problems.append(f"{variant}: golden outputs have shape {outputs.shape}, expected {(len(golden), len(LABELS))}")
            continue
        tol = golden_tolerance(variant, raw)
        for i, (entry, got) in enumerate(zip(golden, outputs, strict=True)):
            want = np.asarray(entry["expected"][variant], dtype=np.float64)
            diff = float(np.abs(got - want).max())
            if diff > tol:
                problems.append(f"golden[{i}] {entry['file']}: {variant} output differs from expected (max diff {diff:.2e} > {tol:.2e})")
    return problems


def verify_bundle(bundle_dir: str | Path, *, predictors: Mapping[str, Predictor] | None = None) -> Manifest:
    """Check the bundle at ``bundle_dir`` (schema, every file's size and sha256, golden tensors and,
    with ``predictors``, golden outputs) and return its manifest; BundleError lists every problem."""
    bundle = Path(bundle_dir)
    manifest = Manifest.load(bundle)
    problems = check_files(bundle, manifest)
    if not problems:
        problems, _ = check_golden(bundle, manifest, predictors)
    if problems:
        raise BundleError(f"{bundle}: " + "; ".join(problems))
    return manifest
