"""'Cannot assess': a bundle's manifest.ood rule withholds the class verdict for photos far from the lesions it knows."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from lesion_contract.ood import CANNOT_ASSESS_MESSAGE
from lesion_contract.preprocess import preprocess_image
from screening import bundles, services
from screening.inference import load_forward
from screening.models import Screening
from tests.server.screening.bundle_factory import SIZE, build_tiny_bundle
from tests.server.screening.conftest import VERSION_A, upload

VERSION_OOD = "2026.03.01-synthetic-test-ood"
THRESHOLD = 1e-6  # the reference photo scores ~1e-12 (its own features); anything visibly different is far above


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


REFERENCE = _png(np.tile(np.linspace(60, 200, 48, dtype=np.float64)[None, :, None], (48, 1, 3)))  # a smooth "lesion-like" ramp
NOISE = _png(np.random.default_rng(5).integers(0, 256, (48, 48, 3)))


@pytest.fixture(scope="module")
def ood_bundle(tmp_path_factory: Any) -> Path:
    root = tmp_path_factory.mktemp("ood-artifacts")
    reference = preprocess_image(Image.open(io.BytesIO(REFERENCE)), SIZE)
    return build_tiny_bundle(
        root, VERSION_OOD, seed=3, created_at="2026-03-01T00:00:00Z", ood_reference=reference, ood_threshold=THRESHOLD
    )


@pytest.fixture
def ood_active(db: Any, ood_bundle: Path) -> Any:
    """The bundle with a rule imported (golden vectors checked, ood scores included) and active."""
    mv, created = services.model_version_import(bundle_dir=ood_bundle, check_golden=True)
    assert created
    return services.model_version_activate(model_version=mv)


def _screen(client: Any, photo: bytes, **fields: Any) -> Any:
    return client.post_multipart("/api/v1/screenings", {"photo": upload(photo, "photo.png", "image/png"), **fields})


def test_a_photo_far_from_the_lesions_is_answered_cannot_assess_without_any_class_verdict(
    ood_active: Any, patient: Any, as_user: Any
) -> None:
    # Given a model whose rule knows only photos like the reference
    # When a patient screens noise
    response = _screen(as_user(patient), NOISE)
    # Then the answer says "cannot assess" and carries no label, risk or probabilities
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "cannot_assess"
    assert body["ood_score"] > THRESHOLD
    assert body["top_label"] is None and body["top_label_display"] is None
    assert body["risk"] is None and body["probabilities"] is None
    assert CANNOT_ASSESS_MESSAGE in body["recommended_action"]
    assert "not a diagnosis" in body["disclaimer"]
    # and the stored row records the outcome and the score
    row = Screening.objects.get(pk=body["id"])
    assert row.outcome == "cannot_assess" and row.ood_score == pytest.approx(body["ood_score"])
    # and reading it back gives the same withheld verdict
    again = as_user(patient).get(f"/api/v1/screenings/{body['id']}").json()
    assert (again["outcome"], again["top_label"], again["risk"], again["probabilities"]) == ("cannot_assess", None, None, None)


def test_a_photo_like_the_lesions_is_assessed_as_before(ood_active: Any, patient: Any, as_user: Any) -> None:
    # When a patient screens the reference photo itself
    response = _screen(as_user(patient), REFERENCE)
    # Then it is assessed: label, risk, probabilities as usual, with its (tiny) score
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "assessed"
    assert 0 <= body["ood_score"] <= THRESHOLD
    assert body["top_label"] in body["probabilities"] and body["risk"] in ("high", "medium", "low")


def test_the_server_score_is_the_rule_applied_to_the_h5_features(ood_active: Any, ood_bundle: Path, patient: Any, as_user: Any) -> None:
    # Given the rule in the manifest and the bundle's .h5
    manifest = json.loads((ood_bundle / "manifest.json").read_text())
    forward = load_forward(ood_bundle / "model.h5", SIZE)
    probs, features = forward.with_features(preprocess_image(Image.open(io.BytesIO(NOISE)), SIZE)[None])  # type: ignore[attr-defined]
    means = np.array(manifest["ood"]["means"])
    expected = float(((features[0][None, :] - means) ** 2).sum(axis=1).min())
    # When the photo is screened
    body = _screen(as_user(patient), NOISE).json()
    # Then the API's score is that number
    assert body["ood_score"] == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def per_variant_bundle(tmp_path_factory: Any) -> Path:
    """The same rule with per-variant thresholds: the .h5's is tiny, the int8 and fp16 ones (and so the
    shared threshold, their largest) let everything through."""
    root = tmp_path_factory.mktemp("ood-variant-artifacts")
    reference = preprocess_image(Image.open(io.BytesIO(REFERENCE)), SIZE)
    return build_tiny_bundle(
        root,
        "2026.03.02-synthetic-test-ood-variants",
        seed=3,
        created_at="2026-03-02T00:00:00Z",
        ood_reference=reference,
        ood_threshold=1e9,
        ood_variant_thresholds={"h5": THRESHOLD, "int8": 1e9, "fp16": 1e9},
    )


def test_the_server_applies_the_h5_threshold_of_a_rule_with_per_variant_thresholds(
    db: Any, per_variant_bundle: Path, patient: Any, as_user: Any
) -> None:
    # Given an active bundle whose rule gives the .h5 its own (tiny) threshold and the others a huge one
    mv, created = services.model_version_import(bundle_dir=per_variant_bundle, check_golden=True)
    assert created
    services.model_version_activate(model_version=mv)
    assert mv.manifest["ood"]["threshold"] == 1e9 and mv.manifest["ood"]["variant_thresholds"]["h5"] == THRESHOLD
    # When a patient screens noise, and the reference photo
    noise = _screen(as_user(patient), NOISE)
    reference = _screen(as_user(patient), REFERENCE)
    # Then the server (which runs the .h5) refuses the noise under the .h5's threshold, although the shared
    # and the int8 thresholds would have assessed it, and still assesses the reference photo
    assert noise.status_code == 201 and reference.status_code == 201, (noise.content, reference.content)
    assert THRESHOLD < noise.json()["ood_score"] < 1e9
    assert noise.json()["outcome"] == "cannot_assess" and noise.json()["top_label"] is None
    assert reference.json()["outcome"] == "assessed"


def test_risk_and_label_filters_do_not_match_cannot_assess_screenings(ood_active: Any, patient: Any, as_user: Any) -> None:
    # Given a cannot-assess screening (its stored label and risk are withheld)
    body = _screen(as_user(patient), NOISE).json()
    row = Screening.objects.get(pk=body["id"])
    # When the history is filtered on the stored risk and label
    by_risk = as_user(patient).get("/api/v1/screenings", params={"risk": row.risk}).json()
    by_label = as_user(patient).get("/api/v1/screenings", params={"label": row.top_label}).json()
    everything = as_user(patient).get("/api/v1/screenings").json()
    # Then it is only in the unfiltered list
    ids = lambda page: {s["id"] for s in (page["items"] if isinstance(page, dict) else page)}  # noqa: E731
    assert body["id"] in ids(everything)
    assert body["id"] not in ids(by_risk) and body["id"] not in ids(by_label)


def test_offline_sync_applies_the_rule_per_item(ood_active: Any, patient: Any, as_user: Any) -> None:
    # Given two offline screenings, one noise and one like the lesions
    items = [
        {"client_uuid": "8d0f8a43-54b8-4c1c-9b1e-1f7f5a5d0001", "captured_at": "2026-03-02T10:00:00+00:00", "photo": "p0"},
        {"client_uuid": "8d0f8a43-54b8-4c1c-9b1e-1f7f5a5d0002", "captured_at": "2026-03-02T10:01:00+00:00", "photo": "p1"},
    ]
    payload = {"items": json.dumps(items), "p0": upload(NOISE, "p0.png", "image/png"), "p1": upload(REFERENCE, "p1.png", "image/png")}
    # When they sync
    response = as_user(patient).post_multipart("/api/v1/screenings/sync", payload)
    # Then each gets its own outcome
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["screening"]["outcome"] for r in results] == ["cannot_assess", "assessed"]
    assert results[0]["screening"]["risk"] is None and results[1]["screening"]["risk"] is not None


def test_a_bundle_without_a_rule_assesses_every_photo(registry: Any, patient: Any, as_user: Any) -> None:
    # Given the active bundle has no manifest.ood (as r20 and older)
    assert "ood" not in registry["a"].manifest and registry["a"].version == VERSION_A
    # When noise is screened
    body = _screen(as_user(patient), NOISE).json()
    # Then it is assessed as before (a label and a risk), with no score
    assert (body["outcome"], body["ood_score"]) == ("assessed", None)
    assert body["top_label"] is not None and body["risk"] is not None


def test_import_refuses_a_bundle_whose_golden_ood_scores_do_not_reproduce(db: Any, ood_bundle: Path, tmp_path: Path) -> None:
    # Given a copy of the bundle whose golden ood scores were edited (and re-hashed, so only the numbers are wrong)
    import shutil

    from lesion_contract.manifest import sha256_file

    copy = tmp_path / VERSION_OOD
    shutil.copytree(ood_bundle, copy)
    golden = json.loads((copy / "golden.json").read_text())
    for entry in golden:
        entry["ood_score"]["h5"] = entry["ood_score"]["h5"] + 5.0
    (copy / "golden.json").write_text(json.dumps(golden))
    manifest = json.loads((copy / "manifest.json").read_text())
    for f in manifest["files"]:
        if f["name"] == "golden.json":
            f["size"], f["sha256"] = (copy / "golden.json").stat().st_size, sha256_file(copy / "golden.json")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    # When it is checked against its .h5
    forward = load_forward(copy / "model.h5", SIZE)
    # Then the golden ood scores fail
    with pytest.raises(bundles.BundleInvalid, match="ood score"):
        bundles.check_golden(copy, manifest, forward)
