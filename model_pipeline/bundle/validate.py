"""Validate a bundle directory: manifest schema, file hashes and sizes, golden vectors, models load.

Importable by the server without TensorFlow when ``load_models=False``::

    from model_pipeline.bundle.validate import BundleError, validate_bundle
    manifest = validate_bundle(path, load_models=False)
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from model_pipeline.data.preprocess import PREPROCESSING_SPEC, preprocess_image, tensor_sha256
from model_pipeline.errors import BundleError
from model_pipeline.labels import LABELS, RISK

__all__ = ["REQUIRED_FILES", "SCHEMA_VERSION", "BundleError", "sha256_file", "validate_bundle"]

SCHEMA_VERSION = 1
SYNTHETIC_MARK = "SYNTHETIC - not for clinical use"
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_manifest(manifest: dict, dir_name: str | None = None) -> list[str]:
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
    if manifest["labels"] != list(LABELS):
        problems.append(f"labels must be {list(LABELS)} in this order, got {manifest['labels']}")
    for label in LABELS:
        info = manifest["label_info"].get(label)
        if not isinstance(info, dict) or not isinstance(info.get("display_name"), str) or info.get("risk") != RISK[label]:
            problems.append(f"label_info[{label!r}] must have display_name and risk {RISK[label]!r}")
    synthetic = manifest["synthetic"]
    if synthetic:
        if "synthetic" not in version.lower():
            problems.append("a synthetic bundle's version must contain 'synthetic'")
        for key in ("name", "description"):
            if SYNTHETIC_MARK not in manifest[key]:
                problems.append(f"synthetic bundle: {key} must say {SYNTHETIC_MARK!r}")
    elif "synthetic" in version.lower():
        problems.append("version says synthetic but manifest synthetic is false")
    if not manifest["disclaimer"].startswith("Screening aid only, not a diagnosis."):
        problems.append("disclaimer must start with 'Screening aid only, not a diagnosis.'")
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
    missing = [k for k in METRIC_KEYS if k not in manifest["metrics"]]
    if missing:
        problems.append(f"metrics missing {missing}")
    else:
        for variant in ("h5", "int8", "fp16"):
            if not _is_number(manifest["metrics"]["balanced_accuracy"].get(variant)):
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
            or not isinstance(entry.get("sha256"), str)
            or "variant" not in entry
        ):
            problems.append(f"files[{i}] must have name, size, sha256, variant")
        elif entry["variant"] != VARIANT_OF.get(entry["name"]):
            problems.append(f"files[{i}] ({entry['name']}): variant should be {VARIANT_OF.get(entry['name'])!r}")
    return problems


def _safe_member(root: Path, name: str) -> Path | None:
    if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return root / name


def check_files(bundle: Path, manifest: dict) -> list[str]:
    """Every file listed exists with the recorded size and sha256; every file on disk is listed."""
    problems: list[str] = []
    listed: set[str] = set()
    for entry in manifest["files"]:
        name = entry["name"]
        path = _safe_member(bundle, name)
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
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {"manifest.json"}
    for name in sorted(on_disk - listed):
        problems.append(f"{name}: present in the bundle but not listed in the manifest")
    for name in REQUIRED_FILES:
        if name not in listed:
            problems.append(f"{name}: required file not listed")
    return problems


def check_golden(bundle: Path, manifest: dict) -> tuple[list[str], list[dict]]:
    """golden.json entries: image hashes and preprocessed-tensor checksums reproduce."""
    problems: list[str] = []
    try:
        golden = json.loads((bundle / "golden.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"golden.json unreadable: {exc}"], []
    if not isinstance(golden, list) or not golden:
        return ["golden.json must be a non-empty list"], []
    size = manifest["input"]["height"]
    for i, entry in enumerate(golden):
        try:
            path = _safe_member(bundle, entry["file"])
            if path is None or not path.is_file():
                problems.append(f"golden[{i}]: file {entry['file']!r} missing")
                continue
            if sha256_file(path) != entry["sha256"]:
                problems.append(f"golden[{i}]: {entry['file']} sha256 mismatch")
            tensor = preprocess_image(path, size)
            if list(tensor.shape) != entry["shape"]:
                problems.append(f"golden[{i}]: shape {list(tensor.shape)} != {entry['shape']}")
            if tensor_sha256(tensor) != entry["tensor_sha256"]:
                problems.append(f"golden[{i}]: preprocessed tensor checksum mismatch for {entry['file']}")
            for variant in ("h5", "int8", "fp16"):
                if len(entry["expected"][variant]) != len(LABELS):
                    problems.append(f"golden[{i}]: expected.{variant} must have {len(LABELS)} values")
        except (KeyError, TypeError) as exc:
            problems.append(f"golden[{i}]: malformed entry ({exc})")
    return problems, golden


def check_models(bundle: Path, manifest: dict, golden: list[dict], *, allow_dynamic_batch: bool = False) -> list[str]:
    """Load the .h5 and both .tflite files, check I/O specs (the .tflite files with a fixed batch of 1 unless
    ``allow_dynamic_batch``, for bundles exported before 2026-12-04), and reproduce the golden outputs."""
    import keras

    from model_pipeline.export.tflite import TFLiteModel

    problems: list[str] = []
    size = manifest["input"]["height"]
    predictors = {}
    try:
        h5 = keras.models.load_model(bundle / "model.h5", compile=False)
        shape = tuple(h5.input_shape)
        if shape[1:] != (size, size, 3) or tuple(h5.output_shape)[1:] != (len(LABELS),):
            problems.append(f"model.h5: input {shape} / output {h5.output_shape} do not match the manifest")
        predictors["h5"] = lambda t: np.asarray(h5(t[None].astype(np.float32), training=False))[0]
    except Exception as exc:
        problems.append(f"model.h5 does not load: {exc}")
    for variant, name in (("int8", "model_int8.tflite"), ("fp16", "model_fp16.tflite")):
        try:
            model = TFLiteModel(bundle / name, num_threads=1)
        except BundleError as exc:
            problems.append(str(exc))
            continue
        if list(model.input["shape"]) != [1, size, size, 3] or model.input_dtype != np.dtype(DTYPES[variant]):
            problems.append(f"{name}: input {list(model.input['shape'])} {model.input_dtype} does not match the manifest")
        elif not allow_dynamic_batch and (
            model.input_shape_signature != [1, size, size, 3] or model.output_shape_signature != [1, len(LABELS)]
        ):
            problems.append(
                f"{name}: declares input {model.input_shape_signature} and output {model.output_shape_signature}, "
                f"not a fixed batch of 1 ([1, {size}, {size}, 3] -> [1, {len(LABELS)}]); -1 is a dynamic batch, which "
                "LiteRT.js and GPU delegates refuse: convert it again with this pipeline (python -m model_pipeline reexport)"
            )
        if variant == "int8":
            if model.input_quantization != (1.0, 0):
                problems.append(f"{name}: uint8 input must take raw pixels (scale 1, zero point 0), got {model.input_quantization}")
            quant = manifest["output"]["int8_quantization"]
            scale, zero_point = model.output_quantization
            if not np.isclose(scale, quant["scale"], rtol=1e-6) or zero_point != quant["zero_point"]:
                problems.append(f"{name}: output quantisation ({scale}, {zero_point}) differs from the manifest")
        predictors[variant] = model.predict_one
    int8_tol = INT8_STEPS * float(manifest["output"]["int8_quantization"]["scale"]) + 1e-6
    for i, entry in enumerate(golden):
        tensor = preprocess_image(bundle / entry["file"], size)
        for variant, fn in predictors.items():
            got = np.asarray(fn(tensor), dtype=np.float64)
            want = np.asarray(entry["expected"][variant], dtype=np.float64)
            tol = int8_tol if variant == "int8" else TOLERANCE[variant]
            if got.shape != want.shape or np.abs(got - want).max() > tol:
                problems.append(
                    f"golden[{i}] {entry['file']}: {variant} output differs from expected "
                    f"(max diff {np.abs(got - want).max() if got.shape == want.shape else 'shape'})"
                )
    return problems


def validate_bundle(path: str | Path, *, load_models: bool = True, allow_dynamic_batch: bool = False) -> dict:
    """Validate the bundle at ``path`` and return its manifest; raise ``BundleError`` listing every problem.

    ``allow_dynamic_batch`` accepts .tflite files whose batch is dynamic (-1), as the converter wrote them
    up to r19: the server's interpreter runs them, LiteRT.js (the app) refuses them."""
    bundle = Path(path)
    if not bundle.is_dir():
        raise BundleError(f"{bundle}: not a directory")
    try:
        manifest = json.loads((bundle / "manifest.json").read_text())
    except FileNotFoundError as exc:
        raise BundleError(f"{bundle}: manifest.json not found") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{bundle}/manifest.json: not valid JSON ({exc})") from exc
    problems = check_manifest(manifest, bundle.name)
    if problems:
        raise BundleError(f"{bundle}: invalid manifest: " + "; ".join(problems))
    problems = check_files(bundle, manifest)
    if not problems:
        golden_problems, golden = check_golden(bundle, manifest)
        problems += golden_problems
        if load_models and not problems:
            problems += check_models(bundle, manifest, golden, allow_dynamic_batch=allow_dynamic_batch)
    if problems:
        raise BundleError(f"{bundle}: " + "; ".join(problems))
    return manifest
