"""Validate a bundle directory: the contract's checks (lesion_contract.manifest) plus what needs TensorFlow.

The model-free checks (manifest schema, file hashes and sizes, golden tensors) live in the contract
package, which the server uses directly; this module adds loading the models and reproducing the
golden outputs with every variant::

    from model_pipeline.bundle.validate import validate_bundle
    manifest = validate_bundle(path)                      # everything
    manifest = validate_bundle(path, load_models=False)   # the contract's checks only (no TensorFlow)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from lesion_contract import manifest as contract
from lesion_contract.labels import LABELS
from lesion_contract.manifest import (  # re-exported: callers of the pipeline's validator use them
    DTYPES,
    REQUIRED_FILES,
    SCHEMA_VERSION,
    SYNTHETIC_MARK,
    VARIANT_OF,
    check_files,
    check_golden,
    check_manifest,
    sha256_file,
)
from lesion_contract.ood import OOD_VARIANTS, check_ood
from model_pipeline.errors import BundleError

__all__ = [
    "REQUIRED_FILES",
    "SCHEMA_VERSION",
    "SYNTHETIC_MARK",
    "VARIANT_OF",
    "BundleError",
    "check_files",
    "check_golden",
    "check_manifest",
    "check_models",
    "check_ood_thresholds",
    "sha256_file",
    "validate_bundle",
]


def check_models(bundle: Path, manifest: dict, golden: list[dict], *, allow_dynamic_batch: bool = False) -> list[str]:
    """Load the .h5 and both .tflite files, check I/O specs (the .tflite files with a fixed batch of 1 unless
    ``allow_dynamic_batch``, for bundles exported before 2026-12-04), and reproduce the golden outputs."""
    import keras

    from model_pipeline.export.tflite import TFLiteModel
    from model_pipeline.ood import h5_outputs

    problems: list[str] = []
    size = manifest["input"]["height"]
    ood = manifest.get("ood")
    dim = ood.get("dim") if isinstance(ood, dict) else None  # the second output's length (mahalanobis rule)
    predictors = {}
    ood_predictors: dict[str, contract.OodPredictor] = {}
    try:
        h5 = keras.models.load_model(bundle / "model.h5", compile=False)
        shape = tuple(h5.input_shape)
        out_shapes = [tuple(o.shape)[1:] for o in h5.outputs]
        want = [(len(LABELS),)] + ([(dim,)] if dim else [])
        if shape[1:] != (size, size, 3) or out_shapes != want:
            problems.append(f"model.h5: input {shape} / outputs {out_shapes} do not match the manifest (expected {want})")
        predictors["h5"] = lambda t: h5_outputs(h5, t[None])[0][0]
        ood_predictors["h5"] = lambda batch: h5_outputs(h5, batch)
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
        if dim and model.features_shape_signature != [1, dim]:
            problems.append(f"{name}: second output ood_features {model.features_shape_signature} is not [1, {dim}] as manifest.ood says")
        elif not dim and model.n_outputs != 1:
            problems.append(f"{name}: {model.n_outputs} outputs but the manifest has no ood rule")
        if variant == "int8" and dim and isinstance(ood, dict) and model.features_quantization is not None:
            fq = ood["int8_quantization"]
            scale, zero_point = model.features_quantization
            if not np.isclose(scale, fq["scale"], rtol=1e-6) or zero_point != fq["zero_point"]:
                problems.append(f"{name}: ood_features quantisation ({scale}, {zero_point}) differs from manifest.ood")
        if variant == "int8":
            if model.input_quantization != (1.0, 0):
                problems.append(f"{name}: uint8 input must take raw pixels (scale 1, zero point 0), got {model.input_quantization}")
            quant = manifest["output"]["int8_quantization"]
            scale, zero_point = model.output_quantization
            if not np.isclose(scale, quant["scale"], rtol=1e-6) or zero_point != quant["zero_point"]:
                problems.append(f"{name}: output quantisation ({scale}, {zero_point}) differs from the manifest")
        predictors[variant] = model.predict_one
        ood_predictors[variant] = _features_one_by_one(model.predict_with_features)
    # the TFLite files take a batch of 1: run the golden images one by one
    batched = {variant: _one_by_one(fn) for variant, fn in predictors.items()}
    problems += contract.check_golden_outputs(bundle, manifest, golden, batched)
    if dim or (isinstance(ood, dict) and ood):
        problems += contract.check_golden_ood(bundle, manifest, golden, ood_predictors)
    return problems


def _features_one_by_one(fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]) -> contract.OodPredictor:
    def run(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        outs = [fn(tensor) for tensor in batch]
        feats = [f for _, f in outs]
        return np.stack([p for p, _ in outs]), None if any(f is None for f in feats) else np.stack(feats)  # type: ignore[arg-type]

    return run


def _one_by_one(predict_one: Callable[[np.ndarray], np.ndarray]) -> contract.Predictor:
    return lambda batch: np.stack([np.asarray(predict_one(tensor)) for tensor in batch])


def check_ood_thresholds(manifest: dict) -> list[str]:
    """What the pipeline promises about ``manifest.ood``'s thresholds beyond the contract's types: a rule with
    ``variant_thresholds`` gives one to each of h5, int8 and fp16, and its shared ``threshold`` is the largest
    of them (an app that reads only ``threshold`` refuses no more validation lesions with any variant). A
    rule without ``variant_thresholds`` (r21) has nothing to check here."""
    ood = manifest.get("ood")
    if not isinstance(ood, dict) or ood.get("variant_thresholds") is None:
        return []
    own = ood["variant_thresholds"]
    if not isinstance(own, dict) or check_ood(ood):
        return []  # the contract's check_manifest already reports a malformed rule
    problems = []
    missing = [v for v in OOD_VARIANTS if v not in own]
    if missing:
        problems.append(f"manifest.ood.variant_thresholds has no threshold for {missing} (the pipeline writes one per variant)")
    if own and not np.isclose(float(ood["threshold"]), max(float(t) for t in own.values()), rtol=1e-9, atol=0.0):
        problems.append(f"manifest.ood.threshold {ood['threshold']} is not the largest of variant_thresholds {own}")
    return problems


def validate_bundle(path: str | Path, *, load_models: bool = True, allow_dynamic_batch: bool = False) -> dict:
    """Validate the bundle at ``path`` and return its manifest; raise ``BundleError`` listing every problem.

    ``allow_dynamic_batch`` accepts .tflite files whose batch is dynamic (-1), as the converter wrote them
    up to r19: the server's interpreter runs them, LiteRT.js (the app) refuses them."""
    bundle = Path(path)
    try:
        manifest = contract.Manifest.load(bundle).raw
    except contract.BundleError as exc:
        raise BundleError(str(exc)) from exc
    problems = check_files(bundle, manifest) + check_ood_thresholds(manifest)
    if not problems:
        golden_problems, golden = check_golden(bundle, manifest)
        problems += golden_problems
        if load_models and not problems:
            problems += check_models(bundle, manifest, golden, allow_dynamic_batch=allow_dynamic_batch)
    if problems:
        raise BundleError(f"{bundle}: " + "; ".join(problems))
    return manifest
