"""End to end on a tiny SYNTHETIC set: the bundle validates, metadata round-trips, int8 agrees with .h5."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lesion_contract.labels import LABELS
from lesion_contract.manifest import REQUIRED_FILES
from lesion_contract.preprocess import preprocess_image
from model_pipeline.bundle.validate import validate_bundle
from model_pipeline.errors import BundleError

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


def test_demo_writes_a_valid_synthetic_bundle(demo):
    bundle: Path = demo["bundle"]
    manifest = validate_bundle(bundle, load_models=True)
    assert manifest["version"] == bundle.name and "synthetic" in manifest["version"]
    assert manifest["synthetic"] is True and manifest["data"]["synthetic"] is True
    assert "SYNTHETIC - not for clinical use" in manifest["name"]
    assert "SYNTHETIC - not for clinical use" in manifest["description"]
    assert manifest["labels"] == list(LABELS)
    assert manifest["label_info"]["mel"]["risk"] == "high" and manifest["label_info"]["nv"]["risk"] == "low"
    assert manifest["input"]["height"] == manifest["input"]["width"] == 32
    assert manifest["input"]["preprocessing"]["normalisation"] == "inside_model"
    names = {f["name"] for f in manifest["files"]}
    assert set(REQUIRED_FILES) <= names and "manifest.json" not in names
    assert {n for n in names if n.startswith("golden/")} == {f"golden/{i}.{e}" for i, e in enumerate(["jpg", "png", "jpg", "png", "jpg"])}
    assert {f["name"]: f["variant"] for f in manifest["files"]}["model_int8.tflite"] == "int8"
    assert set(manifest["thresholds"]) == set(LABELS)
    for key in ("balanced_accuracy", "per_class_recall", "melanoma", "macro_auc", "ece", "int8_agreement", "latency_ms"):
        assert key in manifest["metrics"]
    assert manifest["training"]["epochs"] == 3 and len(manifest["training"]["members"]) == 2
    assert manifest["training"]["pretrained_weights"] == []  # the demo members train from scratch
    high_risk = manifest["high_risk"]  # the operating point is the bundle's, never looser than the server's 0.35
    assert 0.05 <= high_risk["mass"] <= 0.35 and (high_risk["mass"] == 0.05 or high_risk["melanoma_referred"] >= 0.95)
    assert manifest["data"]["n_images"]["train"] + manifest["data"]["n_images"]["val"] == 210
    for png in ("confusion_int8.png", "reliability.png"):
        assert (bundle / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Screening aid only" in (bundle / "report.md").read_text()


def test_split_file_in_bundle_has_no_lesion_in_both_sides(demo):
    import csv

    with (demo["bundle"] / "split.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    train = {r["lesion_id"] for r in rows if r["split"] == "train"}
    val = {r["lesion_id"] for r in rows if r["split"] == "val"}
    assert train and val and not train & val


def test_tflite_metadata_round_trips(demo):
    from model_pipeline.export.metadata import read_metadata

    for name in ("model_int8.tflite", "model_fp16.tflite"):
        meta = read_metadata(demo["bundle"] / name)
        assert meta["labels"] == list(LABELS)
        assert meta["normalization"] == {"mean": [0.0], "std": [1.0]}
        assert meta["version"] == demo["version"]
        assert "SYNTHETIC - not for clinical use" in meta["name"]
        assert meta["author"] and meta["license"] and meta["description"]


def test_int8_model_loads_and_agrees_with_h5_on_golden_vectors(demo):
    import keras

    from model_pipeline.export.tflite import TFLiteModel

    bundle = demo["bundle"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    golden = json.loads((bundle / "golden.json").read_text())
    h5 = keras.models.load_model(bundle / "model.h5", compile=False)
    int8 = TFLiteModel(bundle / "model_int8.tflite")
    assert int8.input_dtype == np.uint8 and int8.input_quantization == (1.0, 0)
    scale = manifest["output"]["int8_quantization"]["scale"]
    for entry in golden:
        tensor = preprocess_image(bundle / entry["file"], 32)
        want = np.asarray(h5(tensor[None].astype(np.float32), training=False))[0]
        got = int8.predict_one(tensor)
        assert abs(got.sum() - 1.0) < 0.05
        # quantisation error stays within a few output steps and a small absolute margin
        assert np.abs(got - want).max() < max(6 * scale, 0.06), (entry["file"], got, want)
        assert np.allclose(got, entry["expected"]["int8"], atol=2 * scale + 1e-6)
        assert np.allclose(want, entry["expected"]["h5"], atol=2e-3)


def test_bundles_are_immutable(demo):
    from model_pipeline.bundle.writer import write_bundle

    before = (demo["bundle"] / "manifest.json").read_bytes()
    with pytest.raises(BundleError, match="already exists"):
        write_bundle(demo["run"], demo["bundles"], demo["version"])
    assert (demo["bundle"] / "manifest.json").read_bytes() == before


def _copy_bundle(demo, tmp_path: Path) -> Path:
    dst = tmp_path / demo["version"]
    shutil.copytree(demo["bundle"], dst)
    return dst


def test_validator_rejects_tampered_files(demo, tmp_path):
    bundle = _copy_bundle(demo, tmp_path)
    data = bytearray((bundle / "model_int8.tflite").read_bytes())
    data[-10] ^= 0xFF
    (bundle / "model_int8.tflite").write_bytes(bytes(data))
    with pytest.raises(BundleError, match="model_int8.tflite: sha256 does not match"):
        validate_bundle(bundle, load_models=False)


def test_validator_rejects_unlisted_missing_and_renamed(demo, tmp_path):
    bundle = _copy_bundle(demo, tmp_path)
    (bundle / "extra.bin").write_bytes(b"x")
    with pytest.raises(BundleError, match="extra.bin: present in the bundle but not listed"):
        validate_bundle(bundle, load_models=False)
    (bundle / "extra.bin").unlink()
    (bundle / "labels.txt").unlink()
    with pytest.raises(BundleError, match="labels.txt: listed in the manifest but missing"):
        validate_bundle(bundle, load_models=False)
    renamed = tmp_path / "2099.01.01-synthetic-r9"
    shutil.copytree(demo["bundle"], renamed)
    with pytest.raises(BundleError, match="differs from manifest version"):
        validate_bundle(renamed, load_models=False)


def test_validator_rejects_bad_manifest(demo, tmp_path):
    bundle = _copy_bundle(demo, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["labels"] = list(reversed(manifest["labels"]))
    manifest["name"] = "Skin lesion classifier"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError) as info:
        validate_bundle(bundle, load_models=False)
    assert "labels must be" in str(info.value) and "SYNTHETIC - not for clinical use" in str(info.value)
    (bundle / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        validate_bundle(bundle, load_models=False)


def test_validator_detects_golden_vectors_that_do_not_reproduce(demo, tmp_path):
    bundle = _copy_bundle(demo, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    golden = json.loads((bundle / "golden.json").read_text())
    golden[0]["expected"]["int8"] = [1.0, 0, 0, 0, 0, 0, 0]
    (bundle / "golden.json").write_text(json.dumps(golden))
    for entry in manifest["files"]:  # keep hashes consistent so only the outputs are wrong
        if entry["name"] == "golden.json":
            from lesion_contract.manifest import sha256_file

            entry["size"] = (bundle / "golden.json").stat().st_size
            entry["sha256"] = sha256_file(bundle / "golden.json")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    validate_bundle(bundle, load_models=False)  # hashes and checksums fine
    with pytest.raises(BundleError, match="int8 output differs from expected"):
        validate_bundle(bundle, load_models=True)


def test_cli_validate_reports_ok_and_errors(demo, tmp_path):
    ok = run_cli("validate", str(demo["bundle"]), "--no-models", timeout=300)
    assert ok.returncode == 0 and ok.stdout.startswith("OK " + demo["version"])
    bad = run_cli("validate", str(tmp_path / "nope"), timeout=300)
    assert bad.returncode == 2 and "not a directory" in bad.stderr and "Traceback" not in bad.stderr


def test_committed_bundles_validate():
    """Every bundle committed under tflite_artifacts/ is complete and reproduces its golden vectors; the newest
    (the one a fresh server activates and the app ships) has .tflite files with a fixed batch of 1."""
    root = ROOT / "tflite_artifacts"
    bundles = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")] if root.is_dir() else []
    if not bundles:
        pytest.skip("no committed bundle")
    manifests = {bundle: json.loads((bundle / "manifest.json").read_text()) for bundle in bundles}
    newest = max(bundles, key=lambda b: manifests[b]["created_at"])
    for bundle in bundles:
        # bundles exported before 2026-12-04 (r19 and older) declare a dynamic batch: kept for rollback on the server
        manifest = validate_bundle(bundle, load_models=True, allow_dynamic_batch=bundle != newest)
        assert manifest["synthetic"] == ("synthetic" in manifest["version"])
