"""TFLite export with a fixed batch of 1: LiteRT.js (the web app) and GPU delegates refuse a dynamic batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lesion_contract.labels import LABELS
from lesion_contract.manifest import sha256_file
from model_pipeline.bundle.validate import validate_bundle
from model_pipeline.errors import BundleError

from .conftest import run_cli

SIZE = 32


@pytest.fixture(scope="module")
def small_model():
    """A demo-sized two-member ensemble (untrained: the export does not care)."""
    from model_pipeline.config import MemberSpec
    from model_pipeline.models.ensemble import build_ensemble, build_member

    specs = (MemberSpec(width=0.25, seed=1, dropout=0.0), MemberSpec(width=0.25, seed=2, dropout=0.0))
    return build_ensemble([build_member(spec, i, SIZE) for i, spec in enumerate(specs)], specs, SIZE)


def _signatures(flat: bytes) -> tuple[list[int], list[int], np.dtype]:
    """Input/output shape signatures as LiteRT reads them (-1 = dynamic)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flat)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    return inp["shape_signature"].tolist(), out["shape_signature"].tolist(), np.dtype(inp["dtype"])


def test_int8_and_fp16_exports_declare_a_fixed_batch_of_one(small_model):
    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import TFLiteModel, convert

    images = np.random.default_rng(0).integers(0, 256, size=(8, SIZE, SIZE, 3)).astype(np.uint8)
    for quant, dtype in ((Quantization.for_int8(images), np.uint8), (Quantization.for_float16(), np.float32)):
        flat = convert(small_model, quant)
        inp, out, in_dtype = _signatures(flat)
        assert inp == [1, SIZE, SIZE, 3], f"{quant.variant}: input shape_signature {inp} (a -1 is a dynamic batch)"
        assert out == [1, len(LABELS)], f"{quant.variant}: output shape_signature {out}"
        assert in_dtype == dtype
        # the wrapper still scores a batch (one image at a time) and matches single-image calls
        model = TFLiteModel(flat)
        batch = model.predict(images[:3])
        assert batch.shape == (3, len(LABELS))
        assert np.array_equal(batch[1], model.predict_one(images[1]))
        want = np.asarray(small_model(images[:3].astype(np.float32), training=False))
        assert np.abs(batch - want).max() < 0.05, quant.variant


def _dynamic_batch_fp16(h5: Path) -> bytes:
    """model.h5 converted the way the pipeline did up to r19 (``from_keras_model``: input batch -1)."""
    import keras
    import tensorflow as tf

    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import _configure

    converter = tf.lite.TFLiteConverter.from_keras_model(keras.models.load_model(h5, compile=False))
    _configure(converter, Quantization.for_float16())
    return bytes(converter.convert())


@pytest.mark.slow
def test_validator_refuses_a_dynamic_batch(demo, tmp_path):
    bundle = tmp_path / demo["version"]
    shutil.copytree(demo["bundle"], bundle)
    flat = _dynamic_batch_fp16(bundle / "model.h5")
    assert _signatures(flat)[0] == [-1, SIZE, SIZE, 3]  # the old export, as committed up to r19
    (bundle / "model_fp16.tflite").write_bytes(flat)
    manifest = json.loads((bundle / "manifest.json").read_text())
    for entry in manifest["files"]:  # hashes consistent: only the batch is wrong
        if entry["name"] == "model_fp16.tflite":
            entry["size"], entry["sha256"] = len(flat), sha256_file(bundle / "model_fp16.tflite")
    (bundle / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(BundleError, match=r"model_fp16\.tflite: declares input \[-1, 32, 32, 3\].*dynamic batch"):
        validate_bundle(bundle, load_models=True)
    validate_bundle(bundle, load_models=True, allow_dynamic_batch=True)  # same outputs, only the batch differs
    bad = run_cli("validate", str(bundle), timeout=300)
    assert bad.returncode == 2 and "dynamic batch" in bad.stderr and "Traceback" not in bad.stderr
    ok = run_cli("validate", str(bundle), "--allow-dynamic-batch", timeout=300)
    assert ok.returncode == 0, ok.stderr[-2000:]


@pytest.mark.slow
def test_reexport_publishes_the_same_weights_under_a_new_version(demo, tmp_path):
    run, out, version = tmp_path / "run", tmp_path / "bundles", "2026.12.04-synthetic-reexport-test"
    refused = run_cli("reexport", str(demo["bundle"]), "--run-dir", str(run), "--reason", " ", timeout=300)
    assert refused.returncode == 2 and "needs a reason" in refused.stderr
    made = run_cli("reexport", str(demo["bundle"]), "--run-dir", str(run), "--reason", "fixed batch of 1", timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    again = run_cli("reexport", str(demo["bundle"]), "--run-dir", str(run), "--reason", "again", timeout=300)
    assert again.returncode == 2 and "not empty" in again.stderr
    for step in (
        ("convert", "--data", str(demo["data"]), "--run-dir", str(run), "--version", version, "--out", str(out)),
        ("evaluate", "--data", str(demo["data"]), "--run-dir", str(run), "--latency-runs", "3"),
        ("bundle", "--run-dir", str(run), "--out", str(out)),
    ):
        result = run_cli(*step)
        assert result.returncode == 0, (step[0], result.stderr[-3000:])

    old, new = demo["bundle"], out / version
    manifest = validate_bundle(new, load_models=True)
    assert manifest["training"]["reexport_of"] == {
        "version": demo["version"],
        "model_h5_sha256": sha256_file(old / "model.h5"),
        "reason": "fixed batch of 1",
    }
    for name in ("model.h5", "split.csv", "config.json"):
        assert sha256_file(new / name) == sha256_file(old / name), name
    old_manifest = json.loads((old / "manifest.json").read_text())
    assert manifest["data"] == old_manifest["data"]
    # same weights, same split, same calibration images: the same answers on the golden images
    old_golden = json.loads((old / "golden.json").read_text())
    new_golden = json.loads((new / "golden.json").read_text())
    for a, b in zip(old_golden, new_golden, strict=True):
        assert a["tensor_sha256"] == b["tensor_sha256"]
        assert a["expected"]["int8"] == b["expected"]["int8"]
    assert manifest["metrics"]["balanced_accuracy"]["int8"] == old_manifest["metrics"]["balanced_accuracy"]["int8"]


def test_reexport_carries_the_ood_steps_measurements_of_a_bundle_that_has_them(tmp_path):
    from model_pipeline.pipeline import reexport_run

    # Given the committed bundle with a "cannot assess" rule (its ood.json holds the ood step's measurements)
    bundles = sorted(p.parent for p in (Path(__file__).resolve().parents[2] / "tflite_artifacts").glob("*/ood.json"))
    if not bundles:
        pytest.skip("no committed bundle with ood.json")
    bundle = bundles[-1]
    # When it is re-exported
    run = reexport_run(bundle, tmp_path / "run", reason="per-variant thresholds")
    # Then ood.json comes along byte for byte, so evaluate fixes the rule's thresholds again without the ood step
    assert sha256_file(run / "ood.json") == sha256_file(bundle / "ood.json")
    assert json.loads((run / "ood.json").read_text())["rule"]["output"] == "ood_features"
