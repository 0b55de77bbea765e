"""Manifest verification (lesion_contract.manifest) on a small bundle built in a temporary directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lesion_contract.manifest import BundleError, Manifest, check_files, verify_bundle
from tests.contract.conftest import SIZE, VERSION, build_bundle, fake_model, relist, write_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_good_bundle_verifies_with_its_outputs_and_is_typed(bundle: Path) -> None:
    manifest = verify_bundle(bundle, predictors={"h5": fake_model, "int8": fake_model})
    assert isinstance(manifest, Manifest)
    assert manifest.version == VERSION and manifest.size == SIZE and manifest.synthetic
    assert manifest.high_risk_mass == 0.2
    assert manifest.variant_file("h5") is not None and manifest.variant_file("h5").name == "model.h5"  # type: ignore[union-attr]
    assert manifest.file("golden/0.png") is not None and manifest.file("nope") is None
    assert manifest.thresholds["mel"] == 0.5 and manifest.int8_quantization == (1 / 256, 0)
    assert manifest.created_at_datetime.year == 2026
    assert Manifest.load(bundle) == manifest


def test_wrong_sha256_names_the_file(bundle: Path) -> None:
    data = bytearray((bundle / "model_int8.tflite").read_bytes())
    data[3] ^= 0xFF  # same size, different bytes
    (bundle / "model_int8.tflite").write_bytes(bytes(data))
    with pytest.raises(BundleError, match="model_int8.tflite: sha256 does not match the manifest"):
        verify_bundle(bundle)


def test_wrong_size_names_the_file(bundle: Path) -> None:
    with (bundle / "model.h5").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(BundleError, match=r"model.h5: size \d+ != manifest \d+"):
        verify_bundle(bundle)


def test_missing_file_and_unlisted_extra_file(bundle: Path) -> None:
    (bundle / "labels.txt").unlink()
    (bundle / "extra.bin").write_bytes(b"x")
    problems = check_files(bundle, Manifest.load(bundle))
    assert "labels.txt: listed in the manifest but missing" in problems
    assert "extra.bin: present in the bundle but not listed in the manifest" in problems
    with pytest.raises(BundleError, match="labels.txt: listed in the manifest but missing"):
        verify_bundle(bundle)


def test_required_file_that_is_not_listed(bundle: Path, manifest_of: Any) -> None:
    (bundle / "split.csv").unlink()
    relist(bundle, manifest_of(bundle))
    with pytest.raises(BundleError, match="split.csv: required file not listed"):
        verify_bundle(bundle)


def test_unsafe_member_name_is_refused(bundle: Path, manifest_of: Any) -> None:
    manifest = manifest_of(bundle)
    manifest["files"].append({"name": "../outside.txt", "size": 1, "sha256": "0" * 64, "variant": None})
    write_manifest(bundle, manifest)
    with pytest.raises(BundleError, match="unsafe path '../outside.txt'"):
        verify_bundle(bundle)


def test_bad_golden_tensor_checksum(bundle: Path, manifest_of: Any) -> None:
    # Given a golden.json whose recorded tensor checksum is not what the spec produces (hashes kept consistent)
    golden = json.loads((bundle / "golden.json").read_text())
    golden[1]["tensor_sha256"] = "0" * 64
    (bundle / "golden.json").write_text(json.dumps(golden))
    relist(bundle, manifest_of(bundle))
    # Then verification names the image: the preprocessing drifted
    with pytest.raises(BundleError, match="golden\\[1\\]: preprocessed tensor checksum mismatch for golden/1.jpg"):
        verify_bundle(bundle)


def test_golden_image_changed_after_the_fact(bundle: Path, manifest_of: Any) -> None:
    from PIL import Image

    Image.new("RGB", (30, 40), (1, 2, 3)).save(bundle / "golden/0.png")
    relist(bundle, manifest_of(bundle))  # the manifest agrees, golden.json does not
    with pytest.raises(BundleError, match="golden\\[0\\]: golden/0.png sha256 mismatch"):
        verify_bundle(bundle)


def test_bad_golden_outputs_name_the_variant_and_image(bundle: Path) -> None:
    def wrong(batch: np.ndarray) -> np.ndarray:
        out = fake_model(batch)
        out[0] = np.roll(out[0], 1)
        return out

    verify_bundle(bundle)  # without a predictor only files and tensors are checked
    with pytest.raises(BundleError, match="golden\\[0\\] golden/0.png: h5 output differs from expected"):
        verify_bundle(bundle, predictors={"h5": wrong})
    with pytest.raises(BundleError, match="int8: golden outputs have shape"):
        verify_bundle(bundle, predictors={"int8": lambda batch: fake_model(batch)[:, :3]})


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(labels=list(reversed(m["labels"]))), "labels must be"),
        (lambda m: m["label_info"]["mel"].update(risk="low"), "label_info\\['mel'\\] must have display_name and risk 'high'"),
        (lambda m: m.update(created_at="yesterday"), "created_at is not ISO 8601"),
        (lambda m: m.update(created_at="2026-01-01T00:00:00"), "created_at has no UTC offset"),
        (lambda m: m["input"]["preprocessing"].update(resize="nearest"), "input.preprocessing must be"),
        (lambda m: m.update(high_risk={"mass": 1.5}), "high_risk.mass must be a number in \\(0, 1\\]"),
        (lambda m: m.update(disclaimer="Trust me."), "disclaimer must start with"),
        (lambda m: m.pop("thresholds"), "missing key 'thresholds'"),
        (lambda m: m.update(name="Skin lesion classifier"), "SYNTHETIC - not for clinical use"),
        (lambda m: m["files"][0].pop("variant"), "files\\[0\\] must have name, size, sha256, variant"),
    ],
)
def test_schema_problems_are_listed(bundle: Path, manifest_of: Any, edit: Any, message: str) -> None:
    manifest = manifest_of(bundle)
    edit(manifest)
    write_manifest(bundle, manifest)
    with pytest.raises(BundleError, match=message):
        verify_bundle(bundle)


def test_directory_name_must_be_the_version_and_json_must_parse(bundle: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "elsewhere" / "2099.01.01-synthetic-r9"
    shutil.copytree(bundle, renamed)
    with pytest.raises(BundleError, match="differs from manifest version"):
        verify_bundle(renamed)
    (bundle / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        verify_bundle(bundle)
    with pytest.raises(BundleError, match="not a directory"):
        verify_bundle(tmp_path / "nope")


def test_a_second_bundle_verifies_independently(tmp_path: Path) -> None:
    other = build_bundle(tmp_path, "2026.02.01-synthetic-contract-r2")
    assert verify_bundle(other).version == "2026.02.01-synthetic-contract-r2"


def test_committed_bundles_pass_the_contract() -> None:
    """What the server checks on import: every committed bundle's files and golden tensors (no TensorFlow)."""
    bundles = sorted(p.parent for p in (ROOT / "tflite_artifacts").glob("*/manifest.json"))
    assert bundles
    for path in bundles:
        manifest = verify_bundle(path)
        assert manifest.version == path.name and not manifest.synthetic
